#!/usr/bin/env node
// The resident page's proof when the service names witnesses (GET /v1/keys
// "witnesses" and "witness_quorum"; docs/API.md, "Witness cosigning"):
//
// With real witnesses: ankangd serve --witness ... --witness-quorum 2 and
// two test witnesses (tests/helpers/test_witness serve, C2SP
// tlog-witness), the page proves an entry from the public tiles against
// the cosigned /log/checkpoint and says 2 independent witnesses confirmed
// the log; the witness list and quorum are pinned with the keys; the note
// with one cosignature byte changed (Playwright's page.route) is not
// proven; the service restarted with one witness and a quorum of one is
// shown as loudly as a changed key, and nothing is proven.
//
// Then on a service without witnesses, given witnesses by the test (its
// /v1/keys names keys made here and /log/checkpoint carries their
// cosignature/v1 lines over the service's own signed checkpoint): one
// cosignature short of the quorum, a line by another key under a listed
// name, a bad line by a witness not listed (ignored), a witness added
// (pinned), one dropped, the quorum lowered and raised.
//
// In both languages, axe-core in every state, screenshots to look at.
// Names, ID numbers and passphrases are made up and never printed; the
// restarted service has a new port (port 0), so this device's storage is
// carried to it, as the same phone would keep it.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { harness, gbId, sleep, TOP } from './lib/harness.mjs';
import { signedMessage } from '../../service/web/src/lib/cosig.js';

const h = await harness('witnesses');
await h.init();
const HELPERS = [process.env.ANKANG_HELPERS, join(h.bin, '../tests/helpers'), join(TOP, 'build/tests/helpers')]
  .find((d) => d && existsSync(join(d, 'test_witness')));
if (!HELPERS) h.bail('tests/helpers/test_witness not built (make tests)');
const TW = join(HELPERS, 'test_witness');
const LOG_VKEY = readFileSync(join(h.data, 'public/log.vkey'), 'utf8').trim();

