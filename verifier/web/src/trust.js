// The trust bundle, checked as passport/trust.py and passport/bundle.py check it: a trust list
// needs a threshold of the trusted root keys (distinct keys: one key signing twice is refused);
// root rotations are followed from the pinned root through the bundle's rootHistory; status
// lists must be signed by a key of their centre; issuance records must be exactly the ones the
// trust list names by digest (each read when a card under its key is judged). Anything wrong
// refuses the whole bundle.
import { Z_STREAM_END, inflateBounded } from "./inflate.js";
import { b64uDecode, enc, hex, isObject, parseJson, parseJws, publicKey, sha256, signatureValid,
  splitCompact, vcJoseProblem } from "./jws.js";
import { jsonEqual, validate } from "./schema.js";

const TRUST_LIST_TYP = "skillpass-trust-list+json";
const MAX_ROOT_KEYS = 16;
const MAX_TRUST_LIST_CHARS = 16 * 1024 * 1024;
// Status lists (passport/status.py): at least 131,072 entries, at most 1 MiB inflated.
const MIN_LIST_BYTES = 131072 / 8, MAX_LIST_BYTES = 1048576;
const MAX_STATUS_LIST_CHARS = Math.floor((MAX_LIST_BYTES + 1024) * 4 / 3) + 8192;
// Issuance records (passport/records.py): fixed-size big-endian entries sorted by slot: list
// number uint32, index uint32, issued (Unix seconds) uint64, first 16 bytes of the SHA-256 of
// the credential's signature.
const RECORD_TYP = "skillpass-issuance-record+jwt";
// At most 500,000 entries; the record is base64url twice (entries in the claims, the claims in
// the JWS); an entry is issued before the record was made (an hour's clock skew allowed).
const ENTRY_BYTES = 32, DIGEST_BYTES = 16, MAX_ENTRIES = 500000, CLOCK_SKEW_S = 3600;
const b64Chars = (n) => Math.floor((4 * n + 2) / 3);
const MAX_RECORD_CHARS = 1024 + 1 + b64Chars(b64Chars(MAX_ENTRIES * ENTRY_BYTES) + 2048) + 1 + 86;

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);

const UTC_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

/** The schema's UTC form, YYYY-MM-DDTHH:MM:SSZ, as milliseconds; a date that does not exist
 * (2026-02-30, hour 24, second 60, year 0) throws, as passport.credential.parse_time does,
 * where Date.parse would roll it over into the next month or give NaN. */
export function utcTime(text) {
  const ms = typeof text === "string" && UTC_TIME.test(text) && !text.startsWith("0000") ? Date.parse(text) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== `${text.slice(0, 19)}.000Z`) {
    throw new Error(`${JSON.stringify(String(text).slice(0, 40))} is not a date and time that exists, like 2026-01-31T00:00:00Z`);
  }
  return ms;
}
const time = utcTime;

