// The desk's form helpers: a field's error said beside it and in the
// summary (GOV.UK's pattern, as on the other pages), and labelled radio
// choices built from a closed list.
import { $, el, showErrors } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

// Marks one field (its wrapper #ID-field, its message #ID-error) and the
// control in it; text null clears it.
export function fieldError(id, text) {
  const wrap = $(`#${id}-field`);
  const err = $(`#${id}-error`);
  const control = $(`#${id}`);
  const hint = $(`#${id}-hint`) ? `${id}-hint` : '';
  wrap.classList.toggle('invalid', !!text);
  err.textContent = text ? `${t('officer.error_prefix')} ${text}` : '';
  err.hidden = !text;
  const described = [hint, text ? `${id}-error` : ''].filter(Boolean).join(' ');
  if (described) control.setAttribute('aria-describedby', described);
  else control.removeAttribute('aria-describedby');
  if (text && control.tagName !== 'FIELDSET') control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

// Shows problems [{field, text}] in a form's summary and beside each of
// the fields (all of `fields` are cleared first).
export function formErrors(summary, fields, problems) {
  for (const f of fields) fieldError(f, problems.find((p) => p.field === f)?.text || null);
  showErrors(summary, problems);
}

// Radio buttons for a closed list into box: one per word, labelled with
// label(word) and, where hint(word) gives one, a hint.
export function radios(box, name, words, label, hint = null, checked = null) {
  box.replaceChildren();
  for (const w of words) {
    const id = `${name}-${w}`;
    const input = el('input', { type: 'radio', id, name, value: w });
    input.checked = w === checked;
    const h = hint ? hint(w) : null;
    if (h) input.setAttribute('aria-describedby', `${id}-hint`);
    box.append(el('div', { class: 'choice' }, input, el('label', { for: id, text: label(w) }),
      ...(h ? [el('span', { class: 'hint', id: `${id}-hint`, text: h })] : [])));
  }
}

export const picked = (form, name) => form.querySelector(`input[name="${name}"]:checked`)?.value || null;

// A definition list of [term, value] pairs; a value may be an element.
export function facts(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

// A status in words with its colour and a mark that is not colour.
export function statusBadge(word, text) {
  return el('span', { class: `status-badge status-${['green', 'yellow', 'red'].includes(word) ? word : 'none'}`, text });
}
