// The phone verifier page: scan, upload or paste; verify offline against the stored bundle.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { centreFreshness, loadBundle } from "./trust.js";
import { CHECKS, decodeQr, trimText, verifyText } from "./verify.js";
import { validate } from "./schema.js";
import { RollbackError, TrustState, loadEnvironment, registerServiceWorker } from "./session.js";
import { readFromCamera } from "./camera.js";
import { applyLanguage, loadTexts, translate } from "./texts.js";
import { MAX_PASSPORT_BYTES, bindingProblem, el, itemResult, looksLikePassport, matchesNationalId, people,
  personSummary, readPassport, renderResult } from "./result.js";

prepareZXingModule({ overrides: { locateFile: (path) => new URL(path, document.baseURI).href } });

const $ = (id) => document.getElementById(id);
// set: the credentials checked since the last "Clear" ({ text, result, holderProblem, idMatch });
// passport: the holder block of the passport file they came from (null: QR texts one by one).
const state = { lang: localStorage.getItem("lang") || "km", trust: null, env: null,
  clock: () => Date.now(), set: [], passport: null, passportText: null, last: null, lastText: null, message: null,
  notice: null, syncNote: null };


const t = (key) => translate(state.lang, key);

async function setLanguage(lang) {
  if (!(await applyLanguage(lang, $("lang")))) return;
  state.lang = lang;
  showTrust();
  showRefusal();
  showNotice();
  showSync();
  if (state.last) render(state.last);
  else if (state.message) showMessage(state.message);
  renderSet();
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


// Why the last update of the trust data was refused (the trust held stays), in the language.
function showRefusal() {
  const box = $("refused"), e = state.refused;
  box.hidden = !e;
  // The reason is the engine's, in English: marked so, after the page's own words.
  if (e) box.replaceChildren(`${t(e instanceof RollbackError ? "ui.rollback_refused" : "ui.sync_failed")}: `,
    el("span", { lang: "en" }, String(e.message)));
}

// What the last "Update trust data" did, in the status line: done, or not done for want of a
// connection (the data on this device is still used). A failure is the alert line's (#refused):
// the page's words, then the reason.
function showSync() {
  const line = $("sync-status");
  line.hidden = !state.syncNote;
  if (state.syncNote) line.textContent = t(state.syncNote);
}

async function sync() {
  state.notice = null;
  showNotice();
  try {
    await state.trustState.sync();  // session.js: the one rule for taking a bundle
    state.trust = state.trustState.current;
    showTrust();
    state.refused = null;
    state.syncNote = "ui.sync_done";
    await recheck();
  } catch (e) {
    if (e.offline) {
      state.syncNote = "ui.sync_offline";  // no network: the data on this device is still used
    } else {
      state.refused = e;  // said in the alert line, with the reason
      state.syncNote = null;
    }
  }
  showRefusal();
  showSync();
}

async function init() {
  // Everything the first screen needs, at once (on a slow link, round trips add up): the
  // texts (texts.js) and the verification data (session.js).
  const [, env] = await Promise.all([loadTexts(state.lang, $("lang")), loadEnvironment()]);
  state.env = env;
  state.unitTitles = env.unitTitles;
  state.trustState = new TrustState(env);
  const { refused } = await state.trustState.start();
  state.trust = state.trustState.current;
  if (refused) state.refused = refused;  // shown: someone put an older copy back
  showTrust();
  await setLanguage(state.lang);
  registerServiceWorker();
  $("lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("verify").addEventListener("click", () => {
    const text = $("text").value;
    return looksLikePassport(text) ? checkPassport(text) : check(text);
  });
  $("passport").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) await fromPassportFile(file);
  });
  $("nid").addEventListener("input", () => checkNationalId());
  $("clear").addEventListener("click", clear);
  $("sync").addEventListener("click", sync);
  $("photo").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) await fromImage(file);
  });
  $("scan").addEventListener("click", () => scan().catch((e) => { state.notice = { key: "ui.no_camera", detail: String(e && e.message) }; showNotice(); }));
  window.SkillsPassport.ready = true;
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
  if (!hit) { showError(found.some((b) => b.isValid) ? "code.bad_qr" : "ui.no_qr_found"); return null; }
  return check(hit.text);
}

