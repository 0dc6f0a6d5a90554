// harness: what the browser tests share. Each test is a Node script that
// prints TAP (prove runs it as it runs the shell tests). It starts its own
// ankangd on 127.0.0.1 with a fresh data folder, drives Debian's chromium
// through playwright-core, and cleans up on exit, whatever happened.
//
//   const h = await harness('resident');  // a temporary folder, TAP counters
//   await h.init(); const url = await h.serve(['--code-ttl', '60']);
//   const tok = h.account('verifier', 'gate-1');
//   const browser = await h.browser();     // headless chromium, --no-sandbox
//   const page = await h.page(browser, 'phone');  // fails the test on any
//                                          // console error or CSP violation
//                                          // and on any token in a URL
//   await h.axe(page, 'resident: code');   // no serious/critical violation
//   await h.shot(page, 'resident-phone-code');    // build/artefacts/browser/
//   await h.until('red on the phone', async () => ...);  // a bounded wait
//   await h.imageShown(page, '#code-qr', 'the QR');      // loaded and decoded
//   h.ok(cond, 'words'); h.is(got, want, 'words'); h.done();
//
// Output never carries personal data: tests compare, and say only what
// differed in words (the made-up names and numbers stay in the test).
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The pages' npm packages (playwright-core, axe-core) live with the pages.
const require = createRequire(join(TOP, 'service/web/package.json'));
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BIN = resolve(TOP, process.env.ANKANG_BIN || 'bin');
// A host's installed /etc/ankang/ankangd.conf must not reach the servers
// the tests start (empty: read no configuration file).
process.env.ANKANGD_CONFIG = '';
const ARTEFACTS = resolve(TOP, process.env.ANKANG_ARTEFACTS || 'build/artefacts/browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const VIEWPORTS = {
  phone: { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 800 } },
};

// GB 11643: a valid ID number from 17 digits (the check character computed).
export function gbId(d17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(d17[i]) * w[i];
  return d17 + '10X98765432'[s % 11];
}

