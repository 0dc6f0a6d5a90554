// Asks the pages' service worker (src/sw.js, served as /sw.js) to keep
// this page and its assets, so it opens with no network. Browsers without
// service workers (or pages not served over https or from localhost) just
// go without: the page works online as before.
export function keepForOffline() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker
    .register('/sw.js', { scope: '/' })
    .then(() => navigator.serviceWorker.ready)
    .then((reg) => reg.active && reg.active.postMessage({ keep: location.pathname }))
    .catch(() => {});
}
