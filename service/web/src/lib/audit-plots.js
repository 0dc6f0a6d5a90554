// The dashboard's plots, drawn with uPlot on a canvas, each with what a
// person who cannot see it needs (WCAG 1.1.1, 1.4.1): a heading, a summary
// in words, a legend in words (colour, line pattern and marker: series
// never differ by colour alone), and the numbers as a table.
//
// The data is the service's report (GET /v1/audit/report): its `hours`
// ([{hour: unix seconds, actions: {word: n}, results: {word: n}}], UTC
// hours that hold entries) and `by_actor` ([{actor, actor_label, entries,
// denied, off_hours}]).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { actionWord, actorWords, resultWord } from './audit-words.js';
import { el } from './dom.js';
import { currentLang, t } from './i18n.js';

const HOUR = 3600000;
const DAY = 24 * HOUR;
const MAX_SERIES = 5;
const MAX_BARS = 8;
// Axis steps in seconds: whole hours and days.
const INCRS = [3600, 7200, 10800, 21600, 43200, 86400, 172800, 345600, 604800, 1209600, 2592000];

// Six series styles, each different in three ways. Colours are at least
// 3:1 on white (WCAG 1.4.11); the words are audit.plot.style.N.
const STYLES = [
  { stroke: '#1d4f91', dash: [], fill: true },
  { stroke: '#b3470b', dash: [10, 5], fill: false },
  { stroke: '#12803c', dash: [2, 4], fill: true },
  { stroke: '#6b2c91', dash: [12, 4, 2, 4], fill: false },
  { stroke: '#a8005f', dash: [20, 6], fill: true },
  { stroke: '#0b0c0c', dash: [6, 3, 1, 3, 1, 3], fill: false },
];

const SVG = 'http://www.w3.org/2000/svg';
function swatch(style) {
  const s = document.createElementNS(SVG, 'svg');
  s.setAttribute('width', '44');
  s.setAttribute('height', '14');
  s.setAttribute('aria-hidden', 'true');
  s.setAttribute('focusable', 'false');
  const line = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 1, y1: 7, x2: 43, y2: 7, stroke: style.stroke, 'stroke-width': 2.5 }))
    line.setAttribute(k, v);
  if (style.dash.length) line.setAttribute('stroke-dasharray', style.dash.join(' '));
  const dot = document.createElementNS(SVG, 'circle');
  for (const [k, v] of Object.entries({ cx: 22, cy: 7, r: 4, stroke: style.stroke, 'stroke-width': 2,
    fill: style.fill ? style.stroke : '#ffffff' }))
    dot.setAttribute(k, v);
  s.append(line, dot);
  return s;
}

const list = (items) => {
  try {
    return new Intl.ListFormat(currentLang(), { style: 'long', type: 'unit' }).format(items);
  } catch {
    return items.join(', ');
  }
};
const num = (n) => Number(n).toLocaleString(currentLang());

// Buckets of an hour, or of a day when the period is longer than two
// weeks, from the first to the last, with the empty ones filled in.
export function buckets(hours) {
  if (!hours.length) return { size: HOUR, rows: [] };
  const sorted = hours.map((h) => ({ ...h, hour: h.hour * 1000 })).sort((a, b) => a.hour - b.hour);
  const first = sorted[0].hour;
  const last = sorted[sorted.length - 1].hour;
  const size = last - first > 14 * DAY ? DAY : HOUR;
  const start = size === DAY ? dayStart(first) : first - (first % HOUR);
  const n = Math.floor((last - start) / size) + 1;
  const rows = Array.from({ length: n }, (_, i) => ({ at: start + i * size, actions: {}, results: {} }));
  for (const h of sorted) {
    const r = rows[Math.floor((h.hour - start) / size)];
    for (const part of ['actions', 'results'])
      for (const [w, c] of Object.entries(h[part] || {})) r[part][w] = (r[part][w] || 0) + c;
  }
  return { size, rows };
}

