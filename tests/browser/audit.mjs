#!/usr/bin/env node
// The auditor's dashboard (/audit) in chromium, against a real ankangd
// with a log planted through the real writer (helper audit_append):
//   - sign-in: a labelled token field, errors summarised and linked, a
//     verifier's token refused, an auditor's accepted;
//   - the checkpoint checked in the page (the page says so in words), the
//     log key's fingerprint as the test computes it from public/log.vkey,
//     the root-signed trust list naming it;
//   - the plots: uPlot canvases with the data drawn, a summary in words,
//     a legend in words and the numbers as a table that add up to the
//     report's count;
//   - the anomaly report in words (look-ups without purpose, a denied
//     burst);
//   - entries filtered by action, result, actor and time range show only
//     those (compared with the API's own answer), paging both ways;
//   - new leaves: "Check again" checks a consistency proof and moves on;
//   - the log rewritten underneath it (server stopped, triggers dropped,
//     history truncated and re-signed with the log key as an operator
//     could, then grown past the old size): on reload a loud warning names
//     the two sizes, stays until acknowledged, and the checkpoint seen
//     before is kept; then a rollback (a smaller size) warns too;
//   - sign-out, and a token the service refuses (401) sends the auditor
//     back to sign-in with a plain message;
//   - axe in every state, both languages, phone and desktop screenshots.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP, gbId, harness } from './lib/harness.mjs';

const h = await harness('audit');
const HELPERS = [process.env.ANKANG_HELPERS, join(h.bin, '../tests/helpers'), join(TOP, 'build/tests/helpers')]
  .filter(Boolean).find((d) => existsSync(join(d, 'audit_append')) && existsSync(join(d, 'resign')));
