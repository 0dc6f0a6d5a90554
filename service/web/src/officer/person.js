// The desk's person: look a resident up by ID number with a stated
// purpose (POST /v1/lookup), then, for the person found, change the status
// with a reason after a confirmation step (PUT /v1/residents/{handle}/status)
// and print a paper code (POST /v1/residents/{handle}/paper-code, purpose
// paper_code, the number on the card the person shows typed again). The
// page holds only what the service showed: the masked name and number,
// the status and the handle; the numbers typed are cleared once sent.
import { ApiError, apiBlob, apiJson } from '../lib/api.js';
import { detailWord } from '../lib/audit-words.js';
import { $, el, formatTime, showErrors } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';
import { idProblem, normaliseId } from '../resident/idcard.js';
import { facts, fieldError, formErrors, picked, radios, statusBadge } from './form.js';
import { PURPOSES, REASONS, STATUSES, statusWord } from './words.js';

let person = null; // {resident, name, id_number, status, purpose}
let pending = null; // the status change awaiting confirmation
let paper = null; // {url, type, days, at, format, fellBack}
let pdfMissing = false; // the server answered format=pdf with bad_query
// What the look-up and the status change said last, as functions that
// build it, so a change of language says it again.
const said = { lookup: null, status: null, paper: null };

function say(where, make) {
  said[where] = make;
  $(`#${where}-out`).replaceChildren(...(make ? [make()] : []));
}

function idText(input) {
  const id = normaliseId(input.value);
  const why = idProblem(id);
  return { id, problem: why ? t(`officer.id_error.${why}`) : null };
}

// --- look-up --------------------------------------------------------------
async function lookup(desk, ev) {
  ev.preventDefault();
  const form = $('#lookup-form');
  const { id, problem } = idText($('#lookup-id'));
  const purpose = picked(form, 'purpose');
  const problems = [];
  if (problem) problems.push({ field: 'lookup-id', text: problem });
  if (!purpose) problems.push({ field: 'lookup-purpose', text: t('officer.lookup.error.purpose') });
  formErrors($('#lookup-errors'), ['lookup-id', 'lookup-purpose'], problems);
  if (problems.length) return;
  say('lookup', () => el('p', { text: t('common.loading') }));
  $('#lookup-submit').disabled = true;
  try {
    const r = await apiJson('POST', '/v1/lookup', { token: desk.token(), body: { id_number: id, purpose } });
    person = { ...r, purpose };
    $('#lookup-id').value = '';
    say('lookup', null);
    say('status', null);
    showPerson(true);
  } catch (e) {
    if (desk.ended(e)) return;
    person = null;
    $('#person').hidden = true;
    if (e instanceof ApiError && e.code === 'not_found') say('lookup', () => el('p', { class: 'notice', text: t('officer.lookup.nobody') }));
    else say('lookup', () => el('p', { class: 'notice warn', text: desk.errorWords(e) }));
  } finally {
    $('#lookup-submit').disabled = false;
    desk.acted(); // found or not, the look-up is in the log
  }
}

function showPerson(focus) {
  const box = $('#person');
  if (!person) {
    box.hidden = true;
    $('#person-facts').replaceChildren();
    return;
  }
  $('#person-facts').replaceChildren(
    el('p', { class: 'purpose-line', text: t('officer.person.looked_up', { purpose: t(`officer.purpose.${person.purpose}`) }) }),
    facts([
      [t('officer.person.name'), el('span', { class: 'big', text: person.name })],
      [t('officer.person.id'), el('span', { text: person.id_number })],
      [t('officer.person.status'), statusBadge(person.status, statusWord(person.status))],
      [t('officer.person.handle'), el('code', { text: person.resident })],
    ]));
  box.hidden = false;
  if (focus) $('#person-h').focus();
}

// --- status -------------------------------------------------------------
function fillStatusForm() {
  const chosen = picked($('#status-form'), 'status');
  radios($('#status-choices'), 'status', STATUSES, (w) => t(`status.${w}`), null, chosen);
  const sel = $('#status-reason');
  const was = sel.value;
  sel.replaceChildren(el('option', { value: '', text: t('officer.status.reason_choose') }),
    ...REASONS.map((r) => el('option', { value: r, text: detailWord(r) })));
  sel.value = was;
}

function reviewStatus(ev) {
  ev.preventDefault();
  const status = picked($('#status-form'), 'status');
  const reason = $('#status-reason').value;
  const problems = [];
  if (!status) problems.push({ field: 'status-new', text: t('officer.status.error.status') });
  if (!reason) problems.push({ field: 'status-reason', text: t('officer.status.error.reason') });
  formErrors($('#status-errors'), ['status-new', 'status-reason'], problems);
  if (problems.length) return;
  pending = { status, reason };
  showConfirm();
  $('#status-confirm-h').focus();
}

function showConfirm() {
  const box = $('#status-confirm');
  if (!pending || !person) {
    box.hidden = true;
    $('#status-confirm-text').textContent = '';
    $('#status-review').disabled = false;
    return;
  }
  $('#status-confirm-text').textContent = t('officer.status.confirm_text', {
    name: person.name, from: statusWord(person.status), to: statusWord(pending.status), reason: detailWord(pending.reason),
  });
  box.hidden = false;
  $('#status-review').disabled = true;
}

