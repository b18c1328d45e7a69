// The browser verifier: the same checks, in the same order, with the same reason codes as
// passport/verify.py. Pure: text + trust state + time in, a result object out.
import { Z_STREAM_END, inflateBounded } from "./inflate.js";
import { CLAIMS_LIMITS, CONTENT_TYPES, Failure, JWT_CLAIMS, MEDIA_TYPES, b64uEncode, enc, isObject,
  numericDate, parseJson, parseJws, signatureValid, splitCompact, vcJoseFailure, withinLimit } from "./jws.js";
import { TEMPLATES, unpackTemplate } from "./qrpack.js";
import { validate } from "./schema.js";
import { utcTime, vouches } from "./trust.js";
import { checkDataModel, instantBefore, instantOfMs, parseDateTimeStamp } from "./vcdm.js";

// How far ahead an issuer's clock may be: nbf and iat up to this far in the future still count
// as now (verify.CLOCK_SKEW_SECONDS). exp gets none.
const CLOCK_SKEW_SECONDS = 300;

export const CHECKS = ["format", "signature", "issuer_trusted", "key_valid_at_issuance",
  "issuer_accredited", "schema", "validity_dates", "status", "status_freshness"];
const MAX_QR_TEXT = 4296, MAX_INFLATED = 16384;
const DEFLATE_DICTIONARY = { 1: 1, 2: 1 }, FORM_DEFLATE = 0, FORM_TEMPLATE = 1;
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

export function base45Decode(text) {
  const values = [];
  for (let i = 0; i < text.length; i++) {
    const v = ALNUM.indexOf(text[i]);
    if (v < 0) throw new Failure("bad_qr", `character ${JSON.stringify(text[i])} is not Base45 (at ${i + 1})`);
    values.push(v);
  }
  if (values.length % 3 === 1) throw new Failure("bad_qr", "dangling Base45 character (truncated?)");
  const out = [];
  for (let i = 0; i + 2 < values.length; i += 3) {
    const n = values[i] + 45 * values[i + 1] + 2025 * values[i + 2];
    if (n > 0xffff) throw new Failure("bad_qr", "Base45 group out of range");
    out.push(n >> 8, n & 0xff);
  }
  if (values.length % 3 === 2) {
    const n = values[values.length - 2] + 45 * values[values.length - 1];
    if (n > 0xff) throw new Failure("bad_qr", "Base45 group out of range");
    out.push(n);
  }
  return Uint8Array.from(out);
}

// -- the QR transport (passport/qr.py): canonical text only ----------------------------------
/** Surrounding whitespace is not part of the text: ASCII's only, as qr.WHITESPACE. */
export const trimText = (text) => text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");

/** Raw inflate with the dictionary, at most `limit` + 1 bytes out. */
const inflateRaw = (data, zdict, limit) => inflateBounded(data, { windowBits: -15, limit, zdict });

/** qr._inflate_canonical: the stream ends in its last byte, and that byte's padding bits are
 * zero (its highest set bit, cleared, must change what the stream says). */
function inflateCanonical(deflated, zdict) {
  const r = inflateRaw(deflated, zdict, MAX_INFLATED);
  if (r.status < 0 && r.status !== -5) throw new Failure("bad_qr", `compressed data is corrupt (${r.msg})`);
  if (r.out.length > MAX_INFLATED) throw new Failure("too_large", "inflated QR content is too large");
  if (r.status === Z_STREAM_END && r.left > 0) throw new Failure("bad_qr", "unexpected data after the compressed content");
  if (r.status !== Z_STREAM_END) throw new Failure("bad_qr", "compressed data ends early (truncated?)");
  const last = deflated[deflated.length - 1];
  if (last) {
    const probe = Uint8Array.from(deflated);
    probe[probe.length - 1] = last ^ (1 << (31 - Math.clz32(last)));
    const p = inflateRaw(probe, zdict, MAX_INFLATED);
    if (p.status === Z_STREAM_END && p.left === 0 && p.out.length === r.out.length && p.out.every((b, i) => b === r.out[i])) {
      throw new Failure("bad_qr", "the compressed data's last byte has padding bits set (not canonical)");
    }
  }
  return r.out;
}

