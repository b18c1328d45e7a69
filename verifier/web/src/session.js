// What both pages of the folder (the verifier, index.html, and the holder's passport,
// holder.html) load before they can verify anything: the pin, the QR dictionaries and schemas
// (verifier-config.json and the files it names), and the trust bundle, taken only if it
// chains from the pin and is not older than what this browser has seen. Both pages keep the
// bundle and that memory under the same keys: one origin, one trust state.
import { RollbackError, loadBundle, parseMemory, refuseOlder, rememberText, seenFor, seenOf } from "./trust.js";
import { schemaSet } from "./schema.js";

export async function json(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const BUNDLE = "trust-bundle";
// What this browser has seen (trust.js): kept beside the bundle, in the Python state file's format.
const MEMORY = "trust-memory";

/** The pin and the verification data the folder carries: { pin, dictionaries, schemas,
 * unitTitles } (unitTitles empty when not asked for: the holder's cards list no units). */
export async function loadEnvironment({ unitTitles: withTitles = true } = {}) {
  const config = await json("verifier-config.json");
  // All at once: on a slow link each request costs a round trip, one after another they add up.
  const named = (table, read) => Promise.all(Object.entries(table).map(async ([k, file]) => [k, await read(file)]))
    .then(Object.fromEntries);
  const [dictionaries, schemas, unitTitles] = await Promise.all([named(config.dictionaries, bytes),
    named(config.schemas, json),
    // Titles of the units cards list (by ResultDescription): the page's own data, shown as
    // text. A site exported before they were bundled has none, and shows unit codes alone.
    config.unitTitles && withTitles ? json(config.unitTitles).then((d) => d.titles) : {}]);
  // The pinned national root: its keys and how many of them must sign (1 when not given).
  const pin = { rootKeys: config.rootKeys, ...("threshold" in config ? { threshold: config.threshold } : {}) };
  return { pin, dictionaries, schemas: schemaSet(schemas), unitTitles };
}

/** The trust the page verifies against. `current` is null until a bundle has been taken. */
export class TrustState {
  constructor(env) {
    this.env = env;
    this.current = null;
  }

  /** Take a bundle: refused (RollbackError) if older than the trust held or than what this
   * browser has seen, so a stale copy (an old server, the service worker's cache) cannot undo
   * a revocation; remembered once kept, after the bundle itself (memory never ahead of it). */
  async take(bundle, persist = true) {
    const memory = parseMemory(localStorage.getItem(MEMORY));  // damaged: an error, never reset
    // It must chain from the newest list this browser has seen, not from the pin alone.
    const candidate = await loadBundle(bundle, this.env.pin, this.env.schemas, memory);
    if (this.current && this.current.root === candidate.root) refuseOlder(seenOf(this.current), candidate, true);
    refuseOlder(seenFor(memory, candidate), candidate, false);
    this.current = candidate;
    // The bundle may outgrow localStorage (issuance records); the service worker keeps a copy too.
    if (persist) {
      try { localStorage.setItem(BUNDLE, JSON.stringify(bundle)); } catch { localStorage.removeItem(BUNDLE); }
    }
    const text = rememberText(memory, candidate);
    if (text !== null) localStorage.setItem(MEMORY, text);
    return candidate;
  }

  /** At start: the stored bundle, else the served one. Returns { refused, fetched }: the
   * refusal of the stored copy (someone put an older copy back) or null, and whether the
   * served bundle was just fetched (then a sync now would fetch the same again). A refused
   * copy is never the last word; an older served bundle is refused in turn (the caller then
   * says why and verifies nothing). */
  async start() {
    let refused = null;
    const cached = localStorage.getItem(BUNDLE);
    try {
      if (!cached) throw new Error("no cached bundle");
      await this.take(JSON.parse(cached), false);
      return { refused, fetched: false };
    } catch (e) {
      if (e instanceof RollbackError) refused = e;
      await this.take(await json("trust-bundle.json"));
      return { refused, fetched: true };
    }
  }

  /** Fetch the served bundle and take it. Resolves to "done"; rejects with the reason, an
   * `offline` property set when the network could not be reached at all. */
  async sync() {
    let response;
    try {
      response = await fetch(`trust-bundle.json?${Date.now()}`, { cache: "no-store" });
    } catch (e) {
      throw Object.assign(new Error(String(e && e.message)), { offline: true });
    }
    // The service worker's kept copy, served because the network is down: not an update.
    if (response.headers.get("Skillpass-Offline")) throw Object.assign(new Error("offline"), { offline: true });
    if (!response.ok) throw new Error(`trust-bundle.json: ${response.status}`);
    await this.take(await response.json());
    return "done";
  }
}

export { RollbackError };

// The page's CSP requires Trusted Types for script URLs: the one it ever hands the browser is
// its own service worker, and this policy (the only one the CSP allows) accepts nothing else.
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let url = "sw.js";
  if (window.trustedTypes) {
    const policy = window.trustedTypes.createPolicy("sw-url", { createScriptURL: (u) => {
      if (u !== "sw.js") throw new TypeError(`not this page's service worker: ${u}`);
      return u;
    } });
    url = policy.createScriptURL("sw.js");
  }
  navigator.serviceWorker.register(url);
}
