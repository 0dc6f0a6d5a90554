// Enrolment and log-in: the two forms, checked in the page first (so a
// typing mistake is named before anything is sent), then by the service,
// whose errors (docs/API.md, "Errors" and "Rate limits") are said in
// plain words next to the field they are about.
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $, formatClock } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';
import { idProblem, normaliseId } from './idcard.js';
import { clearProblems, showProblems, waitWords } from './form.js';
import { token } from './session.js';

const enc = new TextEncoder();

// Log-ins the service refused for too many tries: ID number -> the time
// (ms) it will listen again. A try before then is not sent: the service
// counts it as another failure and doubles the wait.
const lockedUntil = new Map();

export function idProblems(field, raw) {
  const problem = idProblem(normaliseId(raw));
  return problem ? [{ field, say: () => t(`resident.error.id_${problem}`) }] : [];
}

// Letters (any script) with their marks, single spaces, ' ’ - . · ・;
// begins with a letter or an apostrophe. The service's rule
// (service/policy.h) is the judge; this catches the usual slips.
const NAME = /^['\u2019]?\p{L}[\p{L}\p{M}'\u2019\-.\u00b7\u30fb]*(?: [\p{L}\p{M}'\u2019\-.\u00b7\u30fb]+)*$/u;

// words: the catalogue's prefix of the three messages (name_empty,
// name_long, name_chars): mine, or a household member's (household.js).
export function nameProblems(raw, field = 'enrol-name', words = 'resident.error') {
  const name = raw.trim().normalize('NFC');
  if (name === '') return [{ field, say: () => t(`${words}.name_empty`) }];
  if (enc.encode(name).length > 128) return [{ field, say: () => t(`${words}.name_long`) }];
  if (!NAME.test(name)) return [{ field, say: () => t(`${words}.name_chars`) }];
  return [];
}

function phoneProblems(raw) {
  const phone = raw.replace(/[\s-]/g, '');
  if (phone === '') return [];
  return /^\+?[0-9]{6,20}$/.test(phone) && phone.length <= 20
    ? [] : [{ field: 'enrol-phone', say: () => t('resident.error.phone') }];
}

export function passProblems(field, pass, fresh) {
  const n = enc.encode(pass).length;
  if (n === 0) return [{ field, say: () => (fresh ? t('resident.error.pass_empty_new') : t('resident.error.pass_empty')) }];
  if (n < 8) return [{ field, say: () => (fresh ? t('resident.error.pass_short_new') : t('resident.error.pass_short')) }];
  if (n > 256) return [{ field, say: () => t('resident.error.pass_long') }];
  return [];
}

export function waitProblem(field, seconds) {
  const until = new Date(Date.now() + seconds * 1000);
  const vars = () => ({ wait: waitWords(seconds), time: formatClock(until, currentLang()) });
  return {
    field,
    say: () => (field ? t('resident.error.login_locked', vars()) : t('resident.error.enrol_limited', vars())),
  };
}

// A service error as a problem on one of the form's fields.
function serviceProblem(e, form) {
  const f = (name) => `${form}-${name}`;
  if (e instanceof OfflineError) return { say: () => t('resident.error.offline') };
  if (!(e instanceof ApiError)) return { say: () => t('common.error.unknown', { code: 'page' }) };
  switch (e.code) {
    case 'bad_id_number':
      return { field: f('id'), say: () => t('resident.error.id_service') };
    case 'bad_login':
      return { field: f('pass'), say: () => t('resident.error.bad_login') };
    case 'duplicate':
      return { field: f('id'), say: () => t('resident.error.duplicate') };
    case 'rate_limited':
      return waitProblem(form === 'login' ? f('id') : undefined, e.retryAfter || 60);
    case 'bad_field': {
      // The message names the field (docs/API.md), never what was sent.
      const m = /'(name|phone|passphrase)'/.exec(e.message || '');
      const which = m ? { name: 'name', phone: 'phone', passphrase: 'pass' }[m[1]] : null;
      if (which === 'name') return { field: f('name'), say: () => t('resident.error.name_chars') };
      if (which === 'phone') return { field: f('phone'), say: () => t('resident.error.phone') };
      if (which === 'pass') return { field: f('pass'), say: () => t('resident.error.pass_short') };
      return { say: () => t('common.error.unknown', { code: e.code }) };
    }
    case 'wrong_role':
      return { say: () => t('resident.error.enrol_officers') };
    case 'unavailable':
      return { say: () => t('resident.error.unavailable') };
    default:
      return { say: () => t('common.error.unknown', { code: e.code }) };
  }
}

async function login(id, passphrase) {
  const r = await apiJson('POST', '/v1/login', { body: { id_number: id, passphrase } });
  token.set(r.token);
  return r;
}

function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}

// Wires both forms; onIn() runs once a session has begun.
export function wireAuth(onIn) {
  const loginForm = $('#login-form');
  const loginErrors = $('#login-errors');
  loginForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = normaliseId($('#login-id').value);
    const pass = $('#login-pass').value;
    let problems = [...idProblems('login-id', $('#login-id').value), ...passProblems('login-pass', pass, false)];
    const until = lockedUntil.get(id);
    if (problems.length === 0 && until && until > Date.now())
      problems = [waitProblem('login-id', (until - Date.now()) / 1000)];
    if (problems.length) return showProblems(loginErrors, loginForm, problems);
    busy($('#login-submit'), true);
    try {
      await login(id, pass);
      lockedUntil.delete(id);
      clearProblems(loginErrors, loginForm);
      loginForm.reset();
      $('#login-pass').type = 'password';
      onIn();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'rate_limited')
        lockedUntil.set(id, Date.now() + (e.retryAfter || 60) * 1000);
      showProblems(loginErrors, loginForm, [serviceProblem(e, 'login')]);
    } finally {
      busy($('#login-submit'), false);
    }
  });

  const enrolForm = $('#enrol-form');
  const enrolErrors = $('#enrol-errors');
  enrolForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('#enrol-name').value.trim().normalize('NFC');
    const id = normaliseId($('#enrol-id').value);
    const phone = $('#enrol-phone').value.replace(/[\s-]/g, '');
    const pass = $('#enrol-pass').value;
    const problems = [
      ...nameProblems($('#enrol-name').value),
      ...idProblems('enrol-id', $('#enrol-id').value),
      ...phoneProblems($('#enrol-phone').value),
      ...passProblems('enrol-pass', pass, true),
    ];
    if (problems.length) return showProblems(enrolErrors, enrolForm, problems);
    busy($('#enrol-submit'), true);
    try {
      const body = { name, id_number: id, passphrase: pass };
      if (phone) body.phone = phone;
      await apiJson('POST', '/v1/enroll', { body });
      // Enrolled: log straight in with what was just typed.
      await login(id, pass);
      clearProblems(enrolErrors, enrolForm);
      enrolForm.reset();
      $('#enrol-pass').type = 'password';
      onIn();
    } catch (e) {
      showProblems(enrolErrors, enrolForm, [serviceProblem(e, 'enrol')]);
    } finally {
      busy($('#enrol-submit'), false);
    }
  });
}