export function decodeQr(text, dictionaries) {
  text = trimText(text);
  if (text.length > MAX_QR_TEXT && [...text].length > MAX_QR_TEXT) throw new Failure("too_large", "QR text is too large");
  const m = /^SP(\d{1,3}):/.exec(text);
  if (!m) throw new Failure("bad_qr", "does not start with a Skills Passport prefix such as 'SP1:'");
  if (m[1].startsWith("0")) throw new Failure("bad_qr", "the codec version has a leading zero (canonical text starts 'SP1:')");
  const version = Number(m[1]);
  // v2 deflates what its template does not describe with v1's dictionary (qr.DICTIONARIES).
  const zdict = dictionaries[DEFLATE_DICTIONARY[version]];
  if (!zdict) throw new Failure("bad_qr", `unknown codec version ${m[1]}`);
  const packed = base45Decode(text.slice(m[0].length));
  const templated = version in TEMPLATES, start = 64 + (templated ? 1 : 0);
  if (packed.length <= start) throw new Failure("bad_qr", "too short to hold a signed credential");
  const signature = packed.subarray(0, 64);
  const form = templated ? packed[64] : FORM_DEFLATE;
  let header, payload;
  if (form === FORM_TEMPLATE) {
    ({ header, payload } = unpackTemplate(packed.subarray(start), version, MAX_INFLATED));
    if (header.length === 0) throw new Failure("bad_qr", "header length is out of range");
  } else if (form === FORM_DEFLATE) {
    const body = inflateCanonical(packed.subarray(start), zdict);
    let hlen = 0, used = 0;
    for (;;) {  // qr._read_varint: at most 3 bytes
      if (used === 3 || used === body.length) throw new Failure("bad_qr", "header length is malformed");
      hlen |= (body[used] & 0x7f) << (7 * used);
      if (!(body[used++] & 0x80)) break;
    }
    header = body.subarray(used, used + hlen);
    if (header.length !== hlen || hlen === 0) throw new Failure("bad_qr", "header length is out of range");
    payload = body.subarray(used + hlen);
  } else {
    throw new Failure("bad_qr", `unknown packing form ${form} (a newer codec?)`);
  }
  const signingInput = `${b64uEncode(header)}.${b64uEncode(payload)}`;
  return { compact: `${signingInput}.${b64uEncode(signature)}`, header, payload, signature,
           signingInput: enc.encode(signingInput) };
}

const time = (s) => utcTime(s);

// -- verification ---------------------------------------------------------------------------
function run() {
  const results = new Map();
  return {
    add(check, outcome, code, message) { results.set(check, { check, status: outcome, code, message }); },
    ok(check, message) { this.add(check, "pass", "ok", message); },
    fail(check, code, message) { this.add(check, "fail", code, message); },
    finish(extra) {
      for (const c of CHECKS) if (!results.has(c)) this.add(c, "skip", "not_checked", "not checked");
      const checks = CHECKS.map((c) => results.get(c));
      const verdict = checks.some((c) => c.status === "fail") ? "invalid"
        : checks.some((c) => c.status === "warn") ? "warning" : "valid";
      return { verdict, checks, ...extra };
    },
  };
}

function credentialProblems(claims) {
  // What Credential.from_claims checks beyond the schema.
  const s = claims.credentialSubject, ach = s.achievement;
  const frameworks = ach.alignment.map((a) => a.targetFramework).sort().join(",");
  if (frameworks !== "CQF,ISCO-08") return "alignment must name one ISCO-08 and one CQF target";
  const rpl = ach.achievementType !== "Course";
  const results = s.result || [];
  if (results.some((r) => !r.resultDescription.startsWith(`${ach.id}#`))) return "a result refers to another achievement";
  if (rpl && !results.length) return "an RPL credential lists its achieved units";
  if (!rpl && results.length) return "a training record carries no unit results";
  if (new Set(results.map((r) => r.resultDescription)).size !== results.length) return "a unit is listed twice";
  if (new Set(claims.credentialStatus.map((e) => e.statusPurpose)).size !== claims.credentialStatus.length) return "two status entries share a purpose";
  for (const when of [claims.validFrom, claims.validUntil, s.activityStartDate, s.activityEndDate]) {
    if (when === undefined) continue;
    try { utcTime(when); } catch (e) { return e.message; }
  }
  if (claims.validUntil && time(claims.validUntil) <= time(claims.validFrom)) return "validUntil is not after validFrom";
  return null;
}

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

/** verify._check_dates: the credential's validity period as instants, then the signature's
 * (the JWT's exp, nbf and iat). */
function checkDates(r, claims, at) {
  const now = instantOfMs(at), seconds = at / 1000;
  const start = "validFrom" in claims ? parseDateTimeStamp(claims.validFrom) : null;
  const end = "validUntil" in claims ? parseDateTimeStamp(claims.validUntil) : null;
  const [exp, nbf, iat] = ["exp", "nbf", "iat"].map((n) => numericDate(claims[n]));
  if (start !== null && instantBefore(now, start)) r.fail("validity_dates", "not_yet_valid", `not valid before ${claims.validFrom}`);
  else if (end !== null && !instantBefore(now, end)) r.fail("validity_dates", "expired", `expired at ${claims.validUntil}`);
  else if (exp !== null && seconds >= exp) r.fail("validity_dates", "token_expired", "the signature expired (exp)");
  else if (nbf !== null && seconds + CLOCK_SKEW_SECONDS < nbf) r.fail("validity_dates", "token_not_yet_valid", "the signature is not valid yet (nbf)");
  else if (iat !== null && seconds + CLOCK_SKEW_SECONDS < iat) r.fail("validity_dates", "issued_in_future", "signed in the future (iat)");
  else r.ok("validity_dates", "within its validity period");
}

