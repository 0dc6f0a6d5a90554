#!/usr/bin/env node
// Appeals in the pages, against a real ankangd:
//
//   the resident page's "Appeal my status" (phone, English and Chinese):
//   the reasons are labelled radio buttons, the text box has a label, a
//   hint and a counter that counts characters (not bytes); sending with
//   no reason, or with too long a text, names the problem at the top,
//   linked to its field; a sent appeal shows as waiting, with its due
//   time and the resident's own words, and the form gives way to a notice
//   (one open appeal at a time); once an officer upholds it, the page
//   shows the decision, why, and the officer's account label;
//
//   the auditors' dashboard (/audit) flags an appeal left unanswered past
//   a one-second --appeal-deadline, with the count for the team of the
//   officer who set the status.
//
// axe-core in every state; screenshots in build/artefacts/browser/.
// Names, ID numbers, passphrases and the appeal's text are made up,
// compared and never printed.
import { harness, gbId, sleep } from './lib/harness.mjs';

const h = await harness('appeals');
await h.init();
const url = await h.serve(['--appeal-deadline', '1', '--quiet']);
const OFFICER = h.run('ankangd', ['account', 'add', '--data', h.data, '--role', 'officer',
  '--name', 'desk-7', '--team', 'district-7']).trim();
const AUDITOR = h.account('auditor', 'inspector-1');

const NAME = '李申诉';
const ID = gbId('34010219850505321');
const PASS = 'a passphrase for appeals';
const TEXT = '我那天在家，没有去过风险地区。Zq7 words of the appeal';
const NAME2 = 'Test Overdue';
const ID2 = gbId('34010219750707654');

async function enrol(name, id) {
  const r = await h.api('POST', '/v1/enroll', null, { name, id_number: id, passphrase: PASS });
  h.is(r.status, 201, 'a resident enrols');
  return r.json.resident;
}
const RES = await enrol(NAME, ID);
let r = await h.api('PUT', `/v1/residents/${RES}/status`, OFFICER, { status: 'red', reason: 'close_contact' });
h.is(r.status, 200, 'desk-7 sets the resident red');

const browser = await h.browser();
const phone = await h.page(browser, 'phone', { locale: 'en-GB' });
const view = (name) => phone.locator(`section[data-view="${name}"]`);
const langButton = () => phone.locator('#lang');
async function inLang(lang) {
  if ((await phone.getAttribute('html', 'lang')) !== lang) await langButton().click();
}
async function shots(state, label) {
  for (const lang of ['en', 'zh-CN']) {
    await inLang(lang);
    await h.shot(phone, `appeals-phone-${state}-${lang === 'en' ? 'en' : 'zh'}`, { fullPage: true });
    await h.axe(phone, `${label}, ${lang}`);
  }
  await inLang('en');
}

// ------------------------------------------------------------------ log in
await phone.goto(`${url}/`);
await view('start').getByLabel('ID-card number').fill(ID);
await view('start').getByLabel('Passphrase', { exact: true }).fill(PASS);
await view('start').getByRole('button', { name: 'Log in' }).click();
await view('code').waitFor();
await view('code').getByRole('link', { name: 'Appeal my status' }).click();
const ap = view('appeals');
await ap.getByRole('heading', { level: 1, name: 'Appeal my status' }).waitFor();
await phone.locator('#appeal-none:not([hidden])').waitFor();
h.ok(true, 'the menu leads to "Appeal my status", which says there are no appeals yet');

const reasons = ['It is not me: I have been mistaken for someone else', 'I have a negative test result',
  'I was not in the risk area', 'I have finished my quarantine', 'Another reason'];
let labelled = true;
for (const name of reasons) labelled &&= await ap.getByRole('radio', { name }).isVisible();
h.ok(labelled, 'each reason is a radio button labelled in plain words');
h.ok(await ap.getByRole('group', { name: 'Why is your status wrong?' }).isVisible(),
  'grouped under their question (fieldset and legend)');
const box = ap.getByLabel('Tell the officer what happened (you may leave this empty)');
h.ok(await box.isVisible(), 'the text box has its label');
h.is(await phone.locator('#appeal-text-count').textContent(), '500 characters left', 'the counter starts at 500');
await shots('form', 'appeal form');

// ------------------------------------------------------------------ errors
await ap.getByRole('button', { name: 'Send my appeal' }).click();
const summary = phone.locator('#appeal-errors');
await summary.getByRole('link', { name: 'Choose why your status is wrong' }).waitFor();
h.is(await summary.locator('a').getAttribute('href'), '#appeal-reason',
  'no reason: the summary names the problem, linked to the reasons');
