// The holder's passport on the phone: the returnee's own credentials, kept on the device,
// each verified on import with the verifier page's code (verify.js), shown as a card with its
// QR full-screen, and shared (a chosen few) as a passport file or a sequence of QR codes.
// Nothing leaves the phone unless the holder shares it: the page's only requests are its own
// files, the trust data, and the one download a centre's link asks for.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { encode } from "uqr";
import { RollbackError, TrustState, loadEnvironment, registerServiceWorker } from "./session.js";
import { readFromCamera } from "./camera.js";
import { applyLanguage, loadTexts, translate } from "./texts.js";
import { Failure } from "./jws.js";
import { MAX_PASSPORT_BYTES, claimTrust, cqfLevel, dayNode, el, readPassport, statusShownAsOf, withDate } from "./result.js";
import { validate } from "./schema.js";
import { decodeQr, verifyText } from "./verify.js";

prepareZXingModule({ overrides: { locateFile: (path) => new URL(path, document.baseURI).href } });

const STORE = "passport-credentials";
const DOWNLOAD = "../passport/download";
const $ = (id) => document.getElementById(id);
const state = { lang: localStorage.getItem("lang") || "km", env: null, trust: null,
  wallet: [], unreadable: [], results: new Map(), unpicked: new Set(), notice: [], view: null, clock: () => Date.now() };

const t = (key, values = {}) => translate(state.lang, key, values);

// -- what the phone keeps -----------------------------------------------------------------
/** The stored credentials: [{ id, qr, jws, added }]. What cannot be read is said and never
 * written over: entries that are not credentials are kept as they are beside the others
 * (state.unreadable), and a store that is not a list is copied aside before anything is
 * written (the page then starts an empty one). */
function readWallet() {
  const text = localStorage.getItem(STORE);
  if (text === null) return [];
  let doc = null;
  try { doc = JSON.parse(text); } catch { /* said below */ }
  const readable = (e) => e && typeof e.id === "string" && typeof e.qr === "string" && typeof e.jws === "string";
  if (!Array.isArray(doc)) {
    localStorage.setItem(`${STORE}-damaged-${Date.now()}`, text);  // fails: nothing is written over
    localStorage.removeItem(STORE);
    throw Object.assign(new Error("the store is not a list of credentials"), { usable: [] });
  }
  state.unreadable = doc.filter((e) => !readable(e));
  if (state.unreadable.length) throw Object.assign(new Error("entries that are not credentials"), { usable: doc.filter(readable) });
  return doc;
}

/** Keep the wallet (and what could not be read, as it was); false when the phone has no room. */
function saveWallet() {
  try {
    localStorage.setItem(STORE, JSON.stringify([...state.wallet, ...state.unreadable]));
    return true;
  } catch {
    return false;
  }
}

// -- import ----------------------------------------------------------------------------------
/** Verify one credential given as QR text (and the JWS it must decode to, from a file), and
 * keep it if it verifies. Returns { outcome: "added"|"already"|"refused", result }. */
async function importOne(qr, jws = null) {
  let compact;
  try {
    compact = decodeQr(String(qr), state.env.dictionaries).compact;
  } catch (e) {
    return { outcome: "refused", code: e instanceof Failure ? e.code : "bad_qr", result: null };
  }
  // A file's two forms must be one credential: the QR is what the holder will show.
  if (jws !== null && jws !== compact) return { outcome: "refused", code: "bad_payload", result: null };
  // No trust data this page can believe (see init): nothing is verified, nothing added.
  if (!state.trust.current) return { outcome: "refused", code: "not_checked", result: null };
  const result = await verifyText(qr, state.trust.current, state.env, state.clock());
  if (result.verdict === "invalid" || !result.claims) {
    const failed = result.checks.find((c) => c.status === "fail");
    return { outcome: "refused", code: failed ? failed.code : "bad_payload", result };
  }
  const id = result.claims.id;
  if (state.wallet.some((e) => e.id === id)) return { outcome: "already", result };
  state.wallet.push({ id, qr: String(qr).trim(), jws: compact, added: new Date(state.clock()).toISOString() });
  state.results.set(id, result);
  return { outcome: "added", result };
}

