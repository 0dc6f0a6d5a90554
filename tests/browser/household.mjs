#!/usr/bin/env node
// The resident page's household (docs/API.md, "Household"), as a guardian
// and a member use it, on a phone, in both languages, against a real
// ankangd:
//
//   the guardian adds a child through the form (fields and relation radio
//   buttons found by their labels; an empty form names its problems, each
//   linked to its field), and an adult who never enrolled (pending: no
//   "show" for them yet); on the code view, the switch names "Me" and the
//   child; one tap shows the child's code, and the page says whose code it
//   is in words, in large type; the QR on the screen is the child's
//   (zbarimg + ankang-verify: the child's full name); one tap back shows
//   mine. An officer confirms the adult; the adult enrols (claiming the
//   record), logs in on another phone, sees the guardian under "People
//   who can show my code" and the display in their accesses, and
//   withdraws; the guardian's switch no longer offers them. The guardian
//   removes the child. axe-core in every state; screenshots in
//   build/artefacts/browser/household-*.png.
//
// Names, ID numbers and passphrases are made up, compared and never
// printed.
import { execFileSync } from 'node:child_process';
import { harness, gbId } from './lib/harness.mjs';

const h = await harness('household');
await h.init();
const url = await h.serve(['--code-ttl', '60', '--quiet']);
const OFFICER = h.account('officer', 'officer.hefei.9');

const G_NAME = '王监护';
const G_ID = gbId('34010219800101311');
const G_PASS = 'guardian of the plum tree';
const K_NAME = '王小宝';
const K_MASKED = '王*宝';
const K_ID = gbId('34010220190505312'); // born 2019: a child
const A_NAME = 'Test Grandma Li';
const A_MASKED = 'T*i';
const A_ID = gbId('34010219500303313');
const A_PASS = 'grandma passphrase';

const browser = await h.browser();
const phone = await h.page(browser, 'phone', { locale: 'en-GB' });