await box.fill('申'.repeat(501));
h.is(await phone.locator('#appeal-text-count').textContent(), '1 character too many',
  '501 Chinese characters: the counter says one too many (characters, not bytes)');
await ap.getByRole('radio', { name: 'I was not in the risk area' }).check();
await ap.getByRole('button', { name: 'Send my appeal' }).click();
await summary.getByRole('link', { name: 'Your text is too long: write at most 500 characters' }).waitFor();
h.is(await box.getAttribute('aria-invalid'), 'true', 'too long: the text box is marked invalid, and named at the top');
await shots('errors', 'appeal form with errors');

// -------------------------------------------------------------------- send
await box.fill(TEXT);
h.is(await phone.locator('#appeal-text-count').textContent(), `${500 - [...TEXT].length} characters left`,
  'the counter counts what is left');
await ap.getByRole('button', { name: 'Send my appeal' }).click();
await phone.locator('#appeal-status').getByText(/^Your appeal was sent\. An answer is due by /).waitFor();
h.ok(true, 'sent: the page says when an answer is due');
h.ok(await phone.locator('#appeal-form').isHidden(), 'the form gives way while the appeal is open');
const first = phone.locator('#appeal-list li').first();
h.ok((await first.innerText()).includes('Waiting for an answer'), 'the appeal is listed as waiting for an answer');
h.ok((await first.innerText()).includes(TEXT), "with the resident's own words");
h.ok((await first.innerText()).includes('Your reason: I was not in the risk area'), 'and the reason in words');
await shots('sent', 'appeal sent');

// ------------------------------------------------------------------ answer
const mine = await h.api('GET', '/v1/appeals', OFFICER);
const appeal = mine.json.appeals.find((a) => a.resident === RES);
r = await h.api('POST', `/v1/appeals/${appeal.appeal}/answer`, OFFICER, { decision: 'upheld', reason: 'record_error' });
h.is(r.status, 200, 'desk-7 upholds the appeal');
await phone.goto(`${url}/#code`);
await view('code').getByRole('link', { name: 'Appeal my status' }).click();
await phone.locator('#appeal-list li').first().getByText('Upheld: your status was changed').waitFor();
const answered = await phone.locator('#appeal-list li').first().innerText();
h.ok(/Answered on .* by desk-7/.test(answered), "the answer names the officer's account label");
h.ok(answered.includes('Why: our record about you was wrong'), 'and why, in words');
h.ok(await phone.locator('#appeal-form').isVisible(), 'the form is back: a new appeal may be made');
await shots('answered', 'appeal answered');

// ---------------------------------------------------- overdue, on /audit
const RES2 = await enrol(NAME2, ID2);
r = await h.api('PUT', `/v1/residents/${RES2}/status`, OFFICER, { status: 'yellow', reason: 'secondary_contact' });
const login2 = await h.api('POST', '/v1/login', null, { id_number: ID2, passphrase: PASS });
r = await h.api('POST', '/v1/me/appeals', login2.json.token, { reason: 'negative_test', text: '' });
h.is(r.status, 201, 'a second resident appeals under a one-second deadline');
await sleep(2100);
const desk = await h.page(browser, 'desktop', { locale: 'en-GB' });
await desk.goto(`${url}/audit`);
await desk.getByLabel('Account token').fill(AUDITOR);
await desk.getByRole('button', { name: 'Sign in' }).click();
await desk.getByRole('heading', { level: 1, name: 'Audit dashboard' }).waitFor();
const rep = desk.locator('#report-out');
const flag = rep.locator('.flag.flagged').filter({ hasText: "1 appeal unanswered past its due (1 open; the service's deadline is 1 second)." });
await flag.waitFor();
h.ok(true, 'the report flags one overdue appeal');
h.ok(await flag.getByRole('row', { name: 'district-7 1' }).isVisible(),
  "counted against district-7, the team of the officer who set the status");
h.ok((await flag.innerText()).includes('desk-7'), 'and names the officer who set it');
await rep.scrollIntoViewIfNeeded();
await h.axe(desk, 'dashboard with an overdue appeal');
await h.shot(flag, 'appeals-desktop-audit-overdue');

h.noProblems('no console error, CSP violation or token in a URL');
await h.stop();
h.done();
