// W3C Verifiable Credentials Data Model 2.0, section 4, as passport/vcdm.py has it: every MUST a
// verifier can check on the credential alone, in the same order, with the same reason codes.
import { Failure, isObject } from "./jws.js";

export const CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
// The v2 context's protected top-level terms (vcdm.PROTECTED_TERMS; a test compares the two).
export const PROTECTED_TERMS = new Set(["id", "type", "description", "digestMultibase", "digestSRI", "mediaType", "name", "VerifiableCredential", "EnvelopedVerifiableCredential", "VerifiablePresentation", "EnvelopedVerifiablePresentation", "JsonSchemaCredential", "JsonSchema", "BitstringStatusListCredential", "BitstringStatusList", "BitstringStatusListEntry", "DataIntegrityProof", "...", "_sd", "_sd_alg", "aud", "cnf", "exp", "iat", "iss", "jku", "kid", "nbf", "sub", "x5u"]);
const TYPED_PROPERTIES = ["credentialStatus", "credentialSchema", "refreshService", "termsOfUse", "evidence"];
const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|\\^`\x7f]+$/u;
const TERM_RE = /^[^\x00-\x20@:/?#[\]<>"{}|\\^`\x7f][^\x00-\x20:/?#[\]<>"{}|\\^`\x7f]*$/u;
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
const DATE_TIME_STAMP = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const LANGUAGE_KEYS = new Set(["@value", "@language", "@direction"]);

const problem = (code, where, message) => new Failure(code, `VC Data Model 2.0: ${where}: ${message}`);
export const isUrl = (v) => typeof v === "string" && URL_RE.test(v);
const repr = (v) => JSON.stringify(v);
const entries = (v) => (Array.isArray(v) ? v : [v]);

/** An instant as [whole seconds since 1970, fraction digits without trailing zeros]. */
export function instantOfMs(ms) {
  const seconds = Math.floor(ms / 1000);
  return [seconds, String(ms - seconds * 1000).padStart(3, "0").replace(/0+$/, "")];
}

/** a before b, as vcdm.Instant's tuple order (fractions compare as text). */
export const instantBefore = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400), yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** vcdm.parse_date_time_stamp: the instant an XML Schema dateTimeStamp names. */
export function parseDateTimeStamp(text, where = "$") {
  const bad = (why) => problem("date_time_invalid", where, `${repr(text.slice(0, 40))} ${why}`);
  const m = DATE_TIME_STAMP.exec(text);
  if (!m) throw bad("is not a date-time with a time zone, like 2026-01-31T00:00:00Z or 2026-01-31T07:00:00.5+07:00");
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (year === 0) throw bad("has year 0000: years 0001 to 9999 are accepted");
  if (month < 1 || month > 12 || day < 1 || day > dim[month - 1]) throw bad("names a day that does not exist");
  if (hour > 23 || minute > 59 || second > 59) throw bad("names a time that does not exist (hours 00-23, no leap second)");
  const zone = m[8];
  let offset = 0;
  if (zone !== "Z") {
    const oh = Number(zone.slice(1, 3)), om = Number(zone.slice(4, 6));
    if (om > 59 || oh > 14 || (oh === 14 && om)) throw bad("has a time zone offset outside -14:00..+14:00");
    offset = (oh * 3600 + om * 60) * (zone[0] === "-" ? -1 : 1);
  }
  return [daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset,
    (m[7] || "").replace(/0+$/, "")];
}

function checkTypes(value, where) {
  for (const t of entries(value)) {
    if (typeof t !== "string" || !(URL_RE.test(t) || TERM_RE.test(t))) throw problem("type_invalid", where, `type ${repr(t)} is neither a term nor an absolute URL`);
  }
  if (Array.isArray(value) && !value.length) throw problem("type_invalid", where, "type is an empty list");
}

function checkId(obj, where) {
  if ("id" in obj && !isUrl(obj.id)) throw problem("id_invalid", `${where}.id`, `${repr(obj.id)} is not a single URL`);
}

function checkContext(context) {
  if (context[0] !== CONTEXT_V2) throw problem("context_invalid", "@context[0]", `the first entry must be ${CONTEXT_V2}`);
  context.slice(1).forEach((entry, j) => {
    const i = j + 1;
    if (isObject(entry)) {
      for (const term of Object.keys(entry)) {
        if (PROTECTED_TERMS.has(term)) throw problem("protected_term_redefined", `@context[${i}]`, `redefines ${repr(term)}, a protected term of ${CONTEXT_V2}`);
      }
    } else if (!isUrl(entry)) {
      throw problem("context_invalid", `@context[${i}]`, `${repr(entry)} is neither a URL nor a context object`);
    }
  });
}

