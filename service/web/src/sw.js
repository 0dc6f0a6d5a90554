// The pages' service worker (served as /sw.js, scope /).
//
// It keeps the pages that must open with no network, and the assets they
// name: the resident's page (which then shows the last code it saved in
// its localStorage) and the checkpoint's scanner (which then checks codes
// against the signed lists it saved, and queues the checks). A page asks
// to be kept by posting {keep: its path} once the worker is ready; the
// auditor's dashboard is not kept (an audit needs the service).
//
// Pages are fetched from the network first, so a new build is seen as
// soon as there is one; the cache answers only when the network does not.
// Hashed assets never change, so the cache answers them first.
//
// It never touches the API (/v1/...): nothing personal passes through it
// or is cached by it, and every answer about a person comes fresh from the
// service or not at all.
const CACHE = 'ankang-pages';
const KEPT = ['/', '/check'];

const assetsOf = (html) => [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);

// Saves a page (a Response from the network) and the assets it names,
// then drops assets no kept page names any more (older builds').
async function keep(path, res) {
  const cache = await caches.open(CACHE);
  for (const a of assetsOf(await res.clone().text())) {
    if (!(await cache.match(a))) await cache.add(a);
  }
  await cache.put(path, res);
  const wanted = new Set();
  for (const p of KEPT) {
    const page = await cache.match(p);
    if (page) for (const a of assetsOf(await page.text())) wanted.add(a);
  }
  for (const req of await cache.keys()) {
    const p = new URL(req.url).pathname;
    if (!KEPT.includes(p) && !wanted.has(p)) await cache.delete(req);
  }
}

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// A page that wants to open offline says so once the worker runs.
self.addEventListener('message', (event) => {
  const path = event.data && event.data.keep;
  if (!KEPT.includes(path)) return;
  event.waitUntil(
    fetch(path, { cache: 'no-store', credentials: 'omit' })
      .then((res) => (res.ok ? keep(path, res) : undefined))
      .catch(() => {}),
  );
});

async function page(event, path) {
  try {
    const res = await fetch(event.request);
    if (res.ok) event.waitUntil(keep(path, res.clone()).catch(() => {}));
    return res;
  } catch (e) {
    const kept = await caches.match(path);
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
  if (req.mode === 'navigate' && KEPT.includes(url.pathname)) event.respondWith(page(event, url.pathname));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(asset(req));
});
