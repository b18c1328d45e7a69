// A verification result as page content: pure DOM building, shared by the verifier page and the
// holder's page. Every function takes the result as verifyText returns it and a context
// { t, lang, unitTitles, trust?, ids? }: t(key) translates, lang is the page's language,
// unitTitles maps a unit's ResultDescription to its titles by language, trust (optional) is the
// loaded trust state the result was judged against, ids (default true) gives the main result's
// elements their ids (#verdict, #units): false for a result among others.
//
// Every string shown (a credential's claims, the trust data, a translation, an engine message)
// goes in as text: a Text node or an attribute value, never as markup. Nothing here writes
// innerHTML, and the pages' Content-Security-Policy (Trusted Types) would refuse it.

import { readJson } from "./jws.js";

/** An element with attributes (null and undefined left out) and children (nodes, or strings
 * that become Text nodes). */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/** The UTC date of an instant (ms), YYYY-MM-DD. */
export const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** A date for a reader of any script: its ISO digits kept left to right inside Arabic text
 * too (there, digits after Arabic letters would otherwise read 22-11-2026). */
export const dayNode = (ms) => el("bdi", { dir: "ltr" }, isoDay(ms));

/** A translation holding {date}, the date as a dayNode: [before, date, after]. */
export function withDate(template, ms) {
  const at = template.indexOf("{date}");
  return at < 0 ? [`${template} `, dayNode(ms)] : [template.slice(0, at), dayNode(ms), template.slice(at + 6)];
}

/** Whether a check of the result passed. */
export const passed = (result, check) => result.checks.some((x) => x.check === check && x.status === "pass");

/** A template's {name} placeholders filled in. */
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(values, name) ? String(values[name]) : m));

/** How far the credential's claims may be believed:
 * "trusted": signed by a key of the trust data and the content well formed, verdict not invalid;
 * "untrusted": signed and well formed, but not valid (revoked, a compromised key...): shown
 *   collapsed and marked, never as a statement;
 * "hidden": anyone's words (a forged or damaged card): never shown. */
export function claimTrust(result) {
  if (!result.claims || !result.issuer || !passed(result, "signature") || !passed(result, "schema")) return "hidden";
  return result.verdict === "invalid" ? "untrusted" : "trusted";
}

/** The CQF level a targetCode names ("C1" -> 1), or null. */
export function cqfLevel(code) {
  const m = /^C([1-8])$/.exec(String(code));
  return m ? Number(m[1]) : null;
}

/** "CODE title" in the page's language (English when the rubric has none), or the code alone
 * for a unit of a rubric this page does not carry. */
export function unitLine(resultDescription, ctx) {
  const code = resultDescription.split("#")[1];
  const titles = ctx.unitTitles && Object.hasOwn(ctx.unitTitles, resultDescription) ? ctx.unitTitles[resultDescription] : null;
  const title = titles && (titles[ctx.lang] || titles.en);
  return title ? `${code} ${title}` : code;
}

/** The holder of a credential whose claims were checked: the binding bulk.py groups by. */
export function holderOf(result) {
  if (claimTrust(result) === "hidden") return null;
  const s = result.claims.credentialSubject;
  return { name: s.name, nameKm: s.nameKm, birthYear: s.birthYear, nationalIdLast4: s.nationalIdLast4 };
}

