// The phone verifier page: scan, upload or paste; verify offline against the stored bundle.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import { loadBundle, verifyText } from "./verify.js";
import { schemaSet } from "./schema.js";

prepareZXingModule({ overrides: { locateFile: (path) => new URL(path, document.baseURI).href } });

const LANGS = ["km", "en", "th", "ja", "ko", "ms", "ar"];
const $ = (id) => document.getElementById(id);
const state = { lang: localStorage.getItem("lang") || "km", tables: {}, trust: null, env: null,
  bundleRaw: null, clock: () => Date.now() };

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
  showBundleAge();
  if (state.last) render(state.last);
}

function showBundleAge() {
  if (!state.trust) return;
  const days = Math.floor((Date.now() - state.trust.syncedAt) / 86400000);
  $("age").textContent = `${t("label.bundle_age")}: ${days <= 0 ? t("label.today") : `${days} ${t("label.days_ago")}`}`;
}

async function loadTrust(bundle) {
  state.trust = await loadBundle(bundle, state.env.rootKeys);
  state.bundleRaw = bundle;
  localStorage.setItem("trust-bundle", JSON.stringify(bundle));
  showBundleAge();
}

async function sync() {
  try {
    const bundle = await json(`trust-bundle.json?${Date.now()}`);
    const candidate = await loadBundle(bundle, state.env.rootKeys);
    if (state.trust && candidate.version < state.trust.version) throw new Error("older trust list refused");
    await loadTrust(bundle);
  } catch (e) {
    $("age").textContent += ` (${e.message})`;
  }
}

async function init() {
  state.tables.en = await json("i18n/en.json");
  const config = await json("verifier-config.json");
  const dictionaries = {};
  for (const [version, file] of Object.entries(config.dictionaries)) dictionaries[version] = await bytes(file);
  const schemas = {};
  for (const [name, file] of Object.entries(config.schemas)) schemas[name] = await json(file);
  state.env = { rootKeys: config.rootKeys, dictionaries, schemas: schemaSet(schemas) };
  const cached = localStorage.getItem("trust-bundle");
  if (cached) await loadTrust(JSON.parse(cached));
  else await loadTrust(await json("trust-bundle.json"));
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
  lines.push("<ul>" + result.checks.filter((x) => x.status !== "skip" || x.code !== "not_checked").map((x) =>
    `<li class="${x.status}" data-code="${x.code}">${esc(t(`check.${x.check}`))}: ${esc(t(`code.${x.code}`))}</li>`).join("") + "</ul>");
  box.innerHTML = lines.join("");
}

// Tests pin the clock so that verdicts are reproducible; people never need to.
const setClock = (ms) => { state.clock = () => ms; };
window.SkillsPassport = { ready: false, check, setLanguage, sync, fromImage, setClock };
init().catch((e) => { document.body.dataset.error = e.message; $("result").textContent = e.message; });
