#!/usr/bin/env node
// The checkpoint page (/check) against a real ankangd, in chromium with a
// fake camera that shows a resident's code:
//
//   - sign-in: errors summarised and linked (empty, malformed, a
//     resident's token, an unknown token); the verifier's token signs in;
//   - the camera (a y4m made here from the resident's code.png, padded
//     with white like a camera view) scans the code: VALID, the name and
//     "Green code", and a code held in view is checked once;
//   - typed codes: a forged code and a non-code are REFUSED; a code whose
//     holder's status an officer changed is REFUSED online, never green;
//   - with the network cut, codes are checked against the cached lists:
//     the changed holder's code is REFUSED: revoked (never green), a
//     valid code typed and one from the camera are VALID; when the network
//     returns the scans are uploaded, and the residents see them in their
//     accesses as verify_offline;
//   - a 401 sends the device back to sign-in; a changed root key stops it;
//     signing out; the desktop in Chinese;
//   - axe-core in every state, screenshots of each on a phone and a desktop.
//
// Names and tokens are compared, never printed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP, gbId, harness, sleep } from './lib/harness.mjs';
import { parseCredential } from '../../service/web/src/lib/cred.js';
import { hex } from '../../service/web/src/lib/b64.js';

const h = await harness('check');

// Every key the page's code names, however it names it (t('check.x'),
// signinProblem('check.x'), say('check.x'), a why: 'check.x'), is in both
// catalogues: catalogue.mjs sees only the t('...') spelling.
{
  const web = join(TOP, 'service/web');
  const src = ['src/check.js', 'src/check_camera.js', 'pages/check.html'].map((f) => readFileSync(join(web, f), 'utf8')).join('\n');
  const keys = new Set([...src.matchAll(/['"`]((?:check|common|status|result)\.[a-z_.]+[a-z_])['"`]/g)].map((m) => m[1]));
  for (const lang of ['en', 'zh-CN']) {
    const cat = JSON.parse(readFileSync(join(web, `i18n/${lang}.json`), 'utf8'));
    const missing = [...keys].filter((k) => !(k in cat));
    h.ok(keys.size > 60 && missing.length === 0, `all ${keys.size} message keys the check page names are in ${lang}.json`);
    for (const k of missing) h.diag(`missing: ${k}`);
  }
}
await h.init();
const url = await h.serve();
const VERIFIER_LABEL = 'gate-7';
const verifier = h.account('verifier', VERIFIER_LABEL);
const officer = h.account('officer', 'officer-1');

// Two made-up residents: A stays green; B's status is changed by an officer.
const A = { name: '林小雨', id_number: gbId('11010519800101123'), passphrase: 'a long passphrase for A' };
const B = { name: 'Mara Quill', id_number: gbId('31010419750615432'), passphrase: 'a long passphrase for B' };
for (const p of [A, B]) {
  const e = await h.api('POST', '/v1/enroll', null, { name: p.name, id_number: p.id_number, passphrase: p.passphrase });
  h.is(e.status, 201, 'a made-up resident enrols');
  p.handle = e.json.resident;
  const l = await h.api('POST', '/v1/login', null, { id_number: p.id_number, passphrase: p.passphrase });
  h.is(l.status, 200, 'and logs in');
  p.token = l.json.token;
}
const codeOf = async (p) => (await h.api('GET', '/v1/me/code', p.token)).json.credential;

// ------------------------------------------- the camera's picture (y4m)
const png = await fetch(`${url}/v1/me/code.png`, { headers: { Authorization: `Bearer ${A.token}` } });
h.is(png.status, 200, "resident A's code.png");
const pngB64 = Buffer.from(await png.arrayBuffer()).toString('base64');
const W = 640;
const H = 480;
let luma;
{
  // chromium decodes the PNG and draws the frame: the code at 300 px in a
  // white 640x480 view, as a camera would see a phone held up to it.
  const b = await h.browser();
  const p = await (await b.newContext()).newPage();
  luma = await p.evaluate(async ({ src, W, H }) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = W;
    c.height = H;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    g.imageSmoothingEnabled = false;
    const side = 300;
    g.drawImage(img, (W - side) / 2, (H - side) / 2, side, side);
    const d = g.getImageData(0, 0, W, H).data;
    const y = new Array(W * H);
    for (let i = 0; i < W * H; i++) y[i] = Math.round(0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2]);
    return y;
  }, { src: `data:image/png;base64,${pngB64}`, W, H });
  await b.close();
}
const y4m = join(h.T, 'camera.y4m');
{
  // YUV4MPEG2, 4:2:0: each frame is the Y plane, then U and V at half
  // size (128: no colour).
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.from(luma), Buffer.alloc(W * H / 2, 128)]);
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(y4m, Buffer.concat([header, frame, frame]));
}

