#!/usr/bin/env node
// The message catalogues (service/web/i18n/): both languages have the same
// keys, no message is empty, their {placeholders} agree, and every key the
// pages and scripts name exists. A missing translation fails here rather
// than showing a key to a resident.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from './lib/harness.mjs';
import { tap } from './lib/tap.mjs';

const { ok, done } = tap();

const WEB = join(TOP, 'service/web');
const en = JSON.parse(readFileSync(join(WEB, 'i18n/en.json'), 'utf8'));
const zh = JSON.parse(readFileSync(join(WEB, 'i18n/zh-CN.json'), 'utf8'));

const onlyEn = Object.keys(en).filter((k) => !(k in zh));
const onlyZh = Object.keys(zh).filter((k) => !(k in en));
ok(onlyEn.length === 0, 'every English message has a Chinese one');
for (const k of onlyEn) console.log(`#   missing in zh-CN: ${k}`);
ok(onlyZh.length === 0, 'every Chinese message has an English one');
for (const k of onlyZh) console.log(`#   missing in en: ${k}`);

const empty = [...Object.entries(en), ...Object.entries(zh)].filter(([, v]) => typeof v !== 'string' || !v.trim());
ok(empty.length === 0, 'no message is empty');

const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
const mismatch = Object.keys(en).filter((k) => k in zh && holes(en[k]) !== holes(zh[k]));
ok(mismatch.length === 0, 'both languages fill the same {placeholders}');
for (const k of mismatch) console.log(`#   placeholders differ: ${k}`);

function* files(dir) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(js|html)$/.test(e)) yield p;
  }
}
const used = new Set();
for (const f of [...files(join(WEB, 'src')), ...files(join(WEB, 'pages'))]) {
  // Comments may show examples: only code and markup count.
  const s = readFileSync(f, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  for (const m of s.matchAll(/data-i18n="([\w.]+)"/g)) used.add(m[1]);
  for (const m of s.matchAll(/data-i18n-attr="([^"]+)"/g))
    for (const pair of m[1].split(';')) used.add(pair.split(':')[1]);
  for (const m of s.matchAll(/\b(?:t|both)\(\s*'([\w.]+)'/g)) used.add(m[1]);
  // Keys built from a prefix name their family: t(`status.${word}`) is
  // checked through the 'status.' messages existing at all.
  for (const m of s.matchAll(/\b(?:t|both)\(\s*`([\w.]+)\$\{/g)) used.add(`${m[1]}*`);
}
const missing = [...used].filter((k) =>
  k.endsWith('*') ? !Object.keys(en).some((e) => e.startsWith(k.slice(0, -1))) : !(k in en));
ok(used.size > 5 && missing.length === 0, `all ${used.size} keys the pages name exist`);
for (const k of missing) console.log(`#   not in the catalogue: ${k}`);

done();