// -- centre ids (passport/centreid.py) -------------------------------------------------------
// A centre's id has one canonical form, and no id of a list may lie in another's URL space (the
// id and "/"): else one centre could sign status lists where another's are looked for.
const ID_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, ID_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** The canonical form of a centre id, or null where it has none (centreid.canonical). */
export function canonicalId(text) {
  if (!/^[\x21-\x7e]*$/.test(text)) return null;
  const at = text.indexOf("://");
  if (at < 0 || text.slice(0, at).toLowerCase() !== "https") return null;
  const rest = text.slice(at + 3);
  if (rest.includes("?") || rest.includes("#")) return null;
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash), path = slash < 0 ? "" : rest.slice(slash + 1);
  if (authority.includes("@")) return null;
  const colon = authority.indexOf(":");
  let host = (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
  const port = colon < 0 ? null : authority.slice(colon + 1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (!host || host.length > 253 || !host.split(".").every((label) => ID_LABEL.test(label))) return null;
  if (port !== null && !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return null;
  const segments = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") { segments.pop(); continue; }
    if (!ID_SEGMENT.test(segment)) return null;
    segments.push(segment);
  }
  const shownPort = port !== null && Number(port) !== 443 ? `:${Number(port)}` : "";
  const result = `https://${host}${shownPort}${segments.map((s) => `/${s}`).join("")}`;
  return result.length > 200 ? null : result;
}

const idKey = (id) => canonicalId(id) ?? id;
/** Each proper prefix of `url` that ends before a "/" of its path, shortest first. */
function urlPrefixes(url) {
  const out = [];
  for (let i = "https://".length; i < url.length; i++) if (url[i] === "/") out.push(url.slice(0, i));
  return out;
}

/** Why these ids cannot be listed together, or null (centreid.clash). */
export function idClash(ids) {
  const byKey = new Map();
  for (const id of ids) {
    const k = idKey(id);
    if (byKey.has(k)) return `issuers ${byKey.get(k)} and ${id} are one URL (${k})`;
    byKey.set(k, id);
  }
  const raw = new Set(ids);
  for (const inner of ids) {
    const outer = urlPrefixes(inner).find((p) => raw.has(p))
      ?? urlPrefixes(idKey(inner)).filter((p) => byKey.has(p)).map((p) => byKey.get(p))[0];
    if (outer !== undefined) return `issuer ${inner} lies inside the URL space of issuer ${outer}`;
  }
  return null;
}

/** Why `url` may not be one of `issuer`'s status lists, or null (centreid.outside). */
function outsideOf(url, issuer, issuers) {
  const owner = urlPrefixes(url).reverse().find((p) => issuers.has(p));
  if (owner === issuer) return null;
  if (url.startsWith(`${issuer}/`)) return `lies in the URL space of ${owner}, not of its issuer`;
  return "is outside its issuer's URL space";
}

// -- the root -------------------------------------------------------------------------------
/** The national root: its keys and how many of them must sign a trust list. */
async function rootSet(jwks, threshold) {
  if (!Array.isArray(jwks) || !jwks.length) throw new Error("no root key: a verifier needs the national root keys");
  if (jwks.length > MAX_ROOT_KEYS) throw new Error(`more than ${MAX_ROOT_KEYS} root keys`);
  const keys = await Promise.all(jwks.map(async (jwk) => {
    const key = await publicKey(jwk);
    return { ...key, jwk: { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: key.kid } };
  }));
  const kids = keys.map((k) => k.kid);
  if (new Set(kids).size !== kids.length) throw new Error("a root key is listed twice");
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new Error(`root threshold ${threshold} is not between 1 and ${keys.length}, the number of root keys`);
  }
  return { keys, threshold, identity: `${threshold} of ${[...kids].sort().join(" ")}` };
}

/** How many keys of `root` signed: `sigs` holds at most one signature per kid. */
async function signers(root, sigs) {
  let n = 0;
  for (const key of root.keys) if (sigs.has(key.kid) && await signatureValid(sigs.get(key.kid), key.raw)) n++;
  return n;
}

/** A signed trust list's document and its signatures by kid (none checked yet). */
function decodeSigned(signed) {
  if (!isObject(signed) || !Array.isArray(signed.signatures)) throw new Error("trust list: not a JWS JSON document");
  const payload = String(signed.payload);
  if (payload.length > MAX_TRUST_LIST_CHARS) throw new Error("trust list: too large");
  const sigs = new Map();
  for (const entry of signed.signatures) {
    let token;
    try {
      token = parseJws({ header: b64uDecode(entry.protected), payload: null, signature: b64uDecode(entry.signature),
        signingInput: enc.encode(`${entry.protected}.${payload}`) });
    } catch (e) {
      throw new Error(`trust list: malformed signature (${e.message})`);
    }
    if (token.header.typ !== TRUST_LIST_TYP || token.kid === null) throw new Error("trust list: signature header lacks typ or kid");
    if (sigs.has(token.kid)) throw new Error(`trust list: key ${token.kid} signed twice`);
    sigs.set(token.kid, token);
  }
  let doc;
  try { doc = parseJson(b64uDecode(payload), "bad_jws", "trust list"); } catch { throw new Error("trust list: payload is not base64url JSON"); }
  if (!isObject(doc)) throw new Error("trust list: payload is not a JSON object");
  return { doc, sigs, signed };
}