/** What the card says, line by line (only ever called for a signed, well-formed credential). */
export function claimLines(result, ctx) {
  const { t } = ctx;
  const c = result.claims, s = c.credentialSubject, a = s.achievement;
  const isco = a.alignment.find((x) => x.targetFramework === "ISCO-08");
  const level = a.alignment.find((x) => x.targetFramework === "CQF");
  const n = cqfLevel(level.targetCode);
  const lines = [
    el("p", { class: "holder" }, el("b", null, s.nameKm), " / ", el("b", null, s.name),
      ` · ${t("label.born")} ${s.birthYear} · ${t("label.id")} …${s.nationalIdLast4}`),
    el("p", { class: "award" }, a.nameKm, el("br"), a.name, el("br"), `${t(`award.${a.achievementType}`)} · ${n !== null ? `CQF ${n}` : level.targetName}`),
  ];
  if (n !== null && t("cqf.explain")) lines.push(el("p", { class: "explain cqf" }, fill(t("cqf.explain"), { n })));
  lines.push(el("p", { class: "occupation" },
    `${t("label.occupation")}: ${t(`isco.${isco.targetCode}`) || isco.targetName} (ISCO-08 ${isco.targetCode})`));
  if (s.result) {
    lines.push(el("p", null, `${t("label.units")}:`),
      el("ul", { id: ctx.ids === false ? null : "units", class: "units" },
        ...s.result.map((r) => el("li", null, unitLine(r.resultDescription, ctx)))));
  }
  lines.push(el("p", { class: "issuer" }, `${t("label.issuer")}: ${result.issuer.name} / ${result.issuer.nameKm} · ${t("label.issued")} `,
    el("bdi", { dir: "ltr" }, c.validFrom.slice(0, 10))));
  // What the occupation is called in the recruiter's country, and what an RPL certificate
  // stands for there: said of a credential that is not invalid, never of another.
  if (["ja", "ko"].includes(ctx.lang) && result.verdict !== "invalid") {
    const field = t(`field.${isco.targetCode}`);
    const overseas = a.achievementType !== "Course" ? t("note.overseas") : "";
    if (field || overseas) {
      lines.push(el("div", { class: "note" },
        field ? el("p", { class: "field" }, `${t("label.field")}: ${field}`) : null,
        overseas ? el("p", { class: "overseas" }, overseas) : null));
    }
  }
  return lines;
}

/** When the status data that shows a credential revoked or suspended was issued (ms), from
 * the trust state it was judged against; null when not known. */
export function statusShownAsOf(result, ctx) {
  if (result.statusAsOf !== null && result.statusAsOf !== undefined) return result.statusAsOf;
  const status = result.checks.find((x) => x.check === "status");
  if (!ctx.trust || !result.claims || !status || !["revoked", "suspended"].includes(status.code)) return null;
  const purpose = status.code === "revoked" ? "revocation" : "suspension";
  const entries = Array.isArray(result.claims.credentialStatus) ? result.claims.credentialStatus : [];
  const entry = entries.find((e) => e && e.statusPurpose === purpose);
  const list = entry && ctx.trust.statusLists.get(entry.statusListCredential);
  return list ? list.validFrom : null;
}

/** The verdict heading: "VALID · status as of YYYY-MM-DD" when the status check ran. */
export function verdictLine(result, ctx) {
  const { t } = ctx;
  const status = result.checks.find((x) => x.check === "status");
  const asOf = status && status.status === "pass" && result.statusAsOf !== null && result.statusAsOf !== undefined
    ? [` · ${t("label.status_as_of")} `, dayNode(result.statusAsOf)] : [];
  return el("h2", { id: ctx.ids === false ? null : "verdict", class: "verdict" }, t(`verdict.${result.verdict}`), ...asOf);
}

/** The checks, each in the page's language; skipped ones that were never reached left out.
 * The engine's own messages are not shown: they are English, and they may quote the card
 * (a forged card's words never reach the page, whatever the language). */
export function checkList(result, ctx) {
  const { t } = ctx;
  const dated = (template, ms) => [" (", ...withDate(template, ms), ")"];
  const when = (x) => {
    if (x.code === "status_unknown" && x.status === "warn" && result.statusUnknownAsOf !== null && result.statusUnknownAsOf !== undefined) {
      return dated(t("label.as_of"), result.statusUnknownAsOf);
    }
    if (x.code === "trust_list_expired" && result.trustListExpired !== null && result.trustListExpired !== undefined) {
      return dated(t("label.expired_on"), result.trustListExpired);
    }
    if (x.check === "status" && (x.code === "revoked" || x.code === "suspended")) {
      const shown = statusShownAsOf(result, ctx);
      return shown !== null ? dated(t("label.on_or_before"), shown) : [];
    }
    return [];
  };
  return el("ul", { class: "checks" }, ...result.checks.filter((x) => x.status !== "skip" || x.code !== "not_checked").map((x) =>
    el("li", { class: x.status, "data-code": x.code },
      `${t(`check.${x.check}`)}: ${t(`code.${x.code}`) || x.code}`, ...when(x))));
}

