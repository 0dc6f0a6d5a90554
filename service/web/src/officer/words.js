// The officer's desk's closed lists, as the service has them (crypto/leaf.c,
// docs/API.md), and how the page says them. The words sent are always the
// service's; what the officer reads is the catalogue's (officer.*, and the
// dashboard's audit.detail.* for reasons).
import { t } from '../lib/i18n.js';

// Why a person is looked up (POST /v1/lookup's purpose).
export const PURPOSES = ['epidemiological_investigation', 'status_correction', 'appeal_review', 'paper_code'];
export const STATUSES = ['green', 'yellow', 'red'];
// Reasons an officer gives by hand. appeal_upheld is left out: the service
// sets it itself when an appeal is upheld (the appeals section).
export const REASONS = [
  'confirmed_case', 'suspected_case', 'close_contact', 'secondary_contact', 'travel_from_risk_area',
  'quarantine_completed', 'negative_test', 'recovered', 'data_correction',
];
// An appeal's answer: each decision with the reasons that may go with it.
export const ANSWERS = {
  upheld: ['evidence_accepted', 'record_error'],
  rejected: ['evidence_insufficient', 'status_confirmed'],
};
export const APPEAL_REASONS = ['wrong_person', 'negative_test', 'not_in_risk_area', 'quarantine_completed', 'other'];
export const RELATIONS = ['child', 'parent', 'spouse', 'other'];

const known = (list, w, key) => (list.includes(w) ? t(`${key}.${w}`) : String(w));
export const statusWord = (w) => known(STATUSES, w, 'status');
export const appealReasonWord = (w) => known(APPEAL_REASONS, w, 'officer.appeal_reason');
export const answerReasonWord = (w) => known([...ANSWERS.upheld, ...ANSWERS.rejected], w, 'officer.answer_reason');
export const relationWord = (w) => known(RELATIONS, w, 'officer.relation');

// A length of time in words, to the largest whole unit: "3 hours".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const [n, unit] = s >= 172800 ? [Math.floor(s / 86400), 'days']
    : s >= 7200 ? [Math.floor(s / 3600), 'hours']
      : [Math.max(1, Math.floor(s / 60)), 'minutes'];
  return t(`officer.dur.${unit}.${n === 1 ? 'one' : 'other'}`, { n });
}