if (!HELPERS) h.bail('tests/helpers/{audit_append,resign} not built (make tests)');
const helper = (name, args, input) =>
  execFileSync(join(HELPERS, name), args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
const sql = (q) => h.sql(q);

await h.init();
const auditor = h.account('auditor', 'audit-desk'); // account 1
const verifierToken = h.account('verifier', 'gate-1'); // 2
h.account('verifier', 'gate-2'); // 3
h.account('officer', 'district-7'); // 4

// Planted leaves over the last 20 hours: scans by both verifiers, a burst
// of twelve denied log-ins by gate-2, four look-ups by district-7 (two
// without a purpose).
const now = Date.now();
const HOUR = 3600000;
const hex = (n) => n.toString(16).padStart(32, '0');
const leaves = [];
for (let i = 0; i < 300; i++) {
  leaves.push([now - 20 * HOUR + i * 200000,
    `verifier:${2 + (i % 2)} verify ${hex(i + 1)} ${hex(i + 5000)} ${i % 17 ? 'valid green' : 'revoked -'}`]);
}
for (let i = 0; i < 12; i++) leaves.push([now - 5 * HOUR + i * 2000, 'verifier:3 login - - denied -']);
for (let i = 0; i < 4; i++)
  leaves.push([now - 3 * HOUR + i * 60000, `officer:4 lookup ${hex(900 + i)} - ok ${i < 2 ? '-' : 'epidemiological_investigation'}`]);
leaves.sort((a, b) => a[0] - b[0]);
const plant = (rows) => Number(helper('audit_append', ['--data', h.data], rows.map(([ms, rest]) => `ankang/v1 ${ms} ${rest}\n`).join('')));
h.is(plant(leaves), leaves.length, `audit_append planted ${leaves.length} leaves through the writer`);

const url = await h.serve();
const port = new URL(url).port;
const api = (path) => h.api('GET', path, auditor);

// The fingerprint as the page should show it: SHA-256 of the 32-byte key.
const logVkey = readFileSync(join(h.data, 'public/log.vkey'), 'utf8').trim();
const pub = Buffer.from(logVkey.split('+').slice(2).join('+'), 'base64').subarray(1);
const fingerprint = createHash('sha256').update(pub).digest('hex').match(/.{4}/g).join(' ');

async function checkpointSize() {
  const r = await api('/v1/audit/checkpoint');
  return Number(r.text.split('\n')[1]);
}
async function waitSize(want) {
  for (let i = 0; i < 100; i++) {
    if ((await checkpointSize()) >= want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const logSize = Number(sql('SELECT count(*) FROM log_leaves'));
await waitSize(logSize);
const sizeA = await checkpointSize();
h.is(sizeA, logSize, `the service signed a checkpoint of all ${logSize} leaves`);

const browser = await h.browser();
const desk = await h.page(browser, 'desktop', { timezoneId: 'UTC' });
const phone = await h.page(browser, 'phone', { timezoneId: 'UTC' });
const both = [['desktop', desk], ['phone', phone]];
// Desktop states as whole pages; a phone's as the screen shows them.
const shot = (page, size, state, full = size === 'desktop' && state !== 'dashboard') =>
  h.shot(page, `audit-${size}-${state}`, { fullPage: full });
async function shotAt(page, size, id, state) {
  await page.evaluate((id) => document.getElementById(id).scrollIntoView(), id);
  await shot(page, size, state, false);
  await page.evaluate(() => window.scrollTo(0, 0));
}

// ---------------------------------------------------------------- sign-in
for (const [size, page] of both) {
  await page.goto(`${url}/audit`);
  await page.getByRole('heading', { level: 1, name: 'Sign in to the audit log' }).waitFor();
  await h.axe(page, `sign-in (${size})`);
  await shot(page, size, 'signin');
}
await desk.getByRole('button', { name: 'Sign in' }).click();
const summary = desk.locator('#signin-errors');
await summary.getByRole('link', { name: 'Enter your account token' }).waitFor();
h.ok(await summary.isVisible(), 'an empty token: the error summary at the top names the problem');
h.is(await desk.getByLabel('Account token').getAttribute('aria-invalid'), 'true', 'and the field is marked invalid');
await summary.getByRole('link').click();
h.ok(await desk.getByLabel('Account token').evaluate((e) => e === document.activeElement),
  "the summary's link moves to the token field");
await h.axe(desk, 'sign-in error');
await shot(desk, 'desktop', 'signin-error');
await desk.getByLabel('Account token').fill(verifierToken);
await desk.getByRole('button', { name: 'Sign in' }).click();
await summary.getByText("This token is not an auditor's").waitFor();
h.ok(true, "a verifier's token is refused: not an auditor's");

for (const [, page] of both) {
  await page.getByLabel('Account token').fill(auditor);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit dashboard' }).waitFor();
}
h.ok(true, "an auditor's token opens the dashboard");

// ------------------------------------------------------------- checkpoint
const logBox = desk.locator('#log-status');
await logBox.getByText('Signature checked: this checkpoint is signed by the log key ankang.test/audit.').waitFor();
h.ok(true, 'the page says in words that the checkpoint signature was checked');
h.ok((await logBox.innerText()).includes(sizeA.toLocaleString('en')), `it shows the checkpoint's size, ${sizeA}`);
h.ok(await logBox.getByText('This is the first checkpoint of this log this browser has seen').isVisible(),
  'the first visit says the checkpoint is now the one kept');
h.is(await logBox.locator('.fingerprint').first().innerText(), fingerprint,
  "the log key's fingerprint is SHA-256 of public/log.vkey's key");
h.ok(await logBox.getByText('The trust list, signed by the pinned root key, names this key as the log key.').isVisible(),
  'the root-signed trust list names the pinned log key');
const seen = await desk.evaluate(() => JSON.parse(localStorage.getItem('ankang.audit.seen')));
h.is(seen && seen.size, String(sizeA), 'the checkpoint seen is kept in localStorage with its size');
h.ok(seen && /^[A-Za-z0-9+/]{43}=$/.test(seen.root) && seen.seenAt > 0, '... its root and when it was seen');

// ------------------------------------------------------------------ plots
await desk.locator('#plot-actors-h').waitFor();
const report = (await api(`/v1/audit/report?since=${now - 24 * HOUR - 60000}`)).json;
for (const id of ['plot-actions', 'plot-results', 'plot-actors']) {
  const drawn = await desk.evaluate((id) => {
    const c = document.querySelector(`[data-plot="${id}"] canvas`);
    if (!c || !c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; // pixels of the first series' colour, #1d4f91
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 29) + Math.abs(d[i + 1] - 79) + Math.abs(d[i + 2] - 145) < 30) n++;
    return n;
  }, id);
  h.ok(drawn > 200, `${id}: a uPlot canvas with its data drawn (${drawn > 200 ? 'many' : drawn} pixels of the first series)`);
}
const actions = desk.locator('section.plot', { has: desk.getByRole('heading', { name: 'Accesses per hour, by action' }) });
h.ok(/^\d[\d,]* entries from the hour beginning .* The busiest hour began at .* The most common action: Code checked online, 300 entries\.$/
  .test(await actions.locator('.plot-summary').innerText()), 'the actions plot has a summary in words');
h.ok(await actions.getByRole('list', { name: 'Key' }).getByText('Code checked online: blue solid line, filled dots').isVisible(),
  'and a legend in words: colour, line pattern and marker');
h.is(await desk.getByRole('img', { name: /^Accesses per hour, by action\./ }).count(), 1, 'the canvas has a text alternative');
await actions.getByText('Show the numbers as a table').click();
const sum = await actions.locator('tbody tr').evaluateAll((rows) =>
  rows.reduce((s, r) => s + [...r.querySelectorAll('td')].reduce((t, c) => t + Number(c.textContent.replace(/,/g, '')), 0), 0));
h.is(sum, report.entries, "the actions table adds up to the report's entries for the period");
const actors = desk.locator('section.plot', { has: desk.getByRole('heading', { name: 'Most active actors' }) });
h.ok((await actors.locator('.plot-summary').innerText()).startsWith('The most active: gate-2 (Verifier 3) with 162 entries'),
  'the most active actor is named by its account name, with its count');
await h.axe(desk, 'dashboard, tables open');

// ----------------------------------------------------------------- report
const rep = desk.locator('#report-out');
await rep.getByText('2 look-ups of a resident without a stated purpose.').waitFor();
h.ok(true, 'the report says: 2 look-ups without a purpose');
h.ok(await rep.getByText('2 bursts of denied attempts (10 or more within 60 seconds).').isVisible(),
  'and 2 bursts of denied attempts (all actors together, and gate-2)');
h.ok(await rep.getByText(/^gate-2 \(Verifier 3\): 12 denied/).isVisible(), '... by gate-2, named');
h.ok(await rep.locator('.flag.clear').filter({ hasText: 'No officer changed far more statuses than the others' }).isVisible(),
  'a rule that found nothing says so');

for (const [size, page] of both) {
  await page.locator('#plot-actors-h').waitFor();
  await h.axe(page, `dashboard (${size})`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, size, 'dashboard');
  if (size === 'desktop') await shot(page, size, 'dashboard-full');
  await shotAt(page, size, 'activity', 'plots');
  await shotAt(page, size, 'plot-actors-h', 'plot-actors');
  await shotAt(page, size, 'report', 'report');
}

// ---------------------------------------------------------------- entries
const table = desk.locator('#entries-table');
const status = desk.locator('#entries-status');
async function rows() {
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
}
async function filter(fill) {
  await fill();
  await desk.evaluate(() => { document.querySelector('#entries-status').textContent = ''; });
  await desk.getByRole('button', { name: 'Show entries' }).click();
  await desk.waitForFunction(() => /^(Page|No entries)/.test(document.querySelector('#entries-status').textContent));
  return rows();
}
await status.getByText(/^Page 1: 25 entries/).waitFor();
let r = await rows();
h.is(r.length, 25, 'the first page holds 25 entries');
h.is(Number(r[0][1]), sizeA - 1, 'newest first');

r = await filter(() => desk.getByLabel('Action', { exact: true }).selectOption({ label: 'Resident looked up' }));
h.ok(r.length === 4 && r.every((c) => c[3] === 'Resident looked up'), 'action=lookup: only the 4 look-ups');
h.ok(/^Page 1: 4 entries/.test(await status.innerText()), 'and the count is announced (aria-live)');
h.is(await status.getAttribute('aria-live'), 'polite', 'in a polite live region');
r = await filter(async () => {
  await desk.getByLabel('Action', { exact: true }).selectOption('');
  await desk.getByLabel('Result', { exact: true }).selectOption({ label: 'Denied' });
});
h.ok(r.length === 12 && r.every((c) => c[4] === 'Denied'), 'result=denied: only the 12 denied entries');
r = await filter(async () => {
  await desk.getByLabel('Result', { exact: true }).selectOption('');
  await desk.getByLabel('Actor', { exact: true }).selectOption({ label: 'district-7 (Officer 4)' });
});
h.ok(r.length === 4 && r.every((c) => c[2] === 'district-7 (Officer 4)'), "actor=officer:4: only district-7's entries, by name");
r = await filter(async () => {
  await desk.getByLabel('Actor', { exact: true }).selectOption({ label: 'gate-2 (Verifier 3)' });
  await desk.getByLabel('Result', { exact: true }).selectOption({ label: 'Valid' });
});
const want = (await api('/v1/audit/entries?actor=verifier:3&result=valid&order=desc&limit=25')).json.entries.map((e) => String(e.index));
h.is(r.map((c) => c[1]).join(','), want.join(','), 'actor and result together: the same entries as the API');
await h.axe(desk, 'entries filtered');
await shotAt(desk, 'desktop', 'entries', 'entries-filtered');
await shotAt(phone, 'phone', 'entries-status', 'entries');

// A time range, in the browser's time zone (UTC here).
const local = (ms) => new Date(ms).toISOString().slice(0, 16);
const since = Math.ceil((now - 6 * HOUR) / 60000) * 60000;
const until = since + 2 * HOUR;
r = await filter(async () => {
  await desk.getByRole('button', { name: 'Clear the filter' }).click();
  await desk.getByLabel('From', { exact: true }).fill(local(since));
  await desk.getByLabel('Until', { exact: true }).fill(local(until));
});
const inRange = (await api(`/v1/audit/entries?since=${since}&until=${until}&order=desc&limit=25`)).json.entries.map((e) => String(e.index));
h.ok(r.length > 0 && r.map((c) => c[1]).join(',') === inRange.join(','), 'a time range: the entries the API gives for it');
await desk.getByLabel('From', { exact: true }).fill(local(until));
await desk.getByLabel('Until', { exact: true }).fill(local(since));
await desk.getByRole('button', { name: 'Show entries' }).click();
await desk.locator('#filter-errors').getByRole('link', { name: '‘Until’ must be after ‘From’' }).waitFor();
h.ok(true, "'Until' before 'From': the error summary says so, linked to the field");
await h.axe(desk, 'entries filter error');

await desk.getByRole('button', { name: 'Clear the filter' }).click();
r = await filter(() => {});
h.ok(await desk.getByRole('button', { name: 'Newer entries' }).isDisabled(), 'page 1: no newer page');
const page1 = r.map((c) => Number(c[1]));
await desk.getByRole('button', { name: 'Older entries' }).click();
await status.getByText(/^Page 2: 25 entries/).waitFor();
const page2 = (await rows()).map((c) => Number(c[1]));
h.is(page2[0], page1[24] - 1, 'Older entries: page 2 goes on just below page 1');
await desk.getByRole('button', { name: 'Newer entries' }).click();
await status.getByText(/^Page 1: 25 entries/).waitFor();
h.is((await rows())[0][1], String(page1[0]), 'Newer entries: back to page 1');

// --------------------------------------------------- the log grows: proof
for (let i = 0; i < 3; i++)
  await h.api('POST', '/v1/login', null, { id_number: gbId(`11010519900101${100 + i}`), passphrase: 'not the right one at all' });
const grown = Number(sql('SELECT count(*) FROM log_leaves'));
await waitSize(grown);
const sizeB = await checkpointSize();
h.ok(sizeB > sizeA, 'failed log-ins grew the log');
await desk.getByRole('button', { name: 'Check again' }).click();
await logBox.getByText(`Consistent with the checkpoint of ${sizeA.toLocaleString('en')} entries`).waitFor();
h.ok((await logBox.innerText()).includes(`grown since, by ${sizeB - sizeA} entries`),
  `Check again: a consistency proof from ${sizeA} to ${sizeB} checked in the page`);
const seenB = await desk.evaluate(() => JSON.parse(localStorage.getItem('ankang.audit.seen')).size);
h.is(seenB, String(sizeB), 'the browser now keeps the grown checkpoint');
await phone.reload();
await phone.locator('#log-status').getByText('Consistent with the checkpoint').waitFor();

// ------------------------------------------------ history rewritten: alarm
// As an operator with the keys could: the server stopped, the triggers
// dropped, everything from leaf M on deleted with the checkpoints that
// cover it, the mark of verified leaves reset so the service rehashes it
// all, a checkpoint of size M signed with the log key (helper resign),
// then other history appended past the old size through the real writer.
async function rewrite(keep, extra) {
  await h.stop();
  const triggers = sql("SELECT group_concat('DROP TRIGGER ' || name || ';', ' ') FROM sqlite_master WHERE type = 'trigger'");
  sql(`${triggers} DELETE FROM log_leaves WHERE idx >= ${keep}; DELETE FROM log_checkpoints WHERE size >= ${keep};
    UPDATE log_verified SET upto = 0;`);
  h.is(helper('resign', ['--data', h.data]), String(keep), `the log cut to ${keep} leaves and re-signed with the log key`);
  if (extra > 0) {
    const t0 = Date.now();
    const other = Array.from({ length: extra }, (_, i) => [t0 + i, `verifier:2 verify ${hex(70000 + i)} ${hex(80000 + i)} valid green`]);
    h.is(plant(other), extra, `${extra} other leaves written past the old size`);
  }
  await h.serve(['--listen', `127.0.0.1:${port}`]);
  h.is(new URL(h.url).port, port, 'the service is back on the same address');
  return checkpointSize();
}
const sizeC = await rewrite(sizeA - 20, 60);
h.ok(sizeC > sizeB, `the new signed checkpoint (${sizeC}) is larger than the one seen (${sizeB})`);

const alarmOn = (page) => page.locator('#alarms .alarm');
for (const [size, page] of both) {
  await page.reload();
  const alarm = alarmOn(page);
  await alarm.getByRole('heading', { name: 'Warning: the audit log has been rewritten' }).waitFor();
  const words = await alarm.innerText();
  h.ok(words.includes(`signed checkpoint of ${sizeB.toLocaleString('en')} entries`) && words.includes(`${sizeC.toLocaleString('en')} entries that is not consistent`),
    `${size}: on reload, a loud warning names both sizes (${sizeB} and ${sizeC})`);
  h.is(await alarm.getAttribute('role'), 'alert', `${size}: said at once to a screen reader (role=alert)`);
  h.ok((await page.title()).startsWith('Warning:'), `${size}: the page's title starts with the warning`);
  await h.axe(page, `rewritten log warning (${size})`);
  await shot(page, size, 'warning-rewritten');
}
h.is(await desk.evaluate(() => JSON.parse(localStorage.getItem('ankang.audit.seen')).size), String(sizeB),
  'the seen checkpoint is not replaced by the inconsistent one');
// The check has ended, its alarms drawn, once it has read the checkpoint
// and the button it turned off while it ran is on again.
const checkpointRead = desk.waitForResponse((res) => res.url().endsWith('/v1/audit/checkpoint'));
await desk.getByRole('button', { name: 'Check again' }).click();
await checkpointRead;
await h.until('the check to end', () => desk.locator('#refresh').isEnabled());
h.is(await alarmOn(desk).count(), 1, 'checking again raises no second warning for the same checkpoints');
await desk.reload();
await alarmOn(desk).first().waitFor();
h.is(await alarmOn(desk).count(), 1, 'the warning stays across reloads until acknowledged');
await desk.getByRole('button', { name: 'I have noted this warning' }).click();
h.is(await alarmOn(desk).count(), 0, 'acknowledged: the loud warning goes');
await logBox.getByText(/^You noted the warning on /).waitFor();
h.ok(await logBox.getByText(`Not consistent with the checkpoint of ${sizeB.toLocaleString('en')} entries`).isVisible(),
  'and the log section still says the log is not consistent with the one seen');
await desk.reload();
await logBox.getByText(/^You noted the warning on /).waitFor();
h.is(await alarmOn(desk).count(), 0, 'after a reload the acknowledged warning does not come back');
await h.axe(desk, 'warning acknowledged');
await shot(desk, 'desktop', 'warning-acknowledged');

// --------------------------------------------------------------- rollback
const sizeD = await rewrite(sizeA - 40, 0);
h.ok(sizeD < sizeB, `the log now signed at ${sizeD}, smaller than the ${sizeB} seen`);
for (const [size, page] of both) {
  await page.reload();
  const alarm = alarmOn(page).filter({ has: page.getByRole('heading', { name: 'Warning: the audit log has gone back' }) });
  await alarm.waitFor();
  h.ok((await alarm.innerText()).includes(`signed checkpoint of ${sizeB.toLocaleString('en')} entries. The service now shows one of only ${sizeD.toLocaleString('en')} entries`),
    `${size}: a rollback warns, naming ${sizeB} and ${sizeD}`);
  await h.axe(page, `rollback warning (${size})`);
  await shot(page, size, 'warning-rollback');
}
h.is(await desk.evaluate(() => JSON.parse(localStorage.getItem('ankang.audit.seen')).size), String(sizeB),
  'the seen checkpoint is still the one of before');

// ------------------------------------------------------------- Chinese
await phone.getByRole('button', { name: '切换为中文' }).click();
await phone.getByRole('heading', { level: 1, name: '审计面板' }).waitFor();
await phone.getByRole('heading', { name: '警告：审计日志被回退' }).waitFor();
h.ok(await phone.locator('#log-status').getByText(/^签名已核验/).isVisible(), 'in Chinese: the signature check said in Chinese');
await phone.locator('#plot-actors-h').waitFor();
await h.axe(phone, 'dashboard in Chinese');
await shot(phone, 'phone', 'zh-dashboard');
await shotAt(phone, 'phone', 'log', 'zh-log');
await shotAt(phone, 'phone', 'activity', 'zh-plots');
await shotAt(phone, 'phone', 'report', 'zh-report');
await phone.getByRole('button', { name: 'Switch language to English' }).click();

// ----------------------------------------------- sign-out; a refused token
await desk.getByRole('button', { name: 'Sign out' }).click();
await desk.getByText('You have signed out. This browser no longer keeps your token.').waitFor();
h.is(await desk.evaluate(() => localStorage.getItem('ankang.auditor.token')), null, 'sign-out forgets the token');
await phone.evaluate(() => localStorage.setItem('ankang.auditor.token', 'aka_thisisnotatokenthisservicegave'));
await phone.reload();
await phone.getByText('You were signed out: the service no longer accepts your token. Sign in again.').waitFor();
h.ok(await phone.getByRole('heading', { level: 1, name: 'Sign in to the audit log' }).isVisible(),
  'a 401 sends the auditor back to sign-in, with a plain message');
await h.axe(phone, 'signed out after a 401');
await shot(phone, 'phone', 'signin-ended');

h.noProblems('no console error, page error or CSP violation beyond the refused tokens',
  [/status of 40[13]/]);
await h.done();