/** Import several (a passport file, a download); one line per credential in the notice. */
async function importMany(items) {
  const lines = [];
  const before = state.wallet.length;
  for (const item of items) lines.push(await importOne(item.qr, item.jws ?? null));
  if (state.wallet.length > before && !saveWallet()) {
    // Not kept, but shown: a one-time link is spent, so the holder can still share what came
    // as a passport file now; the notice says it is not kept.
    showNotice([...bad("holder.storage_full"), ...lines.map(noticeLine)]);
    renderWallet();
    return lines.map((l) => l.outcome);
  }
  showNotice(lines.map(noticeLine));
  renderWallet();
  return lines.map((l) => l.outcome);
}

/** An import's outcome as a notice line (kept as data: a change of language says it again). */
function noticeLine(line) {
  const a = line.result && line.result.claims ? line.result.claims.credentialSubject.achievement : null;
  const what = a ? { km: a.nameKm, en: a.name } : null;
  if (line.outcome === "added") return { kind: "good", key: "holder.added", what };
  if (line.outcome === "already") return { kind: "plain", key: "holder.already", what };
  return { kind: "bad", key: "holder.not_added", code: line.code, what };
}

/** Say something in the notice area: lines { kind: "good"|"bad"|"plain", key, code?, what?,
 * detail? } (detail: the English words of a file's problem, shown on an English page only). */
function showNotice(lines) {
  state.notice = lines;
  renderNotice();
}

const bad = (key, detail = null) => [{ kind: "bad", key, detail }];

function renderNotice() {
  $("notice").replaceChildren(...state.notice.map((line) => {
    const what = line.what ? (state.lang === "km" ? line.what.km : line.what.en) : "";
    if (line.kind === "good") return el("p", { class: "good" }, `✓ ${t(line.key)}: ${what}`);
    if (line.kind === "plain") return el("p", null, `${what}: ${t(line.key)}`);
    const reason = line.code ? `: ${t(`code.${line.code}`) || line.code}${what ? ` (${what})` : ""}` : "";
    return el("p", { class: "bad", "data-code": line.code || line.key.split(".")[1] }, `${line.code ? "✕ " : ""}${t(line.key)}${reason}`,
      line.detail && state.lang === "en" ? el("small", { lang: "en" }, ` (${line.detail})`) : null);
  }));
}

/** A passport file's credentials (read as the verifier page reads one), or an Error saying
 * in the page's language that it is not a passport, the English detail after it. */
function passportItems(bytes) {
  let doc;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    doc = readPassport(text, (d) => validate(state.env.schemas, "passport-bundle", d));
  } catch (e) {
    throw Object.assign(new Error(e.message), { notice: bad("ui.unreadable_file", e.message) });
  }
  return doc.credentials.map((c) => ({ qr: c.qr, jws: c.jws }));
}

async function fromFile(file) {
  if (file.size > MAX_PASSPORT_BYTES) { showNotice(bad("ui.unreadable_file", `larger than ${MAX_PASSPORT_BYTES >> 20} MB`)); return []; }
  let items;
  try {
    items = passportItems(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    showNotice(e.notice || bad("ui.unreadable_file", e.message));
    return [];
  }
  return importMany(items);
}

/** A text read from a QR: a credential, or a centre's download link. */
async function fromScanned(text) {
  if (/^SP\d{1,3}:/.test(text.trim())) return importMany([{ qr: text }]);
  if (tokenOf(text)) return download(text);
  showNotice([{ kind: "bad", key: "holder.not_added", code: "bad_qr" }]);
  return [];
}

/** The one-time token of a centre's link (…/holder.html#get=TOKEN), or a bare token. */
function tokenOf(text) {
  const s = String(text).trim();
  const m = /[#&]get=([A-Za-z0-9_-]{16,128})$/.exec(s) || /^([A-Za-z0-9_-]{16,128})$/.exec(s);
  return m ? m[1] : null;
}

/** Fetch the credentials a centre's one-time link gives: the link's token goes to this page's
 * own server, and only there (the link names that server; the CSP allows no other). */
async function download(link) {
  const token = tokenOf(link);
  if (!token) { showNotice(bad("holder.link_invalid")); return []; }
  let response;
  try {
    response = await fetch(DOWNLOAD, { method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }) });
  } catch {
    showNotice(bad("holder.offline"));
    return [];
  }
  if (!response.ok) {
    // The centre's refusal, by its code, in the holder's language: used or expired, or nothing
    // on it still valid; a server that is not a centre's (a static copy of the page) has no
    // such address at all (404); anything else is worth trying again later.
    let refusal = {};
    try { refusal = await response.json(); } catch { /* not the centre's JSON */ }
    const key = refusal.error === "nothing_valid" ? "holder.nothing_valid"
      : response.status === 410 || response.status === 404 ? "holder.link_used"
        : response.status === 429 ? "holder.try_later" : "holder.no_answer";
    showNotice(bad(key, typeof refusal.message === "string" ? refusal.message : `HTTP ${response.status}`));
    return [];
  }
  let items;
  try {
    items = passportItems(new Uint8Array(await response.arrayBuffer()));
  } catch (e) {
    showNotice(e.notice || bad("ui.unreadable_file", e.message));
    return [];
  }
  return importMany(items);
}

