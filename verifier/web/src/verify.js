// The browser verifier: the same checks, in the same order, with the same reason codes as
// passport/verify.py. Pure: text + trust state + time in, a result object out.
import { inflateSync, gunzipSync } from "fflate";
import * as ed from "@noble/ed25519";
import { validate } from "./schema.js";

export const CHECKS = ["format", "signature", "issuer_trusted", "key_valid_at_issuance",
  "issuer_accredited", "schema", "validity_dates", "status", "status_freshness"];
const ALLOWED_ALGS = new Set(["EdDSA", "Ed25519"]);
const FORBIDDEN_HEADERS = ["b64", "jwk", "jku", "x5u", "x5c"];
const MAX_QR_TEXT = 4296, MAX_INFLATED = 16384, KID_CHARS = 12;
const CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
const TRUST_LIST_TYP = "skillpass-trust-list+json";
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

class Failure extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

// -- encodings ------------------------------------------------------------------------------
const enc = new TextEncoder(), dec = new TextDecoder("utf-8", { fatal: true });

export function b64uEncode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64uDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Failure("bad_jws", "not base64url");
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4));
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64uEncode(out) !== text) throw new Failure("bad_jws", "not canonical base64url");
  return out;
}

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

// -- the QR transport -----------------------------------------------------------------------
export function decodeQr(text, dictionaries) {
  text = text.trim();
  if (text.length > MAX_QR_TEXT) throw new Failure("too_large", "QR text is too large");
  const m = /^SP(\d{1,3}):/.exec(text);
  if (!m) throw new Failure("bad_qr", "does not start with a Skills Passport prefix such as 'SP1:'");
  const zdict = dictionaries[Number(m[1])];
  if (!zdict) throw new Failure("bad_qr", `unknown codec version ${m[1]}`);
  const packed = base45Decode(text.slice(m[0].length));
  if (packed.length <= 64) throw new Failure("bad_qr", "too short to hold a signed credential");
  const signature = packed.subarray(0, 64);
  let body;
  try {
    body = inflateSync(packed.subarray(64), { dictionary: zdict });
  } catch (e) {
    throw new Failure("bad_qr", `compressed data is corrupt (${e.message})`);
  }
  if (body.length > MAX_INFLATED) throw new Failure("too_large", "inflated QR content is too large");
  let hlen = 0, used = 0;
  for (; used < 3; used++) {
    hlen |= (body[used] & 0x7f) << (7 * used);
    if (!(body[used] & 0x80)) { used++; break; }
  }
  const header = body.subarray(used, used + hlen);
  if (header.length !== hlen || hlen === 0) throw new Failure("bad_qr", "header length is out of range");
  const payload = body.subarray(used + hlen);
  const signingInput = `${b64uEncode(header)}.${b64uEncode(payload)}`;
  return { compact: `${signingInput}.${b64uEncode(signature)}`, header, payload, signature,
           signingInput: enc.encode(signingInput) };
}

function parseJson(bytes, code, what) {
  try { return JSON.parse(dec.decode(bytes)); } catch { throw new Failure(code, `${what} is not UTF-8 JSON`); }
}

export function parseJws(parts) {
  const header = parseJson(parts.header, "bad_jws", "header");
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new Failure("bad_jws", "header is not an object");
  if (!ALLOWED_ALGS.has(header.alg)) throw new Failure("alg_not_allowed", `algorithm ${JSON.stringify(header.alg)} is not allowed`);
  if ("crit" in header) throw new Failure("bad_jws", "unsupported critical header extension");
  for (const h of FORBIDDEN_HEADERS) if (h in header) throw new Failure("bad_jws", `header parameter ${h} is not accepted`);
  if (parts.signature.length !== 64) throw new Failure("bad_jws", "an Ed25519 signature is 64 bytes");
  return { ...parts, header, kid: typeof header.kid === "string" ? header.kid : null };
}

function splitCompact(compact) {
  const p = compact.trim().split(".");
  if (p.length !== 3) throw new Failure("bad_jws", `a compact JWS has 3 parts, this has ${p.length}`);
  return { compact: compact.trim(), header: b64uDecode(p[0]), payload: b64uDecode(p[1]),
           signature: b64uDecode(p[2]), signingInput: enc.encode(`${p[0]}.${p[1]}`) };
}