async function issuerKey(issuerId, raw) {
  const key = await publicKey(raw.jwk);
  if (raw.jwk.kid !== key.kid) throw new Error(`trust list: key id of ${issuerId} is not its thumbprint`);
  const record = raw.issuanceRecord ? { sha256: raw.issuanceRecord.sha256, entries: raw.issuanceRecord.entries } : null;
  const entry = { ...key, validFrom: time(raw.validFrom), validUntil: "validUntil" in raw ? time(raw.validUntil) : null,
    compromisedSince: "compromisedSince" in raw ? time(raw.compromisedSince) : null, record };
  // Without the record nothing under a compromised key could be told genuine from forged.
  if (entry.compromisedSince !== null && record === null) throw new Error(`trust list: compromised key ${key.kid} of ${issuerId} has no issuance record`);
  if (entry.validUntil !== null && entry.validUntil <= entry.validFrom) throw new Error(`trust list: key ${key.kid} of ${issuerId} ends before it starts`);
  return entry;
}

async function trustList({ doc, signed }, schemas) {
  if (!validate(schemas, "trust-list", doc)) throw new Error("trust list: does not match the trust list schema");
  const issuers = new Map();
  for (const entry of doc.issuers) {
    if (issuers.has(entry.id)) throw new Error(`trust list: issuer ${entry.id} is listed twice`);
    const keys = [];
    for (const raw of entry.keys) keys.push(await issuerKey(entry.id, raw));
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error(`trust list: a key of ${entry.id} is listed twice`);
    issuers.set(entry.id, { id: entry.id, name: entry.name, nameKm: entry.nameKm, keys, state: entry.state || "active",
      accreditations: new Map(entry.accreditations.map((a) => [a.kind, new Set(a.occupations)])) });
  }
  const clash = idClash([...issuers.keys()]);
  if (clash) throw new Error(`trust list: ${clash}`);
  let root;
  try { root = await rootSet(doc.rootKeys, "threshold" in doc ? doc.threshold : 1); } catch (e) { throw new Error(`trust list: ${e.message}`); }
  return { version: doc.version, expires: time(doc.expires), root, issuers, signed };
}

// The store (passport/trust.py TrustStore): the pinned root, an anchor (the newest list this
// page accepted before: its version, root and payload digest, kept in its memory) and the
// list trusted so far. It moves only forwards, each list signed by the root trusted so far, so
// root keys a rotation left behind sign nothing more for a page that has seen the rotation.
const trustedRoot = (store) => (store.current ? store.current.root : store.anchor ? store.anchor.root : store.pinned);
const trustedVersion = (store) => (store.current ? store.current.version : store.anchor ? store.anchor.version : 0);
const payloadDigest = async (signed) => hex(await sha256(enc.encode(String(signed.payload ?? ""))));

/** Accept a newer trust list into `store` or throw (TrustStore.update). */
async function update(store, decoded, schemas) {
  const trusted = trustedRoot(store), version = trustedVersion(store);
  const count = await signers(trusted, decoded.sigs);
  if (count < trusted.threshold) {
    throw new Error(`trust list: not signed by a trusted root: ${trusted.threshold} of its keys must sign, ${count} did`);
  }
  const candidate = await trustList(decoded, schemas);
  const anchor = store.current ? null : store.anchor;
  if (anchor && candidate.version === anchor.version) {
    if (await payloadDigest(decoded.signed) !== anchor.digest) {
      throw new Error(`trust list version ${candidate.version} is held already, with other content: the authority publishes each version once`);
    }
  } else if (candidate.version <= version) {
    throw new RollbackError(`trust list version ${candidate.version} is older than the version ${version} this verifier has seen already (rollback refused; the cached one stays in place)`);
  }
  if (candidate.root.identity !== trusted.identity) {
    if (version && candidate.version !== version + 1) throw new Error("trust list: a root rotation must be exactly version + 1");
    if (await signers(candidate.root, decoded.sigs) < candidate.root.threshold) {
      throw new Error(`trust list: a root rotation must be signed by the new root too: ${candidate.root.threshold} of its keys`);
    }
  }
  store.current = candidate;
  return candidate;
}

