#!/usr/bin/env node
// The resident page (/), as a resident uses it, on a phone and a desktop,
// in both languages, against a real ankangd with 30-second codes:
//
//   enrol through the page (fields found by their labels), with the
//   errors named next to their fields (a wrong check digit, an ID number
//   already enrolled, a wrong passphrase, too many tries and how long to
//   wait); the QR code on the screen, screenshotted and decoded with
//   zbarimg, is valid for ankang-verify; an officer turns the resident red
//   and the page shows red at its next refresh, which comes before the
//   code expires and without a reload, while the old code is revoked; the
//   accesses list names the checkpoint and the officer, pages back to the
//   enrolment, and proves an entry in the log with WebCrypto from the
//   public hash tiles and checkpoint, with no proof API and no token (and
//   says "not yet" for an entry no signed checkpoint covers, and fails a
//   tile that lies and a changed key); the status history; the printed
//   card; with the network cut, a reload still shows the last code with
//   its expiry and the offline notice, and the code is marked expired
//   once it is; log-out and erasure (after its confirmation) leave
//   nothing of the person in the browser. axe-core in every state.
//
// Names, ID numbers and passphrases are made up, compared and never
// printed.
import { execFileSync } from 'node:child_process';
import { harness, gbId, sleep } from './lib/harness.mjs';

const h = await harness('resident');
await h.init();
const TTL = 30; // the shortest code life ankangd serve allows
const url = await h.serve(['--code-ttl', String(TTL), '--quiet']);
const OFFICER = h.account('officer', 'officer.hefei.3');
const VERIFIER = h.account('verifier', 'gate-17');

const NAME = '张小三';
const MASKED = '张*三';
const ID = gbId('34010219800101123');
const PASS = 'plum blossom in the snow';
const STRANGER_ID = gbId('34010219900202456'); // never enrolled

// The same 17 digits with another check character: a typing slip.
const WRONG_CHECK = ID.slice(0, 17) + (ID[17] === '0' ? '1' : '0');

const browser = await h.browser();
const phone = await h.page(browser, 'phone', { locale: 'en-GB' });
const phoneCtx = phone.context();
const desk = await h.page(browser, 'desktop', { locale: 'zh-CN' });