async function signatureValid(token, publicKey) {
  try { return await ed.verifyAsync(token.signature, token.signingInput, publicKey, { zip215: false }); }
  catch { return false; }
}

// -- trust ----------------------------------------------------------------------------------
async function thumbprintKid(x) {
  const canonical = JSON.stringify({ crv: "Ed25519", kty: "OKP", x });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(canonical)));
  return b64uEncode(digest).slice(0, KID_CHARS);
}

async function publicKey(jwk) {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new Error("only Ed25519 keys");
  const raw = b64uDecode(jwk.x);
  if (raw.length !== 32) throw new Error("bad key");
  return { raw, kid: await thumbprintKid(jwk.x) };
}

const time = (s) => Date.parse(s);

/** Check a trust bundle against the pinned root keys; returns the trust state or throws. */
export async function loadBundle(bundle, rootJwks) {
  const roots = await Promise.all(rootJwks.map(publicKey));
  const tl = bundle.trustList;
  let signedByRoot = false;
  for (const sig of tl.signatures) {
    const protectedHeader = parseJson(b64uDecode(sig.protected), "bad_jws", "trust list header");
    const root = roots.find((r) => r.kid === protectedHeader.kid);
    if (!root || protectedHeader.typ !== TRUST_LIST_TYP) continue;
    const token = { signature: b64uDecode(sig.signature), signingInput: enc.encode(`${sig.protected}.${tl.payload}`) };
    if (await signatureValid(token, root.raw)) signedByRoot = true;
  }
  if (!signedByRoot) throw new Error("trust list: not signed by a trusted root key");
  const list = parseJson(b64uDecode(tl.payload), "bad_jws", "trust list");
  const issuers = new Map();
  for (const entry of list.issuers) {
    const keys = [];
    for (const k of entry.keys) {
      const key = await publicKey(k.jwk);
      keys.push({ ...key, validFrom: time(k.validFrom), validUntil: k.validUntil ? time(k.validUntil) : null });
    }
    const accreditations = new Map(entry.accreditations.map((a) => [a.kind, new Set(a.occupations)]));
    issuers.set(entry.id, { id: entry.id, name: entry.name, nameKm: entry.nameKm, keys, accreditations });
  }
  const statusLists = new Map();
  for (const compact of bundle.statusLists) {
    const token = parseJws(splitCompact(compact));
    const claims = parseJson(token.payload, "bad_payload", "status list");
    const issuer = issuers.get(claims.issuer);
    const key = issuer && issuer.keys.find((k) => k.kid === token.kid);
    if (!key || !(await signatureValid(token, key.raw))) throw new Error(`status list ${claims.id} is not signed by its issuer`);
    if (!String(claims.id).startsWith(`${claims.issuer}/`)) throw new Error(`status list ${claims.id} is outside its issuer's URL space`);
    const encoded = claims.credentialSubject.encodedList;
    if (!encoded.startsWith("u")) throw new Error("status list: encodedList must be multibase base64url");
    const bits = gunzipSync(b64uDecode(encoded.slice(1)));
    if (bits.length > 1048576) throw new Error("status list is too large");
    statusLists.set(claims.id, { url: claims.id, issuer: claims.issuer, purpose: claims.credentialSubject.statusPurpose,
      validFrom: time(claims.validFrom), validUntil: time(claims.validUntil), bits });
  }
  return { version: list.version, issuers, statusLists, syncedAt: time(bundle.syncedAt) };
}

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
  if (claims.validUntil && time(claims.validUntil) <= time(claims.validFrom)) return "validUntil is not after validFrom";
  return null;
}

