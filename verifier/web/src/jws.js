// Encodings, compact JWS, Ed25519 keys and the VC-JOSE-COSE claim rules, as passport/b64.py,
// jws.py, keys.py and credential.py have them: shared by the credential checks (verify.js)
// and the trust bundle checks (trust.js).
import * as ed from "@noble/ed25519";
import { validate } from "./schema.js";

const ALLOWED_ALGS = new Set(["EdDSA", "Ed25519"]);
const FORBIDDEN_HEADERS = ["b64", "jwk", "jku", "x5u", "x5c"];
const KID_CHARS = 12;

/** An error with the reason code a verification result reports for it. */
export class Failure extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

export const enc = new TextEncoder();
// A byte order mark is kept, so JSON.parse refuses it as Python's json does.
const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function b64uEncode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64uDecode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Failure("bad_jws", "not base64url");
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4));
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64uEncode(out) !== text) throw new Failure("bad_jws", "not canonical base64url");
  return out;
}

// -- the bounded JSON reader (passport/jsonread.py), with the same limits and refusals ---------
/** Limits of a JWS header (jws.HEADER_LIMITS) and a credential's claims (credential.CLAIMS_LIMITS);
 * repeated names take the lexically last value, as JSON.parse does. */
export const HEADER_LIMITS = { maxBytes: 2048, maxDepth: 8, maxDigits: 32 };
export const CLAIMS_LIMITS = { maxBytes: 16384, maxDepth: 64, maxDigits: 32 };
// Other JWS payloads (status lists, trust lists, records): sized by their callers, nested no
// deeper than a credential may be.
const DOCUMENT_LIMITS = { maxBytes: Infinity, maxDepth: 64, maxDigits: 32 };
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/g;
const SURROGATE_PAIR = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}/g;
const SURROGATE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/** JSON text outside its strings: where brackets nest and numbers are. */
function outsideStrings(text) {
  return text.includes('\\"') ? text.replace(STRING, "") : text.split('"').filter((_, i) => i % 2 === 0).join("");
}

