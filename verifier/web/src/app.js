// The phone verifier page: scan, upload or paste; verify offline against the stored bundle.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { RollbackError, centreFreshness, loadBundle, parseMemory, refuseOlder, rememberText, seenFor,
  seenOf } from "./trust.js";
import { CHECKS, verifyText } from "./verify.js";
import { schemaSet } from "./schema.js";
import { el, renderResult } from "./result.js";

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

/** The context result.js renders in: the page's language, its tables and its trust state. */
const context = (extra) => ({ t, lang: state.lang, unitTitles: state.unitTitles, trust: state.trust, ...extra });

function render(result) {
  state.last = result;
  const box = $("result");
  box.className = result.verdict;
  box.replaceChildren(...renderResult(result, context()));
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
