#!/usr/bin/env node
// My data on the resident page (/#mydata), as a resident uses it, against
// a real ankangd: the menu leads to a page that says what the file holds
// and that the download is recorded; its labelled button downloads
// ankang-export.json, which is this resident's export (their name and
// handle, their accesses); the download then shows in "who has seen my
// data"; with the network cut the page says so. In both languages, on a
// phone and a desktop, axe-core in every state.
//
// Names, ID numbers and passphrases are made up, compared and never
// printed.
import { readFileSync } from 'node:fs';
import { harness, gbId } from './lib/harness.mjs';

const h = await harness('mydata');
await h.init();
const url = await h.serve(['--quiet']);

const NAME = '李导出';
const ID = gbId('34010219850505123');
const PASS = 'osmanthus in the autumn rain';
const enrolled = await h.api('POST', '/v1/enroll', null, { name: NAME, id_number: ID, passphrase: PASS });
h.is(enrolled.status, 201, 'a resident enrols (through the API)');
const HANDLE = enrolled.json.resident;

const browser = await h.browser();
const phone = await h.page(browser, 'phone', { locale: 'en-GB' });
const view = (page, name) => page.locator(`section[data-view="${name}"]`);
const text = async (page, sel) => ((await page.locator(sel).textContent()) || '').trim();
async function inLang(page, lang) {
  if ((await page.getAttribute('html', 'lang')) !== lang) await page.locator('#lang').click();
}
async function shots(page, size, state) {
  const start = await page.getAttribute('html', 'lang');
  for (const lang of [start, start === 'en' ? 'zh-CN' : 'en']) {
    await inLang(page, lang);
    await h.shot(page, `mydata-${size}-${state}-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
    await h.axe(page, `my data: ${state}, ${size}, ${lang}`);
  }
  await inLang(page, start);
}
async function logIn(page) {
  await page.goto(`${url}/`);
  const start = view(page, 'start');
  await start.getByLabel(/ID-card number|身份证号码/).fill(ID);
  await start.getByLabel(/^(Passphrase|密码)$/).fill(PASS);
  await start.getByLabel(/^(Passphrase|密码)$/).press('Enter');
  await page.waitForSelector('section[data-view="code"]:not([hidden])', { timeout: 15000 });
}

// ------------------------------------------------------------- the page
await logIn(phone);
await phone.getByRole('link', { name: 'Download my data' }).click();
h.ok(await view(phone, 'mydata').isVisible(), 'the menu leads to the my-data view');
h.is(await phone.evaluate(() => location.hash), '#mydata', 'named in the URL (Back works)');
h.is(await text(phone, 'section[data-view="mydata"] h1'), 'Download my data', 'its heading');
h.ok(/^Download my data – /.test(await phone.title()), 'and the title says so');
const words = await text(phone, 'section[data-view="mydata"]');
h.ok(/ID-card number/.test(words) && /recorded/.test(words) && /do not download it on a device you share/.test(words),
  'it says what the file holds, that the download is recorded, and to keep it safe');
h.ok(await phone.getByRole('button', { name: 'Download my data (JSON file)' }).isVisible(),
  'a labelled button');
h.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing scrolls sideways on a phone');
await shots(phone, 'phone', 'ready');

// ------------------------------------------------------------- the download
const [download] = await Promise.all([
  phone.waitForEvent('download', { timeout: 15000 }),
  phone.getByRole('button', { name: 'Download my data (JSON file)' }).click(),
]);
h.is(download.suggestedFilename(), 'ankang-export.json', 'the browser saves ankang-export.json');
let doc = null;
try {
  doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
} catch {
  /* doc stays null */
}
h.ok(doc !== null, 'the file is JSON');
h.is(doc && doc.resident.handle, HANDLE, "it is this resident's export (their handle)");
h.ok(doc && doc.resident.name === NAME && doc.resident.id_number === ID,
  'with their name and ID number in full');
h.ok(doc && Array.isArray(doc.accesses) && doc.accesses.some((a) => a.action === 'login'),
  'and their accesses (their log-in among them)');
// The status says "preparing" while the request runs, then its outcome.
await h.until('the download said done', async () => /downloaded/.test(await text(phone, '#mydata-status')));
h.is(await text(phone, '#mydata-status'), 'Your file ankang-export.json has been downloaded.',
  'the page says the file was downloaded');
h.is(await phone.getAttribute('#mydata-status', 'role'), 'status', 'in a status region a screen reader reads');
const kept = await phone.evaluate(() => JSON.stringify(localStorage));
h.ok(!kept.includes(NAME) && !kept.includes(ID), 'nothing of the file is kept in the browser');
await shots(phone, 'phone', 'done');

// The download is an access like any other.
await phone.goto(`${url}/#accesses`);
await phone.waitForSelector('#accesses-list li', { timeout: 15000 });
h.ok(/You downloaded your data/.test(await text(phone, '#accesses-list li:first-child')),
  '"who has seen my data" lists the download first');

// ------------------------------------------------------------- offline
await phone.goto(`${url}/#mydata`);
await phone.waitForSelector('section[data-view="mydata"]:not([hidden])');
h.ok(await view(phone, 'mydata').locator('#mydata-status').isHidden(), 'coming back, no word is left from before');
await phone.context().setOffline(true);
await phone.getByRole('button', { name: 'Download my data (JSON file)' }).click();
await h.until('the download said failed', async () => /offline|network|connect/i.test(await text(phone, '#mydata-status')));
h.ok(/offline|network|connect/i.test(await text(phone, '#mydata-status')), 'with no network, the page says so');
await phone.context().setOffline(false);
h.noProblems('no console error, CSP violation or token in a URL (phone)',
  [/Failed to load resource/, /net::ERR_INTERNET_DISCONNECTED/]);

// ------------------------------------------------------------- Chinese, a desktop
const desk = await h.page(browser, 'desktop', { locale: 'zh-CN' });
await logIn(desk);
await inLang(desk, 'zh-CN');
await desk.getByRole('link', { name: '下载我的数据' }).click();
h.is(await text(desk, 'section[data-view="mydata"] h1'), '下载我的数据', 'in Chinese: the heading');
h.ok(await desk.getByRole('button', { name: '下载我的数据（JSON 文件）' }).isVisible(), 'in Chinese: the button');
await shots(desk, 'desktop', 'ready');
h.noProblems('no console error, CSP violation or token in a URL (desktop)');

await h.done();