function dayStart(ms) {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

// The words most counted, the rest summed as 'other'.
function topWords(rows, part) {
  const total = {};
  for (const r of rows) for (const [w, c] of Object.entries(r[part])) total[w] = (total[w] || 0) + c;
  const words = Object.keys(total).sort((a, b) => total[b] - total[a] || (a < b ? -1 : 1));
  const top = words.length > MAX_SERIES + 1 ? words.slice(0, MAX_SERIES) : words;
  return { top, other: words.length > top.length, total };
}

function timeLabel(ms, size) {
  const d = new Date(ms);
  const lang = currentLang();
  const day = d.toLocaleDateString(lang, { month: 'numeric', day: 'numeric' });
  if (size === DAY) return day;
  return `${d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hour12: false })}\n${day}`;
}
const timeWords = (ms, size) => timeLabel(ms, size).replace('\n', ' ');

const charts = new Set();
let observer = null;
function watchSize(u, box, height) {
  u.heightFor = height;
  charts.add(u);
  if (!observer) {
    observer = new ResizeObserver(() => {
      for (const c of charts) {
        if (!c.root.isConnected) {
          charts.delete(c);
          continue;
        }
        const w = c.root.parentElement.clientWidth;
        if (w > 0 && w !== c.width) c.setSize({ width: w, height: c.heightFor(w) });
      }
    });
  }
  observer.observe(box);
}
const heightFor = (w) => (w < 500 ? 240 : 300);

function axisFont() {
  return `${Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.75)}px system-ui, sans-serif`;
}

// A figure: heading, summary, legend, chart, table.
function figure(id, heading, summary, legend, tableCaption, head, body) {
  const chart = el('div', { class: 'chart', role: 'img', 'aria-label': `${heading}. ${summary}`, 'data-plot': id });
  const table = el('table', {},
    el('caption', { text: tableCaption }),
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...body.map((r) => el('tr', {}, ...r.map((c, i) => (i === 0 ? el('th', { scope: 'row', text: c }) : el('td', { class: 'num', text: c })))))));
  const fig = el('section', { class: 'plot', 'aria-labelledby': `${id}-h` },
    el('h3', { id: `${id}-h`, text: heading }),
    el('p', { class: 'plot-summary', text: summary }));
  if (legend) fig.append(legend);
  fig.append(chart,
    el('details', { class: 'plot-table' },
      el('summary', { text: t('audit.plot.table') }),
      el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': tableCaption }, table)));
  return { fig, chart };
}

function legendFor(names) {
  return el('ul', { class: 'plot-legend', 'aria-label': t('audit.plot.legend') },
    ...names.map((name, i) => el('li', {}, swatch(STYLES[i]),
      el('span', { text: t('audit.plot.key', { name, style: t(`audit.plot.style.${i}`) }) }))));
}

// Lines over time, one per word of `part` ('actions' or 'results').
function linesOver(id, b, part, wordOf, headingKey, summaryFn) {
  const { top, other, total } = topWords(b.rows, part);
  const names = [...top.map(wordOf), ...(other ? [t(part === 'actions' ? 'audit.plot.other_actions' : 'audit.plot.other_results')] : [])];
  const x = b.rows.map((r) => r.at / 1000);
  const series = top.map((w) => b.rows.map((r) => r[part][w] || 0));
  if (other) series.push(b.rows.map((r) => Object.entries(r[part]).reduce((s, [w, c]) => (top.includes(w) ? s : s + c), 0)));
  const heading = t(b.size === DAY ? `${headingKey}_day` : headingKey);
  const { fig, chart } = figure(id, heading, summaryFn(total), legendFor(names), heading,
    [t(b.size === DAY ? 'audit.plot.col.day' : 'audit.plot.col.hour'), ...names],
    b.rows.map((r, i) => [timeWords(r.at, b.size), ...series.map((s) => num(s[i]))]));
  const draw = (width) => new uPlot({
    width,
    height: heightFor(width),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: (u, min, max) => (min === max ? [min - b.size / 2000, max + b.size / 2000] : [min, max]) },
      y: { range: (u, min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      { font: axisFont(), space: 90, size: 56, incrs: INCRS,
        values: (u, splits) => splits.map((s) => timeLabel(s * 1000, b.size)) },
      { font: axisFont(), size: 56, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? num(v) : '')) },
    ],
    series: [{}, ...names.map((label, i) => ({
      label,
      stroke: STYLES[i].stroke,
      width: 2.5,
      dash: STYLES[i].dash,
      points: { show: true, size: 8, width: 2, stroke: STYLES[i].stroke, fill: STYLES[i].fill ? STYLES[i].stroke : '#ffffff' },
    }))],
  }, [x, ...series], chart);
  return { fig, chart, draw, height: heightFor };
}

