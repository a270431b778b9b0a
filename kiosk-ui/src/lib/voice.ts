// Voice guidance (issue 12 §7), the pure part: which prompt file goes with a screen, a language and easy mode,
// and the kiosk's volume and mute setting. The files are made at build time from the locale strings
// `voice.<screen>` by scripts/make-voice.mjs (espeak-ng + sox) into public/voice/, hence dist/voice/.
import type { Lang, MessageKey } from './i18n.ts';
import type { ScreenName } from './kiosk-state.ts';

/**
 * The spoken prompt of every applicant screen. Keyed by ScreenName, so a new screen does not compile until it
 * has its prompt (and the locale key must exist in both languages); voice-prompts.test.ts checks the files.
 */
export const VOICE_PROMPTS = {
  attract: 'voice.attract',
  scan: 'voice.scan',
  order: 'voice.order',
  'id-card': 'voice.id-card',
  token: 'voice.token',
  progress: 'voice.progress',
  pin: 'voice.pin',
  verify: 'voice.verify',
  done: 'voice.done',
  invoice: 'voice.invoice',
  error: 'voice.error',
  'service-token': 'voice.service-token',
  'service-code': 'voice.service-code',
  'service-id-card': 'voice.service-id-card',
  'service-lookup': 'voice.service-lookup',
  'service-pin': 'voice.service-pin',
  'service-payment': 'voice.service-payment',
  'service-current-pin': 'voice.service-current-pin',
  'service-wait': 'voice.service-wait',
  'service-result': 'voice.service-result',
  'service-error': 'voice.service-error',
  'guide-replace': 'voice.guide-replace',
} as const satisfies { [S in ScreenName]: `voice.${S}` & MessageKey };

export const VOICE_SCREENS = Object.keys(VOICE_PROMPTS) as ScreenName[];

/** Spoken at the normal rate, or slower in easy mode (适老模式). scripts/make-voice.mjs SPEEDS has the rates. */
export const VOICE_SPEEDS = ['normal', 'slow'] as const;
export type VoiceSpeed = (typeof VOICE_SPEEDS)[number];

export const VOICE_EXT = 'ogg';

export function voiceSpeed(easyMode: boolean): VoiceSpeed {
  return easyMode ? 'slow' : 'normal';
}

/** The prompt's path under the UI's base (public/voice/… in the source tree, dist/voice/… when built). */
export function voiceFile(screen: ScreenName, lang: Lang, speed: VoiceSpeed): string {
  return `voice/${lang}/${screen}-${speed}.${VOICE_EXT}`;
}

/** What to play for this screen, language and mode; `base` is the UI's base URL (Vite's `./`). */
export function voiceSrc(screen: ScreenName, lang: Lang, easyMode: boolean, base = './'): string {
  return `${base.endsWith('/') ? base : `${base}/`}${voiceFile(screen, lang, voiceSpeed(easyMode))}`;
}

// ---------- volume and mute ----------

export interface VoiceSettings {
  /** 0–1, the audio element's volume. */
  volume: number;
  muted: boolean;
}

export const VOICE_STORAGE_KEY = 'certkiosk.voice';
export const DEFAULT_VOICE_SETTINGS: Readonly<VoiceSettings> = { volume: 0.8, muted: false };
/** One press of the louder / quieter buttons. */
export const VOLUME_STEP = 0.2;
/** The quieter button stops here: silence is what the mute button is for (and it says so on screen). */
export const VOLUME_MIN = 0.2;
export const VOLUME_MAX = 1;

/** A volume in 0–1, on 1/100 steps (no 0.6000000000000001); anything else is the default. */
export function clampVolume(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return DEFAULT_VOICE_SETTINGS.volume;
  return Math.round(Math.min(1, Math.max(0, v)) * 100) / 100;
}

export function louder(s: VoiceSettings): VoiceSettings {
  return { ...s, volume: clampVolume(Math.min(VOLUME_MAX, s.volume + VOLUME_STEP)) };
}

export function quieter(s: VoiceSettings): VoiceSettings {
  return { ...s, volume: clampVolume(Math.max(VOLUME_MIN, s.volume - VOLUME_STEP)) };
}

export const canLouder = (s: VoiceSettings): boolean => s.volume < VOLUME_MAX - 0.001;
export const canQuieter = (s: VoiceSettings): boolean => s.volume > VOLUME_MIN + 0.001;

/** The volume in whole percent, for the screen. */
export const volumePercent = (s: VoiceSettings): number => Math.round(s.volume * 100);

export type VoiceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * The kiosk's setting (a device preference, not applicant data) from storage; defaults when there is no
 * storage, nothing stored, or something unreadable (storage can also throw: disabled, private mode).
 */
export function loadVoiceSettings(storage: VoiceStorage | null | undefined): VoiceSettings {
  try {
    const raw = storage?.getItem(VOICE_STORAGE_KEY);
    if (!raw) return { ...DEFAULT_VOICE_SETTINGS };
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return { ...DEFAULT_VOICE_SETTINGS };
    const { volume, muted } = parsed as Record<string, unknown>;
    return {
      volume: clampVolume(volume),
      muted: typeof muted === 'boolean' ? muted : DEFAULT_VOICE_SETTINGS.muted,
    };
  } catch {
    return { ...DEFAULT_VOICE_SETTINGS };
  }
}

/** Stores the setting; a storage that refuses (full, disabled) only means it is not remembered. */
export function saveVoiceSettings(storage: VoiceStorage | null | undefined, s: VoiceSettings): void {
  try {
    storage?.setItem(
      VOICE_STORAGE_KEY,
      JSON.stringify({ volume: clampVolume(s.volume), muted: s.muted === true }),
    );
  } catch {
    // not remembered, still applied
  }
}
