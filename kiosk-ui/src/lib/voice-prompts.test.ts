// The spoken prompts the build makes (scripts/make-voice.mjs → public/voice/, copied into dist/voice/): one per
// screen screenFor can show, language and speed, real audio of a plausible length, made from the current
// locale text. Needs the build (`make build`, or `npm run build -w @certkiosk/kiosk-ui`) and Debian's sox and
// espeak-ng (`make apt-deps`).
import { describe, expect, it } from 'vitest';
import {
  checkPrompts,
  espeakPhonemes,
  fileExists,
  measureAudio,
  PUBLIC_DIR,
  readVoiceManifest,
} from '../../scripts/voice-files.mjs';
import { type JourneyView, PICKUP_STEPS, SERVICE_KINDS, type ServiceView } from './contract.ts';
import { LANGS, type Lang, MESSAGES } from './i18n.ts';
import { currentScreen, type ScreenName, screenFor } from './kiosk-state.ts';
import { HOME_GUIDES, serviceScreenFor } from './service.ts';
import { VOICE_PROMPTS, VOICE_SCREENS, VOICE_SPEEDS, type VoiceSpeed, voiceFile } from './voice.ts';

const BUILD_FIX = 'npm run build -w @certkiosk/kiosk-ui (make build) makes them';
const MIN_SECONDS = 0.5;
const MAX_SECONDS = 20;

// Every need and status of the contract (the compiler rejects a missing or unknown one), so every screen
// screenFor can answer is found by asking it, not by copying its list.
const NEEDS = {
  scan: 0,
  'confirm-order': 0,
  'id-card': 0,
  token: 0,
  wait: 0,
  pin: 0,
  'take-items': 0,
  none: 0,
} satisfies Record<JourneyView['need'], 0>;
const SERVICE_NEEDS = {
  token: 0,
  'activation-code': 0,
  'id-card': 0,
  'scan-or-id-card': 0,
  pin: 0,
  payment: 0,
  'current-pin': 0,
  wait: 0,
  result: 0,
  none: 0,
} satisfies Record<ServiceView['need'], 0>;
const STATUSES = {
  active: 0,
  completed: 0,
  failed: 0,
  'in-doubt': 0,
  abandoned: 0,
} satisfies Record<JourneyView['status'], 0>;

function screensOfScreenFor(): ScreenName[] {
  const screens = new Set<ScreenName>([screenFor(null)]);
  for (const need of Object.keys(NEEDS) as JourneyView['need'][])
    for (const status of Object.keys(STATUSES) as JourneyView['status'][])
      for (const step of PICKUP_STEPS)
        screens.add(
          screenFor({
            id: 'j',
            ref: 'KJ',
            revision: 1,
            cancellable: false,
            kind: 'pickup',
            step,
            status,
            need,
            progress: { steps: [] },
          }),
        );
  // The after-sales services: every need and status of a service journey, asked of serviceScreenFor.
  for (const need of Object.keys(SERVICE_NEEDS) as ServiceView['need'][])
    for (const status of Object.keys(STATUSES) as ServiceView['status'][])
      for (const kind of SERVICE_KINDS)
        screens.add(
          serviceScreenFor({
            id: 's',
            ref: 'KS',
            revision: 1,
            kind,
            step: 'started',
            status,
            need,
            cancellable: false,
          }),
        );
  // A home tile's guide (no journey yet).
  for (const guide of HOME_GUIDES) screens.add(currentScreen({ journey: null, service: null, guide }));
  // The done screen's invoice screen (开发票), over each journey screenFor can show.
  for (const need of Object.keys(NEEDS) as JourneyView['need'][])
    for (const status of Object.keys(STATUSES) as JourneyView['status'][])
      screens.add(
        currentScreen({
          journey: {
            id: 'j',
            ref: 'KJ',
            revision: 1,
            cancellable: false,
            kind: 'pickup',
            step: 'completed',
            status,
            need,
            progress: { steps: [] },
          },
          service: null,
          invoice: true,
        }),
      );
  return [...screens].sort();
}

const SCREENS = screensOfScreenFor();
const path = (screen: ScreenName, lang: Lang, speed: VoiceSpeed) =>
  `${PUBLIC_DIR}/${voiceFile(screen, lang, speed)}`;

describe('voice prompts', () => {
  it('exist for exactly the screens screenFor can show', () => {
    expect(SCREENS.length).toBeGreaterThanOrEqual(10);
    expect([...VOICE_SCREENS].sort(), 'VOICE_PROMPTS in voice.ts vs the screens of screenFor').toEqual(
      SCREENS,
    );
    for (const lang of LANGS)
      for (const screen of SCREENS) {
        const key = VOICE_PROMPTS[screen];
        expect(key, `${screen} has no prompt in VOICE_PROMPTS`).toBeDefined();
        expect(MESSAGES[lang][key]?.trim(), `${lang} ${key}`).toBeTruthy();
      }
  });

  it('were made by the build from the current locale text', () => {
    const r = checkPrompts();
    expect(r.ok, `${r.message}\n${BUILD_FIX}`).toBe(true);
  });

  describe.each(LANGS)('%s', (lang: Lang) => {
    it.each(SCREENS)('%s: real audio, 0.5–20 s, slower in easy mode', (screen) => {
      const seconds = {} as Record<VoiceSpeed, number>;
      for (const speed of VOICE_SPEEDS) {
        const file = path(screen, lang, speed);
        expect(fileExists(file), `${file} is missing — ${BUILD_FIX}`).toBe(true);
        const m = measureAudio(file);
        expect(m.type, file).toBe('vorbis');
        expect(m.channels, file).toBe(1);
        expect(m.seconds, `${file}: duration (keep prompts short)`).toBeGreaterThanOrEqual(MIN_SECONDS);
        expect(m.seconds, `${file}: duration (keep prompts short)`).toBeLessThanOrEqual(MAX_SECONDS);
        expect(m.rms, `${file}: RMS amplitude (silence?)`).toBeGreaterThan(0.02);
        seconds[speed] = m.seconds;
      }
      expect(seconds.slow, `${lang} ${screen}: easy mode is slower`).toBeGreaterThan(seconds.normal * 1.15);
    });
  });

  it('speak the Chinese prompts in Mandarin, never reading their pinyin as English', () => {
    // espeak-ng 1.51's plain `cmn` voice switches to English for its own pinyin (请 → "qing three"): its
    // phoneme output then shows "(en)". The Latin words of a prompt (USB Key) may be English.
    const { files } = readVoiceManifest();
    for (const screen of SCREENS) {
      const entry = files[voiceFile(screen, 'zh-CN', 'normal').replace(/^voice\//, '')];
      expect(entry, `${screen}: not in the manifest — ${BUILD_FIX}`).toBeDefined();
      const phonemes = espeakPhonemes(entry!.voice, entry!.text.replace(/[A-Za-z]+/g, '，'));
      expect(phonemes, `${screen}: espeak-ng -v ${entry!.voice} reads Chinese as English`).not.toContain(
        '(en)',
      );
    }
  });
});