export async function harness(name) {
  const T = mkdtempSync(join(tmpdir(), `ankang-browser-${name}-`));
  const data = join(T, 'data');
  let n = 0;
  let failed = 0;
  let server = null;
  const browsers = [];
  const problems = []; // console errors and CSP violations, per page

  const h = {
    T,
    data,
    url: null,
    bin: BIN,
    ok(cond, desc) {
      n++;
      if (!cond) failed++;
      console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
      return !!cond;
    },
    is(got, want, desc) {
      const pass = got === want;
      h.ok(pass, desc);
      if (!pass) console.error(`#   got ${JSON.stringify(got)}, wanted ${JSON.stringify(want)}`);
      return pass;
    },
    // On stderr, as Test::More puts them, so that prove shows them
    // without -v: a failure in `make test` then says why in CI's log.
    diag(text) {
      console.error(`# ${text}`);
    },
    bail(text) {
      console.log(`Bail out! ${text}`);
      process.exit(1);
    },

    // Polls fn (async) until it gives a truthy value, for ms at most, and
    // gives that value; past ms says on stderr what it waited for, and
    // gives the last (falsy) value. For a state the page reaches by
    // itself, after a request or a timer, checked only once it is there.
    async until(what, fn, ms = 10000, step = 200) {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) {
          h.diag(`waited ${ms} ms for ${what}`);
          return v;
        }
        await sleep(step);
      }
    },
    // Waits (bounded, as until) for the img at selector to have its
    // picture: attached, or a new src set, is not yet loaded and decoded
    // (an img whose src changed keeps showing the old picture until then).
    async imageShown(page, selector, what, ms = 15000) {
      return h.until(what, () => page.evaluate((sel) => {
        const i = document.querySelector(sel);
        return !!i && i.complete && i.naturalWidth > 0;
      }, selector), ms, 100);
    },

    run(prog, args, input) {
      return execFileSync(join(BIN, prog), args, {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    },
    async init() {
      h.run('ankangd', ['init', '--data', data, '--origin', 'ankang.test']);
    },
    account(role, label) {
      return h.run('ankangd', ['account', 'add', '--data', data, '--role', role, '--name', label]).trim();
    },
    // One SQL statement on the data folder's database with the sqlite3
    // shell, beside a running service: it waits up to 5 s for the
    // service's writer to let the database go (the shell's default is
    // to fail at once: "database is locked").
    sql(q) {
      return execFileSync('sqlite3', ['-cmd', '.timeout 5000', join(data, 'ankang.db'), q],
        { encoding: 'utf8' }).trim();
    },
    async serve(extra = []) {
      const portFile = join(T, 'port');
      rmSync(portFile, { force: true });
      const log = join(T, 'serve.log');
      // --listen repeats (a socket each): a test's own replaces port 0.
      const listen = extra.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
      server = spawn(join(BIN, 'ankangd'),
        ['serve', '--data', data, ...listen, '--port-file', portFile, ...extra],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      server.stderr.on('data', (b) => writeFileSync(log, b, { flag: 'a' }));
      // Bounded: 20 s covers a sanitizer build on a busy machine.
      for (let i = 0; i < 400 && !(existsSync(portFile) && readFileSync(portFile, 'utf8').trim()); i++) {
        if (server.exitCode !== null) break;
        await sleep(50);
      }
      if (!existsSync(portFile)) h.bail('ankangd serve did not start');
      h.url = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
      return h.url;
    },
    async stop() {
      if (!server || server.exitCode !== null) return;
      server.kill('SIGTERM');
      for (let i = 0; i < 400 && server.exitCode === null; i++) await sleep(50);
      if (server.exitCode === null) server.kill('SIGKILL');
    },

    // An API call from the test itself (the officer's, say).
    async api(method, path, token, body) {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(h.url + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        /* text */
      }
      return { status: res.status, json, text, headers: res.headers };
    },

    async browser(args = []) {
      const b = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-dev-shm-usage', ...args],
      });
      browsers.push(b);
      return b;
    },
    // A page at one of VIEWPORTS, in a context of its own (its own storage)
    // unless one is given; locale 'en' unless said.
    async page(browser, size = 'phone', { locale = 'en-GB', context = null, ...opts } = {}) {
      const ctx = context || (await browser.newContext({ ...VIEWPORTS[size], locale, ...opts }));
      const page = await ctx.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text().slice(0, 200)}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${String(e).slice(0, 200)}`));
      // Tokens travel only in headers: a session (aks_) or account (aka_)
      // token in any URL the page asks for is a problem, whatever the test.
      page.on('request', (r) => {
        if (/ak[as]_[A-Za-z0-9_-]{8,}/.test(r.url())) problems.push('a token in a request URL');
        const ref = r.headers().referer;
        if (ref) problems.push('a request sent a Referer');
      });
      return page;
    },
    // Console errors that are expected (a 401 the page handles, say) are
    // taken out by the test before it checks with noProblems().
    problems,
    noProblems(desc, allow = []) {
      const left = problems.filter((p) => !allow.some((re) => re.test(p)));
      h.ok(left.length === 0, desc);
      for (const p of left) h.diag(p);
      problems.length = 0;
    },

    // axe-core in the page (evaluated, not injected as a script tag: the
    // pages' CSP refuses inline scripts, and must not be loosened for it).
    async axe(page, label) {
      await page.evaluate(`${AXE}\n;0`);
      const res = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({
          id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' '),
        }));
      });
      const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      h.ok(bad.length === 0, `axe: no serious or critical violation (${label})`);
      for (const v of bad) h.diag(`${v.impact} ${v.id} x${v.nodes} at ${v.target}`);
      return res;
    },

    async shot(page, name, opts = {}) {
      mkdirSync(ARTEFACTS, { recursive: true });
      const file = join(ARTEFACTS, `${name}.png`);
      await page.screenshot({ path: file, ...opts });
      return file;
    },

    async done() {
      await cleanup();
      console.log(`1..${n}`);
      process.exit(failed === 0 && n > 0 ? 0 : 1);
    },
  };

  async function cleanup() {
    for (const b of browsers) await b.close().catch(() => {});
    await h.stop();
    if (process.env.ANKANG_TEST_KEEP) console.error(`# kept ${T}`);
    else rmSync(T, { recursive: true, force: true });
  }
  // Whatever happens, the server and browsers go, and the TAP says why.
  process.on('uncaughtException', async (e) => {
    console.log(`not ok ${++n} - the test itself failed: ${String(e && e.message).slice(0, 300)}`);
    await cleanup();
    console.log(`1..${n}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    throw e;
  });
  // A hung page must not hang the suite: bounded.
  setTimeout(() => {
    console.log(`not ok ${++n} - the test ran past its 240 s bound`);
    cleanup().finally(() => process.exit(1));
  }, Number(process.env.ANKANG_BROWSER_TIMEOUT || 240000)).unref();
  return h;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export { TOP };