const browser = await h.browser([
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`,
]);

// The result panel as the page shows it, and whether anything in it is green.
async function panel(page) {
  return page.evaluate(() => {
    const box = document.querySelector('#result');
    const green = ['rgb(18, 128, 60)', 'rgb(11, 93, 42)', 'rgb(232, 245, 236)'];
    let greenSeen = false;
    for (const e of [box, ...box.querySelectorAll('*')]) {
      const s = getComputedStyle(e);
      for (const prop of ['color', 'backgroundColor', 'borderTopColor', 'borderLeftColor', 'backgroundImage'])
        if (green.some((g) => s[prop].includes(g))) greenSeen = true;
    }
    const own = [...box.querySelectorAll('*')].map((e) => e.textContent.trim());
    return {
      hidden: box.hidden,
      title: document.querySelector('#result-title').textContent,
      classes: box.className,
      text: box.textContent,
      greenSeen,
      // Is a status word shown standing alone anywhere (as a valid code's is)?
      statusAlone: own.some((s) => /^(绿码 )?Green code$|^绿码$|^(黄码 )?Yellow code$|^(红码 )?Red code$/.test(s)),
      name: document.querySelector('.result-name, .result-name-refused')?.textContent ?? null,
      how: document.querySelector('#result-how').textContent,
    };
  });
}
async function waitTitle(page, re) {
  await page.waitForFunction((src) => {
    const tt = document.querySelector('#result-title');
    return !document.querySelector('#result').hidden && new RegExp(src).test(tt.textContent);
  }, re.source, { timeout: 15000 });
}
async function typeCode(page, text) {
  await page.getByLabel('Code', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
}

// ================================================================ phone
const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB' });
const page = await h.page(browser, 'phone', { context: ctx });
await page.goto(`${url}/check`);
await page.getByRole('heading', { name: 'Sign in this device' }).waitFor();
h.ok(true, 'a device without a token is asked to sign in');
await h.axe(page, 'sign-in');
await h.shot(page, 'check-phone-signin');

const tokenField = page.getByLabel('Account token');
const signInButton = page.getByRole('button', { name: 'Sign in' });
async function signinError(value, want, desc) {
  await tokenField.fill(value);
  await signInButton.click();
  const summary = page.locator('#signin-errors');
  await summary.waitFor({ state: 'visible' });
  await page.waitForFunction((w) => document.querySelector('#signin-errors').textContent.includes(w), want);
  const link = summary.getByRole('link');
  h.ok((await link.textContent()).includes(want), `sign-in: ${desc}: the summary says so`);
  h.is(await link.getAttribute('href'), '#token', `sign-in: ${desc}: and links to the field`);
  h.is(await tokenField.getAttribute('aria-invalid'), 'true', `sign-in: ${desc}: the field is marked invalid`);
}
await signinError('', 'Enter the account token', 'empty');
await h.axe(page, 'sign-in with an error');
await h.shot(page, 'check-phone-signin-error');
await signinError('not a token', 'exactly as it was printed', 'malformed');
await signinError(A.token, "resident's sign-in", "a resident's token");
await signinError(`aka_${'Q'.repeat(43)}`, 'not recognised', 'an unknown token (401)');
await signinError(officer, 'may not check codes', "an officer's token (403)");
await tokenField.fill(verifier);
await signInButton.click();
await page.getByRole('heading', { name: 'Check health codes' }).waitFor();
h.ok(true, "the verifier's token signs in");
h.ok(await page.evaluate(() => localStorage.getItem('ankang.verifier.token') !== null), 'the token is kept in localStorage');
h.ok(await page.evaluate(() => /\/root\+[0-9a-f]{8}\+/.test(localStorage.getItem('ankang.check.root') || '')),
  'the root key is pinned at sign-in');
await page.waitForFunction(() => /Lists from/.test(document.querySelector('#conn').textContent));
h.ok(true, 'the lists are fetched at sign-in (the status line says from when)');

// ------------------------------------------------------------- camera
const startButton = page.getByRole('button', { name: 'Start camera' });
const stopButton = page.getByRole('button', { name: 'Stop camera' });
// The camera: by its button, unless the page may already use it (then it
// starts by itself; the two may race here).
async function cameraOn(pg, start, stop) {
  if (await stop.isVisible()) return;
  try {
    await start.click({ timeout: 3000 });
  } catch {
    /* it had started by itself */
  }
  await stop.waitFor();
}
await cameraOn(page, startButton, stopButton);
h.ok(true, 'the camera runs (a Stop camera button)');
await h.axe(page, 'scanning');
await waitTitle(page, /^VALID$/);
let p = await panel(page);
h.is(p.title, 'VALID', 'camera: the code from the camera is VALID');
h.ok(p.name === A.name, 'camera: the name is the resident\'s');
h.ok(/Green code/.test(p.text) && /status-green/.test(p.classes), 'camera: the status is said in words and shown in its colour');
h.ok(/Checked with the service/.test(p.how), 'camera: checked online');
await h.axe(page, 'valid');
await h.shot(page, 'check-phone-valid');
await h.shot(page, 'check-phone-scanning', { fullPage: true });
// Held in view, the code is checked once.
await sleep(6500);
const verifiesA = (await h.api('GET', '/v1/me/accesses?action=verify', A.token)).json.accesses;
h.is(verifiesA.length, 1, 'a code held in front of the camera for 6 s is checked once (debounced)');
h.ok(verifiesA[0]?.actor === VERIFIER_LABEL && verifiesA[0]?.result === 'valid', "and the resident's accesses show the checkpoint's check");
await page.getByRole('button', { name: 'Stop camera' }).click();
await startButton.waitFor();

// ------------------------------------------------------ typed, refused
const codeB = await codeOf(B);
const forged = codeB.slice(0, -6) + (codeB.slice(-6, -5) === '0' ? '1' : '0') + codeB.slice(-5);
await typeCode(page, forged);
await waitTitle(page, /^REFUSED/);
p = await panel(page);
h.ok(/^REFUSED: /.test(p.title), 'a changed code: REFUSED first');
h.ok(/Forged|Not a health code/.test(p.title), 'with the reason in words');
h.ok(!p.greenSeen && !p.statusAlone && p.name === null, 'a refused code shows no green, no status, no name');
await h.axe(page, 'refused');
await h.shot(page, 'check-phone-refused');
await typeCode(page, 'https://example.com/not-a-code');
await waitTitle(page, /^REFUSED: Not a health code$/);
h.ok(true, 'something that is not a code: REFUSED: Not a health code');
h.is(await page.evaluate(() => document.activeElement.id), 'code', 'after a typed check the field keeps the focus (for the next scan)');

// The officer changes B's status: B's code is refused online.
const put = await h.api('PUT', `/v1/residents/${B.handle}/status`, officer, { status: 'red', reason: 'confirmed_case' });
h.is(put.status, 200, 'an officer changes B\'s status');
await typeCode(page, codeB);
// The panel still shows the last refusal until the answer comes: wait
// for another one.
await waitTitle(page, /^REFUSED: (?!Not a health code$)/);
p = await panel(page);
h.is(p.title, 'REFUSED: Status has changed', 'online, the changed holder\'s code is REFUSED: Status has changed (superseded)');
h.ok(!p.greenSeen && !p.statusAlone, 'and nothing on it is green or a status standing alone');
h.ok(p.name === B.name, 'the name on the code is shown (FORMAT.md allows it for superseded)');
await h.shot(page, 'check-phone-refused-superseded');

// ------------------------------------------------------------ offline
// The service's revocation list now holds B's code; a reload refreshes
// the page's lists.
const ctiB = hex(parseCredential(codeB).claims.cti);
for (let i = 0; i < 50 && !(await h.api('GET', '/v1/revocations')).text.includes(ctiB); i++) await sleep(100);
h.ok((await h.api('GET', '/v1/revocations')).text.includes(ctiB), "the service's revocation list holds B's code");
await page.reload();
await page.waitForFunction(() => /^Online\. Lists from/.test(document.querySelector('#conn').textContent));
// The page may use the camera, so it starts by itself, and sees A's code.
await waitTitle(page, /^VALID$/);
h.ok(await page.getByRole('button', { name: 'Stop camera' }).isVisible(), 'after a reload the camera starts by itself (permission given before)');
const codeA2 = await codeOf(A);
await ctx.setOffline(true);
await page.waitForFunction(() => /^Offline, lists from \d\d:\d\d/.test(document.querySelector('#conn').textContent));
h.ok(true, 'offline: the page says so, and from when its lists are');
await h.axe(page, 'offline');
await h.shot(page, 'check-phone-offline');
await typeCode(page, codeB);
await waitTitle(page, /^REFUSED/);
p = await panel(page);
h.is(p.title, 'REFUSED: Revoked', "offline, the changed holder's code is REFUSED: Revoked (from the cached list)");
h.ok(!p.greenSeen && !p.statusAlone, 'and nothing on it is green or a status standing alone');
h.ok(/on this device \(offline\)/.test(p.how), 'and it says it was checked on this device');
await h.axe(page, 'offline, refused');
await h.shot(page, 'check-phone-offline-revoked');
await typeCode(page, forged);
await waitTitle(page, /^REFUSED: Forged or damaged code$/);
h.ok(true, 'offline, a changed code is REFUSED: Forged or damaged code');
await typeCode(page, codeA2);
await waitTitle(page, /^VALID$/);
p = await panel(page);
h.ok(p.name === A.name && /Green code/.test(p.text), 'offline, a typed valid code is VALID with the name and status');
await h.axe(page, 'offline, valid');
await h.shot(page, 'check-phone-offline-valid');
// The camera, offline: the code on the camera is checked again here.
await page.getByRole('button', { name: 'Check the next code' }).click();
await cameraOn(page, startButton, stopButton);
await waitTitle(page, /^VALID$/);
p = await panel(page);
h.ok(/on this device \(offline\)/.test(p.how) && p.name === A.name, 'offline, the camera\'s code is VALID, checked on this device');
await page.getByRole('button', { name: 'Stop camera' }).click();
h.ok(/waiting to upload: 4\./.test(await page.locator('#conn').textContent()), 'four offline checks wait to upload');
// A reload with no network: the page opens from the service worker
// (src/sw.js), with its saved lists and its queue, and goes on checking:
// the camera starts by itself (its permission was given) and checks the
// code in view on this device, and so does a typed one.
await page.reload();
await page.waitForFunction(() => /^Offline, lists from \d\d:\d\d/.test(document.querySelector('#conn')?.textContent || ''));
h.ok(/waiting to upload: 4\./.test(await page.locator('#conn').textContent()),
  'a reload with no network opens the page, offline, with the four checks still waiting');
await waitTitle(page, /^VALID$/);
p = await panel(page);
h.ok(p.name === A.name && /on this device \(offline\)/.test(p.how), 'the camera starts again and its code is VALID, checked on this device');
await page.getByRole('button', { name: 'Stop camera' }).click();
await typeCode(page, codeA2);
await page.waitForFunction(() => /waiting to upload: 6\./.test(document.querySelector('#conn').textContent));
p = await panel(page);
h.ok(p.title === 'VALID' && p.name === A.name && /on this device \(offline\)/.test(p.how), 'and a typed code too: six checks wait');
await page.getByRole('button', { name: 'Check the next code' }).click();

// A seventh check queued by a device whose clock ran a day ahead: the
// service refuses it (400 bad_field: a time in the future), and it must
// not hold back the six before it, nor be sent again and again.
await page.evaluate(() => new Promise((res, rej) => {
  const r = indexedDB.open('ankang-check');
  r.onsuccess = () => {
    const st = r.result.transaction('scans', 'readwrite').objectStore('scans');
    const q = st.getAll();
    q.onsuccess = () => {
      const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
      st.add({ id: hex, account: q.result[0].account, cti: null, time: Math.floor(Date.now() / 1000) + 86400, result: 'malformed', sig: null });
      st.transaction.oncomplete = () => res();
      st.transaction.onerror = () => rej(st.transaction.error);
    };
  };
}));

// Back online: uploaded, and in the residents' own access lists.
await ctx.setOffline(false);
await page.waitForFunction(() => /^Online\./.test(document.querySelector('#conn').textContent)
  && !/waiting to upload/.test(document.querySelector('#conn').textContent), null, { timeout: 20000 });
h.ok(true, 'back online, the offline checks are uploaded');
h.ok(/refused to record: 1\. This device's clock may be wrong/.test(await page.locator('#conn').textContent()),
  'the one check the service refused is reported in words, not left waiting');
await h.axe(page, 'online, one check refused');
await h.shot(page, 'check-phone-scan-refused');
const offA = (await h.api('GET', '/v1/me/accesses?action=verify_offline', A.token)).json.accesses;
h.is(offA.length, 4, "resident A's accesses show the four offline checks");
h.ok(offA.every((a) => a.result === 'valid' && a.actor === VERIFIER_LABEL && a.actor_role === 'verifier'),
  'as verify_offline, valid, by the checkpoint');
const offB = (await h.api('GET', '/v1/me/accesses?action=verify_offline', B.token)).json.accesses;
h.ok(offB.length === 1 && offB[0].result === 'revoked', "resident B's accesses show the offline check, revoked");
h.is(await page.evaluate(() => new Promise((res) => {
  const r = indexedDB.open('ankang-check');
  r.onsuccess = () => {
    const q = r.result.transaction('scans').objectStore('scans').getAll();
    q.onsuccess = () => res(q.result.map((x) => x.refused || 'waiting').join(','));
  };
})), 'bad_field', 'the page keeps only the refused check, marked with the service\'s reason');

// ------------------------------------------------ 401, key change, sign-out
await page.evaluate(() => localStorage.setItem('ankang.verifier.token', `aka_${'Z'.repeat(43)}`));
await typeCode(page, codeA2 + ' ');
await page.getByRole('heading', { name: 'Sign in this device' }).waitFor();
h.ok((await page.locator('#signin-notice').textContent()).includes('Your sign-in has ended'),
  'a 401 sends the device back to sign-in, with a plain message');
h.ok(await page.evaluate(() => localStorage.getItem('ankang.verifier.token') === null), 'and forgets the token');
await h.shot(page, 'check-phone-signed-out-401');

const pinned = await page.evaluate(() => localStorage.getItem('ankang.check.root'));
await page.evaluate(() => localStorage.setItem('ankang.check.root',
  'ankang.test/root+00000000+AdgfIFToxVRuWg+y9JNXaRwMRD4OaXl3LC7Dj9SnXhSn'));
await tokenField.fill(verifier);
await signInButton.click();
await page.getByRole('heading', { name: 'Stop: this device cannot check codes' }).waitFor();
h.ok(true, 'a root key that differs from the pinned one stops the device, loudly');
await h.axe(page, 'root key changed');
await h.shot(page, 'check-phone-keychanged');
await page.evaluate((k) => localStorage.setItem('ankang.check.root', k), pinned);
await page.reload();
await page.getByRole('heading', { name: 'Sign in this device' }).waitFor();
await tokenField.fill(verifier);
await signInButton.click();
await page.getByRole('heading', { name: 'Check health codes' }).waitFor();
await page.getByRole('button', { name: 'Sign out' }).click();
await page.getByRole('heading', { name: 'Sign in this device' }).waitFor();
h.ok((await page.locator('#signin-notice').textContent()).includes('You have signed out'), 'signing out says so');
h.ok(await page.evaluate(() => localStorage.getItem('ankang.verifier.token') === null), 'and the token is gone');
await ctx.close();

// ============================================================== desktop
const dctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
const desk = await h.page(browser, 'desktop', { context: dctx });
await desk.goto(`${url}/check`);
await desk.getByRole('heading', { name: '登录本设备' }).waitFor();
await h.axe(desk, 'desktop sign-in, Chinese');
await h.shot(desk, 'check-desktop-signin');
await desk.getByLabel('账户令牌').fill(verifier);
await desk.getByRole('button', { name: '登录' }).click();
await desk.getByRole('heading', { name: '查验健康码' }).waitFor();
await desk.waitForFunction(() => /名单更新于/.test(document.querySelector('#conn').textContent));
await h.axe(desk, 'desktop scanning, Chinese');
await h.shot(desk, 'check-desktop-scanning');
// The camera started by itself (the fake one may be used): its code first.
await waitTitle(desk, /^有效$/);
await desk.getByRole('button', { name: '关闭摄像头' }).click();
await desk.getByRole('button', { name: '查验下一个码' }).click();
h.ok(await desk.locator('#result').isHidden(), 'desktop: "check the next code" clears the answer');
await desk.getByLabel('健康码内容').fill(await codeOf(A));
await desk.getByLabel('健康码内容').press('Enter'); // as a USB scanner ends a code
await waitTitle(desk, /^有效$/);
p = await panel(desk);
h.ok(p.name === A.name && /绿码/.test(p.text), 'desktop, Chinese: Enter in the field checks the code: 有效, the name, 绿码');
await h.axe(desk, 'desktop valid, Chinese');
await h.shot(desk, 'check-desktop-valid');
await desk.getByLabel('健康码内容').fill(codeB);
await desk.getByLabel('健康码内容').press('Enter');
await waitTitle(desk, /^拒绝/);
p = await panel(desk);
h.ok(!p.greenSeen && !p.statusAlone, 'desktop, Chinese: the changed holder\'s code is 拒绝, nothing green');
await h.axe(desk, 'desktop refused, Chinese');
await h.shot(desk, 'check-desktop-refused');
await desk.getByRole('button', { name: 'Switch language to English' }).click();
h.is((await panel(desk)).title, 'REFUSED: Status has changed', 'the result is redrawn in the other language');
await dctx.setOffline(true);
await desk.waitForFunction(() => /^Offline, lists from/.test(document.querySelector('#conn').textContent));
await h.axe(desk, 'desktop offline');
await h.shot(desk, 'check-desktop-offline');
const codeA3 = await codeOf(A);
await typeCode(desk, codeA3);
await waitTitle(desk, /^VALID$/);
h.ok(/waiting to upload: 1\./.test(await desk.locator('#conn').textContent()), 'desktop offline: one check waits to upload');
// Signing out with checks not uploaded asks first.
await desk.getByRole('button', { name: 'Sign out' }).click();
await desk.getByRole('button', { name: 'Sign out anyway' }).waitFor();
h.ok(/have not reached the service yet: 1\./.test(await desk.locator('#signout-confirm').textContent()),
  'signing out with a check not uploaded: the page says so and asks');
await h.axe(desk, 'desktop, sign-out with checks not uploaded');
await h.shot(desk, 'check-desktop-signout-pending');
await desk.getByRole('button', { name: 'Stay signed in' }).click();
// Lists older than ankang-verify's staleness rule (600 s): no offline check.
await desk.clock.setFixedTime(Date.now() + 11 * 60 * 1000);
await typeCode(desk, await codeOf(A));
await waitTitle(desk, /^CANNOT CHECK$/);
p = await panel(desk);
h.ok(/more than 10 minutes ago/.test(p.text) && !p.greenSeen, 'offline with lists 11 minutes old: CANNOT CHECK, nothing green');
h.ok(/too old to check codes/.test(await desk.locator('#conn').textContent())
  && /waiting to upload: 1\./.test(await desk.locator('#conn').textContent()), 'the status line says the lists are too old; nothing was queued');
await h.axe(desk, 'desktop offline, lists too old');
await h.shot(desk, 'check-desktop-offline-stale');
await dctx.setOffline(false);
await desk.waitForFunction(() => /^Online\./.test(document.querySelector('#conn').textContent)
  && !/waiting to upload/.test(document.querySelector('#conn').textContent), null, { timeout: 20000 });
h.is((await h.api('GET', '/v1/me/accesses?action=verify_offline', A.token)).json.accesses.length, 5,
  'back online, the desktop\'s offline check reached the resident too');
await desk.getByRole('button', { name: 'Sign out' }).click();
await desk.getByRole('heading', { name: 'Sign in this device' }).waitFor();
h.ok(true, 'with nothing left to upload, signing out asks nothing');
await dctx.close();

h.noProblems('no console error, page error or CSP violation beyond the provoked ones', [
  /status of 40[13]/, // the refused tokens, on purpose
  /status of 400/, // the scan from a clock a day ahead, on purpose
  /ERR_INTERNET_DISCONNECTED/, // the network, cut on purpose
]);
await h.done();
