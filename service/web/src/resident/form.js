// A form's problems, shown the GOV.UK way: a summary at the top whose
// links move to the fields, and under each field's label its own message
// (read with the field, through aria-describedby). A problem is
// {field: 'enrol-id' | undefined, say: () => t('resident.error.x')}: the
// words are made when shown, so a change of language says the same
// problems again in the new one.
import { $, showErrors } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const shown = new Map(); // form id -> [summary, form, problems]
let listener = () => {};

// fn() runs whenever the problems shown change.
export function onProblems(fn) {
  listener = fn;
}

function describe(input, ids) {
  const hint = input.dataset.hint ?? input.getAttribute('aria-describedby') ?? '';
  input.dataset.hint = hint;
  const all = [hint, ...ids].filter(Boolean).join(' ');
  if (all) input.setAttribute('aria-describedby', all);
  else input.removeAttribute('aria-describedby');
}

export function showProblems(summary, form, problems, { focus = true } = {}) {
  shown.set(form.id, [summary, form, problems]);
  const before = document.activeElement;
  for (const f of form.querySelectorAll('.field[data-field]')) {
    const id = f.dataset.field;
    const p = problems.find((q) => q.field === id);
    const err = $(`#${id}-error`);
    const input = $(`#${id}`);
    f.classList.toggle('invalid', !!p);
    err.hidden = !p;
    err.replaceChildren();
    if (p) {
      const prefix = document.createElement('span');
      prefix.className = 'visually-hidden';
      prefix.textContent = `${t('resident.error.prefix')} `;
      err.append(prefix, p.say());
    }
    if (p) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    describe(input, p ? [err.id] : []);
  }
  showErrors(summary, problems.map((p) => ({ field: p.field, text: p.say() })));
  if (!focus && problems.length && before && before !== summary) before.focus({ preventScroll: true });
  listener();
}

export function clearProblems(summary, form) {
  showProblems(summary, form, [], { focus: false });
  shown.delete(form.id);
  listener();
}

// Says the shown problems again in the page's new language.
export function reshowProblems() {
  for (const [summary, form, problems] of shown.values())
    if (problems.length) showProblems(summary, form, problems, { focus: false });
}

export function hasProblems() {
  return [...shown.values()].some(([s, , p]) => p.length > 0 && !s.closest('[hidden]'));
}

// "Show passphrase" boxes: <input type=checkbox class="show-pass" data-for="id">.
export function wireShowPassphrase(root = document) {
  for (const box of root.querySelectorAll('.show-pass')) {
    box.addEventListener('change', () => {
      $(`#${box.dataset.for}`).type = box.checked ? 'text' : 'password';
    });
  }
}

// A wait in words: "45 seconds", "2 minutes".
export function waitWords(seconds) {
  if (seconds < 60) return t('resident.wait.seconds', { n: Math.max(1, Math.ceil(seconds)) });
  const m = Math.ceil(seconds / 60);
  return m === 1 ? t('resident.wait.minute') : t('resident.wait.minutes', { n: m });
}