/** A signed but invalid credential's claims: collapsed, marked as not verified. */
export function untrustedClaims(result, ctx) {
  return el("details", { class: "untrusted" }, el("summary", null, ctx.t("label.untrusted")), ...claimLines(result, ctx));
}

/** The whole result: the verdict, what the card says (as its trust allows), the checks. */
export function renderResult(result, ctx) {
  const parts = [verdictLine(result, ctx)];
  // A card's claims (holder, achievement, centre...) are shown as such only once its signature
  // has verified against a key the trust data names, its content has passed the schema, and
  // the verdict is not invalid. A signed card that is refused (revoked, a compromised key...)
  // keeps its claims, collapsed and marked as not verified: who the refused card names is
  // what the employer needs to know, never read as a statement. A forged or damaged card
  // shows the verdict and the reasons, nothing it claims.
  const trust = claimTrust(result);
  try {
    if (trust === "trusted") parts.push(...claimLines(result, ctx));
    else if (trust === "untrusted") parts.push(untrustedClaims(result, ctx));
  } catch {
    // The schema and the content checks guarantee every field read above; should they not,
    // the verdict and the reasons still stand, without the card's lines.
  }
  parts.push(checkList(result, ctx));
  return parts;
}

// -- passports and sets of credentials (verifier/bulk.py's rules) --------------------------
/** The largest passport file read: 200 credentials of a few kilobytes each, with room. */
export const MAX_PASSPORT_BYTES = 2 << 20;
const PASSPORT_LIMITS = { maxBytes: MAX_PASSPORT_BYTES, maxDepth: 16, maxDigits: 32 };
const ID_PATTERN = /^urn:skillpass:cred:[0-9A-Z]{12}$/;
const JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/;
const QR_PATTERN = /^SP[0-9]{1,3}:[0-9A-Z $%*+./:-]+$/;
const LAST4 = /^[0-9A-Z]{4}$/;

