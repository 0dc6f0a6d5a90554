// The resident page's service worker (served as /resident-sw.js).
//
// It keeps one thing: the page "/" and the assets it names, so that the
// page opens with no network and shows the last code it saved (the code
// itself is in the page's localStorage, never here). The page is fetched
// from the network first, so a new build is seen as soon as there is one;
// the cache answers only when the network does not. Hashed assets never
// change, so the cache answers them first.
//
// It never touches the API (/v1/...): nothing personal passes through it
// or is cached by it, and every answer about a person comes fresh from the
// service or not at all.
const CACHE = 'ankang-resident-page';
const PAGE = '/';

// Saves the page (a Response from the network) and exactly the assets it
// names, dropping assets of older builds.
async function keep(res) {
  const html = await res.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  const cache = await caches.open(CACHE);
  for (const a of assets) {
    if (!(await cache.match(a))) await cache.add(a);
  }
  await cache.put(PAGE, res);
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (path !== PAGE && !assets.includes(path)) await cache.delete(req);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetch(PAGE, { cache: 'no-store', credentials: 'omit' })
      .then((res) => (res.ok ? keep(res) : undefined))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function page(event) {
  try {
    const res = await fetch(event.request);
    if (res.ok) event.waitUntil(keep(res.clone()).catch(() => {}));
    return res;
  } catch (e) {
    const kept = await caches.match(PAGE);
    if (kept) return kept;
    throw e;
  }
}

async function asset(request) {
  const kept = await caches.match(request);
  return kept || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname === PAGE) event.respondWith(page(event));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(asset(req));
});
