// Node-side helpers for src/lib/voice-prompts.test.ts (the UI's TypeScript program has browser types only, no
// Node): where the prompts are, whether the build made them from the current text, and what sox measures.
// Types: voice-files.d.mts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PUBLIC_DIR = join(UI, 'public');
const FIX = 'fix: make apt-deps (or apt-get install espeak-ng sox)';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) {
    throw new Error(`${cmd} ${r.error.code === 'ENOENT' ? 'is not installed' : r.error.message} — ${FIX}`);
  }
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

function sox(args) {
  const r = run('sox', args);
  if (!r.ok) throw new Error(`sox ${args.join(' ')}: ${r.err}`);
  return r;
}

export const fileExists = (path) => existsSync(path);

/** `make-voice.mjs --check`: every prompt exists and was made from the current locale text. */
export function checkPrompts() {
  const r = run(process.execPath, [join(UI, 'scripts', 'make-voice.mjs'), '--check']);
  return { ok: r.ok, message: `${r.out}\n${r.err}`.trim() };
}

/** Duration (`sox --i -D`), file type, channels, and the RMS amplitude of the whole decoded file. */
export function measureAudio(path) {
  const stat = sox([path, '-n', 'stat']).err;
  return {
    seconds: Number(sox(['--i', '-D', path]).out),
    type: sox(['--i', '-t', path]).out,
    channels: Number(sox(['--i', '-c', path]).out),
    rms: Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(stat)?.[1]),
  };
}

/** public/voice/manifest.json, as make-voice.mjs writes it. */
export function readVoiceManifest() {
  return JSON.parse(readFileSync(join(PUBLIC_DIR, 'voice', 'manifest.json'), 'utf8'));
}

/** espeak-ng's phoneme transcription of `text` in `voice` (language switches show as "(en)"…"(cmn)"). */
export function espeakPhonemes(voice, text) {
  const r = run('espeak-ng', ['-v', voice, '-q', '-x', text]);
  if (!r.ok) throw new Error(`espeak-ng -v ${voice}: ${r.err}`);
  return r.out;
}
