// The report's appeals rule (GET /v1/audit/report's "appeals": from the
// appeals table, log/report_appeals.h): how many appeals are overdue
// (unanswered past their due), counted by the team of the officer who
// set the status appealed, and the oldest of them. Returns the rule's
// finding for audit-report.js to list with the others.
import { actorWords } from './audit-words.js';
import { el, formatTime } from './dom.js';
import { currentLang, t } from './i18n.js';

const num = (n) => Number(n).toLocaleString(currentLang());
const when = (s) => formatTime(s * 1000, currentLang());

function deadlineWords(s) {
  if (!s) return t('audit.report.appeals.deadline_none');
  // The English words for one differ: 'hours' and 'hours_one'.
  const [key, n] = s % 3600 === 0 ? ['audit.report.appeals.hours', s / 3600] : ['audit.report.appeals.seconds', s];
  return t(n === 1 ? `${key}_one` : key, { n: num(n) });
}

function teams(list) {
  const caption = t('audit.report.appeals.by_team');
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', { class: 'counts' },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: t('audit.report.appeals.col_team') }),
        el('th', { scope: 'col', class: 'num', text: t('audit.report.appeals.col_count') }))),
      el('tbody', {}, ...list.map((r) => el('tr', {},
        el('th', { scope: 'row', text: r.team ?? t('audit.report.appeals.no_team') }),
        el('td', { class: 'num', text: num(r.count) }))))));
}

// {flagged, heading, body: [nodes]}, or null when the report has no
// appeals section (a service from before appeals).
export function appealsFinding(a) {
  if (!a) return null;
  const vars = { count: num(a.overdue), open: num(a.open), deadline: deadlineWords(a.deadline) };
  if (!a.overdue) return { flagged: false, heading: t('audit.report.appeals.no', vars), body: [] };
  const key = Number(a.overdue) === 1 ? 'audit.report.appeals.yes_one' : 'audit.report.appeals.yes';
  const rows = el('ul', {}, ...a.overdue_list.map((x) => el('li', {
    text: t('audit.report.appeals.row', {
      appeal: x.appeal, opened: when(x.opened), due: when(x.due),
      officer: x.officer_id === null ? t('audit.report.appeals.at_enrolment')
        : actorWords(`officer:${x.officer_id}`, x.officer) + (x.team ? ` (${x.team})` : ''),
    }),
  })));
  if (a.overdue > a.overdue_list.length)
    rows.append(el('li', { text: t('audit.report.more', { count: num(a.overdue - a.overdue_list.length) }) }));
  return { flagged: true, heading: t(key, vars), body: [teams(a.overdue_by_team), rows] };
}