const view = (page, name) => page.locator(`section[data-view="${name}"]`);
const text = async (page, sel) => ((await page.locator(sel).textContent()) || '').trim();
async function inLang(page, lang) {
  if ((await page.getAttribute('html', 'lang')) !== lang) await page.locator('#lang').click();
}
async function shots(page, state, label = state) {
  const start = await page.getAttribute('html', 'lang');
  for (const lang of [start, start === 'en' ? 'zh-CN' : 'en']) {
    await inLang(page, lang);
    await h.shot(page, `household-phone-${state}-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
    await h.axe(page, `${label}, ${lang}`);
  }
  await inLang(page, start);
}
const until = h.until;
function scanAndVerify(file) {
  let raw = '';
  try {
    raw = execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return {};
  }
  let out;
  try {
    out = execFileSync(`${h.bin}/ankang-verify`, ['--dir', `${h.data}/public`, '--no-spool', '--json', raw],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = e.stdout;
  }
  try {
    return JSON.parse(out);
  } catch {
    return {};
  }
}
async function login(page, id, pass) {
  await page.goto(`${url}/`);
  const start = view(page, 'start');
  await start.getByLabel('ID-card number').fill(id);
  await start.getByLabel('Passphrase', { exact: true }).fill(pass);
  await start.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('section[data-view="code"]:not([hidden]) #code-qr[src^="blob:"]', { timeout: 15000 });
}

// ------------------------------------------------------- the guardian
let r = await h.api('POST', '/v1/enroll', null, { name: G_NAME, id_number: G_ID, passphrase: G_PASS });
h.is(r.status, 201, 'the guardian enrols');
await login(phone, G_ID, G_PASS);
// Filled once the household is read: a request of its own, beside the code's.
await until('whose code the view says', async () => (await text(phone, '#code-whose')) !== '');
h.is(await text(phone, '#code-whose'), 'This is your own code', 'the code view says whose code it is');
h.ok(await phone.locator('#whose-switch').isHidden(), 'with no household, no switch');

await view(phone, 'code').getByRole('link', { name: /My household/ }).click();
const hh = view(phone, 'household');
await hh.waitFor();
await until('the household lists', async () => (await phone.locator('#household-none').isVisible()) &&
  (await phone.locator('#guardians-none').isVisible()));
h.ok(true, 'the household view: nobody yet, and nobody can show my code');
await shots(phone, 'empty', 'household, empty');

await hh.getByRole('button', { name: 'Add this person' }).click();
const links = await phone.locator('#household-errors a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
h.is(links.join(' '), '#hh-name #hh-id #hh-relation', 'an empty form: name, ID number and relation named, linked');
h.is(await phone.getAttribute('#hh-relation', 'aria-invalid'), 'true', 'the relation is marked invalid');
await shots(phone, 'add-errors', 'household, empty form');

await hh.getByLabel('Their name, as on their ID card').fill(K_NAME);
await hh.getByLabel('Their ID-card number').fill(K_ID);
await hh.getByRole('radio', { name: 'Child' }).check();
await hh.getByRole('button', { name: 'Add this person' }).click();
await until('the child in the list', async () => (await phone.locator('#household-members li').count()) === 1);
h.ok(/is added\. You can show their code now\./.test(await text(phone, '#household-done')), 'the child is added, active');
h.is(await text(phone, '#household-members .household-name'), K_MASKED, 'listed with the name masked');
h.ok(await phone.locator('#household-errors').isHidden(), 'the error summary is gone');

await hh.getByLabel('Their name, as on their ID card').fill(A_NAME);
await hh.getByLabel('Their ID-card number').fill(A_ID);
await hh.getByRole('radio', { name: 'Parent' }).check();
await hh.getByRole('button', { name: 'Add this person' }).click();
await until('the parent in the list', async () => (await phone.locator('#household-members li').count()) === 2);
h.ok(/waits for their consent/.test(await text(phone, '#household-done')), 'an adult who never enrolled: waits for consent');
const second = phone.locator('#household-members li').nth(1);
h.ok(/Waiting for their consent/.test((await second.textContent()) || ''), 'the list says so in words');
h.is(await second.getByRole('button', { name: 'Show their code' }).count(), 0, 'no "show" for a pending member');
const body = await phone.evaluate(() => document.body.innerText + JSON.stringify(localStorage));
h.ok(!body.includes(K_NAME) && !body.includes(K_ID) && !body.includes(A_NAME) && !body.includes(A_ID),
  'no full name or ID number on the page or in the browser');
await shots(phone, 'members', 'household, two members');

// ------------------------------------------------------- the switch
await phone.goto(`${url}/#code`);
await phone.waitForSelector('#whose-switch:not([hidden])', { timeout: 10000 });
const options = await phone.locator('#whose-options label').allTextContents();
h.is(options.join(' | '), `Me | ${K_MASKED} (Child)`, 'the switch offers me and the active child only');
h.ok(await phone.getByRole('radio', { name: 'Me' }).isChecked(), 'my own code first');
await phone.getByRole('radio', { name: `${K_MASKED} (Child)` }).check();
await until('the child\'s code', async () => (await text(phone, '#code-name')) === K_MASKED);
h.is(await text(phone, '#code-whose'), `This is the code of ${K_MASKED} (Child), not yours`,
  "one tap: the child's code, and the page says so in words");
const size = await phone.locator('#code-whose').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
h.ok(size >= 24, `in large type (${size} px)`);
await h.imageShown(phone, '#code-qr', "the child's QR image");
const v = scanAndVerify(await h.shot(phone.locator('#code-qr'), 'household-phone-qr-child'));
h.ok(v.result === 'valid' && v.name === K_NAME, "the QR on the screen is the child's valid code");
const store = await phone.evaluate(() => localStorage.getItem('ankang.resident.code') || '');
h.ok(!store.includes(K_MASKED), "the child's code is not kept in the browser");
await shots(phone, 'child-code', "the child's code");
await phone.getByRole('radio', { name: 'Me' }).check();
await until('my code', async () => (await text(phone, '#code-whose')) === 'This is your own code');
h.ok(true, 'one tap back: my own code, said so');

// ------------------------------------------------------- the adult's side
r = await h.api('GET', '/v1/household/pending', OFFICER);
const link = r.json && r.json.links && r.json.links[0] && r.json.links[0].link;
r = await h.api('POST', `/v1/household/${link}/confirm`, OFFICER, { purpose: 'household_consent' });
h.is(r.status, 200, 'an officer confirms the adult');
r = await h.api('POST', '/v1/enroll', null, { name: A_NAME, id_number: A_ID, passphrase: A_PASS });
h.is(r.status, 201, 'the adult enrols, claiming the record');

// The guardian shows the adult's code once (the switch now offers them).
await phone.goto(`${url}/`);
await phone.goto(`${url}/#household`);
await until('two active', async () => (await phone.locator('#household-members').getByRole('button', { name: 'Show their code' }).count()) === 2);
await phone.locator('#household-members li').nth(1).getByRole('button', { name: 'Show their code' }).click();
await until("the adult's code", async () => (await text(phone, '#code-name')) === A_MASKED);
h.is(await text(phone, '#code-whose'), `This is the code of ${A_MASKED} (Parent), not yours`,
  '"Show their code" opens the code view on that member');

const gran = await h.page(browser, 'phone', { locale: 'en-GB' });
await login(gran, A_ID, A_PASS);
await gran.goto(`${url}/#household`);
await until('one guardian', async () => (await gran.locator('#guardians-list li').count()) === 1);
h.ok(/Added you as: Parent\. They can show your code\./.test(await text(gran, '#guardians-list li')),
  'the member sees who can show their code, in words');
await shots(gran, 'guardians', 'people who can show my code');
await gran.goto(`${url}/#accesses`);
await until('the display in the accesses', async () => /Someone in your household/.test(await text(gran, '#accesses-list')));
h.ok(true, "the member's accesses name the household display");
await gran.goto(`${url}/#household`);
await until('one guardian', async () => (await gran.locator('#guardians-list li').count()) === 1);
await gran.getByRole('button', { name: 'Stop them showing my code' }).click();
await until('no guardian', async () => gran.locator('#guardians-none').isVisible());
h.ok(/can no longer show your code/.test(await text(gran, '#household-done')), 'the member withdraws, and the page says so');

// The guardian's next code for the adult is refused: back to mine.
await phone.evaluate(() => window.dispatchEvent(new Event('online')));
await until('back to my code', async () => /can no longer be shown|your own code/.test(await text(phone, '#code-whose')));
h.ok(true, "the guardian's page gives up the withdrawn member's code");
await phone.goto(`${url}/`);
await phone.goto(`${url}/#household`);
await until('one member left', async () => (await phone.locator('#household-members li').count()) === 1);
await phone.getByRole('button', { name: 'Remove from my household' }).click();
await until('nobody left', async () => phone.locator('#household-none').isVisible());
h.ok(/is removed/.test(await text(phone, '#household-done')), 'the guardian removes the child');
await shots(phone, 'removed', 'household, after removal');

await h.done();
