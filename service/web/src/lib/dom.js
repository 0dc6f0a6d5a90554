// Small DOM helpers the three pages share.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// Shows exactly one of the page's views (sections with data-view), moves
// focus to its heading so a screen reader says where we are.
export function showView(name) {
  for (const v of $$('[data-view]')) v.hidden = v.dataset.view !== name;
  const h = $(`[data-view="${name}"] h1, [data-view="${name}"] h2`);
  if (h) {
    h.setAttribute('tabindex', '-1');
    h.focus({ preventScroll: false });
  }
}

// An element with text (never innerHTML: nothing from the service or a
// code is ever parsed as markup).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) e.append(c);
  return e;
}

// The error summary at the top of a form (GOV.UK pattern): a heading, one
// link per problem that moves to its field, and focus on the summary.
export function showErrors(summary, problems) {
  summary.replaceChildren();
  if (problems.length === 0) {
    summary.hidden = true;
    return;
  }
  summary.append(el('h2', { text: summary.dataset.title || '' }));
  const list = el('ul');
  for (const p of problems) {
    const item = el('li');
    if (p.field) {
      const a = el('a', { href: `#${p.field}`, text: p.text });
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        document.getElementById(p.field)?.focus();
      });
      item.append(a);
    } else {
      item.textContent = p.text;
    }
    list.append(item);
  }
  summary.append(list);
  summary.hidden = false;
  summary.focus();
}

// A date no reader can take for another: "6 Dec 2026, 22:09:55" in
// English (12/06 is June to some and December to others), "2026/12/06
// 22:09:55" in Chinese.
export function formatTime(ms, lang) {
  const en = !/^zh/.test(lang);
  return new Date(ms).toLocaleString(en ? 'en-GB' : lang, {
    year: 'numeric', month: en ? 'short' : '2-digit', day: en ? 'numeric' : '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}

export function formatClock(ms, lang) {
  return new Date(ms).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hour12: false });
}