/** Parse UTF-8 JSON within `limits`, or throw an Error naming the limit (jsonread.loads). */
export function readJson(bytes, limits) {
  if (bytes.length > limits.maxBytes) throw new Error(`${bytes.length} bytes, over the limit of ${limits.maxBytes} (max_bytes)`);
  const text = dec.decode(bytes);  // throws on anything but UTF-8
  let outside = null;
  if ((text.match(/[[{]/g) || []).length > limits.maxDepth) {
    outside = outsideStrings(text);
    let depth = 0;
    for (const c of outside.replace(/[^[\]{}]+/g, "")) {
      depth += c === "[" || c === "{" ? 1 : -1;
      if (depth > limits.maxDepth) throw new Error(`nested deeper than ${limits.maxDepth} levels (max_depth)`);
    }
  }
  if (text.includes("\\u") && SURROGATE.test(text.replace(/\\\\/g, "").replace(SURROGATE_PAIR, ""))) {
    throw new Error("an unpaired surrogate escape");
  }
  const doc = JSON.parse(text);
  // Python counts each number's digits as it parses; here the numbers are the runs outside
  // strings that hold a digit (in JSON that JSON.parse took, nothing else outside has one).
  if (/[0-9]{1,}/.test(text)) {
    for (const run of (outside ?? outsideStrings(text)).match(/[-+0-9.eE]+/g) || []) {
      if (run.replace(/[^0-9]/g, "").length > limits.maxDigits) throw new Error(`a number of more than ${limits.maxDigits} digits (max_digits)`);
    }
  }
  return doc;
}

/** The bounded reader, its refusal a Failure with the reason code `code`. */
export function parseJson(bytes, code, what, limits = DOCUMENT_LIMITS) {
  try { return readJson(bytes, limits); } catch (e) { throw new Failure(code, `${what}: ${e.message}`); }
}

export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Check the header and signature size of a split JWS (jws.from_parts). */
export function parseJws(parts) {
  const header = parseJson(parts.header, "bad_jws", "header", HEADER_LIMITS);
  if (!isObject(header)) throw new Failure("bad_jws", "header is not an object");
  if (!ALLOWED_ALGS.has(header.alg)) throw new Failure("alg_not_allowed", `algorithm ${JSON.stringify(header.alg)} is not allowed`);
  if ("crit" in header) throw new Failure("bad_jws", "unsupported critical header extension");
  for (const h of FORBIDDEN_HEADERS) if (h in header) throw new Failure("bad_jws", `header parameter ${h} is not accepted`);
  if (parts.signature.length !== 64) throw new Failure("bad_jws", "an Ed25519 signature is 64 bytes");
  return { ...parts, header, kid: typeof header.kid === "string" ? header.kid : null };
}

/** jws.from_parts' first check: a token no longer than `limit` characters, however it came
 * (a QR text's template can unpack to a longer one than a compact JWS may be). */
export function withinLimit(compact, limit = 16384) {
  if (compact.length > limit) throw new Failure("bad_jws", `token is ${compact.length} characters, the limit is ${limit}`);
  return compact;
}

/** Split a compact JWS into its decoded parts; `limit` caps the characters before decoding. */
export function splitCompact(compact, limit = 16384) {
  withinLimit(compact, limit);
  const p = compact.split(".");
  if (p.length !== 3) throw new Failure("bad_jws", `a compact JWS has 3 parts, this has ${p.length}`);
  return { compact, header: b64uDecode(p[0]), payload: b64uDecode(p[1]),
           signature: b64uDecode(p[2]), signingInput: enc.encode(`${p[0]}.${p[1]}`) };
}

export async function signatureValid(token, publicKey) {
  try { return await ed.verifyAsync(token.signature, token.signingInput, publicKey, { zip215: false }); }
  catch { return false; }
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** An Ed25519 public JWK as { raw, kid }: kid is the start of its RFC 7638 thumbprint. */
export async function publicKey(jwk) {
  if (!isObject(jwk) || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new Error("only Ed25519 OKP keys are accepted");
  if ("d" in jwk) throw new Error("a JWK with a private key");
  const raw = b64uDecode(jwk.x);
  if (raw.length !== 32) throw new Error("JWK member 'x' must be 32 bytes in base64url");
  const canonical = JSON.stringify({ crv: "Ed25519", kty: "OKP", x: jwk.x });
  return { raw, kid: b64uEncode(await sha256(enc.encode(canonical))).slice(0, KID_CHARS) };
}

// -- VC-JOSE-COSE claims ----------------------------------------------------------------------
const CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";

/** What VC-JOSE-COSE asks of every credential's claims (credential.check_vc_jose_claims): a
 * Failure (bad_payload, or context_invalid for the first @context), or null. Status list
 * credentials are held to it too. */
export function vcJoseFailure(claims, schemas) {
  const bad = (message) => new Failure("bad_payload", message);
  if (!isObject(claims)) return bad("the payload is not a JSON object");
  if ("vc" in claims || "vp" in claims) return bad("VC 1.1-style 'vc' or 'vp' claim");
  if (!validate(schemas, "vc-core", claims)) return bad("not a VC Data Model 2.0 credential");
  if (claims["@context"][0] !== CONTEXT_V2) return new Failure("context_invalid", `VC Data Model 2.0: @context[0]: the first entry must be ${CONTEXT_V2}`);
  const issuerId = isObject(claims.issuer) ? claims.issuer.id : claims.issuer;
  if ("iss" in claims && claims.iss !== issuerId) return bad("'iss' claim differs from issuer.id");
  // exp and nbf bound the signature's validity: one that cannot be read is not ignored. A
  // non-numeric iat is not a NumericDate and is ignored (credential.check_vc_jose_claims).
  for (const name of ["exp", "nbf"]) {
    if (name in claims && numericDate(claims[name]) === null) return bad(`'${name}' claim is not a NumericDate`);
  }
  return null;
}

/** The problem vcJoseFailure finds, as text, or null. */
export const vcJoseProblem = (claims, schemas) => vcJoseFailure(claims, schemas)?.message ?? null;

/** A JWT NumericDate (RFC 7519 section 2): a JSON number, else null (credential.numeric_date). */
export const numericDate = (v) => (typeof v === "number" ? v : null);

/** What a verifier accepts as typ and cty (credential.MEDIA_TYPES, CONTENT_TYPES). */
export const MEDIA_TYPES = ["vc+jwt", "application/vc+jwt"];
export const CONTENT_TYPES = ["vc", "application/vc"];
/** JWT claims a credential may carry beside the credential (credential.JWT_CLAIMS). */
export const JWT_CLAIMS = ["iss", "exp", "nbf", "iat"];