async function fromImage(blob) {
  let found;
  try {
    found = await readBarcodes(blob, { formats: ["QRCode"], tryHarder: true });
  } catch {
    found = [];
  }
  const hit = found.find((b) => b.isValid);
  if (!hit) { showNotice(bad("ui.no_qr_found")); return []; }
  return fromScanned(hit.text);
}

async function scan() {
  let text;
  try {
    text = await readFromCamera($("video"), () => true);  // a credential or a centre's link
  } catch (e) {
    showNotice(bad(e && (e.name === "NotAllowedError" || e.name === "SecurityError") ? "ui.camera_denied" : "holder.no_camera"));
    return [];
  }
  return text === null ? [] : fromScanned(text);
}

// -- the cards -------------------------------------------------------------------------------
/** The verdict in words: the status date of a valid card; why another is not, with the date
 * of the status data that shows a card revoked or suspended. */
function verdictText(result) {
  const failed = result.checks.find((c) => c.status === "fail") || result.checks.find((c) => c.status === "warn");
  const head = t(`verdict.${result.verdict}`);
  if (result.verdict === "valid" && result.statusAsOf !== null) {
    return [`${head} · ${t("label.status_as_of")} `, dayNode(result.statusAsOf)];
  }
  if (!failed) return [head];
  const shown = ["revoked", "suspended"].includes(failed.code)
    ? statusShownAsOf(result, { trust: state.trust.current }) : null;
  return [`${head}: ${t(`code.${failed.code}`)}`, ...(shown !== null ? [" (", ...withDate(t("label.on_or_before"), shown), ")"] : [])];
}

function card(entry) {
  const result = state.results.get(entry.id);
  const verdict = result ? result.verdict : "unchecked";
  const parts = [];
  let title = entry.id;
  // The holder's own card: its claims are shown once its signature verified (a card that was
  // revoked since still names what it was; its verdict says it is no longer valid).
  if (result && claimTrust(result) !== "hidden") {
    const c = result.claims, s = c.credentialSubject, a = s.achievement;
    const level = a.alignment.find((x) => x.targetFramework === "CQF");
    const n = level ? cqfLevel(level.targetCode) : null;
    title = state.lang === "km" ? a.nameKm : `${a.name} / ${a.nameKm}`;
    parts.push(el("p", null, `${t(`award.${a.achievementType}`)}${n ? ` · CQF ${n}` : ""}`),
      el("p", null, `${s.nameKm} / ${s.name}`),
      el("p", null, `${result.issuer ? (state.lang === "km" ? result.issuer.nameKm : result.issuer.name) : ""} · ${t("label.issued")} `,
        el("bdi", { dir: "ltr" }, c.validFrom.slice(0, 10))));
  }
  parts.push(el("p", { class: "verdict" }, ...(result ? verdictText(result) : [t("code.not_checked")])));
  // Chosen to show unless the holder unticks it (a card no longer valid: unticked).
  const pick = el("input", { type: "checkbox", class: "pick", "data-id": entry.id,
    checked: verdict !== "invalid" && !state.unpicked.has(entry.id) ? "" : null });
  pick.addEventListener("change", () => { if (pick.checked) state.unpicked.delete(entry.id); else state.unpicked.add(entry.id); });
  const show = el("button", { class: "show" }, t("holder.show_qr"));
  show.addEventListener("click", () => openView([entry]));
  const remove = el("button", { class: "remove" }, t("holder.remove"));
  remove.addEventListener("click", () => {
    state.wallet = state.wallet.filter((e) => e.id !== entry.id);
    state.results.delete(entry.id);
    saveWallet();  // less to keep: always fits
    renderWallet();
  });
  return el("article", { class: `card ${verdict}`, "data-id": entry.id },
    // The tick chooses the card for sharing; its label is the card's title.
    el("label", { class: "pick", title: t("holder.select") }, pick, el("h3", null, title)), ...parts,
    el("div", { class: "actions" }, show, remove));
}

