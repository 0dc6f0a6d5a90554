// Bundles the pages for ankangd to embed (scripts/embed web).
//
//   node build.mjs OUTDIR
//
// OUTDIR gets the pages (index.html, check.html, audit.html, officer.html), service
// worker (sw.js), hashed assets under assets/, and manifest.tsv:
// one line per file the service serves, "URL <tab> content type <tab>
// cache <tab> file <tab> gzip file or -". Text is also kept gzipped (an
// old phone on a slow network gets a third of the bytes) where that saves
// at least a tenth. Asset names carry a hash of their bytes, so they can
// be cached for a year; the pages themselves are never cached, so a new
// build is seen at once.
//
// A page names its assets as {{resident.js}} or {{style.css}}; the build
// puts the hashed URL there and fails on a name it does not know, so a
// page can never point at a file the binary lacks.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}

// page URL -> its file and name; entry name -> source
const pages = {
  '/': { file: 'index.html', name: 'resident' },
  '/check': { file: 'check.html', name: 'check' },
  '/audit': { file: 'audit.html', name: 'audit' },
  '/officer': { file: 'officer.html', name: 'officer' },
};
const entries = {
  resident: 'src/resident.js',
  check: 'src/check.js',
  audit: 'src/audit.js',
  officer: 'src/officer.js',
  style: 'src/style.css',
};

const types = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const LONG = 'public, max-age=31536000, immutable';
const NONE = 'no-store';

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(here, v)])),
  bundle: true,
  format: 'esm',
  // Phones a few years old: the pages use nothing newer than ES2020, and
  // say so in words where the browser lacks WebCrypto's Ed25519.
  target: ['es2020', 'chrome80', 'firefox80', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});

const manifest = [];
const named = {}; // "resident.js" -> "/assets/resident-HASH.js"
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  const name = basename(file);
  const ext = name.slice(name.lastIndexOf('.'));
  const type = ext === '.txt' ? 'text/plain; charset=utf-8' : types[ext];
  if (!type) throw new Error(`build: no content type for ${name}`);
  const url = `/assets/${name}`;
  manifest.push([url, type, LONG, relative(out, file)]);
  if (meta.entryPoint) {
    const key = Object.keys(entries).find((k) => join(here, entries[k]).endsWith(meta.entryPoint));
    named[`${key}${ext}`] = url;
    // CSS a script imports (a page's own styles, uPlot's) comes out as one
    // stylesheet beside it: the page names it {{resident.css}}.
    if (meta.cssBundle) named[`${key}.css`] = `/assets/${basename(meta.cssBundle)}`;
  }
}

// Service workers: one script each, at a fixed URL at the top of the site
// (a worker controls only the pages under its own folder, and a page
// registers it by name), never cached, so a new build's worker replaces
// the old one on the next visit. A classic script: workers need no modules.
const workers = { '/sw.js': 'src/sw.js' };
for (const [url, src] of Object.entries(workers)) {
  const name = url.slice(1);
  await build({
    entryPoints: [join(here, src)],
    bundle: true,
    format: 'iife',
    target: ['es2020', 'chrome80', 'firefox80', 'safari15'],
    minify: true,
    legalComments: 'none',
    outfile: join(out, name),
    logLevel: 'warning',
  });
  manifest.push([url, types['.js'], NONE, name]);
}

// Files used as they are (the icon): hashed and copied.
for (const name of readdirSync(join(here, 'static'))) {
  const bytes = readFileSync(join(here, 'static', name));
  const ext = name.slice(name.lastIndexOf('.'));
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 10);
  const hashed = `${name.slice(0, -ext.length)}-${hash}${ext}`;
  writeFileSync(join(out, 'assets', hashed), bytes);
  named[name] = `/assets/${hashed}`;
  manifest.push([named[name], types[ext], LONG, `assets/${hashed}`]);
}

// Each page is its <main> (and what follows it) in pages/NAME.html, set in
// the frame all pages share (pages/_frame.html: head, skip link, header).
const frame = readFileSync(join(here, 'pages', '_frame.html'), 'utf8').replace(/^<!--[\s\S]*?-->\n/, '');
for (const [url, { file: template, name }] of Object.entries(pages)) {
  const main = readFileSync(join(here, 'pages', template), 'utf8');
  const text = frame.replace('{{main}}', () => main).replace(/\{\{page\}\}/g, name).replace(/\{\{page\.(js|css)\}\}/g, `{{${name}.$1}}`).replace(
    /\{\{([a-z]+\.(?:js|css|svg))\}\}/g,
    (_, asset) => {
      if (!named[asset]) throw new Error(`build: ${template} names unknown asset ${asset}`);
      return named[asset];
    },
  );
  if (/\{\{/.test(text)) throw new Error(`build: ${template} has an unfilled {{...}}`);
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(text) || /\son[a-z]+=/i.test(text))
    throw new Error(`build: ${template} has inline script, which the CSP refuses`);
  writeFileSync(join(out, template), text);
  manifest.push([url, types['.html'], NONE, template]);
}

for (const m of manifest) {
  const bytes = readFileSync(join(out, m[3]));
  const gz = gzipSync(bytes, { level: 9 });
  if (/^(text|image\/svg)/.test(m[1]) && gz.length * 10 < bytes.length * 9) {
    writeFileSync(join(out, `${m[3]}.gz`), gz);
    m.push(`${m[3]}.gz`);
  } else {
    m.push('-');
  }
}

manifest.sort((a, b) => (a[0] < b[0] ? -1 : 1));
writeFileSync(join(out, 'manifest.tsv'), manifest.map((m) => m.join('\t')).join('\n') + '\n');
