// The phone verifier page: scan, upload or paste; verify offline against the stored bundle.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { RollbackError, centreFreshness, loadBundle, parseMemory, refuseOlder, rememberText, seenFor,
  seenOf } from "./trust.js";
import { CHECKS, verifyText } from "./verify.js";
import { schemaSet } from "./schema.js";

prepareZXingModule({ overrides: { locateFile: (path) => new URL(path, document.baseURI).href } });

const LANGS = ["km", "en", "th", "ja", "ko", "ms", "ar"];
const $ = (id) => document.getElementById(id);
const state = { lang: localStorage.getItem("lang") || "km", tables: {}, trust: null, env: null,
  clock: () => Date.now() };

async function json(path) { const r = await fetch(path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); }
async function bytes(path) { const r = await fetch(path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return new Uint8Array(await r.arrayBuffer()); }

// Every string the page shows (a credential's claims, the trust data, a translation, an error
// message) goes into the page as text: a Text node or an attribute value, never as markup. The
// page has no innerHTML, and its Content-Security-Policy (index.html) makes the browser refuse
// a string written to one (Trusted Types) as well as any script but app.js.
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

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
  box.replaceChildren(
    el("summary", null, `${t("label.centres")}: ${centres.length}${problems ? ` · ${mark.stale} ${problems}` : ""}`),
    el("ul", null, ...centres.map((c) => {
      const name = state.lang === "km" ? c.issuer.nameKm : c.issuer.name;
      const when = c.state === "missing" ? t("label.no_status") : age(c.asOf);
      const note = c.state === "stale" ? ` · ${t("label.stale")}` : "";
      return el("li", { class: c.state, "data-centre": c.issuer.id, title: typeof c.problem === "string" ? c.problem : null },
        el("span", { "aria-hidden": "true" }, mark[c.state]), " ", el("b", null, name), ` · ${when}${note}`);
    })));
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
  if (e) box.textContent = e instanceof RollbackError ? `${t("ui.rollback_refused")}: ${e.message}` : String(e.message);
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
  // Titles of the units cards list (by ResultDescription): the page's own data, shown as text.
  // A site exported before they were bundled has none, and shows unit codes alone.
  state.unitTitles = config.unitTitles ? (await json(config.unitTitles)).titles : {};
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
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(serviceWorkerUrl());
  $("lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("verify").addEventListener("click", () => check($("text").value));
  $("sync").addEventListener("click", sync);
  $("photo").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) await fromImage(file);
  });
  $("scan").addEventListener("click", () => scan().catch((e) => showProblem(e)));
  window.SkillsPassport.ready = true;
}

// The page's CSP requires Trusted Types for script URLs: the one it ever hands the browser is
// its own service worker, and this policy (the only one the CSP allows) accepts nothing else.
function serviceWorkerUrl() {
  if (!window.trustedTypes) return "sw.js";
  const policy = window.trustedTypes.createPolicy("sw-url", { createScriptURL: (url) => {
    if (url !== "sw.js") throw new TypeError(`not this page's service worker: ${url}`);
    return url;
  } });
  return policy.createScriptURL("sw.js");
}

async function fromImage(blob) {
  let found;
  try {
    found = await readBarcodes(blob, { formats: ["QRCode"], tryHarder: true });
  } catch {
    showError("code.bad_qr");  // not an image the reader can open
    return null;
  }
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
  let result;
  try {
    result = await verifyText(String(text), state.trust, state.env, at);
  } catch (e) {
    result = unreadable(e);  // never an exception for an input, whatever it holds
  }
  render(result);
  window.SkillsPassport.lastVerifyMs = performance.now() - started;
  return result;
}

function showError(key) {
  $("result").className = "invalid";
  $("result").textContent = t(key);
}

// Not a verdict on a card (the camera refused, say): the browser's words, as text.
function showProblem(e) {
  $("result").className = "";
  $("result").textContent = String(e && e.message);
}