function renderWallet() {
  $("wallet").replaceChildren(...state.wallet.map(card));
  $("empty").hidden = state.wallet.length > 0;
  $("add").open = state.wallet.length === 0;
  showShare();
}

function selected() {
  const ids = new Set([...document.querySelectorAll("input.pick:checked")].map((x) => x.dataset.id));
  return state.wallet.filter((e) => ids.has(e.id));
}

function showShare() {
  $("share").hidden = state.wallet.length === 0;
}

/** Re-verify what the phone holds (the trust data may be newer than at import). */
async function verifyWallet() {
  for (const entry of state.wallet) {
    if (state.trust.current) state.results.set(entry.id, await verifyText(entry.qr, state.trust.current, state.env, state.clock()));
  }
  renderWallet();
}

// -- sharing ---------------------------------------------------------------------------------
/** The chosen credentials, if they are one person's; otherwise null, the reason said. What
 * is shown or sent as one passport names one person, as a file or as QR codes. */
function chosen() {
  const entries = selected();
  if (!entries.length) { showNotice(bad("holder.nothing_selected")); return null; }
  const subjects = entries.map((e) => state.results.get(e.id)).filter((r) => r && r.claims).map((r) => r.claims.credentialSubject);
  const s = subjects[0];
  const same = (x) => x.name === s.name && x.nameKm === s.nameKm && x.birthYear === s.birthYear && x.nationalIdLast4 === s.nationalIdLast4;
  if (subjects.length !== entries.length || !subjects.every(same)) { showNotice(bad("label.holder_mismatch")); return null; }
  return entries;
}

