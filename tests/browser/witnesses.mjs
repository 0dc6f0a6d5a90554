#!/usr/bin/env node
// The resident page's proof when the service names witnesses (GET /v1/keys
// "witnesses" and "witness_quorum"), against a real ankangd whose answers
// are given witnesses here: /v1/keys names keys made in this test and
// /log/checkpoint carries their cosignature/v1 lines, made here over the
// service's own signed checkpoint (Playwright's page.route). The proof
// itself is the page's, from the real tiles:
//
//   - a quorum of 2 met: proven, "2 independent witnesses", and the list
//     and quorum pinned with the keys;
//   - one cosignature short of the quorum: not proven, in its own words;
//   - a listed witness's cosignature corrupted: not proven, in its own
//     words; one by a witness not listed is ignored;
//   - a witness added: proven, and pinned; then, after a reload, a pinned
//     witness dropped, or the quorum lowered, is shown as loudly as a
//     changed key, and nothing is proven.
//
// In both languages, axe-core in every state, screenshots to look at.
// Names, ID numbers and passphrases are made up and never printed.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { harness, gbId, sleep } from './lib/harness.mjs';
import { signedMessage } from '../../service/web/src/lib/cosig.js';

const h = await harness('witnesses');
await h.init();
const url = await h.serve(['--quiet']);

const ID = gbId('34010219880808123');
const PASS = 'willow by the west lake';
const enrolled = await h.api('POST', '/v1/enroll', null, { name: '王见证', id_number: ID, passphrase: PASS });
h.is(enrolled.status, 201, 'a resident enrols (through the API)');

// Witnesses made here: a cosigner key (type 0x04) and cosignature lines.
function witness(name) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.of(4), pub]))
    .digest().subarray(0, 4);
  return {
    name,
    vkey: `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.of(4), pub]).toString('base64')}`,
    cosign(note, { corrupt = false } = {}) {
      const text = note.slice(0, note.indexOf('\n\n') + 1);
      const time = 1700000000n;
      const ts = Buffer.alloc(8);
      ts.writeBigUInt64BE(time);
      const sig = sign(null, signedMessage(text, time), privateKey);
      if (corrupt) sig[10] ^= 1;
      return `\u2014 ${name} ${Buffer.concat([id, ts, sig]).toString('base64')}\n`;
    },
  };
}
const W1 = witness('witness.one.example/w');
const W2 = witness('witness.two.example/w');
const W3 = witness('witness.three.example/w');
const STRANGER = witness('witness.two.example/w'); // W2's name, another key

// What the routes answer: the witnesses named and who cosigns.
let named = { witnesses: [W1.vkey, W2.vkey], witness_quorum: 2 };
let cosigners = [W1, W2];
let corrupt = null;

const browser = await h.browser();
const phone = await h.page(browser, 'phone', { locale: 'en-GB' });
await phone.route('**/v1/keys', async (route) => {
  const res = await route.fetch();
  await route.fulfill({ response: res, json: { ...(await res.json()), ...named } });
});
await phone.route('**/log/checkpoint', async (route) => {
  const res = await route.fetch();
  const note = await res.text();
  const lines = cosigners.map((w) => w.cosign(note, { corrupt: w === corrupt })).join('');
  await route.fulfill({ response: res, body: note + lines });
});