function checkValueObject(v, where) {
  const extra = Object.keys(v).filter((k) => !LANGUAGE_KEYS.has(k)).sort();
  if (extra.length) throw problem("language_value_invalid", where, `a language value object holds only @value, @language and @direction, not ${extra.join(", ")}`);
  if (typeof v["@value"] !== "string") throw problem("language_value_invalid", where, "@value must be a string");
  const lang = v["@language"];
  if (lang !== undefined && lang !== null && !(typeof lang === "string" && LANGUAGE_TAG.test(lang))) throw problem("language_value_invalid", where, `@language ${repr(lang)} is not a BCP 47 language tag`);
  if ("@direction" in v && v["@direction"] !== "ltr" && v["@direction"] !== "rtl") throw problem("language_value_invalid", where, "@direction must be 'ltr' or 'rtl'");
}

function checkLanguageText(value, where) {
  for (const v of entries(value)) {
    if (typeof v === "string") continue;
    if (!isObject(v) || !("@value" in v)) throw problem("language_value_invalid", where, "must be a string or a language value object");
    checkValueObject(v, where);
  }
}

function valueObjects(node, where, out) {
  if (isObject(node)) {
    if ("@value" in node && ("@language" in node || "@direction" in node)) out.push([node, where]);
    for (const [k, v] of Object.entries(node)) if (k !== "@context") valueObjects(v, `${where}.${k}`, out);
  } else if (Array.isArray(node)) {
    node.forEach((v, i) => valueObjects(v, `${where}[${i}]`, out));
  }
  return out;
}

/** vcdm.check: throw a Failure (code = the rule) for the first rule the claims break. */
export function checkDataModel(claims) {
  checkContext(claims["@context"]);
  checkId(claims, "$");
  checkTypes(claims.type, "$.type");
  for (const prop of ["name", "description"]) if (prop in claims) checkLanguageText(claims[prop], `$.${prop}`);
  const issuer = claims.issuer;
  const issuerId = isObject(issuer) ? issuer.id : issuer;
  if (!isUrl(issuerId)) throw problem("issuer_invalid", "$.issuer", `${repr(issuerId)} is not a URL`);
  if (isObject(issuer)) {
    if ("type" in issuer) checkTypes(issuer.type, "$.issuer.type");
    for (const prop of ["name", "description"]) if (prop in issuer) checkLanguageText(issuer[prop], `$.issuer.${prop}`);
  }
  const subjects = entries(claims.credentialSubject);
  if (!subjects.length) throw problem("subject_invalid", "$.credentialSubject", "holds no subject");
  subjects.forEach((subject, i) => {
    const where = "$.credentialSubject" + (Array.isArray(claims.credentialSubject) ? `[${i}]` : "");
    if (!isObject(subject) || !Object.keys(subject).some((k) => k !== "id")) throw problem("subject_invalid", where, "a subject must hold at least one claim");
    checkId(subject, where);
  });
  for (const prop of TYPED_PROPERTIES) {
    if (!(prop in claims)) continue;
    entries(claims[prop]).forEach((entry, i) => {
      const where = `$.${prop}` + (Array.isArray(claims[prop]) ? `[${i}]` : "");
      if (!isObject(entry) || !("type" in entry)) throw problem("type_missing", where, "an object with a type is required");
      checkTypes(entry.type, `${where}.type`);
      if (["evidence", "refreshService", "termsOfUse"].includes(prop)) checkId(entry, where);
    });
  }
  entries(claims.credentialSchema ?? []).forEach((entry, i) => {
    if (!isUrl(entry.id)) throw problem("credential_schema_invalid", `$.credentialSchema[${i}].id`, "a credential schema is named by a URL id");
  });
  const seen = new Set();
  entries(claims.credentialStatus ?? []).forEach((entry, i) => {
    if (!("id" in entry)) return;
    if (!isUrl(entry.id)) throw problem("status_entry_invalid", `$.credentialStatus[${i}].id`, `${repr(entry.id)} is not a URL`);
    if (seen.has(entry.id)) throw problem("status_entry_invalid", `$.credentialStatus[${i}].id`, `${entry.id} names two status entries`);
    seen.add(entry.id);
  });
  entries(claims.relatedResource ?? []).forEach((entry, i) => {
    // Section 5.3: each names its resource by URL, once, with a digest to check it by.
    const where = `$.relatedResource[${i}]`;
    if (!isObject(entry) || !isUrl(entry.id)) throw problem("related_resource_invalid", where, "a related resource has a URL id");
    if (!("digestSRI" in entry) && !("digestMultibase" in entry)) throw problem("related_resource_invalid", where, "a related resource has a digestSRI or digestMultibase");
    if (entries(claims.relatedResource).slice(0, i).some((e) => isObject(e) && e.id === entry.id)) throw problem("related_resource_invalid", where, `${entry.id} is listed twice`);
  });
  for (const [obj, where] of valueObjects(claims, "$", [])) checkValueObject(obj, where);
  const times = {};
  for (const prop of ["validFrom", "validUntil"]) {
    if (!(prop in claims)) continue;
    if (typeof claims[prop] !== "string") throw problem("date_time_invalid", `$.${prop}`, "must be a date-time string");
    times[prop] = parseDateTimeStamp(claims[prop], `$.${prop}`);
  }
  if (times.validFrom && times.validUntil && instantBefore(times.validUntil, times.validFrom)) {
    throw problem("validity_inverted", "$.validUntil", "validUntil is before validFrom");
  }
}
