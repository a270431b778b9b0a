import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import en from '../locales/en.json';
import zhCN from '../locales/zh-CN.json';
import {
  canLouder,
  canQuieter,
  clampVolume,
  DEFAULT_VOICE_SETTINGS,
  loadVoiceSettings,
  louder,
  quieter,
  saveVoiceSettings,
  VOICE_PROMPTS,
  VOICE_SCREENS,
  VOICE_STORAGE_KEY,
  type VoiceStorage,
  voiceFile,
  voiceSpeed,
  voiceSrc,
  volumePercent,
} from './voice.ts';
import { type AudioLike, RETRY_AFTER_GESTURE_MS, VoiceEngine } from './voice-engine.ts';

class MemoryStorage implements VoiceStorage {
  map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}

const throwing: VoiceStorage = {
  getItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('full', 'QuotaExceededError');
  },
};

describe('which prompt to play', () => {
  it('is the screen in the language, at the slow speed in easy mode', () => {
    expect(voiceSpeed(false)).toBe('normal');
    expect(voiceSpeed(true)).toBe('slow');
    expect(voiceFile('id-card', 'zh-CN', 'normal')).toBe('voice/zh-CN/id-card-normal.ogg');
    expect(voiceSrc('pin', 'en', true)).toBe('./voice/en/pin-slow.ogg');
    expect(voiceSrc('done', 'zh-CN', false, '/')).toBe('/voice/zh-CN/done-normal.ogg');
    expect(voiceSrc('done', 'zh-CN', false, '/kiosk')).toBe('/kiosk/voice/zh-CN/done-normal.ogg');
  });

  it('has a sentence for every prompt in both locale files, and no voice sentence without a screen', () => {
    for (const messages of [zhCN, en] as Record<string, string>[]) {
      for (const screen of VOICE_SCREENS) expect(messages[VOICE_PROMPTS[screen]]?.trim()).toBeTruthy();
      const voiceKeys = Object.keys(messages).filter((k) => k.startsWith('voice.'));
      expect(voiceKeys.sort()).toEqual(Object.values(VOICE_PROMPTS).sort());
    }
  });
});

describe('volume and mute setting', () => {
  it('defaults without storage, with nothing stored, or with something unreadable', () => {
    expect(loadVoiceSettings(null)).toEqual(DEFAULT_VOICE_SETTINGS);
    const storage = new MemoryStorage();
    expect(loadVoiceSettings(storage)).toEqual(DEFAULT_VOICE_SETTINGS);
    for (const raw of ['{', 'null', '42', '"loud"', '[]']) {
      storage.setItem(VOICE_STORAGE_KEY, raw);
      expect(loadVoiceSettings(storage), raw).toEqual(DEFAULT_VOICE_SETTINGS);
    }
    expect(loadVoiceSettings(throwing)).toEqual(DEFAULT_VOICE_SETTINGS);
  });

  it('is kept in storage and read back, a bad field replaced by its default', () => {
    const storage = new MemoryStorage();
    saveVoiceSettings(storage, { volume: 0.4, muted: true });
    expect(JSON.parse(storage.getItem(VOICE_STORAGE_KEY)!)).toEqual({ volume: 0.4, muted: true });
    expect(loadVoiceSettings(storage)).toEqual({ volume: 0.4, muted: true });
    storage.setItem(VOICE_STORAGE_KEY, JSON.stringify({ volume: 7, muted: 'yes' }));
    expect(loadVoiceSettings(storage)).toEqual({ volume: 1, muted: false });
    storage.setItem(VOICE_STORAGE_KEY, JSON.stringify({ volume: -1, muted: true }));
    expect(loadVoiceSettings(storage)).toEqual({ volume: 0, muted: true });
    expect(() => saveVoiceSettings(throwing, { volume: 0.4, muted: true })).not.toThrow();
  });

  it('keeps the volume in 0–1 on 1/100 steps', () => {
    expect(clampVolume(0.6000000000000001)).toBe(0.6);
    expect(clampVolume(Number.NaN)).toBe(DEFAULT_VOICE_SETTINGS.volume);
    expect(clampVolume('1')).toBe(DEFAULT_VOICE_SETTINGS.volume);
    expect(clampVolume(Number.POSITIVE_INFINITY)).toBe(DEFAULT_VOICE_SETTINGS.volume);
  });

  it('steps louder up to 1 and quieter down to 0.2 (silence is the mute button)', () => {
    let s = { volume: 0.8, muted: false };
    s = louder(s);
    expect(s.volume).toBe(1);
    expect(canLouder(s)).toBe(false);
    expect(louder(s).volume).toBe(1);
    for (let i = 0; i < 10; i++) s = quieter(s);
    expect(s.volume).toBe(0.2);
    expect(canQuieter(s)).toBe(false);
    expect(volumePercent(louder(s))).toBe(40);
  });
});

class FakeAudio implements AudioLike {
  src = '';
  volume = 1;
  paused = true;
  plays: { src: string; volume: number }[] = [];
  /** What play() does: start, refuse (autoplay policy), fail (no file) or throw. */
  mode: 'play' | 'refuse' | 'fail' | 'throw' | 'legacy' = 'play';

  play(): Promise<void> | undefined {
    if (this.mode === 'throw') throw new Error('boom');
    this.plays.push({ src: this.src, volume: this.volume });
    if (this.mode === 'refuse') return Promise.reject(new DOMException('no gesture', 'NotAllowedError'));
    if (this.mode === 'fail') return Promise.reject(new DOMException('404', 'NotSupportedError'));
    this.paused = false;
    return this.mode === 'legacy' ? undefined : Promise.resolve();
  }

