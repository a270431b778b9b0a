#!/usr/bin/env node
// make-voice — the kiosk's spoken prompts, made at build time from the locale files (issue 12 §7).
// Every `voice.<screen>` string of src/locales/{zh-CN,en}.json is spoken by Debian's espeak-ng (Mandarin
// voice `cmn`, see VOICES; `en` for English) at a normal and a slower speed (easy mode, 适老模式), encoded by sox as
// Ogg Vorbis into public/voice/<lang>/<screen>-<speed>.ogg, which Vite copies into dist/. Nothing of it is
// committed (public/voice/ is in .gitignore): `npm run build -w @certkiosk/kiosk-ui` runs this first.
//
// A file is made again only when what it is made from changed (its text, voice, speed, the espeak-ng and
// sox versions, this script's VERSION): public/voice/manifest.json keeps a hash per file. Files of prompts
// that no longer exist are removed.
//
// Usage: node scripts/make-voice.mjs            make what is missing or stale
//        node scripts/make-voice.mjs --check    change nothing; exit 1 naming what is missing or stale
// CERTKIOSK_SKIP_VOICE=1 builds without prompts (a warning; the UI stays silent) on a machine without
// espeak-ng; `make apt-deps` installs it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the way a file is made changes without its inputs changing. */
const VERSION = 1;
const UI = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCALES = join(UI, 'src', 'locales');
const OUT = join(UI, 'public', 'voice');
const MANIFEST = join(OUT, 'manifest.json');

/**
 * espeak-ng voice of each UI language (src/lib/i18n.ts LANGS). Mandarin is `cmn` in its "Latin as pinyin"
 * variant: Debian 12's espeak-ng 1.51 plain `cmn` ("Latin as English") reads the tone digits of its own pinyin
 * as English words (请 → "qing three"; espeak-ng issue #1370, fixed in 1.52). src/lib/voice-prompts.test.ts
 * checks that the Chinese prompts are spoken as Mandarin.
 */
const VOICES = { 'zh-CN': 'cmn-latn-pinyin', en: 'en' };
/** Words per minute (espeak-ng -s; its default is 175). `slow` is easy mode. Names: src/lib/voice.ts. */
const SPEEDS = { normal: 175, slow: 130 };
const EXT = 'ogg';
const SOX_ENCODE = ['-t', 'ogg', '-C', '3'];
/** Peak-normalised to -1 dBFS, so every prompt is as loud as the next and the volume buttons mean the same. */
const SOX_EFFECTS = ['norm', '-1'];
const KEY = /^voice\.([a-z][a-z0-9-]*)$/;

const fail = (message) => {
  console.error(`make-voice: ${message}`);
  process.exit(1);
};

function tool(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT')
    fail(`${cmd} is not installed — fix: make apt-deps (or apt-get install espeak-ng sox)`);
  if (r.error || r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed: ${r.error?.message ?? r.stderr}`);
  return `${r.stdout}${r.stderr}`.split('\n').find(Boolean)?.trim() ?? '';
}

/** Every file to make: one per voice key, language and speed. */
function plan(engines) {
  const locales = {};
  for (const lang of Object.keys(VOICES)) {
    const messages = JSON.parse(readFileSync(join(LOCALES, `${lang}.json`), 'utf8'));
    locales[lang] = Object.fromEntries(Object.entries(messages).filter(([key]) => key.startsWith('voice.')));
  }
  const keys = Object.keys(locales['zh-CN']).sort();
  for (const key of keys) if (!KEY.test(key)) fail(`${key}: a voice key is voice.<screen> (a-z, 0-9, -)`);
  for (const [lang, messages] of Object.entries(locales)) {
    const missing = keys.filter((k) => !(k in messages));
    const extra = Object.keys(messages).filter((k) => !keys.includes(k));
    if (missing.length + extra.length > 0)
      fail(`${lang}.json: voice keys differ from zh-CN.json (missing ${missing}; extra ${extra})`);
  }
  const files = [];
  for (const key of keys) {
    const screen = KEY.exec(key)[1];
    for (const [lang, voice] of Object.entries(VOICES)) {
      const text = String(locales[lang][key]).trim();
      if (!text) fail(`${lang}.json: ${key} is empty`);
      for (const [speed, wpm] of Object.entries(SPEEDS)) {
        const hash = createHash('sha256')
          .update(JSON.stringify([VERSION, engines, voice, wpm, text, SOX_ENCODE, SOX_EFFECTS]))
          .digest('hex');
        files.push({ rel: `${lang}/${screen}-${speed}.${EXT}`, lang, voice, wpm, text, hash });
      }
    }
  }
  return files;
}

function readManifest() {
  try {
    const m = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    return m && typeof m.files === 'object' && m.files ? m.files : {};
  } catch {
    return {};
  }
}

function upToDate(file, manifest) {
  const path = join(OUT, file.rel);
  return manifest[file.rel]?.hash === file.hash && existsSync(path) && statSync(path).size > 0;
}

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr.trim()}`)),
    );
    child.stdin.end(input ?? '');
  });
}