/** The chosen credentials as a passport file (schemas/passport-bundle.schema.json). */
function passportOf(entries) {
  const s = state.results.get(entries[0].id).claims.credentialSubject;
  return {
    type: "SkillsPassportBundle", version: 1,
    holder: { name: s.name, nameKm: s.nameKm, birthYear: s.birthYear, nationalIdLast4: s.nationalIdLast4 },
    credentials: entries.map((e) => ({ id: e.id, jws: e.jws, qr: e.qr })),
    created: new Date(state.clock()).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

async function shareFile() {
  const entries = chosen();
  if (!entries) return null;
  const text = JSON.stringify(passportOf(entries), null, 1);
  const file = new File([text], "skills-passport.json", { type: "application/json" });
  // The phone's own share sheet when it has one (the holder picks the app and the person);
  // otherwise the file is saved on the phone, for the holder to send as they choose.
  if (navigator.canShare && navigator.canShare({ files: [file] })) {
    try {
      await navigator.share({ files: [file], title: t("holder.title") });
      return text;
    } catch (e) {
      if (e && e.name === "AbortError") return null;
    }
  }
  const url = URL.createObjectURL(file);
  const a = el("a", { href: url, download: "skills-passport.json", hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return text;
}

function shareQr() {
  const entries = chosen();
  if (entries) openView(entries);
  return entries !== null;
}

// -- the QR, full-screen ---------------------------------------------------------------------
let wakeLock = null;

function openView(entries) {
  state.view = { entries, at: 0 };
  $("qrview").hidden = false;
  drawView();
  // A recruiter's scanner needs the screen on and the code alone on it.
  if (navigator.wakeLock) navigator.wakeLock.request("screen").then((l) => { wakeLock = l; }).catch(() => {});
  const view = $("qrview");
  if (view.requestFullscreen) view.requestFullscreen().catch(() => {});
}

function closeView() {
  state.view = null;
  $("qrview").hidden = true;
  if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

function drawView() {
  const { entries, at } = state.view;
  const entry = entries[at];
  // Error correction Q, as the printed cards: a scratched screen protector or glare still reads.
  const code = encode(entry.qr, { ecc: "Q", boostEcc: false, border: 4 });
  const canvas = $("qr");
  const side = Math.min(window.innerWidth, window.innerHeight * 0.8);
  const scale = Math.max(1, Math.floor((side * (window.devicePixelRatio || 1)) / code.size));
  canvas.width = canvas.height = code.size * scale;
  canvas.style.width = canvas.style.height = `${(code.size * scale) / (window.devicePixelRatio || 1)}px`;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  code.data.forEach((row, y) => row.forEach((dark, x) => { if (dark) ctx.fillRect(x * scale, y * scale, scale, scale); }));
  const result = state.results.get(entry.id);
  const a = result && result.claims ? result.claims.credentialSubject.achievement : null;
  const name = a ? (state.lang === "km" ? a.nameKm : a.name) : entry.id;
  $("qrcaption").textContent = entries.length > 1 ? `${name} · ${t("holder.n_of", { i: at + 1, n: entries.length })}` : name;
  $("qr-prev").hidden = $("qr-next").hidden = entries.length < 2;
  $("qr-prev").disabled = at === 0;
  $("qr-next").disabled = at === entries.length - 1;
}

function step(by) {
  if (!state.view) return;
  state.view.at = Math.min(state.view.entries.length - 1, Math.max(0, state.view.at + by));
  drawView();
}

// -- language, trust, start ------------------------------------------------------------------
async function setLanguage(lang) {
  if (!(await applyLanguage(lang, $("lang")))) return;
  state.lang = lang;
  showTrust();
  renderWallet();
  renderNotice();
  if (state.view) drawView();
}

function showTrust() {
  if (!state.trust || !state.trust.current) return;
  const days = Math.floor((state.clock() - state.trust.current.syncedAt) / 86400000);
  $("age").textContent = `${t("label.bundle_age")}: ${days <= 0 ? t("label.today") : `${days} ${t("label.days_ago")}`}`;
}

function showRefusal(e) {
  $("refused").hidden = !e;
  if (e) $("refused").textContent = e instanceof RollbackError ? `${t("ui.rollback_refused")}: ${e.message}` : String(e.message);
}

async function init() {
  // Everything the first screen needs, at once (on a slow link, round trips add up).
  const [, env] = await Promise.all([loadTexts(state.lang, $("lang")), loadEnvironment({ unitTitles: false })]);
  state.env = env;
  state.trust = new TrustState(state.env);
  // Trust data this page cannot take (its memory damaged, an older copy served...) is said;
  // the holder's cards are still shown, unchecked, with their QR for a recruiter to verify.
  let fetched = true;
  try {
    const started = await state.trust.start();
    fetched = started.fetched;
    showRefusal(started.refused);
  } catch (e) {
    showRefusal(e);
  }
  try {
    state.wallet = readWallet();
  } catch (e) {
    showNotice(bad("holder.damaged_store", e.message));  // said; kept as it was (readWallet)
    state.wallet = e.usable || [];
  }
  await setLanguage(state.lang);
  registerServiceWorker();
  await verifyWallet();
  $("lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("scan").addEventListener("click", () => scan());
  $("photo").addEventListener("change", async (e) => { if (e.target.files[0]) await fromImage(e.target.files[0]); });
  $("file").addEventListener("change", async (e) => { if (e.target.files[0]) await fromFile(e.target.files[0]); });
  $("link-go").addEventListener("click", () => download($("link").value));
  $("share-file").addEventListener("click", () => shareFile());
  $("share-qr").addEventListener("click", shareQr);
  $("qr-prev").addEventListener("click", () => step(-1));
  $("qr-next").addEventListener("click", () => step(1));
  $("qr-close").addEventListener("click", closeView);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.view) closeView(); });
  // A centre's link opens this page with the token in the fragment (never sent to a server
  // with the page): take it out of the address at once, then download once. A link opened
  // while the page is open changes only the fragment: the same, on hashchange.
  const fromAddress = async () => {
    if (!/[#&]get=/.test(location.hash)) return;
    const token = tokenOf(location.hash);
    history.replaceState(null, "", location.pathname + location.search);
    if (token) await download(token); else showNotice(bad("holder.link_invalid"));
  };
  window.addEventListener("hashchange", () => { fromAddress(); });
  await fromAddress();
  window.SkillsPassportHolder.ready = true;
  // Then refresh the trust data when online, quietly: a revocation reaches the holder's cards
  // too. Offline, the stored data stays.
  if (!fetched) state.trust.sync().then(() => { showTrust(); return verifyWallet(); }, () => {});
}

// Tests drive the page through this object, as they do the verifier's (window.SkillsPassport).
const setClock = (ms) => { state.clock = () => ms; showTrust(); };
window.SkillsPassportHolder = { ready: false, importText: (text) => fromScanned(text), fromImage, fromFile,
  download, shareFile, shareQr, setLanguage, setClock, verifyWallet,
  held: () => state.wallet.map((e) => ({ id: e.id, verdict: state.results.get(e.id)?.verdict ?? null })) };
init().catch((e) => { document.body.dataset.error = e.message; $("notice").textContent = e.message; });