const view = (page, name) => page.locator(`section[data-view="${name}"]`);
const text = async (page, sel) => ((await page.locator(sel).textContent()) || '').trim();
async function inLang(page, lang) {
  if ((await page.getAttribute('html', 'lang')) !== lang) await page.locator('#lang').click();
}
async function shots(page, state) {
  for (const lang of ['en', 'zh-CN']) {
    await inLang(page, lang);
    await h.shot(page, `witnesses-phone-${state}-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
    await h.axe(page, `witnesses: ${state}, ${lang}`);
  }
  await inLang(page, 'en');
}
const acc = view(phone, 'accesses');
const first = () => acc.locator('#accesses-list li').last(); // the enrolment: in the log first
async function prove() {
  const li = first();
  for (let k = 0; k < 40; k++) {
    await li.getByRole('button', { name: 'Check this is in the log' }).click();
    await phone.waitForFunction((el) => !/Checking/.test(el.querySelector('.proof').textContent), await li.elementHandle());
    const said = (await li.locator('.proof').textContent()) || '';
    if (!/Not yet/.test(said)) return said;
    await sleep(300);
  }
  return (await li.locator('.proof').textContent()) || '';
}
async function openAccesses() {
  await phone.goto(`${url}/`);
  if (await view(phone, 'start').isVisible()) {
    await view(phone, 'start').getByLabel('ID-card number').fill(ID);
    await view(phone, 'start').getByLabel('Passphrase', { exact: true }).fill(PASS);
    await view(phone, 'start').getByLabel('Passphrase', { exact: true }).press('Enter');
  }
  await phone.waitForSelector('section[data-view="code"]:not([hidden])', { timeout: 15000 });
  await view(phone, 'code').getByRole('link', { name: /Who has checked my code/ }).click();
  await phone.waitForFunction(() => document.querySelectorAll('#accesses-list li').length > 0);
}
const pins = () => phone.evaluate(() => JSON.parse(localStorage.getItem('ankang.resident.pins')));

// ------------------------------------------------------------- quorum met
await openAccesses();
h.ok(/^Proven: this entry is in the log of \d+ entries that the log key signed, and 2 independent witnesses have confirmed that log\.$/
  .test(await prove()), 'two witnesses of a quorum of two cosigned: proven, and said so');
let p = await pins();
h.ok(p && p.witnesses.join() === [W1.vkey, W2.vkey].join() && p.quorum === 2,
  'the witnesses and the quorum are pinned with the keys');
await shots(phone, 'proven');
await inLang(phone, 'zh-CN');
h.ok(/2 个独立见证机构确认/.test(await text(phone, '#accesses-list li:last-child .proof')), 'in Chinese too');
await inLang(phone, 'en');
await acc.locator('details.explain summary').click();
h.ok(/other organisations have each checked and signed the same log/.test(await text(phone, 'details.explain')),
  'what "confirmed by independent witnesses" means, in plain words');
await shots(phone, 'explained');

// ------------------------------------------------------------- not enough, or bad
cosigners = [W1];
h.ok(/^Not proven: the log has not been confirmed by enough independent witnesses/.test(await prove()),
  'one cosignature where two are needed: not proven, in its own words');
cosigners = [W1, STRANGER];
h.ok(/^Not proven: the log has not been confirmed by enough/.test(await prove()),
  'a cosignature by another key under a listed name does not count');
cosigners = [W1, W2];
corrupt = W2;
h.ok(/^Not proven: a witness's signature on the log is not right/.test(await prove()),
  "a listed witness's cosignature corrupted: not proven");
await shots(phone, 'bad-cosignature');
corrupt = W3;
cosigners = [W1, W2, W3];
h.ok(/2 independent witnesses/.test(await prove()), 'a bad line by a witness not listed is ignored');
corrupt = null;

// ------------------------------------------------------------- the list changes
named = { witnesses: [W1.vkey, W2.vkey, W3.vkey], witness_quorum: 2 };
await openAccesses();
h.ok(/3 independent witnesses/.test(await prove()), 'a witness added: proven by three');
p = await pins();
h.is(p && p.witnesses.length, 3, 'and the added witness is pinned');

named = { witnesses: [W1.vkey, W3.vkey], witness_quorum: 2 };
cosigners = [W1, W3];
await openAccesses();
h.ok(/^Not proven: the service now names fewer independent witnesses/.test(await prove()),
  'a pinned witness dropped: not proven');
await phone.waitForSelector('#keys-warning:not([hidden])');
h.ok(/Warning: since this device first saw it, the service has dropped independent witnesses/.test(await text(phone, '#keys-warning')),
  'and a loud warning, as for a changed key');
await shots(phone, 'witness-dropped');
p = await pins();
h.is(p && p.witnesses.length, 3, 'the pin is kept as it was');

named = { witnesses: [W1.vkey, W2.vkey, W3.vkey], witness_quorum: 1 };
cosigners = [W1, W2, W3];
await openAccesses();
h.ok(/^Not proven: the service now names fewer/.test(await prove()) &&
  await phone.locator('#keys-warning').isVisible(), 'the quorum lowered: not proven, with the warning');

named = { witnesses: [W1.vkey, W2.vkey, W3.vkey], witness_quorum: 3 };
await openAccesses();
h.ok(/3 independent witnesses/.test(await prove()) && await phone.locator('#keys-warning').isHidden(),
  'the quorum raised: proven, no warning');
h.is((await pins()).quorum, 3, 'and the higher quorum is pinned');

h.noProblems('no console errors, CSP violations or tokens in URLs');
await h.done();