/** Walk root rotations through a bundle's rootHistory from what is trusted so far
 * (TrustStore.follow): from the pin alone, from the first list naming the pinned root; every
 * list after it must chain, so an entry signed by a root the walk has left is refused. */
async function follow(store, history, schemas) {
  const chain = history.map(decodeSigned);
  for (const { doc } of chain) {
    if (!Number.isInteger(doc.version)) throw new Error("trust list: a root history entry has no version number");
  }
  chain.sort((a, b) => a.doc.version - b.doc.version);
  if (new Set(chain.map(({ doc }) => doc.version)).size !== chain.length) throw new Error("trust list: the root history holds a version twice");
  let start = 0;
  if (!store.current && !store.anchor) {
    for (const [n, { doc }] of chain.entries()) {
      let root;
      try { root = await rootSet(doc.rootKeys ?? [], "threshold" in doc ? doc.threshold : 1); } catch { continue; }
      if (root.identity === store.pinned.identity) { start = n; break; }
    }
  }
  for (const decoded of chain.slice(start)) {
    if (decoded.doc.version <= trustedVersion(store)) continue;
    await update(store, decoded, schemas);
  }
}

// -- status lists ---------------------------------------------------------------------------
function bitstring(encoded) {
  if (!encoded.startsWith("u")) throw new Error("encodedList must be multibase base64url ('u...')");
  const gz = b64uDecode(encoded.slice(1));
  // Inflated into a buffer of the most a list may hold, as Bitstring.decode does (no zip bombs).
  const r = inflateBounded(gz, { windowBits: 31, limit: MAX_LIST_BYTES });
  if (r.status < 0) throw new Error(`encodedList is not GZIP (${r.msg})`);
  if (r.out.length > MAX_LIST_BYTES) throw new Error("status list bitstring is too large");
  if (r.status !== Z_STREAM_END) throw new Error("GZIP data is truncated");
  const bits = r.out;
  if (bits.length < MIN_LIST_BYTES) throw new Error(`${bits.length * 8} entries, at least ${MIN_LIST_BYTES * 8} needed`);
  return bits;
}

function parseStatusList(compact, schemas) {
  const token = parseJws(splitCompact(compact, MAX_STATUS_LIST_CHARS));
  const claims = parseJson(token.payload, "bad_payload", "status list");
  const problem = vcJoseProblem(claims, schemas);
  if (problem) throw new Error(problem);
  if (!validate(schemas, "status-list-credential", claims)) throw new Error("does not match the status list schema");
  const subject = claims.credentialSubject;
  return [{ url: claims.id, issuer: claims.issuer, purpose: subject.statusPurpose, validFrom: time(claims.validFrom),
    validUntil: time(claims.validUntil), bits: bitstring(subject.encodedList) }, token];
}