/** Was the key the centre's to sign this with (verify._check_key)? A live key: by its window.
 * A retired or compromised key: by the centre's issuance record in the bundle, never by the
 * credential's own dates (anyone holding an old key can write any date). */
async function checkKey(r, claims, token, issuer, key, trust, at) {
  const issued = time(claims.validFrom);  // what the credential says: enough to refuse, not to trust
  if (issued < key.validFrom) { r.fail("key_valid_at_issuance", "key_not_yet_valid", "issued before the key was valid"); return; }
  if (key.validUntil !== null && issued >= key.validUntil) { r.fail("key_valid_at_issuance", "key_expired", "issued after the key was retired"); return; }
  const compromised = key.compromisedSince !== null, retired = key.validUntil !== null && at >= key.validUntil;
  if (!compromised && !retired) { r.ok("key_valid_at_issuance", "issued while the key was valid"); return; }
  const record = trust.records.get(`${issuer.id} ${key.kid}`);
  const slot = claims.credentialStatus[0];
  if (record === undefined && key.record !== null) {
    // The authority holds the record; a bundle without it is incomplete or stripped (verify.py).
    const since = day(compromised ? key.compromisedSince : key.validUntil);
    r.fail("key_valid_at_issuance", "issuance_record_missing", `signed with a key ${compromised ? "compromised" : "retired"} since ${since}; the trust list names its issuance record but this bundle does not carry it: sync the national trust bundle`);
    return;
  }
  const inRecord = (before) => record !== undefined && slot !== undefined
    && vouches(record, listNumber(slot.statusListCredential), Number(slot.statusListIndex), token.signature, before);
  if (compromised) {
    const since = day(key.compromisedSince);
    if (await inRecord(key.compromisedSince)) r.ok("key_valid_at_issuance", `in the centre's issuance record, issued before the key was compromised on ${since}`);
    else r.fail("key_valid_at_issuance", "key_compromised", `signed with a key compromised since ${since} and not in the centre's record of what it issued before`);
    return;
  }
  const until = day(key.validUntil);
  if (record === undefined) r.add("key_valid_at_issuance", "warn", "issuance_record_missing", `signed with a key retired on ${until}; its issuance record is not in this trust bundle, so the date cannot be confirmed: sync it`);
  else if (await inRecord(key.validUntil)) r.ok("key_valid_at_issuance", `in the centre's issuance record for its key retired on ${until}`);
  else r.fail("key_valid_at_issuance", "not_in_issuance_record", `signed with a key retired on ${until} and not in the centre's record of what it issued with it`);
}

/** The list number a status list URL ends with; -1 (in no record) when it ends otherwise. */
function listNumber(url) {
  const tail = url.slice(url.lastIndexOf("/") + 1);
  return /^[0-9]{1,9}$/.test(tail) ? Number(tail) : -1;
}

