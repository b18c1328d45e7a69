// Offline after the first visit: every asset is cached at install; the trust bundle is
// fetched from the network when possible and served from the cache otherwise.
//
// What a script running in the page's origin can change, and what it cannot. Such a script
// (an injected one, had one ever run) can rewrite Cache Storage, localStorage and IndexedDB;
// it cannot rewrite this file, which the browser only ever fetches from the server. So what
// the page trusts is decided here, not by anything in those stores:
// - The pin, verifier-config.json (the national root keys and how many must sign), is written
//   into this file when the page is exported or served (CONFIG below) and answered from here,
//   never from a cache: a root put into the cache is never served. The pin changes only when
//   the server's does (this file then changes, and the browser installs it); otherwise the
//   root moves only through a rotation the signed trust list carries, as for the CLI.
// - Every other asset (the page, its code, the QR reader, dictionaries, schemas,
//   translations) is served from the cache only if its bytes have the SHA-256 the build
//   wrote here; a copy that does not is dropped and fetched again (offline: an error, never
//   the altered copy).
// - The trust bundle has no digest (it changes with every sync); the page checks it against
//   the pin, so a bundle put into the cache or localStorage under another root is refused.
// A pin kept in localStorage by the page would not hold: the script that rewrites the cache
// rewrites localStorage as easily.
const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const DIGESTS = __DIGESTS__;
const CONFIG = "__CONFIG__";  // the exact text of verifier-config.json, once written in
const PINNED = CONFIG !== "__" + "CONFIG__";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

/** The page's file a URL names ("./" for the page itself), or null outside the page. */
function fileOf(url) {
  const scope = self.registration.scope, path = url.origin + url.pathname;
  if (!path.startsWith(scope)) return null;
  return path.slice(scope.length) || "./";
}

async function sha256(response) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await response.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The cached copy when it is the one the build made; otherwise the server's. */
async function verified(file) {
  const key = new URL(file, self.registration.scope).href;
  const cache = await caches.open(VERSION);
  const hit = await cache.match(key);
  if (hit && await sha256(hit.clone()) === DIGESTS[file]) return hit;
  if (hit) await cache.delete(key);
  const fresh = await fetch(key);
  if (fresh.ok && await sha256(fresh.clone()) === DIGESTS[file]) await cache.put(key, fresh.clone());
  return fresh;
}

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  const url = new URL(event.request.url);
  const file = fileOf(url);
  if (file === "verifier-config.json") {
    // Not written in (the build's own folder served as is): the server's, never a cache's.
    event.respondWith(PINNED ? new Response(CONFIG, { headers: { "Content-Type": "application/json" } }) : fetch(event.request));
    return;
  }
  if (file === "trust-bundle.json") {
    event.respondWith(fetch(event.request).then((r) => {
      const copy = r.clone();
      caches.open(VERSION).then((c) => c.put(new URL("trust-bundle.json", self.registration.scope).href, copy));
      return r;
    }).catch(async () => {
      // Offline: the copy kept, marked so that the page can say the update did not happen.
      const kept = await caches.match(new URL("trust-bundle.json", self.registration.scope).href);
      if (!kept) return Response.error();
      const headers = new Headers(kept.headers);
      headers.set("Skillpass-Offline", "1");
      return new Response(kept.body, { status: kept.status, headers });
    }));
    return;
  }
  if (file !== null && Object.hasOwn(DIGESTS, file)) event.respondWith(verified(file));
  // Anything else goes to the network, as if there were no service worker.
});