  pause(): void {
    this.paused = true;
  }
}

describe('VoiceEngine', () => {
  let audio: FakeAudio;
  let storage: MemoryStorage;
  const engine = (over: Partial<ConstructorParameters<typeof VoiceEngine>[0]> = {}) =>
    new VoiceEngine({ createAudio: () => audio, storage, base: './', ...over });
  const srcs = () => audio.plays.map((p) => p.src);

  beforeEach(() => {
    audio = new FakeAudio();
    storage = new MemoryStorage();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('plays the prompt when the screen, the language or easy mode changes, once each', () => {
    const v = engine();
    v.say('attract', 'zh-CN', false);
    v.say('attract', 'zh-CN', false);
    v.say('attract', 'en', false);
    v.say('attract', 'en', true);
    v.say('scan', 'en', true);
    expect(srcs()).toEqual([
      './voice/zh-CN/attract-normal.ogg',
      './voice/en/attract-normal.ogg',
      './voice/en/attract-slow.ogg',
      './voice/en/scan-slow.ogg',
    ]);
    expect(audio.plays[0]?.volume).toBe(DEFAULT_VOICE_SETTINGS.volume);
  });

  it('is silent on a screen without a prompt, and plays again when one comes back', () => {
    const v = engine();
    v.say('pin', 'zh-CN', false);
    v.say(null, 'zh-CN', false);
    expect(audio.paused).toBe(true);
    v.say('pin', 'zh-CN', false);
    expect(srcs()).toEqual(['./voice/zh-CN/pin-normal.ogg', './voice/zh-CN/pin-normal.ogg']);
  });

  it('mutes (stops the prompt), unmutes (plays it again) and remembers it for the next start', () => {
    const v = engine();
    v.say('token', 'zh-CN', false);
    v.toggleMute();
    expect(audio.paused).toBe(true);
    expect(v.settings.muted).toBe(true);
    v.say('progress', 'zh-CN', false);
    expect(srcs()).toEqual(['./voice/zh-CN/token-normal.ogg']);
    expect(loadVoiceSettings(storage).muted).toBe(true);

    const next = engine();
    expect(next.settings.muted).toBe(true);
    next.say('progress', 'zh-CN', false);
    expect(audio.plays).toHaveLength(1);
    next.toggleMute();
    expect(srcs().at(-1)).toBe('./voice/zh-CN/progress-normal.ogg');
    expect(loadVoiceSettings(storage).muted).toBe(false);
  });

  it('changes the volume at once, plays the prompt at the new level when none is playing, and stores it', () => {
    const seen: number[] = [];
    const v = engine({ onSettings: (s) => seen.push(s.volume) });
    v.say('order', 'en', false);
    v.quieter();
    expect(audio.volume).toBe(0.6);
    expect(audio.plays).toHaveLength(1);
    audio.pause();
    v.quieter();
    expect(audio.plays.at(-1)).toEqual({ src: './voice/en/order-normal.ogg', volume: 0.4 });
    expect(seen).toEqual([0.6, 0.4]);
    expect(loadVoiceSettings(storage).volume).toBe(0.4);
    expect(engine().settings.volume).toBe(0.4);
  });

  it('plays a prompt the browser refused before any gesture once the first gesture came', async () => {
    audio.mode = 'refuse';
    const v = engine();
    v.say('attract', 'zh-CN', false);
    await Promise.resolve();
    audio.mode = 'play';
    v.gesture();
    v.gesture();
    expect(audio.plays).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_GESTURE_MS);
    expect(srcs()).toEqual(['./voice/zh-CN/attract-normal.ogg', './voice/zh-CN/attract-normal.ogg']);
    v.gesture();
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_GESTURE_MS);
    expect(audio.plays).toHaveLength(2);
  });

  it('does not play the old prompt when the gesture changed the screen', async () => {
    audio.mode = 'refuse';
    const v = engine();
    v.say('attract', 'zh-CN', false);
    await Promise.resolve();
    audio.mode = 'play';
    v.gesture();
    v.say('scan', 'zh-CN', false);
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_GESTURE_MS);
    expect(srcs()).toEqual(['./voice/zh-CN/attract-normal.ogg', './voice/zh-CN/scan-normal.ogg']);
  });

  it('never throws: no audio, an audio that cannot be made, play() throwing, failing or old-style', async () => {
    const quiet = [
      engine({ createAudio: () => null }),
      engine({
        createAudio: () => {
          throw new Error('no audio device');
        },
      }),
    ];
    for (const v of quiet) {
      expect(() => {
        v.say('done', 'en', false);
        v.louder();
        v.toggleMute();
        v.toggleMute();
        v.gesture();
        v.replay();
        v.stop();
      }).not.toThrow();
    }
    for (const mode of ['throw', 'fail', 'legacy'] as const) {
      audio = new FakeAudio();
      audio.mode = mode;
      const v = engine();
      expect(() => {
        v.say('error', 'zh-CN', true);
        v.replay();
        v.quieter();
      }).not.toThrow();
      await vi.runAllTimersAsync();
    }
    const broken = engine({ storage: throwing });
    expect(() => broken.toggleMute()).not.toThrow();
    expect(broken.settings.muted).toBe(true);
  });
});