/** Verify QR text or a compact JWS against a loaded trust state at time `at` (ms). */
export async function verifyText(text, trust, env, at) {
  const r = run();
  const done = { claims: null, issuer: null, statusAsOf: null, statusUnknownAsOf: null, trustListExpired: null };
  let token;
  try {
    const t = trimText(text);
    let parts;
    if (/^SP\d{1,3}:/.test(t)) withinLimit((parts = decodeQr(t, env.dictionaries)).compact);
    else parts = splitCompact(t);
    token = parseJws(parts);
  } catch (e) {
    r.fail("format", e.code || "bad_jws", e.message);
    return r.finish(done);
  }
  if (!MEDIA_TYPES.includes(token.header.typ) || !CONTENT_TYPES.includes("cty" in token.header ? token.header.cty : "vc")) {
    r.fail("format", "wrong_media_type", "not typ vc+jwt");
    return r.finish(done);
  }
  let claims;
  try {
    claims = parseJson(token.payload, "bad_payload", "payload", CLAIMS_LIMITS);
  } catch (e) {
    r.fail("format", e.code, e.message);
    return r.finish(done);
  }
  const problem = vcJoseFailure(claims, env.schemas);
  if (problem) {
    r.fail("format", problem.code, problem.message);
    return r.finish(done);
  }
  done.claims = claims;
  r.ok("format", "well-formed VC-JOSE-COSE credential");
  const issuerId = isObject(claims.issuer) ? claims.issuer.id : claims.issuer;
  const issuer = trust.issuers.get(String(issuerId));
  // A list past its expiry may no longer say who is accredited: never a silent pass.
  const expired = at >= trust.expires ? `expired on ${day(trust.expires)}` : "";
  if (expired) done.trustListExpired = trust.expires;
  if (!issuer) {
    r.fail("issuer_trusted", "unknown_issuer", `issuer ${issuerId} is not in trust list version ${trust.version}${expired ? `, which ${expired}: sync the trust bundle` : ""}`);
    r.add("signature", "skip", "unknown_issuer", "no key for this issuer");
    return r.finish(done);
  }
  done.issuer = { name: issuer.name, nameKm: issuer.nameKm };
  if (issuer.state === "suspended") {
    // Before an expired list, as verify.py decides: what the authority last said of this centre.
    r.add("issuer_trusted", "warn", "issuer_suspended", `${issuer.name}'s accreditation is suspended (trust list version ${trust.version}${expired ? `, ${expired}` : ""}): confirm with the national authority`);
  } else if (expired) {
    r.add("issuer_trusted", "warn", "trust_list_expired", `${issuer.name} is on trust list version ${trust.version}, which ${expired}: the authority may have suspended the centre or withdrawn its keys since; sync the trust bundle`);
  } else {
    r.ok("issuer_trusted", `${issuer.name} is an accredited issuer (trust list version ${trust.version})`);
  }
  const key = issuer.keys.find((k) => k.kid === token.kid);
  if (!key) { r.fail("signature", "unknown_key", "not a key of this issuer"); return r.finish(done); }
  if (!(await signatureValid(token, key.raw))) { r.fail("signature", "bad_signature", "signature does not verify"); return r.finish(done); }
  r.ok("signature", `signed by ${issuer.name}`);
  try { checkDataModel(claims); } catch (e) { r.fail("schema", e.code, e.message); return r.finish(done); }
  const content = JWT_CLAIMS.some((c) => c in claims)
    ? Object.fromEntries(Object.entries(claims).filter(([k]) => !JWT_CLAIMS.includes(k))) : claims;
  if (!validate(env.schemas, "credential", content)) { r.fail("schema", "schema_invalid", "does not match the credential schema"); return r.finish(done); }
  const contentProblem = credentialProblems(claims);
  if (contentProblem) { r.fail("schema", "schema_invalid", contentProblem); return r.finish(done); }
  r.ok("schema", "matches the Skills Passport credential schema");
  await checkKey(r, claims, token, issuer, key, trust, at);
  const ach = claims.credentialSubject.achievement;
  const kind = ach.achievementType === "Course" ? "tvet" : "rpl";
  const occupation = ach.alignment.find((a) => a.targetFramework === "ISCO-08").targetCode;
  const allowed = issuer.accreditations.get(kind) || new Set();
  if (allowed.has("*") || allowed.has(occupation)) r.ok("issuer_accredited", `accredited for ${kind} in ISCO-08 ${occupation}`);
  else r.fail("issuer_accredited", "not_accredited", `not accredited for ${kind} in ISCO-08 ${occupation}`);
  checkDates(r, claims, at);
  let oldest = null, stale = false;
  for (const entry of claims.credentialStatus) {
    const list = trust.statusLists.get(entry.statusListCredential);
    if (!list || list.issuer !== issuerId || list.purpose !== entry.statusPurpose) {
      const known = trust.centres.get(issuerId);
      done.statusUnknownAsOf = known ? known.statusAsOf : null;
      r.add("status", "warn", "status_unknown", done.statusUnknownAsOf !== null
        ? `status unknown as of ${day(done.statusUnknownAsOf)}: the trust bundle's lists of this centre do not include ${entry.statusListCredential}`
        : `status unknown: no ${entry.statusPurpose} list ${entry.statusListCredential} in the trust bundle`);
      r.add("status_freshness", "skip", "status_unknown", "no status list");
      return r.finish(done);
    }
    const index = Number(entry.statusListIndex);
    if (index >= list.bits.length * 8) { r.fail("status", "schema_invalid", "index outside the list"); return r.finish(done); }
    if (list.bits[index >> 3] & (0x80 >> (index & 7))) {
      r.fail("status", entry.statusPurpose === "revocation" ? "revoked" : "suspended", `${entry.statusPurpose} bit is set`);
      return r.finish(done);
    }
    oldest = oldest === null ? list.validFrom : Math.min(oldest, list.validFrom);
    if (at >= list.validUntil) stale = true;
  }
  done.statusAsOf = oldest;
  r.ok("status", "not revoked or suspended");
  if (stale) r.add("status_freshness", "warn", "status_stale", "status lists expired: sync the trust bundle");
  else r.ok("status_freshness", "status lists are current");
  return r.finish(done);
}
