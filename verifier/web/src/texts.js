// The pages' language: one table per language (i18n/<lang>.json, the command line's too),
// English as the fallback, each loaded once; both pages read their texts through here.
import { el, fill } from "./result.js";
import { json } from "./session.js";

export const LANGS = ["km", "en", "th", "ja", "ko", "ms", "ar"];
const tables = {};

async function load(lang) {
  if (!tables[lang]) tables[lang] = await json(`i18n/${lang}.json`);
}

/** The text for `key` in `lang` (English when that language has none), {name} filled in. */
export function translate(lang, key, values = {}) {
  return fill((tables[lang] || {})[key] || tables.en[key] || "", values);
}

/** What the first screen needs, at once (on a slow link, round trips add up): English, the
 * page's language, and the picker's options, each language named in itself (languages.json). */
export async function loadTexts(lang, picker) {
  const [names] = await Promise.all([json("languages.json"), load("en"), LANGS.includes(lang) ? load(lang) : null]);
  for (const l of LANGS) picker.append(el("option", { value: l, lang: l }, names[l] || l));
}

/** The document in `lang`: its table loaded, lang and direction set, every data-t element's
 * text, the picker, the choice remembered. False for a language the pages do not have. */
export async function applyLanguage(lang, picker) {
  if (!LANGS.includes(lang)) return false;
  await load(lang);
  localStorage.setItem("lang", lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = translate(lang, "dir") || "ltr";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = translate(lang, node.dataset.t);
  picker.value = lang;
  return true;
}