// Test witnesses, each a process on a port of its own, stopped on exit.
const witnessProcs = [];
process.on('exit', () => {
  for (const w of witnessProcs) if (w.exitCode === null) w.kill('SIGKILL');
});
async function testWitness(i) {
  const key = join(h.T, `w${i}.key`);
  const vkey = execFileSync(TW, ['keygen', '--key', key, '--name', `witness.test/w${i}`], { encoding: 'utf8' }).trim();
  const portFile = join(h.T, `w${i}.port`);
  rmSync(portFile, { force: true });
  const proc = spawn(TW, ['serve', '--key', key, '--state', join(h.T, `w${i}.state`), '--port-file', portFile,
    '--log', LOG_VKEY], { stdio: ['ignore', 'ignore', 'ignore'] });
  witnessProcs.push(proc);
  for (let k = 0; k < 400 && !(existsSync(portFile) && readFileSync(portFile, 'utf8').trim()); k++) {
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  if (!existsSync(portFile)) h.bail(`test_witness ${i} did not start`);
  return { vkey, url: `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}` };
}
const REAL1 = await testWitness(1);
const REAL2 = await testWitness(2);
const AUDITOR = h.account('auditor', 'inspector-1');
let url = await h.serve(['--quiet', '--witness', `${REAL1.vkey}@${REAL1.url}`, '--witness', `${REAL2.vkey}@${REAL2.url}`,
  '--witness-quorum', '2']);

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
let phone = await h.page(browser, 'phone', { locale: 'en-GB' });
const simulate = async () => phone.route('**/v1/keys', async (route) => {
  const res = await route.fetch();
  await route.fulfill({ response: res, json: { ...(await res.json()), ...named } });
}).then(() => phone.route('**/log/checkpoint', async (route) => {
  const res = await route.fetch();
  const note = await res.text();
  const lines = cosigners.map((w) => w.cosign(note, { corrupt: w === corrupt })).join('');
  await route.fulfill({ response: res, body: note + lines });
}));

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
const acc = () => view(phone, 'accesses');
const first = () => acc().locator('#accesses-list li').last(); // the enrolment: in the log first
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

// ------------------------------------------------------------- real witnesses
await openAccesses();
h.ok(/^Proven: this entry is in the log of \d+ entries that the log key signed, and 2 independent witnesses have confirmed that log\.$/
  .test(await prove()), 'ankangd with two test witnesses, quorum 2: proven from the tiles, "2 independent witnesses"');
let p = await pins();
h.ok(p && p.witnesses.join() === [REAL1.vkey, REAL2.vkey].join() && p.quorum === 2,
  'the witnesses and the quorum are pinned with the keys');
await shots(phone, 'proven');
await inLang(phone, 'zh-CN');
h.ok(/2 个独立见证机构确认/.test(await text(phone, '#accesses-list li:last-child .proof')), 'in Chinese too');
await inLang(phone, 'en');
await acc().locator('details.explain summary').click();
h.ok(/other organisations have each checked and signed the same log/.test(await text(phone, 'details.explain')),
  'what "confirmed by independent witnesses" means, in plain words');
await shots(phone, 'explained');

// The auditors' dashboard names the witnesses that cosigned, each checked.
const desk = await h.page(browser, 'desktop', { locale: 'en-GB' });
await desk.goto(`${url}/audit`);
await desk.getByLabel('Account token').fill(AUDITOR);
await desk.getByRole('button', { name: 'Sign in' }).click();
const logBox = desk.locator('#log-status');
await logBox.getByRole('heading', { name: 'Witnesses' }).waitFor();
h.ok(await logBox.getByText(/^Cosigned by 2 of the 2 witnesses the service names \(2 needed\)/).isVisible(),
  "the auditors' dashboard: cosigned by 2 of 2 witnesses, 2 needed");
const witnessItems = await logBox.locator('ul.witnesses li').allInnerTexts();
h.ok(witnessItems.length === 2 && /^witness\.test\/w1: cosignature checked \(signed /.test(witnessItems[0]) &&
  /^witness\.test\/w2: cosignature checked/.test(witnessItems[1]), 'each witness by name, its cosignature checked, in words');
for (const lang of ['en', 'zh-CN']) {
  await inLang(desk, lang);
  await desk.locator('#log-h').scrollIntoViewIfNeeded();
  await h.shot(desk, `witnesses-desktop-audit-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
  await h.axe(desk, `auditors' dashboard with witnesses, ${lang}`);
}
h.ok(/个见证机构中有 2 个联署了这个检查点/.test(await logBox.innerText()), 'and in Chinese');
await desk.context().close();

// One byte of the second witness's cosignature changed on the way.
await phone.route('**/log/checkpoint', async (route) => {
  const res = await route.fetch();
  const lines = (await res.text()).split('\n');
  const at = lines.findIndex((l) => l.startsWith('\u2014 witness.test/w2 '));
  if (at >= 0) {
    const sp = lines[at].lastIndexOf(' ');
    const sig = Buffer.from(lines[at].slice(sp + 1), 'base64');
    sig[40] ^= 1;
    lines[at] = lines[at].slice(0, sp + 1) + sig.toString('base64');
  }
  await route.fulfill({ response: res, body: lines.join('\n') });
});
h.ok(/^Not proven: a witness's signature on the log is not right/.test(await prove()),
  "a witness's cosignature with a byte changed: not proven, in its own words");
await shots(phone, 'bad-cosignature');
await phone.unroute('**/log/checkpoint');

// The service restarted with one witness and a quorum of one.
const storage = await phone.evaluate(() => JSON.stringify(localStorage));
await h.stop();
url = await h.serve(['--quiet', '--witness', `${REAL1.vkey}@${REAL1.url}`, '--witness-quorum', '1']);
await phone.goto(`${url}/`);
await phone.evaluate((s) => {
  for (const [k, v] of Object.entries(JSON.parse(s))) localStorage.setItem(k, v);
}, storage);
await openAccesses();
h.ok(/^Not proven: the service now names fewer independent witnesses/.test(await prove()),
  'restarted with one witness of the two pinned: not proven');
await phone.waitForSelector('#keys-warning:not([hidden])');
h.ok(/Warning: since this device first saw it, the service has dropped independent witnesses/
  .test(await text(phone, '#keys-warning')), 'and a loud warning, as for a changed key');
await shots(phone, 'witness-dropped');
p = await pins();
h.ok(p && p.witnesses.length === 2 && p.quorum === 2, 'the pin is kept as it was');

// ------------------------------------------------------------- given witnesses
await h.stop();
url = await h.serve(['--quiet']);
await phone.context().close();
phone = await h.page(browser, 'phone', { locale: 'en-GB' });
await simulate();

await openAccesses();
h.ok(/2 independent witnesses have confirmed that log\.$/.test(await prove()), 'given two witnesses of a quorum of two: proven');
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
h.ok(await phone.locator('#keys-warning').isVisible(), 'and the warning');
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
