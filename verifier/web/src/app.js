// The phone verifier page: scan, upload or paste; verify offline against the stored bundle.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { RollbackError, centreFreshness, loadBundle, parseMemory, refuseOlder, rememberText, seenFor,
  seenOf } from "./trust.js";
import { verifyText } from "./verify.js";
import { schemaSet } from "./schema.js";

prepareZXingModule({ overrides: { locateFile: (path) => new URL(path, document.baseURI).href } });

const LANGS = ["km", "en", "th", "ja", "ko", "ms", "ar"];
const $ = (id) => document.getElementById(id);
const state = { lang: localStorage.getItem("lang") || "km", tables: {}, trust: null, env: null,
  clock: () => Date.now() };

async function json(path) { const r = await fetch(path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); }
async function bytes(path) { const r = await fetch(path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return new Uint8Array(await r.arrayBuffer()); }

function t(key) {
  return (state.tables[state.lang] || {})[key] || state.tables.en[key] || "";
}

async function setLanguage(lang) {
  if (!LANGS.includes(lang)) return;
  state.lang = lang;
  localStorage.setItem("lang", lang);
  if (!state.tables[lang]) state.tables[lang] = await json(`i18n/${lang}.json`);
  document.documentElement.lang = lang;
  document.documentElement.dir = t("dir") || "ltr";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("lang").value = lang;
  showTrust();
  showRefusal();
  if (state.last) render(state.last);
}

function age(ms) {
  const days = Math.floor((state.clock() - ms) / 86400000);
  return days <= 0 ? t("label.today") : `${days} ${t("label.days_ago")}`;
}

// How old the trust data is: the bundle as a whole, then each centre's status lists, missing
// and stale ones first (their cards can get a warning at best, so the holder of the phone
// should know before scanning).
function showTrust() {
  if (!state.trust) return;
  $("age").textContent = `${t("label.bundle_age")}: ${age(state.trust.syncedAt)}`;
  const order = { missing: 0, stale: 1, current: 2 };
  const centres = centreFreshness(state.trust, state.clock()).sort((a, b) => order[a.state] - order[b.state]);
  const problems = centres.filter((c) => c.state !== "current").length;
  const box = $("centres");
  box.hidden = !centres.length;
  box.open = problems > 0;
  const mark = { missing: "✕", stale: "⚠", current: "✓" };
  box.innerHTML = `<summary>${esc(t("label.centres"))}: ${centres.length}${problems ? ` · ${mark.stale} ${problems}` : ""}</summary><ul>`
    + centres.map((c) => {
      const name = state.lang === "km" ? c.issuer.nameKm : c.issuer.name;
      const when = c.state === "missing" ? t("label.no_status") : age(c.asOf);
      const note = c.state === "stale" ? ` · ${t("label.stale")}` : "";
      return `<li class="${c.state}" data-centre="${esc(c.issuer.id)}" title="${esc(c.problem)}"><span aria-hidden="true">${mark[c.state]}</span> <b>${esc(name)}</b> · ${esc(when)}${esc(note)}</li>`;
    }).join("") + "</ul>";
}

// The bundle may outgrow localStorage (issuance records); the service worker keeps a copy too.
function remember(bundle) {
  try { localStorage.setItem("trust-bundle", JSON.stringify(bundle)); } catch { localStorage.removeItem("trust-bundle"); }
}

// What this page has seen (trust.js): kept beside the bundle, in the Python state file's format.
const MEMORY = "trust-memory";

// Take a bundle: refused (RollbackError) if older than the trust held or than what this page
// has seen, so a stale copy (an old server, the service worker's cache) cannot undo a
// revocation; remembered once kept, after the bundle itself (memory never ahead of it).
async function loadTrust(bundle, persist = true) {
  const memory = parseMemory(localStorage.getItem(MEMORY));  // damaged: an error, never reset
  // It must chain from the newest list this page has seen, not from the pin alone.
  const candidate = await loadBundle(bundle, state.env.pin, state.env.schemas, memory);
  if (state.trust && state.trust.root === candidate.root) refuseOlder(seenOf(state.trust), candidate, true);
  refuseOlder(seenFor(memory, candidate), candidate, false);
  state.trust = candidate;
  if (persist) remember(bundle);
  const text = rememberText(memory, candidate);
  if (text !== null) localStorage.setItem(MEMORY, text);
  showTrust();
}

// Why the last update of the trust data was refused (the trust held stays), in the language.
function showRefusal() {
  const box = $("refused"), e = state.refused;
  box.hidden = !e;
  if (e) box.textContent = e instanceof RollbackError ? `${t("ui.rollback_refused")}: ${e.message}` : e.message;
}

async function sync() {
  try {
    await loadTrust(await json(`trust-bundle.json?${Date.now()}`));
    state.refused = null;
  } catch (e) {
    state.refused = e;
  }
  showRefusal();
}

async function init() {
  state.tables.en = await json("i18n/en.json");
  const config = await json("verifier-config.json");
  const dictionaries = {};
  for (const [version, file] of Object.entries(config.dictionaries)) dictionaries[version] = await bytes(file);
  const schemas = {};
  for (const [name, file] of Object.entries(config.schemas)) schemas[name] = await json(file);
  // The pinned national root: its keys and how many of them must sign (1 when not given).
  const pin = { rootKeys: config.rootKeys, ...("threshold" in config ? { threshold: config.threshold } : {}) };
  state.env = { pin, dictionaries, schemas: schemaSet(schemas) };
  const cached = localStorage.getItem("trust-bundle");
  try {
    if (!cached) throw new Error("no cached bundle");
    await loadTrust(JSON.parse(cached), false);
  } catch (e) {
    if (e instanceof RollbackError) state.refused = e;  // shown: someone put an older copy back
    // A refused cache is never the last word; an older served bundle is refused in turn (the
    // page then says why and verifies nothing).
    await loadTrust(await json("trust-bundle.json"));
  }
  for (const lang of LANGS) {
    const opt = document.createElement("option");
    opt.value = lang; opt.textContent = lang;
    $("lang").append(opt);
  }
  await setLanguage(state.lang);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js");
  $("lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("verify").addEventListener("click", () => check($("text").value));
  $("sync").addEventListener("click", sync);
  $("photo").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) await fromImage(file);
  });
  $("scan").addEventListener("click", scan);
  window.SkillsPassport.ready = true;
}

