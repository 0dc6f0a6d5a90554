#!/usr/bin/env node
// The pages as served: headers (CSP without inline script or eval,
// nosniff, no referrer, no framing; long cache for hashed assets, none for
// pages), both languages and the switch between them, no console error or
// CSP violation, and axe-core's check on a phone and a desktop.
import { harness } from './lib/harness.mjs';

const h = await harness('pages');
await h.init();
const url = await h.serve();

const PAGES = { '/': 'resident', '/check': 'check', '/audit': 'audit', '/officer': 'officer' };

for (const path of Object.keys(PAGES)) {
  const r = await h.api('GET', path);
  const csp = r.headers.get('content-security-policy') || '';
  h.is(r.status, 200, `GET ${path} answers 200`);
  h.ok(/^text\/html/.test(r.headers.get('content-type')), `${path} is HTML`);
  h.ok(/default-src 'self'/.test(csp) && /script-src 'self'(;|$)/.test(csp), `${path}: scripts only from the service`);
  h.ok(!/unsafe-inline|unsafe-eval/.test(csp), `${path}: no unsafe-inline, no unsafe-eval`);
  h.ok(/frame-ancestors 'none'/.test(csp), `${path}: may not be framed`);
  h.is(r.headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`);
  h.is(r.headers.get('referrer-policy'), 'no-referrer', `${path}: no referrer`);
  h.is(r.headers.get('cache-control'), 'no-store', `${path}: never cached`);
  h.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(r.text), `${path}: no inline script`);
  const assets = [...r.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  h.ok(assets.length >= 2, `${path} names its script and stylesheet`);
  for (const a of assets) {
    const ar = await h.api('GET', a);
    h.ok(ar.status === 200 && /immutable/.test(ar.headers.get('cache-control') || ''),
      `${path}: asset ${a.replace(/-[A-Z0-9]+\./, '-HASH.')} is served and cached for good`);
  }
}
// Text goes gzipped to a client that takes it, and as it is otherwise.
{
  const plain = await fetch(url + '/', { headers: { 'Accept-Encoding': 'identity' } });
  const plainText = await plain.text();
  const gz = await fetch(url + '/', { headers: { 'Accept-Encoding': 'gzip, deflate' } });
  h.is(plain.headers.get('content-encoding'), null, 'a client that takes no gzip gets the page as it is');
  h.is(gz.headers.get('content-encoding'), 'gzip', 'a client that takes gzip gets it gzipped');
  h.ok((await gz.text()) === plainText, 'and the same page once unzipped');
  h.ok(/Accept-Encoding/i.test(gz.headers.get('vary') || ''), 'caches are told it varies (Vary: Accept-Encoding)');
  const refused = await fetch(url + '/', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
  h.is(refused.headers.get('content-encoding'), null, 'gzip;q=0 is a refusal, and honoured');
}
const none = await h.api('GET', '/assets/nothing-here.js');
h.is(none.status, 404, 'an asset the build did not make is 404');
const api = await h.api('GET', '/healthz');
h.ok(/default-src 'none'/.test(api.headers.get('content-security-policy') || ''),
  "API answers may load nothing (default-src 'none')");

const browser = await h.browser();
for (const [path, name] of Object.entries(PAGES)) {
  for (const size of ['phone', 'desktop']) {
    for (const locale of ['zh-CN', 'en-GB']) {
      const page = await h.page(browser, size, { locale });
      await page.goto(url + path);
      await page.waitForLoadState('networkidle');
      const lang = await page.getAttribute('html', 'lang');
      h.is(lang, locale === 'zh-CN' ? 'zh-CN' : 'en', `${name} (${size}, ${locale}): language from the browser`);
      const other = await page.getByRole('button', { name: locale === 'zh-CN' ? 'Switch language to English' : '切换为中文' });
      h.ok((await other.count()) === 1, `${name} (${size}, ${locale}): a labelled language switch`);
      await h.axe(page, `${name}, ${size}, ${locale}`);
      await other.click();
      h.is(await page.getAttribute('html', 'lang'), locale === 'zh-CN' ? 'en' : 'zh-CN',
        `${name} (${size}): the switch changes the language`);
      await page.reload();
      h.is(await page.getAttribute('html', 'lang'), locale === 'zh-CN' ? 'en' : 'zh-CN',
        `${name} (${size}): the choice is kept`);
      await page.context().close();
    }
  }
}
// The policy holds in the browser, not only in the header: an inline
// script someone managed to put in the page does not run, and eval is
// refused (what an injected string would need).
{
  const page = await h.page(browser, 'desktop');
  await page.goto(url + '/');
  const got = await page.evaluate(async () => {
    const seen = new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
      setTimeout(() => resolve(null), 2000);
    });
    const s = document.createElement('script');
    s.textContent = 'window.injected = 1';
    document.body.append(s);
    const directive = await seen;
    // A string timer is eval by another name; DevTools' own evaluation
    // (this function) may eval, but what it schedules runs as the page.
    setTimeout('window.evaluated = 1', 0);
    await new Promise((r) => setTimeout(r, 300));
    return { ran: window.injected === 1, directive, evalRefused: window.evaluated !== 1 };
  });
  h.ok(!got.ran, 'an inline script put into the page does not run');
  h.ok(/^script-src/.test(got.directive || ''), 'and the browser reports it as a script-src violation');
  h.ok(got.evalRefused, 'a string given to setTimeout (eval by another name) does not run');
  await page.context().close();
}
h.noProblems('no console error, page error or CSP violation on any page', [
  /Content Security Policy/, // the two provoked just above
  /unsafe-eval/,
]);
await h.done();