/** Whether a text is a passport file rather than QR text or a compact JWS. */
export const looksLikePassport = (text) => /^\s*\{/.test(String(text));

const isPlain = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
/** A member name from the file, quoted and cut short, for a message. */
const quote = (name) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
const onlyKeys = (v, keys) => Object.keys(v).find((k) => !keys.includes(k));
// The credential schema's personName and dateTime ($defs).
const isPersonName = (v) => typeof v === "string" && v.length >= 1 && [...v].length <= 80 && /^[^\u0000-\u001f<>]+$/.test(v);
const DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

/** Why a parsed document is not a passport bundle (schemas/passport-bundle.schema.json), in
 * English naming the place; null when it is one. */
export function passportProblem(doc) {
  if (!isPlain(doc)) return "not a JSON object";
  if (doc.type !== "SkillsPassportBundle") return "type is not SkillsPassportBundle";
  if (doc.version !== 1) return "version is not 1";
  const extra = onlyKeys(doc, ["type", "version", "holder", "credentials", "created"]);
  if (extra !== undefined) return `unexpected member ${quote(extra)}`;
  if (typeof doc.created !== "string" || !DATE_TIME.test(doc.created)) return "created is not a date and time";
  const h = doc.holder;
  if (!isPlain(h)) return "holder is not an object";
  const hExtra = onlyKeys(h, ["name", "nameKm", "birthYear", "nationalIdLast4"]);
  if (hExtra !== undefined) return `holder: unexpected member ${quote(hExtra)}`;
  if (!isPersonName(h.name)) return "holder.name is not a name";
  if (!isPersonName(h.nameKm)) return "holder.nameKm is not a name";
  if (!Number.isInteger(h.birthYear) || h.birthYear < 1900 || h.birthYear > 2100) return "holder.birthYear is not a year 1900-2100";
  if (typeof h.nationalIdLast4 !== "string" || !LAST4.test(h.nationalIdLast4)) return "holder.nationalIdLast4 is not 4 digits or capitals";
  const list = doc.credentials;
  if (!Array.isArray(list) || list.length < 1 || list.length > 200) return "credentials is not a list of 1 to 200";
  for (const [n, c] of list.entries()) {
    const where = `credentials[${n}]`;
    if (!isPlain(c)) return `${where} is not an object`;
    const cExtra = onlyKeys(c, ["id", "jws", "qr"]);
    if (cExtra !== undefined) return `${where}: unexpected member ${quote(cExtra)}`;
    if (typeof c.id !== "string" || !ID_PATTERN.test(c.id)) return `${where}.id is not a credential id`;
    if (typeof c.jws !== "string" || !JWS_PATTERN.test(c.jws)) return `${where}.jws is not a compact JWS`;
    if (typeof c.qr !== "string" || !QR_PATTERN.test(c.qr)) return `${where}.qr is not QR text`;
  }
  return null;
}

/** A passport file's text read with limits: the document, or an Error naming the problem.
 * `validate` (optional) checks it against the passport-bundle schema when the page has it. */
export function readPassport(text, validate) {
  const bytes = new TextEncoder().encode(String(text));
  if (bytes.length > MAX_PASSPORT_BYTES) {
    throw new Error(`the file is larger than ${MAX_PASSPORT_BYTES >> 20} MB`);
  }
  let doc;
  try {
    // The bounded reader (jws.js): nesting and number lengths limited as jsonread.py does.
    doc = readJson(bytes, PASSPORT_LIMITS);
  } catch (e) {
    throw new Error(`not JSON (${e.message})`);
  }
  const problem = passportProblem(doc);
  if (problem) throw new Error(`not a passport file: ${problem}`);
  if (validate && !validate(doc)) throw new Error("not a passport file: it does not match the passport bundle schema");
  return doc;
}

const holderKey = (h) => JSON.stringify([h.name, h.nameKm, h.birthYear, h.nationalIdLast4]);
const holderText = (h) => `${h.name} / ${h.nameKm} (${h.birthYear}, …${h.nationalIdLast4})`;

/** Why a passport entry's credential is not the passport holder's (null: it is), as
 * bulk._binding: the signed credential decides; the entry and the holder block repeat it.
 * `compact` is the JWS the entry's QR text carries (null when it could not be decoded). */
export function bindingProblem(entry, block, result, compact) {
  const h = holderOf(result);
  if (h === null) return null;  // not readable as a credential: the verdict says why
  if (compact !== null && compact !== entry.jws) return "the QR text and the JWS of this entry are different credentials";
  if (result.claims.id !== entry.id) return `listed as ${entry.id}, the credential is ${result.claims.id}`;
  if (holderKey(h) !== holderKey(block)) return `issued to ${holderText(h)}, not to the passport's ${holderText(block)}`;
  return null;
}

/** The OB 3.0 IdentityHash of a national ID number (passport.credential.national_id_hash):
 * "sha256$" + hex SHA-256 of the number (spaces out, capitals) followed by the salt. */
export async function nationalIdHash(nationalId, salt) {
  const normalized = String(nationalId).split(/\s+/).join("").toUpperCase();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normalized + salt)));
  return `sha256$${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Whether a typed national ID is the credential holder's (Holder.matches_national_id); null
 * when the credential's claims cannot be read or carry no hashed national ID. */
export async function matchesNationalId(result, nationalId) {
  if (holderOf(result) === null) return null;
  const ids = result.claims.credentialSubject.identifier;
  const ident = Array.isArray(ids) ? ids.find((i) => isPlain(i) && i.identityType === "nationalIdentityNumber" && i.hashed) : null;
  if (!ident || typeof ident.salt !== "string" || typeof ident.identityHash !== "string") return null;
  return (await nationalIdHash(nationalId, ident.salt)) === ident.identityHash;
}

/** The people of a set of checked credentials, as bulk.py groups them: a passport's
 * credentials are one person, named as its first signed credential names them (the file's
 * holder block is nobody's signature); otherwise each credential goes to the holder it names,
 * and those whose claims cannot be read are one group, named as such.
 * items: [{ result, holderProblem?, idMatch? }]. */
export function people(items, block = null) {
  const groups = new Map();
  const add = (key, holder, item) => {
    if (!groups.has(key)) groups.set(key, { holder, items: [] });
    groups.get(key).items.push(item);
  };
  const signed = block ? items.map((i) => holderOf(i.result)).find((h) => h !== null) : null;
  items.forEach((item) => {
    if (block) { add("passport", signed || null, item); return; }
    const h = holderOf(item.result);
    if (h) add(holderKey(h), h, item); else add("unread", null, item);
  });
  return [...groups.values()].map(({ holder, items: mine }) => {
    const problems = mine.map((i) => i.holderProblem).filter(Boolean);
    const checked = mine.map((i) => i.idMatch).filter((m) => m !== null && m !== undefined);
    return {
      holder, items: mine, total: mine.length,
      valid: mine.filter((i) => i.result.verdict === "valid" && !i.holderProblem).length,
      // Known only from signed claims: a credential that did not verify names nobody (as
      // bulk.Person.same_holder), so a file of forged ones is never "the same person".
      sameHolder: !block ? null : problems.length ? false
        : mine.every((i) => holderOf(i.result) !== null) ? true : null, problems,
      idMatches: checked.length ? checked.every(Boolean) : null,
    };
  });
}

/** One person's summary: who, how many of their credentials are valid, whether the
 * credentials name the same person, whether the typed national ID is theirs. */
export function personSummary(person, ctx) {
  const { t } = ctx;
  const h = person.holder;
  const good = person.valid === person.total && person.sameHolder !== false && person.idMatches !== false;
  return el("section", { class: `person ${good ? "ok" : "bad"}` },
    el("h3", null, `${t("label.person")}: `, h ? el("bdi", null, el("b", null, h.nameKm), " / ", el("b", null, h.name)) : t("label.unreadable"),
      h ? ` · ${t("label.born")} ${h.birthYear} · ${t("label.id")} …${h.nationalIdLast4}` : null),
    el("p", { class: "count" }, fill(t("label.valid_count"), { valid: person.valid, total: person.total })),
    person.sameHolder === null ? null
      : el("p", { class: person.sameHolder ? "same" : "mismatch" }, t(person.sameHolder ? "label.same_holder" : "label.holder_mismatch")),
    person.idMatches === null ? null
      : el("p", { class: person.idMatches ? "id-ok" : "id-bad" }, t(person.idMatches ? "label.id_matches" : "label.id_mismatch")));
}

/** One credential of a set: its verdict line, the rest collapsed. */
export function itemResult(item, ctx) {
  const { t } = ctx;
  const r = item.result;
  const trusted = claimTrust(r) === "trusted";
  const a = trusted ? r.claims.credentialSubject.achievement : null;
  const title = a ? (ctx.lang === "km" ? a.nameKm : a.name) : null;
  // A credential that is not its passport's holder's is not valid in that passport, whatever
  // its own verdict; a refused one says why on its first line, before it is opened.
  const verdict = item.holderProblem ? "invalid" : r.verdict;
  const failed = r.checks.find((x) => x.status === "fail");
  return el("details", { class: `item ${verdict}`, "data-verdict": verdict },
    el("summary", null, el("b", null, t(`verdict.${verdict}`)), title ? ` · ${title}` : null,
      item.holderProblem ? ` · ${t("label.holder_mismatch")}` : failed ? ` · ${t(`code.${failed.code}`) || failed.code}` : null),
    item.holderProblem && ctx.lang === "en" ? el("p", { class: "detail", lang: "en" }, item.holderProblem) : null,
    ...renderResult(r, { ...ctx, ids: false }));
}