async function fromImage(blob) {
  const found = await readBarcodes(blob, { formats: ["QRCode"], tryHarder: true });
  const hit = found.find((b) => b.isValid && /^SP\d{1,3}:/.test(b.text));
  if (!hit) { showError("code.bad_qr"); return null; }
  return check(hit.text);
}

async function scan() {
  const video = $("video");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  while (video.srcObject) {
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    ctx.drawImage(video, 0, 0);
    const found = await readBarcodes(ctx.getImageData(0, 0, canvas.width, canvas.height), { formats: ["QRCode"] });
    const hit = found.find((b) => b.isValid && /^SP\d{1,3}:/.test(b.text));
    if (hit) {
      stream.getTracks().forEach((tr) => tr.stop());
      video.srcObject = null; video.hidden = true;
      return check(hit.text);
    }
    await new Promise((r) => setTimeout(r, 120));
  }
}

async function check(text, at = state.clock()) {
  const started = performance.now();
  const result = await verifyText(text, state.trust, state.env, at);
  render(result);
  window.SkillsPassport.lastVerifyMs = performance.now() - started;
  return result;
}

function showError(key) {
  $("result").className = "invalid";
  $("result").textContent = t(key);
}

function esc(s) { return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`); }

function render(result) {
  state.last = result;
  const box = $("result");
  box.className = result.verdict;
  const c = result.claims, lines = [`<h2 id="verdict">${esc(t(`verdict.${result.verdict}`))}</h2>`];
  if (c && result.issuer) {
    const s = c.credentialSubject, a = s.achievement;
    const isco = a.alignment.find((x) => x.targetFramework === "ISCO-08");
    const level = a.alignment.find((x) => x.targetFramework === "CQF");
    lines.push(`<p><b>${esc(s.nameKm)}</b> / <b>${esc(s.name)}</b> · ${esc(t("label.born"))} ${s.birthYear} · ${esc(t("label.id"))} …${esc(s.nationalIdLast4)}</p>`);
    lines.push(`<p>${esc(a.nameKm)}<br>${esc(a.name)}<br>${esc(t(`award.${a.achievementType}`))} · ${esc(level.targetName)}</p>`);
    lines.push(`<p>${esc(t("label.occupation"))}: ${esc(t(`isco.${isco.targetCode}`) || isco.targetName)} (ISCO-08 ${esc(isco.targetCode)})</p>`);
    if (s.result) lines.push(`<p>${esc(t("label.units"))}: ${s.result.map((r) => esc(r.resultDescription.split("#")[1])).join(", ")}</p>`);
    lines.push(`<p>${esc(t("label.issuer"))}: ${esc(result.issuer.name)} / ${esc(result.issuer.nameKm)} · ${esc(t("label.issued"))} ${esc(c.validFrom.slice(0, 10))}</p>`);
    if (["ja", "ko"].includes(state.lang) && t("note.overseas")) lines.push(`<p class="note">${esc(t("note.overseas"))}</p>`);
  }
  const asOf = (x) => x.code === "status_unknown" && x.status === "warn" && result.statusUnknownAsOf !== null
    ? ` (${t("label.as_of")} ${new Date(result.statusUnknownAsOf).toISOString().slice(0, 10)})`
    : x.code === "trust_list_expired" && result.trustListExpired !== null
      ? ` (${t("label.expired_on")} ${new Date(result.trustListExpired).toISOString().slice(0, 10)})` : "";
  lines.push("<ul>" + result.checks.filter((x) => x.status !== "skip" || x.code !== "not_checked").map((x) =>
    `<li class="${x.status}" data-code="${x.code}">${esc(t(`check.${x.check}`))}: ${esc(t(`code.${x.code}`))}${esc(asOf(x))}</li>`).join("") + "</ul>");
  box.innerHTML = lines.join("");
}

// Tests pin the clock so that verdicts are reproducible, and load other trust worlds (a pinned
// root and its bundle, not kept across reloads, nor remembered or checked against what was
// seen: the parity worlds are unrelated to one another); people never need to.
const setClock = (ms) => { state.clock = () => ms; showTrust(); };
async function useTrust(bundle, pin) {
  try {
    state.trust = await loadBundle(bundle, pin, state.env.schemas);
  } catch (e) {
    return e.message;  // refused: the trust held before stays
  }
  state.env.pin = pin;
  showTrust();
  return null;
}
window.SkillsPassport = { ready: false, check, setLanguage, sync, fromImage, setClock, useTrust };
init().catch((e) => { document.body.dataset.error = e.message; $("result").textContent = e.message; });