// -- issuance records -----------------------------------------------------------------------
// A record counts by its digest in the root-signed trust list; it is read only when a card
// under its key is judged (IssuanceRecord.named), and one that turns out unreadable vouches for
// nothing.
async function readRecord(record) {
  const { compact, schemas } = record;
  const token = parseJws(splitCompact(compact, MAX_RECORD_CHARS));
  if (token.header.typ !== RECORD_TYP) throw new Error(`issuance record: typ must be ${RECORD_TYP}`);
  const doc = parseJson(token.payload, "bad_payload", "issuance record");
  if (!validate(schemas, "issuance-record", doc)) throw new Error("issuance record: does not match the issuance record schema");
  if (doc.issuer !== record.issuer || doc.kid !== record.kid || doc.count !== record.count) throw new Error("issuance record: not for the key the trust list names it for");
  if (doc.entries.length !== b64Chars(doc.count * ENTRY_BYTES)) throw new Error(`issuance record: ${doc.entries.length} characters of entries for ${doc.count}`);
  const packed = b64uDecode(doc.entries);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  // Strictly increasing slots: the binary search below relies on it, as records.py does.
  for (let at = ENTRY_BYTES; at < packed.length; at += ENTRY_BYTES) {
    if (compareSlot(view, at - ENTRY_BYTES, view.getUint32(at), view.getUint32(at + 4)) >= 0) {
      throw new Error("issuance record: entries are not in slot order, or repeat a slot");
    }
  }
  const latest = BigInt(Math.floor(time(doc.created) / 1000) + CLOCK_SKEW_S);
  for (let at = 0; at < packed.length; at += ENTRY_BYTES) {
    if (view.getBigUint64(at + 8) > latest) throw new Error("issuance record: an entry was issued after the record was made");
  }
  return { view, packed };
}

async function entriesOf(record) {
  if (record.read === undefined) {
    try { record.read = await readRecord(record); } catch (e) { record.read = null; record.problem = e.message; }
  }
  return record.read;
}

function compareSlot(view, at, listNumber, index) {
  return (view.getUint32(at) - listNumber) || (view.getUint32(at + 4) - index);
}

/** Whether the record holds this slot with this credential signature, issued before `before`
 * (ms) by the centre's own clock (IssuanceRecord.vouches_for). */
export async function vouches(record, listNumber, index, signature, before) {
  const read = await entriesOf(record);
  if (read === null || listNumber < 0) return false;
  let lo = 0, hi = record.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareSlot(read.view, mid * ENTRY_BYTES, listNumber, index) < 0) lo = mid + 1; else hi = mid;
  }
  const at = lo * ENTRY_BYTES;
  if (lo === record.count || compareSlot(read.view, at, listNumber, index) !== 0) return false;
  const digest = (await sha256(signature)).subarray(0, DIGEST_BYTES);
  const recorded = read.packed.subarray(at + 16, at + 16 + DIGEST_BYTES);
  return digest.every((b, i) => b === recorded[i]) && read.view.getBigUint64(at + 8) * 1000n < BigInt(before);
}

// -- the bundle -----------------------------------------------------------------------------
/** Whether a status list the key signed, dated `validFrom`, counts (IssuerKey.vouches_for_status):
 * a compromised key's never; a retired key's only if dated inside its window. */
const vouchesForStatus = (key, validFrom) => key.compromisedSince === null
  && (key.validUntil === null || validFrom < key.validUntil);

