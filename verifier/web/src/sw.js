// Offline after the first visit: every asset is cached at install; the trust bundle is
// fetched from the network when possible and served from the cache otherwise.
const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.pathname.endsWith("/trust-bundle.json")) {
    event.respondWith(fetch(event.request).then((r) => {
      const copy = r.clone();
      caches.open(VERSION).then((c) => c.put(new URL("trust-bundle.json", self.registration.scope).href, copy));
      return r;
    }).catch(() => caches.match(new URL("trust-bundle.json", self.registration.scope).href)));
    return;
  }
  event.respondWith(caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || fetch(event.request)));
});