async function scan() {
  state.notice = null;
  showNotice();
  let text;
  try {
    text = await readFromCamera($("video"), (t) => /^SP\d{1,3}:/.test(t));
  } catch (e) {
    cameraProblem(e);
    return null;
  }
  return text === null ? null : check(text);
}

/** What is on screen verified again against the trust data just taken (a revocation since
 * shows at once). */
async function recheck() {
  if (state.passportText !== null && state.passport !== null) { await checkPassport(state.passportText); return; }
  for (const item of state.set) item.result = await judge(item.text, state.clock());
  if (state.last && state.lastText !== null) render(await judge(state.lastText, state.clock()));
  await idCheck(state.set);
  renderSet();
}

/** Verify one QR text (or compact JWS): shown at the top as the page always has, and added to
 * the set of credentials checked since "Clear" (a passport shown before is put away). */
/** A new action: what the last one said (a camera problem, a sync) is not about it. */
function freshStart() {
  state.notice = null;
  state.syncNote = null;
  showNotice();
  showSync();
}

async function check(text, at = state.clock()) {
  freshStart();
  const started = performance.now();
  text = String(text);
  const result = await judge(text, at);
  render(result);
  state.lastText = text;
  window.SkillsPassport.lastVerifyMs = performance.now() - started;
  if (state.passport) { state.set = []; state.passport = null; state.passportText = null; $("passport").value = ""; }
  const key = trimText(text);
  const item = { text: key, result, holderProblem: null, idMatch: null };
  const same = state.set.findIndex((i) => i.text === key);  // the same card again: its newest verdict
  if (same >= 0) state.set[same] = item; else state.set.push(item);
  await idCheck([item]);
  renderSet();
  return result;
}

async function judge(text, at) {
  try {
    return await verifyText(text, state.trust, state.env, at);
  } catch (e) {
    return unreadable(e);  // never an exception for an input, whatever it holds
  }
}

/** The JWS a passport entry's QR text carries; null when it does not decode. */
function compactOf(qr) {
  try { return decodeQr(qr, state.env.dictionaries).compact; } catch { return null; }
}

/** Check a passport file (schemas/passport-bundle.schema.json) as bulk.py does: every
 * credential verified (its QR text; its JWS when the QR text does not decode), each bound to
 * the passport's holder, the typed national ID checked against each; the per-person summary
 * returned (and shown in place of the set of credentials checked before). */
async function checkPassport(text, at = state.clock()) {
  freshStart();
  let doc;
  try {
    doc = readPassport(text, state.env.schemas.byName["passport-bundle"]
      ? (d) => validate(state.env.schemas, "passport-bundle", d) : null);
  } catch (e) {
    // Not a passport: nothing of the set shown before stays beside the message.
    state.set = []; state.passport = null; state.passportText = null;
    renderSet();
    showMessage({ key: "ui.unreadable_file", detail: e.message });
    return { error: e.message, people: [], credentials: [] };
  }
  const items = [];
  for (const entry of doc.credentials) {
    let result = await judge(entry.qr, at);
    const format = result.checks.find((x) => x.check === "format");
    if (format.status === "fail" && ["bad_qr", "too_large"].includes(format.code)) result = await judge(entry.jws, at);
    items.push({ text: entry.qr, id: entry.id, result, idMatch: null,
      holderProblem: bindingProblem(entry, doc.holder, result, compactOf(entry.qr)) });
  }
  state.set = items;
  state.passport = doc.holder;
  state.passportText = String(text);
  state.last = null;
  state.message = null;
  $("result").className = "";
  $("result").replaceChildren();
  await idCheck(items);
  renderSet();
  return summary();
}