async function make(file, work) {
  const wav = join(work, `${file.rel.replaceAll('/', '_')}.wav`);
  const target = join(OUT, file.rel);
  const partial = `${target}.partial`;
  mkdirSync(dirname(target), { recursive: true });
  // The text goes on stdin: never taken for an option, whatever it starts with.
  await run('espeak-ng', ['-v', file.voice, '-s', String(file.wpm), '-w', wav], file.text);
  await run('sox', [wav, ...SOX_ENCODE, partial, ...SOX_EFFECTS]);
  renameSync(partial, target);
  rmSync(wav, { force: true });
}

/** Files under public/voice/ that no prompt makes any more (a screen or a language went away). */
function strays(files) {
  const wanted = new Set([...files.map((f) => f.rel), 'manifest.json']);
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!wanted.has(relative(OUT, path).split(sep).join('/'))) found.push(path);
    }
  };
  if (existsSync(OUT)) walk(OUT);
  return found;
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    removeEmptyDirs(path);
    if (readdirSync(path).length === 0) rmdirSync(path);
  }
}

async function main() {
  const check = process.argv.includes('--check');
  if (process.env['CERTKIOSK_SKIP_VOICE'] === '1' && !check) {
    console.warn('make-voice: CERTKIOSK_SKIP_VOICE=1 — building without spoken prompts');
    return;
  }
  const engines = [tool('espeak-ng', ['--version']), tool('sox', ['--version'])];
  const files = plan(engines);
  const manifest = readManifest();
  const stale = files.filter((f) => !upToDate(f, manifest));
  const extra = strays(files);

  if (check) {
    for (const f of stale) console.error(`make-voice: ${f.rel} is missing or stale`);
    for (const p of extra) console.error(`make-voice: ${relative(UI, p)} is not made by any prompt`);
    if (stale.length + extra.length > 0)
      fail('prompts are not up to date — fix: npm run build -w @certkiosk/kiosk-ui');
    console.log(`make-voice: ${files.length} prompts up to date`);
    return;
  }

  const started = Date.now();
  mkdirSync(OUT, { recursive: true });
  for (const path of extra) rmSync(path, { force: true });
  removeEmptyDirs(OUT);
  const work = mkdtempSync(join(tmpdir(), 'certkiosk-voice-'));
  const next = { ...manifest };
  for (const rel of Object.keys(next)) if (!files.some((f) => f.rel === rel)) delete next[rel];
  try {
    const queue = [...stale];
    const worker = async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        delete next[file.rel];
        await make(file, work);
        next[file.rel] = { hash: file.hash, voice: file.voice, wpm: file.wpm, text: file.text };
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, availableParallelism()) }, worker));
  } finally {
    rmSync(work, { recursive: true, force: true });
    const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(MANIFEST, `${JSON.stringify({ version: VERSION, engines, files: sorted }, null, 2)}\n`);
  }
  console.log(
    `make-voice: ${stale.length} of ${files.length} prompts made, ${files.length - stale.length} unchanged` +
      `${extra.length ? `, ${extra.length} removed` : ''} (${Date.now() - started} ms)`,
  );
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