/** Verify QR text or a compact JWS against a loaded trust state at time `at` (ms). */
export async function verifyText(text, trust, env, at) {
  const r = run();
  const done = { claims: null, issuer: null, statusAsOf: null };
  let token;
  try {
    const t = text.trim();
    token = parseJws(/^SP\d{1,3}:/.test(t) ? decodeQr(t, env.dictionaries) : splitCompact(t));
  } catch (e) {
    r.fail("format", e.code || "bad_jws", e.message);
    return r.finish(done);
  }
  if (token.header.typ !== "vc+jwt" || (token.header.cty ?? "vc") !== "vc") {
    r.fail("format", "wrong_media_type", "not typ vc+jwt");
    return r.finish(done);
  }
  let claims;
  try {
    claims = parseJson(token.payload, "bad_payload", "payload");
    if (claims === null || typeof claims !== "object" || Array.isArray(claims)) throw new Failure("bad_payload", "not an object");
    if ("vc" in claims || "vp" in claims) throw new Failure("bad_payload", "VC 1.1-style claim");
    if (!validate(env.schemas, "vc-core", claims)) throw new Failure("bad_payload", "not a VC Data Model 2.0 credential");
    if (claims["@context"][0] !== CONTEXT_V2) throw new Failure("bad_payload", "first @context");
    const issuerId = typeof claims.issuer === "object" ? claims.issuer.id : claims.issuer;
    if ("iss" in claims && claims.iss !== issuerId) throw new Failure("bad_payload", "iss differs from issuer.id");
  } catch (e) {
    r.fail("format", e.code || "bad_payload", e.message);
    return r.finish(done);
  }
  done.claims = claims;
  r.ok("format", "well-formed VC-JOSE-COSE credential");
  const issuerId = typeof claims.issuer === "object" ? claims.issuer.id : claims.issuer;
  const issuer = trust.issuers.get(String(issuerId));
  if (!issuer) {
    r.fail("issuer_trusted", "unknown_issuer", `issuer ${issuerId} is not in trust list version ${trust.version}`);
    r.add("signature", "skip", "unknown_issuer", "no key for this issuer");
    return r.finish(done);
  }
  done.issuer = { name: issuer.name, nameKm: issuer.nameKm };
  r.ok("issuer_trusted", `${issuer.name} is an accredited issuer`);
  const key = issuer.keys.find((k) => k.kid === token.kid);
  if (!key) { r.fail("signature", "unknown_key", "not a key of this issuer"); return r.finish(done); }
  if (!(await signatureValid(token, key.raw))) { r.fail("signature", "bad_signature", "signature does not verify"); return r.finish(done); }
  r.ok("signature", `signed by ${issuer.name}`);
  if (!validate(env.schemas, "credential", claims)) { r.fail("schema", "schema_invalid", "does not match the credential schema"); return r.finish(done); }
  const problem = credentialProblems(claims);
  if (problem) { r.fail("schema", "schema_invalid", problem); return r.finish(done); }
  r.ok("schema", "matches the Skills Passport credential schema");
  const issued = time(claims.validFrom);
  if (issued < key.validFrom) r.fail("key_valid_at_issuance", "key_not_yet_valid", "issued before the key was valid");
  else if (key.validUntil !== null && issued >= key.validUntil) r.fail("key_valid_at_issuance", "key_expired", "issued after the key was retired");
  else r.ok("key_valid_at_issuance", "issued while the key was valid");
  const ach = claims.credentialSubject.achievement;
  const kind = ach.achievementType === "Course" ? "tvet" : "rpl";
  const occupation = ach.alignment.find((a) => a.targetFramework === "ISCO-08").targetCode;
  const allowed = issuer.accreditations.get(kind) || new Set();
  if (allowed.has("*") || allowed.has(occupation)) r.ok("issuer_accredited", `accredited for ${kind} in ISCO-08 ${occupation}`);
  else r.fail("issuer_accredited", "not_accredited", `not accredited for ${kind} in ISCO-08 ${occupation}`);
  const until = claims.validUntil ? time(claims.validUntil) : null;
  if (at < issued) r.fail("validity_dates", "not_yet_valid", "not valid yet");
  else if (until !== null && at >= until) r.fail("validity_dates", "expired", "expired");
  else r.ok("validity_dates", "within its validity period");
  let oldest = null, stale = false;
  for (const entry of claims.credentialStatus) {
    const list = trust.statusLists.get(entry.statusListCredential);
    if (!list || list.issuer !== issuerId || list.purpose !== entry.statusPurpose) {
      r.add("status", "warn", "status_unknown", "no status list for this credential");
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