/** What the set shows, as data (for tests and other pages). */
function summary() {
  return {
    error: null,
    people: people(state.set, state.passport).map((p) => ({ ...(p.holder || {}), valid: p.valid, total: p.total,
      sameHolder: p.sameHolder, idMatches: p.idMatches, problems: p.problems })),
    credentials: state.set.map((i) => ({ id: i.result.claims && typeof i.result.claims.id === "string" ? i.result.claims.id : null,
      verdict: i.result.verdict, holderProblem: i.holderProblem, idMatch: i.idMatch,
      codes: Object.fromEntries(i.result.checks.map((c) => [c.check, c.code])) })),
  };
}

async function fromPassportFile(file) {
  if (file.size > MAX_PASSPORT_BYTES) {
    showMessage({ key: "ui.unreadable_file", detail: `the file is larger than ${MAX_PASSPORT_BYTES >> 20} MB` });
    return { error: "too large", people: [], credentials: [] };
  }
  return checkPassport(await file.text());
}

/** The national ID typed (if any) against each credential's salted hash; kept only if it is
 * still what is typed once hashed (typing goes on while the hashes are computed). */
async function idCheck(items) {
  const typed = $("nid").value.trim();
  const matches = [];
  for (const item of items) matches.push(typed ? await matchesNationalId(item.result, typed) : null);
  if ($("nid").value.trim() !== typed) return;
  items.forEach((item, n) => { item.idMatch = matches[n]; });
}

async function checkNationalId() {
  await idCheck(state.set);
  renderSet();
  return summary();
}

function clear() {
  state.set = []; state.passport = null; state.passportText = null; state.last = null; state.lastText = null;
  state.message = null;
  $("result").className = "";
  $("result").replaceChildren();
  $("text").value = "";
  $("passport").value = "";
  renderSet();
}

/** The set: one summary per person, then each credential (its verdict line; the rest
 * collapsed). Shown for a passport, and for QR texts once there is more than one. */
function renderSet() {
  const box = $("set");
  const shown = state.passport !== null || state.set.length > 1;
  box.hidden = !shown && !state.set.length;
  $("set-list").hidden = !shown;
  if (!shown) { $("people").replaceChildren(); $("set-list").replaceChildren(); return; }
  const ctx = context();
  $("people").replaceChildren(...people(state.set, state.passport).map((p) => personSummary(p, ctx)));
  $("set-list").replaceChildren(...state.set.map((item) => el("li", null, itemResult(item, ctx))));
}

/** A message in place of a verdict (a file that is not a passport, a photo without a QR):
 * translated; the English detail only on an English page. */
function showMessage(message) {
  state.last = null;
  state.message = message;
  const box = $("result");
  box.className = "invalid";
  box.replaceChildren(el("p", { class: "message" }, t(message.key)),
    ...(message.detail && state.lang === "en" ? [el("small", { class: "detail", lang: "en" }, message.detail)] : []));
}

function showError(key) {
  showMessage({ key });
}

/** Why the camera did not start, in the page's language: no camera, or not allowed. */
function cameraProblem(e) {
  const name = e && e.name;
  state.notice = name === "NotAllowedError" || name === "SecurityError" ? { key: "ui.camera_denied" }
    : name === "NotFoundError" || name === "OverconstrainedError" ? { key: "ui.no_camera" }
      : { key: "ui.no_camera", detail: String(e && e.message) };  // busy, or another failure: its words too
  showNotice();
}

function showNotice() {
  const line = $("notice");
  line.hidden = !state.notice;
  if (!state.notice) return;
  line.replaceChildren(t(state.notice.key),
    ...(state.notice.detail && state.lang === "en" ? [" ", el("small", { class: "detail", lang: "en" }, state.notice.detail)] : []));
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
  state.message = null;
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
    state.trust = state.trustState.current = await loadBundle(bundle, pin, state.env.schemas);
  } catch (e) {
    return e.message;  // refused: the trust held before stays
  }
  state.env.pin = pin;
  // What was checked against other trust data is put away with it.
  state.set = []; state.passport = null;
  renderSet();
  showTrust();
  return null;
}
window.SkillsPassport = { ready: false, check, checkPassport, checkNationalId, clear, scan, setLanguage, sync, fromImage,
  setClock, useTrust, summary };
init().catch((e) => { document.body.dataset.error = e.message; $("result").textContent = e.message; });
