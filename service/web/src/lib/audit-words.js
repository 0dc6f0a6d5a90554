// The audit log's closed word lists (FORMAT.md §3.1, crypto/leaf.c) and
// how the dashboard says them: every action, result, role and detail word
// has a message in the catalogues (audit.action.*, audit.result.*, ...).
// A word the page does not know (a newer service's) is shown as it is.
import { t } from './i18n.js';

export const ROLES = ['resident', 'verifier', 'officer', 'auditor', 'admin', 'system'];
export const ACTIONS = [
  'enroll', 'login', 'issue', 'verify', 'verify_offline', 'status_set', 'lookup',
  'accesses_read', 'erase', 'account_add', 'key_rotate', 'print_code', 'purge',
  'account_disable', 'history_read', 'logout', 'sessions_read',
  'appeal_open', 'appeals_read', 'appeal_list', 'appeal_read', 'appeal_answer',
  'household_add', 'household_list', 'household_confirm', 'household_remove', 'export',
];
export const RESULTS = [
  'valid', 'malformed', 'unknown_key', 'bad_signature', 'not_yet_valid', 'expired',
  'revoked', 'superseded', 'ok', 'denied', 'not_found', 'invalid',
];
export const DETAILS = [
  'green', 'yellow', 'red', 'epidemiological_investigation', 'status_correction',
  'appeal_review', 'paper_code', 'confirmed_case', 'suspected_case', 'close_contact',
  'secondary_contact', 'travel_from_risk_area', 'quarantine_completed', 'negative_test',
  'recovered', 'data_correction', 'appeal_upheld', 'verifier', 'officer', 'auditor',
  'admin', 'rate_limited', 'burst_2_9', 'burst_10_99', 'burst_100_999',
  'burst_1000_plus', 'this_session', 'all_sessions', 'kek_rewrap', 'kek_epoch',
  'wrong_person', 'not_in_risk_area', 'other', 'evidence_accepted', 'record_error',
  'evidence_insufficient', 'status_confirmed', 'child', 'parent', 'spouse',
  'household_consent',
];

export const actionWord = (w) => (ACTIONS.includes(w) ? t(`audit.action.${w}`) : w);
export const resultWord = (w) => (RESULTS.includes(w) ? t(`audit.result.${w}`) : w);
export const roleWord = (w) => (ROLES.includes(w) ? t(`audit.role.${w}`) : w);
export const detailWord = (w) => {
  if (w === '-' || w === undefined) return '';
  return DETAILS.includes(w) ? t(`audit.detail.${w}`) : w;
};

// "officer:3" -> {role: 'officer', id: '3'}; "resident:-" -> id '-'.
export function splitActor(actor) {
  const i = String(actor).indexOf(':');
  return i < 0 ? { role: String(actor), id: '-' } : { role: actor.slice(0, i), id: actor.slice(i + 1) };
}

// An actor in words: an account by its name ("gate-1, verifier 2"), a
// resident or the system by their role; a resident acting for another
// (a guardian) by the start of their pseudonym. The name is the
// operator's label for the account, shown as text only.
export function actorWords(actor, label) {
  const { role, id } = splitActor(actor);
  const r = roleWord(role);
  if (id === '-') return r;
  if (/^[0-9]+$/.test(id)) {
    return label ? t('audit.actor.account', { label, role: r, id }) : t('audit.actor.numbered', { role: r, id });
  }
  return t('audit.actor.for_another', { role: r, id: id.slice(0, 8) });
}