const view = (page, name) => page.locator(`section[data-view="${name}"]`);
const text = async (page, sel) => ((await page.locator(sel).textContent()) || '').trim();
const langButton = (page) => page.locator('#lang');
async function inLang(page, lang) {
  if ((await page.getAttribute('html', 'lang')) !== lang) await langButton(page).click();
}
// Screenshots of one state in both languages; ends in the language it began.
async function shots(page, size, state, label = state) {
  const start = await page.getAttribute('html', 'lang');
  for (const lang of [start, start === 'en' ? 'zh-CN' : 'en']) {
    await inLang(page, lang);
    await h.shot(page, `resident-${size}-${state}-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
    await h.axe(page, `${label}, ${size}, ${lang}`);
  }
  await inLang(page, start);
}
const until = h.until;
const saved = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('ankang.resident.code')));

// The QR code as a person sees it: a screenshot, decoded by zbarimg, then
// checked by ankang-verify against the service's own signed lists.
async function scan(page, label) {
  await h.imageShown(page, '#code-qr', `the QR image (${label})`);
  const file = await h.shot(page.locator('#code-qr'), `resident-phone-qr-${label}`);
  let raw = '';
  try {
    raw = execFileSync('zbarimg', ['--raw', '-q', file],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* nothing decoded: raw stays empty */
  }
  return raw;
}
function verify(cred) {
  let out;
  try {
    out = execFileSync(`${h.bin}/ankang-verify`, ['--dir', `${h.data}/public`, '--no-spool', '--json', cred],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = e.stdout; // exit 1: not valid, still one JSON line
  }
  try {
    return JSON.parse(out);
  } catch {
    return {};
  }
}

// ------------------------------------------------------------- log in view
await phone.goto(`${url}/`);
h.ok(await view(phone, 'start').isVisible(), 'a new visitor sees the log-in view');
h.ok(await view(phone, 'start').getByLabel('ID-card number').isVisible() &&
  await view(phone, 'start').getByLabel('Passphrase', { exact: true }).isVisible(),
'the log-in form has labelled fields');
await shots(phone, 'phone', 'start', 'log in');

// ------------------------------------------------------------- enrolment errors
await view(phone, 'start').getByRole('link', { name: 'Enrol for a health code' }).click();
const enrol = view(phone, 'enrol');
await enrol.getByRole('button', { name: 'Enrol' }).click();
const summaryLinks = async (sel) => phone.locator(`${sel} a`).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
h.is((await summaryLinks('#enrol-errors')).join(' '), '#enrol-name #enrol-id #enrol-pass',
  'an empty form: the summary names the name, the ID number and the passphrase, linked to them');
await enrol.getByLabel('Full name').fill(NAME);
await enrol.getByLabel('ID-card number').fill(WRONG_CHECK);
await enrol.getByLabel('Choose a passphrase').fill(PASS);
await enrol.getByRole('button', { name: 'Enrol' }).click();
h.is((await summaryLinks('#enrol-errors')).join(' '), '#enrol-id', 'a wrong check character: one problem, on the ID number');
h.ok(/last character does not match/.test(await text(phone, '#enrol-errors')), 'the summary says the check character is wrong');
h.ok(/last character does not match/.test(await text(phone, '#enrol-id-error')), 'and so does the field');
h.is(await phone.getAttribute('#enrol-id', 'aria-invalid'), 'true', 'the field is marked invalid');
h.ok(/enrol-id-error/.test(await phone.getAttribute('#enrol-id', 'aria-describedby')), 'and its message is read with it');
await phone.locator('#enrol-errors a').click();
h.ok(await phone.evaluate(() => document.activeElement.id === 'enrol-id'), "the summary's link moves to the field");
h.ok(/^Error:/.test(await phone.title()), 'the title says there is an error');
await shots(phone, 'phone', 'enrol-error', 'enrol, wrong check digit');

// ------------------------------------------------------------- enrol, and the code
const loginPosts = [];
phone.on('request', (r) => {
  if (r.url().endsWith('/v1/login')) loginPosts.push(r);
});
await enrol.getByLabel('ID-card number').fill(ID);
await enrol.getByRole('button', { name: 'Enrol' }).click();
await phone.waitForSelector('section[data-view="code"]:not([hidden]) #code-qr[src^="blob:"]', { timeout: 15000 });
h.ok(true, 'enrolled and logged in: the code is shown');
h.is(loginPosts.length, 1, 'enrolment logs straight in');
h.is(await text(phone, '#code-status'), '绿码 Green code', 'the status in words, Chinese and English');
h.is(await text(phone, '#code-name'), MASKED, 'the name, masked');
const alt1 = await phone.getAttribute('#code-qr', 'alt');
h.ok(new RegExp(`^Health code for ${MASKED.replace('*', '\\*')}: green, valid until \\d\\d:\\d\\d$`).test(alt1),
  'the QR image has a text alternative with the name, status and expiry');
h.ok(/^Valid for \d+ s more, until \d\d:\d\d$/.test(await text(phone, '#code-expiry')), 'a countdown to the expiry');
h.ok(await phone.locator('#code-card').evaluate((e) => e.classList.contains('status-green')), 'the card is in the status colour');
const bodyText = await phone.evaluate(() => document.body.innerText);
const store = await phone.evaluate(() => JSON.stringify(localStorage));
h.ok(!bodyText.includes(NAME) && !store.includes(NAME), 'the full name is neither on the page nor kept in the browser');
h.ok(!store.includes(PASS) && !store.includes(ID), 'nor are the passphrase and the ID number');
const qrBox = await phone.locator('#code-qr').boundingBox();
h.ok(qrBox && qrBox.width >= 280, 'the QR is large on a phone (at least 280 of 360 px)');
const code1 = await saved(phone);
h.ok(code1 && code1.credential.startsWith('AK1:') && code1.svg.startsWith('<svg') && code1.name === MASKED &&
  code1.status === 'green', 'the last code is kept in localStorage (credential, SVG, masked name, status, expiry)');
await shots(phone, 'phone', 'code', 'the code');
// The narrowest phones: nothing wider than 320 px.
await phone.setViewportSize({ width: 320, height: 640 });
h.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 320), 'at 320 px nothing scrolls sideways');
await phone.setViewportSize({ width: 360, height: 640 });

const scanned1 = await scan(phone, 'green');
h.is(scanned1, code1.credential, 'zbarimg reads the code on the screen');
const v1 = verify(scanned1);
h.is(v1.result, 'valid', 'ankang-verify finds it valid');
h.is(v1.status, 'green', 'and green');
h.ok(v1.name === NAME, "and it carries the resident's full name");

// Reduced motion: the countdown bar does not glide.
h.is(await phone.locator('#code-bar').evaluate((e) => getComputedStyle(e).transitionDuration), '1s',
  'the countdown bar moves smoothly by default');
await phone.emulateMedia({ reducedMotion: 'reduce' });
h.is(await phone.locator('#code-bar').evaluate((e) => getComputedStyle(e).transitionDuration), '0s',
  'and not at all with prefers-reduced-motion');
await phone.emulateMedia({ reducedMotion: null });

// ------------------------------------------------------------- the desktop: errors at log-in
await desk.goto(`${url}/#enrol`);
const dEnrol = view(desk, 'enrol');
await dEnrol.getByLabel('姓名').fill(NAME);
await dEnrol.getByLabel('身份证号码').fill(ID);
await dEnrol.getByLabel('设置密码').fill(PASS);
await dEnrol.getByRole('button', { name: '登记' }).click();
await desk.waitForSelector('#enrol-errors:not([hidden])');
h.is((await desk.locator('#enrol-errors a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).join(' '),
  '#enrol-id', 'enrolling the same ID number again: the error is on the ID number');
h.ok(/已经登记/.test(await text(desk, '#enrol-errors')), 'and says, in Chinese, that it is already enrolled');
await shots(desk, 'desktop', 'enrol-duplicate', 'already enrolled');

await desk.goto(`${url}/`);
const dStart = view(desk, 'start');
await inLang(desk, 'en');
await dStart.getByLabel('ID-card number').fill(ID);
await dStart.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
await dStart.getByLabel('Passphrase', { exact: true }).press('Enter');
await desk.waitForSelector('#login-errors:not([hidden])');
h.is(await desk.locator('#login-errors a').getAttribute('href'), '#login-pass', 'a wrong passphrase: the error is on the passphrase');
h.ok(/do not match/.test(await text(desk, '#login-errors')), 'and says the two do not match');
await shots(desk, 'desktop', 'login-wrong', 'wrong passphrase');

// Too many tries: five failures on one ID number lock it for a minute.
const deskLogins = [];
desk.on('request', (r) => {
  if (r.url().endsWith('/v1/login')) deskLogins.push(r);
});
await dStart.getByLabel('ID-card number').fill(STRANGER_ID);
for (let i = 0; i < 6; i++) {
  await dStart.getByLabel('Passphrase', { exact: true }).fill(`wrong guess ${i}`);
  const answered = desk.waitForResponse((r) => r.url().endsWith('/v1/login'));
  await dStart.getByRole('button', { name: 'Log in' }).click();
  await answered;
}
await desk.waitForFunction(() => /Too many/.test(document.querySelector('#login-errors').textContent));
const locked = await text(desk, '#login-errors');
// The service answers the time left of its minute (Retry-After), which a
// slow machine has eaten into by the sixth try: "1 minute" or "58 seconds".
if (!h.ok(/Too many wrong tries/.test(locked) && /Wait (1 minute|[1-5]?[0-9] seconds?) /.test(locked) &&
  /until \d\d:\d\d/.test(locked), 'the sixth try: too many tries, wait up to a minute, and until when'))
  h.diag(`the page said: ${locked}`);
h.is(await desk.locator('#login-errors a').getAttribute('href'), '#login-id', 'linked to the ID number');
const sent = deskLogins.length;
await dStart.getByRole('button', { name: 'Log in' }).click();
await sleep(300);
h.is(deskLogins.length, sent, 'a try while locked is not sent (it would double the wait)');
await shots(desk, 'desktop', 'login-locked', 'too many tries');

// The real passphrase, with the keyboard.
await dStart.getByLabel('ID-card number').fill(ID);
await dStart.getByLabel('Passphrase', { exact: true }).fill(PASS);
await dStart.getByLabel('Passphrase', { exact: true }).press('Enter');
await desk.waitForSelector('section[data-view="code"]:not([hidden]) #code-qr[src^="blob:"]', { timeout: 15000 });
h.ok(await desk.locator('#login-errors').isHidden(), 'logged in on the desktop; the errors are gone');
await shots(desk, 'desktop', 'code', 'the code');

// ------------------------------------------------------------- an officer turns the resident red
const look = await h.api('POST', '/v1/lookup', OFFICER, { id_number: ID, purpose: 'status_correction' });
h.is(look.status, 200, 'the officer finds the resident');
await phone.evaluate(() => {
  window.notReloaded = true;
});
const before = await saved(phone);
const set = await h.api('PUT', `/v1/residents/${look.json.resident}/status`, OFFICER,
  { status: 'red', reason: 'close_contact' });
h.is(set.status, 200, 'and sets the status red');
// The page's next refresh comes a fifth of the code's life before it
// expires; it must bring red.
const redAt = await until('red on the phone', async () =>
  /红码/.test(await text(phone, '#code-status')) && Date.now(), (TTL + 10) * 1000, 250);
h.ok(redAt, 'the page shows red at its next refresh');
const after = await saved(phone);
h.ok(after.credential !== before.credential && after.status === 'red', 'with a new code');
h.ok(redAt < before.exp * 1000, 'fetched before the old code expired');
h.ok(await phone.evaluate(() => window.notReloaded === true), 'without a reload');
h.ok(await phone.locator('#code-card').evaluate((e) => e.classList.contains('status-red')), 'the card turns red');
h.is(await text(phone, '#code-status'), '红码 Red code', 'and says 红码 Red code');
const scanned2 = await scan(phone, 'red');
const v2 = verify(scanned2);
h.ok(v2.result === 'valid' && v2.status === 'red', 'the new code on the screen is valid and red');
const v1again = await until('the old code revoked', async () => {
  const r = verify(code1.credential);
  return r.result === 'revoked' && r;
}, 5000);
h.ok(v1again && v1again.result === 'revoked', 'the first code (a screenshot of it) is revoked');
await shots(phone, 'phone', 'code-red', 'red code');

// A checkpoint checks the code online: an entry in the resident's list.
const checked = await h.api('POST', '/v1/verify', VERIFIER, { credential: after.credential });
h.is(checked.json && checked.json.result, 'valid', 'a checkpoint checks the red code online');

// ------------------------------------------------------------- who has looked at my data
await phone.locator('section[data-view="code"]').getByRole('link', { name: /Who has checked my code/ }).click();
const acc = view(phone, 'accesses');
await phone.waitForFunction(() => document.querySelectorAll('#accesses-list li').length > 0);
const first = await phone.locator('#accesses-list li').evaluateAll((lis) => lis.map((li) => li.innerText));
h.is(first.length, 10, 'the newest ten entries first');
const indexes = await phone.locator('#accesses-list li dl > div:last-child dd').allTextContents();
h.ok(indexes.every((x, i) => i === 0 || Number(x) < Number(indexes[i - 1])), 'newest first');
const verifyItem = first.findIndex((s) => /checked \(online\)/.test(s));
h.ok(verifyItem >= 0 && /Checkpoint “gate-17”/.test(first[verifyItem]) && /Valid/.test(first[verifyItem]) &&
  /Red code/.test(first[verifyItem]), "the checkpoint's check: by whom, the result and the status it showed");
h.ok(first.some((s) => /looked up/.test(s) && /Health officer “officer.hefei.3”/.test(s) && /correcting a status/.test(s)),
  "the officer's look-up, with its purpose");
h.ok(first.some((s) => /status was set/.test(s) && /close contact/.test(s)), 'the status change, with its reason');
h.ok(first.every((s) => /When\s+[A-Z][a-z]+ \d{1,2}, \d{4}(,| at) \d\d:\d\d:\d\d/.test(s)), 'each with its time, the month in words');
h.ok(first.some((s) => /A log-in with your ID-card number failed/.test(s) && /Someone using your ID-card number/.test(s)),
  'the wrong passphrase typed on the desktop, as a failed log-in that may not have been the resident');

// Prove the checkpoint's entry in the log, in the page.
const proofCalls = [];
const tileCalls = [];
phone.on('request', (r) => {
  if (/\/v1\/audit\//.test(r.url())) proofCalls.push(r.url());
  if (/\/log\/tile\//.test(r.url())) tileCalls.push(r.url());
});
const proofOf = (i) => acc.locator('#accesses-list li').nth(i);
async function proveItem(i) {
  const li = proofOf(i);
  for (let k = 0; k < 20; k++) {
    await li.getByRole('button', { name: 'Check this is in the log' }).click();
    await phone.waitForFunction((el) => !/Checking/.test(el.querySelector('.proof').textContent),
      await li.elementHandle());
    const said = (await li.locator('.proof').textContent()) || '';
    if (!/Not yet/.test(said)) return said;
    await sleep(300);
  }
  return (await li.locator('.proof').textContent()) || '';
}
const proven = await proveItem(verifyItem);
h.ok(/^Proven: this entry is in the log of \d+ entries/.test(proven), 'the check proves it is in the log');
const pins = await phone.evaluate(() => JSON.parse(localStorage.getItem('ankang.resident.pins')));
const keys = (await h.api('GET', '/v1/keys')).json;
h.ok(pins && pins.root === keys.root && pins.log === keys.log, 'the root and log keys are pinned on first use');
await shots(phone, 'phone', 'accesses', 'accesses, proven');

h.ok(proofCalls.length === 0, 'the proof needs no proof API and no token: public tiles and checkpoint only');
h.ok(tileCalls.some((u) => /\/log\/tile\/0\/000\.p\/\d+$/.test(u)), 'the proof read the log\'s hash tiles');

// A tile that lies (every hash in it changed by a bit): not proven.
await phone.route('**/log/tile/0/**', async (route) => {
  const res = await route.fetch();
  const b = Buffer.from(await res.body());
  for (let k = 0; k < b.length; k += 32) b[k] ^= 1;
  await route.fulfill({ response: res, body: b });
});
const tampered = await proveItem(0);
h.ok(/^Not proven: the proof does not match/.test(tampered), 'a tile that lies: not proven');
await phone.unroute('**/log/tile/0/**');
h.ok(/^Proven/.test(await proveItem(0)), 'and with true tiles again, proven (the lying tile was not kept)');
// An entry newer than the newest signed checkpoint: not yet.
const oldCheckpoint = (await h.api('GET', '/log/checkpoint')).text;
const oldSize = Number(oldCheckpoint.split('\n')[1]);
const cut = await h.api('POST', '/v1/verify', VERIFIER, { credential: after.credential });
h.is(cut.status, 200, 'a second check of the code');
await phone.route('**/log/checkpoint', (route) => route.fulfill({
  status: 200, contentType: 'text/plain; charset=utf-8', body: oldCheckpoint,
}));
await acc.getByLabel('Show').selectOption('verify');
await phone.waitForFunction(() => document.querySelectorAll('#accesses-list li').length >= 2);
const newest = Number(await acc.locator('#accesses-list li').first().locator('dd').last().textContent());
h.ok(newest >= oldSize, 'the newest check is beyond the held-back checkpoint');
await acc.locator('#accesses-list li').first().getByRole('button', { name: 'Check this is in the log' }).click();
await phone.waitForFunction(() => /Not yet|Proven|Not proven/.test(document.querySelector('#accesses-list li .proof').textContent));
h.ok(/^Not yet in a signed checkpoint.*Try again in a moment/.test(await acc.locator('#accesses-list li .proof').first().textContent()),
  'an entry no signed checkpoint covers yet: "not yet, try again in a moment"');
await phone.unroute('**/log/checkpoint');
h.is(await acc.locator('#accesses-list li').count(), 2, 'the filter shows the checks only');

// Page back to the enrolment.
await acc.getByLabel('Show').selectOption('');
await phone.waitForFunction(() => document.querySelectorAll('#accesses-list li').length === 10);
for (let i = 0; i < 10 && (await acc.getByRole('button', { name: 'Show older entries' }).isVisible()); i++) {
  const n = await acc.locator('#accesses-list li').count();
  await acc.getByRole('button', { name: 'Show older entries' }).click();
  await phone.waitForFunction((m) => document.querySelectorAll('#accesses-list li').length > m ||
    !document.querySelector('#accesses-end').hidden, n);
}
h.ok(await acc.locator('#accesses-end').isVisible(), 'paging older entries reaches the start');
const all = await acc.locator('#accesses-list li .access-what').allTextContents();
h.ok(all.length > 10, `more than one page was shown (${all.length} entries)`);
h.is(all[all.length - 1], 'Enrolment', 'the oldest entry is the enrolment');
h.ok(await phone.evaluate(() => document.activeElement.classList.contains('access-what')),
  'after "show older", focus is on the first older entry');

// ------------------------------------------------------------- status history
await acc.getByRole('link', { name: 'Back to my code' }).click();
await phone.locator('section[data-view="code"]').getByRole('link', { name: 'My status history' }).click();
const hist = view(phone, 'history');
await phone.waitForFunction(() => document.querySelectorAll('#history-list li').length > 0);
const rows = await hist.locator('#history-list li').allInnerTexts();
h.is(rows.length, 1, 'one status change');
h.ok(/红码 Red code/.test(rows[0]) && /Reason: close contact/.test(rows[0]) && /Changed on/.test(rows[0]),
  'red, its reason and when, in words');
await shots(phone, 'phone', 'history', 'status history');
await hist.getByRole('link', { name: 'Back to my code' }).click();

// ------------------------------------------------------------- print
await phone.evaluate(() => {
  window.printed = 0;
  window.print = () => {
    window.printed++;
    // What the print dialog would take: the card's picture, decoded.
    const img = document.querySelector('#print-qr');
    window.printDecoded = img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');
  };
});
const beforePrint = (await saved(phone)).credential;
await phone.getByRole('button', { name: 'Print my code' }).click();
await phone.waitForFunction(() => window.printed === 1);
h.ok((await saved(phone)).credential !== beforePrint, 'printing gets a fresh code first');
h.ok(await phone.evaluate(() => window.printDecoded), "the fresh code's picture is decoded before the print dialog opens");
await phone.emulateMedia({ media: 'print' });
h.ok(await phone.locator('#print-card').isVisible(), 'print: the card shows');
h.ok(!(await phone.locator('header').isVisible()) && !(await phone.locator('#code-card').isVisible()) &&
  !(await phone.getByRole('button', { name: 'Log out', exact: true }).isVisible()), 'and nothing else of the page');
const card = await phone.locator('#print-card').innerText();
h.ok(/红码 Red code/.test(card) && card.includes(MASKED) && /Valid until/.test(card) && /checkpoint/.test(card),
  'the card: status in words, name, expiry and what to do');
await h.imageShown(phone, '#print-qr', "the print card's QR image");
h.ok(await phone.locator('#print-qr').evaluate((img) => img.complete && img.naturalWidth > 0), 'and the QR');
await h.shot(phone, 'resident-phone-print-en');
await phone.emulateMedia({ media: 'screen' });
await inLang(phone, 'zh-CN');
await phone.emulateMedia({ media: 'print' });
h.ok(/红码 Red code/.test(await phone.locator('#print-card').innerText()) &&
  /查验点/.test(await phone.locator('#print-card').innerText()), 'the card in Chinese');
await h.shot(phone, 'resident-phone-print-zh');
await phone.emulateMedia({ media: 'screen' });
await inLang(phone, 'en');

// ------------------------------------------------------------- no network
await phone.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10000 });
h.ok(true, 'the service worker keeps the page');
const lastOnline = await saved(phone);
await phoneCtx.setOffline(true);
const res = await phone.reload();
h.ok(res && res.fromServiceWorker(), 'offline, the reload is answered by the service worker');
await phone.waitForSelector('#code-qr[src^="blob:"]');
h.is(await text(phone, '#code-status'), '红码 Red code', 'the last code is shown after a reload with no network');
h.ok((await saved(phone)).credential === lastOnline.credential, 'the same code as before');
h.ok(/You are offline/.test(await text(phone, '#code-offline')), 'with the offline notice');
h.ok(/until \d\d:\d\d/.test(await text(phone, '#code-offline')) &&
  (/^Valid for/.test(await text(phone, '#code-expiry')) || /^Expired/.test(await text(phone, '#code-expiry'))),
'and its expiry');
await shots(phone, 'phone', 'offline', 'offline');
const expiredOk = await until('the code marked expired', () =>
  phone.locator('#code-card').evaluate((e) => e.classList.contains('expired')), (TTL + 5) * 1000, 500);
h.ok(expiredOk, 'once it expires, the code is marked expired');
h.ok(await phone.locator('#code-expired-mark').isVisible() && /已过期 Expired/.test(await text(phone, '#code-expired-mark')),
  'over the image, in both languages');
h.ok(/expired at \d\d:\d\d/.test(await phone.getAttribute('#code-qr', 'alt')), 'and in its text alternative');
h.ok(/^Expired at/.test(await text(phone, '#code-expiry')), 'and in the countdown');
await shots(phone, 'phone', 'expired', 'expired offline');
await phoneCtx.setOffline(false);
const back = await until('a new code once online', async () =>
  !(await phone.locator('#code-card').evaluate((e) => e.classList.contains('expired'))) &&
  (await phone.locator('#code-offline').isHidden()), 15000);
h.ok(back, 'back online: a new code, and the notice goes');

// ------------------------------------------------------------- keys that change
await desk.locator('section[data-view="code"]').getByRole('link', { name: /Who has checked my code/ }).click();
await desk.waitForFunction(() => document.querySelectorAll('#accesses-list li').length > 0);
const dAcc = view(desk, 'accesses');
await dAcc.locator('#accesses-list li').last().getByRole('button', { name: 'Check this is in the log' }).click();
await desk.waitForFunction(() => /Proven|Not/.test(document.querySelector('#accesses-list li:last-child .proof').textContent));
h.ok(/^Proven/.test(await dAcc.locator('#accesses-list li .proof').last().textContent()), 'the desktop proves an entry too (and pins the keys)');
await desk.route('**/v1/keys', async (route) => {
  const res2 = await route.fetch();
  const j = await res2.json();
  j.root = j.log; // another key than the one pinned
  await route.fulfill({ response: res2, json: j });
});
await desk.reload();
await desk.waitForFunction(() => document.querySelectorAll('#accesses-list li').length > 0);
await dAcc.locator('#accesses-list li').first().getByRole('button', { name: 'Check this is in the log' }).click();
await desk.waitForSelector('#keys-warning:not([hidden])');
h.ok(/Warning: the service's signing keys have changed/.test(await text(desk, '#keys-warning')),
  'a changed key: a loud warning');
h.is(await desk.getAttribute('#keys-warning', 'role'), 'alert', 'said at once to a screen reader');
h.ok(/^Not proven/.test(await dAcc.locator('#accesses-list li .proof').first().textContent()), 'and nothing is proven with it');
await shots(desk, 'desktop', 'keys-changed', 'changed key');
await desk.unroute('**/v1/keys');

// ------------------------------------------------------------- log out
await dAcc.getByRole('link', { name: 'Back to my code' }).click();
await desk.getByRole('button', { name: 'Log out', exact: true }).click();
await desk.waitForSelector('section[data-view="start"]:not([hidden])');
h.ok(/You have logged out/.test(await text(desk, '#start-notice')), 'log out: back to the log-in view, saying so');
h.ok(await desk.evaluate(() => localStorage.getItem('ankang.resident.token') === null &&
  localStorage.getItem('ankang.resident.code') === null), 'the token and the last code are gone from the browser');
await shots(desk, 'desktop', 'logged-out', 'logged out');

// Log in again, and out of every device: the phone's session ends too.
await dStart.getByLabel('ID-card number').fill(ID);
await dStart.getByLabel('Passphrase', { exact: true }).fill(PASS);
await dStart.getByRole('button', { name: 'Log in' }).click();
await desk.waitForSelector('section[data-view="code"]:not([hidden]) #code-qr[src^="blob:"]', { timeout: 15000 });
await desk.getByRole('button', { name: 'Log out on all my devices' }).click();
await desk.waitForSelector('section[data-view="start"]:not([hidden])');
h.ok(/logged out on all your devices/.test(await text(desk, '#start-notice')), 'log out everywhere: saying so');
await phone.getByRole('button', { name: 'Get a new code now' }).click();
await phone.waitForSelector('section[data-view="start"]:not([hidden])');
h.ok(/Your sign-in has ended/.test(await text(phone, '#start-notice')),
  'the phone, at its next call: the sign-in has ended, log in again');
h.ok(await phone.evaluate(() => localStorage.getItem('ankang.resident.token') === null &&
  localStorage.getItem('ankang.resident.code') === null), 'and its token and last code are gone');
await shots(phone, 'phone', 'signed-out', 'sign-in ended');
const pStart = view(phone, 'start');
await pStart.getByLabel('ID-card number').fill(ID);
await pStart.getByLabel('Passphrase', { exact: true }).fill(PASS);
await pStart.getByRole('button', { name: 'Log in' }).click();
await phone.waitForSelector('section[data-view="code"]:not([hidden]) #code-qr[src^="blob:"]', { timeout: 15000 });
h.ok(await phone.locator('#start-notice').isHidden(), 'the phone logs in again');

// ------------------------------------------------------------- erase
await phone.locator('section[data-view="code"]').getByRole('link', { name: 'Erase my data' }).click();
const er = view(phone, 'erase');
h.ok(/health code stops working at once/.test(await er.innerText()) && /cannot be undone/.test(await er.innerText()),
  'the confirmation says what erasure does, in plain words');
await er.getByRole('button', { name: 'Erase my data' }).click();
h.is(await phone.locator('#erase-errors a').getAttribute('href'), '#erase-confirm', 'not ticked: the error is on the box');
h.ok(await phone.evaluate(() => localStorage.getItem('ankang.resident.token') !== null), 'and nothing is erased');
await shots(phone, 'phone', 'erase', 'erase, not confirmed');
await er.getByLabel('I understand: erase my data now').check();
await er.getByRole('button', { name: 'Erase my data' }).click();
await phone.waitForSelector('section[data-view="erased"]:not([hidden])');
h.ok(true, 'erased after the confirmation');
h.ok(await phone.evaluate(() => localStorage.getItem('ankang.resident.token') === null &&
  localStorage.getItem('ankang.resident.code') === null), 'the token and the last code are gone from the browser');
const gone = await h.api('POST', '/v1/lookup', OFFICER, { id_number: ID, purpose: 'status_correction' });
h.is(gone.status, 404, 'the service no longer knows the ID number');
await shots(phone, 'phone', 'erased', 'erased');

// Expected console errors: the answers the test provoked (409, 401, 429,
// 400), the requests refused while offline.
h.noProblems('no console error, page error or CSP violation other than those provoked', [
  /Failed to load resource: the server responded with a status of (400|401|404|409|429)/,
  /Failed to load resource: net::ERR_INTERNET_DISCONNECTED/,
]);
await h.done();
