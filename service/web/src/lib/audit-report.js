// The anomaly report (GET /v1/audit/report: the JSON of `ankang-audit
// report`, computed by the service with the same code), said in words:
// what range it covers, each of its rules with what it found (overdue
// appeals among them: audit-appeals.js), and the counts by action and by
// result.
import { appealsFinding } from './audit-appeals.js';
import { actionWord, actorWords, resultWord } from './audit-words.js';
import { el, formatTime } from './dom.js';
import { currentLang, t } from './i18n.js';

const num = (n) => Number(n).toLocaleString(currentLang());
const when = (ms) => formatTime(ms, currentLang());
// The English words for one differ: 'audit.x.yes' and 'audit.x.yes_one'.
const counted = (key, n, vars) => t(Number(n) === 1 ? `${key}_one` : key, { ...vars, count: num(n) });
const who = (actor, label) => (actor === 'all' ? t('audit.report.all_actors') : actorWords(actor, label));

function events(list, total) {
  const ul = el('ul', {}, ...list.map((e) => el('li', {
    text: t('audit.report.event', { time: when(e.time_ms), actor: who(e.actor, e.actor_label), action: actionWord(e.action), index: e.index }),
  })));
  if (total > list.length) ul.append(el('li', { text: t('audit.report.more', { count: num(total - list.length) }) }));
  return ul;
}

function bursts(list, total, what) {
  const ul = el('ul', {}, ...list.map((b) => el('li', {
    text: t(what, { actor: who(b.actor, b.actor_label), count: num(b.count), from: when(b.start_ms), to: when(b.end_ms), index: b.first_index }),
  })));
  if (total > list.length) ul.append(el('li', { text: t('audit.report.more', { count: num(total - list.length) }) }));
  return ul;
}

// One rule: its finding as a heading-led block, flagged or not.
function rule(flagged, heading, ...body) {
  return el('li', { class: flagged ? 'flag flagged' : 'flag clear' },
    el('p', { class: 'flag-head' },
      el('strong', { class: 'flag-word', text: t(flagged ? 'audit.report.flagged_word' : 'audit.report.clear_word') }),
      ' ', heading),
    ...body);
}

function counts(caption, obj, word) {
  const rows = Object.entries(obj || {}).sort((a, b) => b[1] - a[1]);
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', { class: 'counts' },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: caption }), el('th', { scope: 'col', class: 'num', text: t('audit.report.col.count') }))),
      el('tbody', {}, ...rows.map(([w, c]) => el('tr', {}, el('th', { scope: 'row', text: word(w) }), el('td', { class: 'num', text: num(c) }))))));
}

export function renderReport(box, r) {
  box.replaceChildren();
  if (!r.entries) {
    box.append(el('p', { text: t('audit.report.none', { read: num(r.read || 0) }) }));
    return;
  }
  box.append(el('p', {
    text: t('audit.report.summary', { count: num(r.entries), first: r.first_index, last: r.last_index,
      from: when(r.first_time_ms), to: when(r.last_time_ms) }),
  }));
  if (r.cut_at !== null && r.cut_at !== undefined)
    box.append(el('p', { class: 'notice', text: t('audit.report.cut', { index: r.cut_at }) }));

  const f = r.flags || {};
  const np = f.lookup_without_purpose || { total: 0, listed: [] };
  const busy = f.busy_officers || { officers_flagged: [] };
  const off = f.off_hours || { total: 0, listed: [] };
  const db = f.denied_bursts || { total: 0, listed: [] };
  const rb = f.officer_read_bursts || { total: 0, listed: [] };
  const appeals = appealsFinding(r.appeals);
  const nflags = [np.total, busy.officers_flagged.length, off.total, db.total, rb.total, r.unparsable || 0,
    appeals?.flagged ? 1 : 0].filter((n) => n > 0).length;
  box.append(el('h3', { text: t('audit.report.flags') }),
    el('p', { class: nflags ? 'notice warn' : 'notice', text: nflags ? t('audit.report.flag_count', { count: nflags }) : t('audit.report.no_flags') }));

  const rules = el('ul', { class: 'flags' });
  rules.append(
    rule(np.total > 0, np.total > 0 ? counted('audit.report.np.yes', np.total) : t('audit.report.np.no'),
      ...(np.total > 0 ? [events(np.listed, np.total)] : [])),
    rule(busy.officers_flagged.length > 0,
      busy.officers_flagged.length > 0
        ? counted('audit.report.busy.yes', busy.officers_flagged.length, { median: num(busy.median), officers: busy.officers, factor: busy.factor, min: busy.min })
        : t('audit.report.busy.no', { median: num(busy.median || 0), officers: busy.officers || 0, factor: busy.factor, min: busy.min }),
      ...(busy.officers_flagged.length > 0 ? [el('ul', {}, ...busy.officers_flagged.map((o) =>
        el('li', { text: t('audit.report.busy.row', { actor: who(o.actor, o.actor_label), count: num(o.status_set) }) })))] : [])),
    rule(off.total > 0, off.total > 0 ? counted('audit.report.off.yes', off.total, { hours: off.hours })
      : t('audit.report.off.no', { hours: off.hours }), ...(off.total > 0 ? [events(off.listed, off.total)] : [])),
    rule(db.total > 0, db.total > 0 ? counted('audit.report.denied.yes', db.total, { n: db.n, window: db.window_s })
      : t('audit.report.denied.no', { n: db.n, window: db.window_s }),
    ...(db.total > 0 ? [bursts(db.listed, db.total, 'audit.report.denied.row')] : [])),
    rule(rb.total > 0, rb.total > 0 ? counted('audit.report.reads.yes', rb.total, { n: rb.n, window: rb.window_s })
      : t('audit.report.reads.no', { n: rb.n, window: rb.window_s }),
    ...(rb.total > 0 ? [bursts(rb.listed, rb.total, 'audit.report.reads.row')] : [])));
  if (appeals) rules.append(rule(appeals.flagged, appeals.heading, ...appeals.body));
  if (r.unparsable > 0)
    rules.append(rule(true, counted('audit.report.unparsable', r.unparsable, { index: r.first_unparsable })));
  box.append(rules);

  box.append(el('h3', { text: t('audit.report.counts') }),
    el('div', { class: 'count-tables' },
      counts(t('audit.report.by_action'), r.by_action, actionWord),
      counts(t('audit.report.by_result'), r.by_result, resultWord)));
}