/** Check a trust bundle against the pinned root ({rootKeys, threshold}); the trust state or throws. */
export async function loadBundle(bundle, pin, schemas, memory = null) {
  if (!validate(schemas, "trust-bundle", bundle)) throw new Error("trust bundle: does not match the trust bundle schema");
  const pinned = await rootSet(pin.rootKeys, "threshold" in pin ? pin.threshold : 1);
  const seen = memory ? memory.roots[pinned.identity] : undefined;
  const anchor = seen && seen.trustRoot ? { version: seen.trustList, digest: seen.trustListDigest,
    root: await rootSet(seen.trustRoot.rootKeys, seen.trustRoot.threshold) } : null;
  const store = { pinned, anchor, current: null };
  await follow(store, bundle.rootHistory || [], schemas);
  // The bundle's list may be the last rotation itself, already accepted.
  const list = store.current && jsonEqual(store.current.signed, bundle.trustList) ? store.current
    : await update(store, decodeSigned(bundle.trustList), schemas);
  const statusLists = new Map();
  for (const compact of bundle.statusLists) {
    let status, token;
    try { [status, token] = parseStatusList(compact, schemas); } catch (e) { throw new Error(`trust bundle: bad status list (${e.message})`); }
    const issuer = list.issuers.get(status.issuer);
    const key = issuer && issuer.keys.find((k) => k.kid === token.kid);
    if (!key || !(await signatureValid(token, key.raw))) throw new Error(`trust bundle: status list ${status.url} is not signed by a key of its issuer`);
    if (!vouchesForStatus(key, status.validFrom)) throw new Error(`trust bundle: status list ${status.url} is signed by key ${key.kid}, which could not sign on ${isoDate(status.validFrom)}`);
    // In its own issuer's URL space and no deeper centre's; one list per URL.
    const outside = outsideOf(status.url, status.issuer, list.issuers);
    if (outside) throw new Error(`trust bundle: status list ${status.url} ${outside}`);
    if (statusLists.has(status.url)) throw new Error(`trust bundle: status list ${status.url} is there twice`);
    // A retired key's list lasts no longer than the key's window (bundle.checked_status_list).
    if (key.validUntil !== null && status.validUntil > key.validUntil) status.validUntil = key.validUntil;
    statusLists.set(status.url, status);
  }
  const named = new Map();
  for (const issuer of list.issuers.values()) for (const key of issuer.keys) if (key.record) named.set(key.record.sha256, [issuer.id, key]);
  const records = new Map();
  for (const compact of bundle.issuanceRecords || []) {
    const digest = hex(await sha256(enc.encode(compact)));
    if (!named.has(digest)) throw new Error(`trust bundle: issuance record ${digest.slice(0, 16)}… is not the one the trust list names for any key`);
    const [issuer, key] = named.get(digest);
    records.set(`${issuer} ${key.kid}`, { issuer, kid: key.kid, count: key.record.entries, sha256: digest, compact, schemas });
  }
  const centres = new Map((bundle.centres || []).map((c) => [c.id,
    { statusAsOf: c.statusAsOf ? time(c.statusAsOf) : null, problem: c.problem || "" }]));
  return { version: list.version, expires: list.expires, issuers: list.issuers, statusLists, records, centres,
    syncedAt: time(bundle.syncedAt), root: store.pinned.identity,
    anchor: { trustRoot: { rootKeys: list.root.keys.map((k) => k.jwk), threshold: list.root.threshold },
      trustListDigest: await payloadDigest(list.signed) } };
}

// -- what this verifier has seen (verifier/memory.py) ---------------------------------------
// An old signed bundle is still signed: replayed, it would bring back a suspended centre or a
// revoked card. The page remembers, per pinned root (named as the Python state file names it),
// the newest trust-list version and each status list's newest validFrom it has accepted, in
// the state file's own format, and refuses anything older; the same list again is accepted.
const STATE_TYPE = "SkillsPassportTrustState", STATE_FORMAT = 1;

export class RollbackError extends Error {}

const isoTime = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

/** What a loaded trust state shows: its trust-list version and its lists' validFrom (ms). */
export function seenOf(trust) {
  return { trustList: trust.version, ...trust.anchor,
    statusLists: Object.fromEntries([...trust.statusLists].map(([url, s]) => [url, s.validFrom])) };
}

/** Throw a RollbackError if `trust` is older than `seen` (what is held, or what was seen). */
export function refuseOlder(seen, trust, held) {
  const whose = held ? "this verifier holds" : "this verifier has seen already";
  const tail = "(rollback refused; the cached one stays in place)";
  if (trust.version < seen.trustList) {
    throw new RollbackError(`trust list version ${trust.version} is older than the version ${seen.trustList} ${whose} ${tail}`);
  }
  for (const [url, status] of [...trust.statusLists].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const newest = seen.statusLists[url];
    if (newest !== undefined && status.validFrom < newest) {
      throw new RollbackError(`status list ${url} of ${isoTime(status.validFrom)} is older than the one of ${isoTime(newest)} ${whose} ${tail}`);
    }
  }
}

/** The newer of the two for each part: memory only ever moves forwards. */
function merged(a, b) {
  const statusLists = { ...a.statusLists };
  for (const [url, ms] of Object.entries(b.statusLists)) if (!(url in statusLists) || ms > statusLists[url]) statusLists[url] = ms;
  const newer = b.trustList > a.trustList ? b : a;
  return { trustList: newer.trustList, trustRoot: newer.trustRoot, trustListDigest: newer.trustListDigest, statusLists };
}