async function confirmStatus(desk) {
  const { status, reason } = pending;
  $('#status-confirm-yes').disabled = true;
  try {
    const r = await apiJson('PUT', `/v1/residents/${person.resident}/status`, { token: desk.token(), body: { status, reason } });
    person.status = r.status;
    say('status', () => el('p', { class: 'notice done', role: 'status',
      text: t('officer.status.done', { status: statusWord(r.status), reason: detailWord(reason), revoked: r.revoked, index: r.log_index }) }));
    $('#status-form').reset();
    showPerson(false);
  } catch (e) {
    if (desk.ended(e)) return;
    const gone = e instanceof ApiError && e.code === 'not_found';
    say('status', () => el('p', { class: 'notice warn', text: gone ? t('officer.person.gone') : desk.errorWords(e) }));
  } finally {
    $('#status-confirm-yes').disabled = false;
    pending = null;
    showConfirm();
    desk.acted();
  }
}

// --- paper code -------------------------------------------------------------
function paperProblems() {
  const problems = [];
  const { id, problem } = idText($('#paper-id'));
  if (problem) problems.push({ field: 'paper-id', text: problem });
  const daysText = $('#paper-days').value.trim();
  const days = Number(daysText);
  if (!/^[0-9]+$/.test(daysText) || days < 1 || days > 31) problems.push({ field: 'paper-days', text: t('officer.paper.error.days') });
  return { id, days, problems };
}

async function print(desk, ev) {
  ev.preventDefault();
  const { id, days, problems } = paperProblems();
  formErrors($('#paper-errors'), ['paper-id', 'paper-days'], problems);
  if (problems.length) return;
  const want = pdfMissing ? 'png' : picked($('#paper-form'), 'format') || 'pdf';
  say('paper', () => el('p', { text: t('common.loading') }));
  $('#paper-submit').disabled = true;
  const body = { purpose: 'paper_code', id_number: id, days };
  const ask = (format) => apiBlob('POST', `/v1/residents/${person.resident}/paper-code?format=${format}`, { token: desk.token(), body });
  let fellBack = false;
  try {
    let r;
    try {
      r = await ask(want);
    } catch (e) {
      // A server without PDF cards refuses the format before it reads the
      // request (400 bad_query, no leaf): print the PNG instead, and say so.
      if (!(want === 'pdf' && e instanceof ApiError && e.code === 'bad_query')) throw e;
      pdfMissing = fellBack = true;
      markPdf();
      r = await ask('png');
    }
    $('#paper-id').value = '';
    if (paper) URL.revokeObjectURL(paper.url);
    const format = /pdf/.test(r.type) ? 'pdf' : 'png';
    paper = { url: URL.createObjectURL(r.blob), format, days, at: Date.now(), fellBack, index: r.headers.get('X-Ankang-Log-Index') };
    say('paper', paperResult);
  } catch (e) {
    if (desk.ended(e)) return;
    const code = e instanceof ApiError ? e.code : null;
    const key = { id_number_mismatch: 'officer.paper.mismatch', not_found: 'officer.person.gone' }[code];
    if (code === 'id_number_mismatch') formErrors($('#paper-errors'), ['paper-id', 'paper-days'], [{ field: 'paper-id', text: t(key) }]);
    say('paper', () => el('p', { class: 'notice warn', text: key ? t(key) : desk.errorWords(e) }));
  } finally {
    $('#paper-submit').disabled = false;
    desk.acted();
  }
}

function markPdf() {
  $('#paper-pdf').disabled = pdfMissing;
  if (pdfMissing) $('#paper-png').checked = true;
  $('#paper-pdf-hint').textContent = t(pdfMissing ? 'officer.paper.pdf_missing' : 'officer.paper.pdf_hint');
}

function paperResult() {
  const until = formatTime(paper.at + paper.days * 86400000, currentLang());
  const name = `ankang-paper-code.${paper.format}`;
  const box = el('div', { class: 'paper-result' },
    el('p', { class: 'notice done', role: 'status', text: t('officer.paper.done', { days: paper.days, until, index: paper.index || '-' }) }));
  if (paper.fellBack) box.append(el('p', { class: 'notice', text: t('officer.paper.fell_back') }));
  if (paper.format === 'png') {
    box.append(el('img', { class: 'paper-img', src: paper.url, alt: t('officer.paper.alt', { name: person ? person.name : '' }) }));
  }
  box.append(el('div', { class: 'actions' },
    el('a', { class: 'button', href: paper.url, download: name, text: t(paper.format === 'pdf' ? 'officer.paper.download_pdf' : 'officer.paper.download_png') })));
  return box;
}

// --- wiring -------------------------------------------------------------------
export function resetPerson() {
  person = pending = null;
  if (paper) URL.revokeObjectURL(paper.url);
  paper = null;
  for (const f of ['#lookup-form', '#status-form', '#paper-form']) $(f).reset();
  for (const s of ['#lookup-errors', '#status-errors', '#paper-errors']) showErrors($(s), []);
  for (const f of ['lookup-id', 'lookup-purpose', 'status-new', 'status-reason', 'paper-id', 'paper-days']) fieldError(f, null);
  for (const where of Object.keys(said)) say(where, null);
  showConfirm();
  showPerson(false);
}

function render() {
  const purpose = picked($('#lookup-form'), 'purpose');
  radios($('#lookup-purposes'), 'purpose', PURPOSES, (w) => t(`officer.purpose.${w}`), (w) => t(`officer.purpose_hint.${w}`), purpose);
  fillStatusForm();
  markPdf();
  showPerson(false);
  showConfirm();
  for (const where of Object.keys(said)) say(where, said[where]);
}

export function setupPerson(desk) {
  render();
  desk.onRender(render);
  $('#lookup-form').addEventListener('submit', (ev) => lookup(desk, ev));
  $('#status-form').addEventListener('submit', reviewStatus);
  $('#status-confirm-yes').addEventListener('click', () => confirmStatus(desk));
  $('#status-confirm-no').addEventListener('click', () => {
    pending = null;
    showConfirm();
    $('#status-review').focus();
  });
  $('#paper-form').addEventListener('submit', (ev) => print(desk, ev));
}