// Horizontal bars: the most active actors.
function actorBars(id, byActor) {
  const actors = [...byActor].sort((a, b) => b.entries - a.entries);
  const top = actors.slice(0, MAX_BARS);
  const names = top.map((a) => actorWords(a.actor, a.actor_label));
  const heading = t('audit.plot.actors.heading');
  const summary = top.length
    ? t('audit.plot.actors.summary', { list: list(top.slice(0, 3).map((a, i) => t('audit.plot.actors.item', { name: names[i], count: num(a.entries) }))) })
    : t('audit.plot.empty');
  const { fig, chart } = figure(id, heading, summary, null, heading,
    [t('audit.plot.col.actor'), t('audit.plot.col.entries'), t('audit.plot.col.denied'), t('audit.plot.col.off_hours')],
    actors.map((a) => [actorWords(a.actor, a.actor_label), num(a.entries), num(a.denied || 0), num(a.off_hours || 0)]));
  const x = top.map((_, i) => i);
  // On the axis an account goes by its name alone (the role is in the
  // summary and the table), cut to fit.
  const tick = top.map((a, i) => a.actor_label || names[i]);
  const short = (s) => (s.length > 16 ? `${s.slice(0, 15)}…` : s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = axisFont();
  const labelWidth = Math.max(40, ...tick.map((s) => ctx.measureText(short(s)).width)) + 20;
  const height = () => Math.max(160, 44 * top.length + 60);
  const draw = (width) => new uPlot({
    width,
    height: height(),
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, ori: 1, dir: -1, range: [-0.5, Math.max(0.5, top.length - 0.5)] },
      y: { ori: 0, range: (u, min, max) => [0, Math.max(1, max) * 1.05] } },
    axes: [
      { scale: 'x', side: 3, font: axisFont(), size: Math.min(labelWidth, Math.round(width * 0.45)), grid: { show: false },
        splits: () => x, values: (u, splits) => splits.map((i) => short(tick[i] || '')) },
      { scale: 'y', side: 2, font: axisFont(), size: 40, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? num(v) : '')) },
    ],
    series: [{}, { label: t('audit.plot.col.entries'), stroke: STYLES[0].stroke, fill: STYLES[0].stroke, width: 1,
      paths: uPlot.paths.bars({ size: [0.7, 36] }), points: { show: false } }],
  }, [x, top.map((a) => a.entries)], chart);
  return { fig, chart, draw, height };
}

// Draws the three plots into `box`, replacing what was there.
export function renderPlots(box, report) {
  for (const c of charts) c.destroy();
  charts.clear();
  box.replaceChildren();
  const b = buckets(report.hours || []);
  if (!b.rows.length) {
    box.append(el('p', { class: 'plot-none', text: t('audit.plot.empty') }));
    return;
  }
  const peak = b.rows.reduce((p, r) => {
    const n = Object.values(r.actions).reduce((s, c) => s + c, 0);
    return n > p.n ? { at: r.at, n } : p;
  }, { at: b.rows[0].at, n: -1 });
  const plots = [
    linesOver('plot-actions', b, 'actions', actionWord, 'audit.plot.actions.heading', (total) => {
      const sum = Object.values(total).reduce((s, c) => s + c, 0);
      const [w] = Object.keys(total).sort((p, q) => total[q] - total[p]);
      return t(b.size === DAY ? 'audit.plot.actions.summary_day' : 'audit.plot.actions.summary', {
        total: num(sum), from: timeWords(b.rows[0].at, b.size), to: timeWords(b.rows[b.rows.length - 1].at, b.size),
        peak: timeWords(peak.at, b.size), peakcount: num(peak.n), action: actionWord(w), actioncount: num(total[w]),
      });
    }),
    linesOver('plot-results', b, 'results', resultWord, 'audit.plot.results.heading', (total) => {
      const words = Object.keys(total).sort((p, q) => total[q] - total[p]);
      return t('audit.plot.results.summary', {
        list: list(words.map((w) => t('audit.plot.results.item', { result: resultWord(w), count: num(total[w]) }))),
      });
    }),
    actorBars('plot-actors', report.by_actor || []),
  ];
  for (const p of plots) box.append(p.fig);
  for (const p of plots) {
    const w = p.chart.clientWidth || 320;
    const u = p.draw(w);
    watchSize(u, p.chart, p.height);
  }
}