/** The memory as stored (null: nothing seen yet); a damaged one throws, it is never reset. */
export function parseMemory(text) {
  const memory = { roots: {} };
  if (text === null) return memory;
  const damaged = (why) => new Error(`the verifier's trust memory is damaged (${why}); it records the newest trust data seen, so it is not reset`);
  let doc;
  try { doc = JSON.parse(text); } catch { throw damaged("not JSON"); }
  if (!isObject(doc) || doc.type !== STATE_TYPE || doc.formatVersion !== STATE_FORMAT || !isObject(doc.roots)) {
    throw damaged(`not a ${STATE_TYPE} of format ${STATE_FORMAT}`);
  }
  for (const [name, entry] of Object.entries(doc.roots)) {
    if (!isObject(entry) || !Number.isInteger(entry.trustList) || entry.trustList < 0 || !isObject(entry.statusLists)) {
      throw damaged(`root ${name}`);
    }
    // Once a list is seen, its root and digest: the next bundle must chain from that root.
    if (entry.trustList > 0 && (!isObject(entry.trustRoot) || !Array.isArray(entry.trustRoot.rootKeys)
        || typeof entry.trustListDigest !== "string" || !/^[0-9a-f]{64}$/.test(entry.trustListDigest))) {
      throw damaged(`root ${name}: trustRoot and trustListDigest`);
    }
    const statusLists = {};
    for (const [url, when] of Object.entries(entry.statusLists)) {
      const ms = typeof when === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(when) ? Date.parse(when) : NaN;
      if (Number.isNaN(ms)) throw damaged(`status list ${url}`);
      statusLists[url] = ms;
    }
    memory.roots[name] = { trustList: entry.trustList, trustRoot: entry.trustRoot, trustListDigest: entry.trustListDigest, statusLists };
  }
  return memory;
}

/** What the memory holds for a trust state's pinned root (nothing: version 0, no lists). */
export const seenFor = (memory, trust) => memory.roots[trust.root] || { trustList: 0, trustRoot: undefined, trustListDigest: undefined, statusLists: {} };

/** The memory with `trust` remembered, as text to store; null when it changes nothing. */
export function rememberText(memory, trust) {
  const before = seenFor(memory, trust), after = merged(before, seenOf(trust));
  if (after.trustList === before.trustList && Object.keys(after.statusLists).every((u) => after.statusLists[u] === before.statusLists[u])) return null;
  const roots = { ...memory.roots, [trust.root]: after };
  return JSON.stringify({ type: STATE_TYPE, formatVersion: STATE_FORMAT, roots: Object.fromEntries(
    Object.entries(roots).map(([name, seen]) => [name, { trustList: seen.trustList,
      ...(seen.trustRoot ? { trustRoot: seen.trustRoot, trustListDigest: seen.trustListDigest } : {}), statusLists: Object.fromEntries(
      Object.entries(seen.statusLists).map(([url, ms]) => [url, isoTime(ms)])) }])) });
}

/** How current each centre's status data is: the national bundle's statusAsOf, else the
 * oldest list the bundle carries; "missing" without either, "stale" once a list has expired. */
export function centreFreshness(trust, now) {
  const out = [];
  for (const issuer of trust.issuers.values()) {
    const lists = [...trust.statusLists.values()].filter((s) => s.issuer === issuer.id);
    const known = trust.centres.get(issuer.id);
    const oldest = lists.length ? Math.min(...lists.map((s) => s.validFrom)) : null;
    const asOf = known ? known.statusAsOf : oldest;
    const state = asOf === null || !lists.length ? "missing"
      : lists.some((s) => now >= s.validUntil) ? "stale" : "current";
    out.push({ issuer, asOf, state, problem: known ? known.problem : "" });
  }
  return out;
}
