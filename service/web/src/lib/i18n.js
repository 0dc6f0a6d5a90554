// The pages' words: one catalogue per language (i18n/en.json,
// i18n/zh-CN.json), chosen from the browser's languages until the person
// picks one on the page (kept in localStorage). Markup names its text by
// key, never by words:
//
//   <h1 data-i18n="resident.title"></h1>
//   <input data-i18n-attr="placeholder:resident.id_hint">
//
// and t('key', {name: ...}) fills {name} in a message. A key missing from
// a catalogue shows as the key itself, and tests/browser/catalogue.mjs
// fails the build's tests on it, so no text is ever left untranslated.
import en from '../../i18n/en.json';
import zh from '../../i18n/zh-CN.json';

const catalogues = { en, 'zh-CN': zh };
const STORE = 'ankang.lang';
let lang = pick();
const listeners = [];

function pick() {
  const saved = localStorage.getItem(STORE);
  if (saved && catalogues[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export function currentLang() {
  return lang;
}

export function t(key, vars = {}) {
  const text = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// A message in one named language, whatever the page's ('en' or 'zh-CN').
export function tIn(which, key, vars = {}) {
  const text = (catalogues[which] || catalogues.en)[key] ?? catalogues.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// The language that is not the page's.
export function otherLang() {
  return lang === 'en' ? 'zh-CN' : 'en';
}

// A message in both languages, Chinese first ("绿码 Green"), for what must
// read the same to anyone at a checkpoint whatever the page's language.
export function both(key, vars = {}) {
  const zhText = (catalogues['zh-CN'][key] ?? key).replace(/\{(\w+)\}/g, (m, k) => vars[k] ?? m);
  const enText = (catalogues.en[key] ?? key).replace(/\{(\w+)\}/g, (m, k) => vars[k] ?? m);
  return zhText === enText ? zhText : `${zhText} ${enText}`;
}

export function applyTo(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    }
  }
}

export function setLang(next) {
  if (!catalogues[next]) return;
  lang = next;
  localStorage.setItem(STORE, next);
  applyTo();
  for (const fn of listeners) fn(lang);
}

// fn(lang) runs after every switch, for text a page builds itself.
export function onLangChange(fn) {
  listeners.push(fn);
}

// The switch: a button that names the other language in that language.
export function langSwitch(button) {
  const label = () => {
    const other = lang === 'en' ? 'zh-CN' : 'en';
    button.textContent = catalogues[other]['common.lang_name'];
    button.setAttribute('lang', other);
    // Said in the other language too, so someone who reads only that one
    // finds it; the visible name is part of the label (WCAG 2.5.3).
    button.setAttribute('aria-label', catalogues[other]['common.switch_lang']);
  };
  button.addEventListener('click', () => {
    setLang(lang === 'en' ? 'zh-CN' : 'en');
    label();
  });
  label();
}