/** The verdict on an input the verifier could not judge: not valid, the format named. */
function unreadable(e) {
  return { verdict: "invalid", claims: null, issuer: null, statusAsOf: null, statusUnknownAsOf: null,
    trustListExpired: null,
    checks: CHECKS.map((check) => (check === "format"
      ? { check, status: "fail", code: "bad_payload", message: String(e && e.message) }
      : { check, status: "skip", code: "not_checked", message: "not checked" })) };
}

const passed = (result, check) => result.checks.some((x) => x.check === check && x.status === "pass");

/** "CODE title" in the page's language (English when the rubric has none), or the code alone
 * for a unit of a rubric this page does not carry. */
function unitLine(resultDescription) {
  const code = resultDescription.split("#")[1];
  const titles = Object.hasOwn(state.unitTitles, resultDescription) ? state.unitTitles[resultDescription] : null;
  const title = titles && (titles[state.lang] || titles.en);
  return title ? `${code} ${title}` : code;
}

/** What the card says, line by line: only for a credential whose claims may be believed. */
function claimLines(result) {
  const c = result.claims, s = c.credentialSubject, a = s.achievement;
  const isco = a.alignment.find((x) => x.targetFramework === "ISCO-08");
  const level = a.alignment.find((x) => x.targetFramework === "CQF");
  const lines = [
    el("p", null, el("b", null, s.nameKm), " / ", el("b", null, s.name),
      ` · ${t("label.born")} ${s.birthYear} · ${t("label.id")} …${s.nationalIdLast4}`),
    el("p", null, a.nameKm, el("br"), a.name, el("br"), `${t(`award.${a.achievementType}`)} · ${level.targetName}`),
    el("p", null, `${t("label.occupation")}: ${t(`isco.${isco.targetCode}`) || isco.targetName} (ISCO-08 ${isco.targetCode})`),
  ];
  if (s.result) {
    lines.push(el("p", null, `${t("label.units")}:`),
      el("ul", { id: "units" }, ...s.result.map((r) => el("li", null, unitLine(r.resultDescription)))));
  }
  lines.push(el("p", null, `${t("label.issuer")}: ${result.issuer.name} / ${result.issuer.nameKm} · ${t("label.issued")} ${c.validFrom.slice(0, 10)}`));
  // What an RPL certificate stands for abroad: said of one that verifies, never of another.
  if (["ja", "ko"].includes(state.lang) && t("note.overseas") && a.achievementType !== "Course"
      && result.verdict !== "invalid") lines.push(el("p", { class: "note" }, t("note.overseas")));
  return lines;
}

function render(result) {
  state.last = result;
  const box = $("result");
  box.className = result.verdict;
  const parts = [el("h2", { id: "verdict" }, t(`verdict.${result.verdict}`))];
  // A card's claims (holder, achievement, centre...) are shown only once its signature has
  // verified against a key the trust data names and its content has passed the schema. Before
  // that they are anyone's words: a forged or damaged card shows the verdict and the reasons,
  // nothing it claims (a name beside "NOT VALID" still reads as a statement about someone).
  // A signed card whose key is compromised, or which is revoked, keeps its claims: who the
  // refused card names is what the employer needs to know.
  if (result.claims && result.issuer && passed(result, "signature") && passed(result, "schema")) {
    try {
      parts.push(...claimLines(result));
    } catch {
      // The schema and credentialProblems guarantee every field read above; should they not,
      // the verdict and the reasons still stand, without the card's lines.
    }
  }
  const asOf = (x) => x.code === "status_unknown" && x.status === "warn" && result.statusUnknownAsOf !== null
    ? ` (${t("label.as_of")} ${new Date(result.statusUnknownAsOf).toISOString().slice(0, 10)})`
    : x.code === "trust_list_expired" && result.trustListExpired !== null
      ? ` (${t("label.expired_on")} ${new Date(result.trustListExpired).toISOString().slice(0, 10)})` : "";
  parts.push(el("ul", null, ...result.checks.filter((x) => x.status !== "skip" || x.code !== "not_checked").map((x) =>
    el("li", { class: x.status, "data-code": x.code }, `${t(`check.${x.check}`)}: ${t(`code.${x.code}`)}${asOf(x)}`))));
  box.replaceChildren(...parts);
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
