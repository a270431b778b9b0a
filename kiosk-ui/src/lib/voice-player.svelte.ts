// The UI's voice player: voice-engine.ts on the page's one <audio> element and localStorage, with the volume
// and mute setting in $state for VoiceControl.svelte. App.svelte tells it the screen on show (`say`) and lets
// it watch for the first user gesture (`listen`). Never throws.
import type { Lang } from './i18n.ts';
import type { ScreenName } from './kiosk-state.ts';
import type { VoiceSettings, VoiceStorage } from './voice.ts';
import { type AudioLike, VoiceEngine } from './voice-engine.ts';

/** localStorage, or null where reading it throws (disabled storage, opaque origin). */
function storage(): VoiceStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function createAudio(): AudioLike | null {
  if (typeof Audio !== 'function') return null;
  const audio = new Audio();
  audio.preload = 'auto';
  return audio;
}

const GESTURES = ['pointerdown', 'keydown'] as const;

class VoicePlayer {
  #engine: VoiceEngine;
  /** Volume 0–1 and mute, as stored (VoiceControl shows them). */
  settings = $state<VoiceSettings>({ volume: 0.8, muted: false });

  constructor() {
    this.#engine = new VoiceEngine({
      createAudio,
      storage: storage(),
      base: import.meta.env.BASE_URL,
      onSettings: (s) => {
        this.settings = s;
      },
    });
    this.settings = this.#engine.settings;
  }

  /** The screen on show (null: none with a prompt, e.g. the staff screens), its language and easy mode. */
  say(screen: ScreenName | null, lang: Lang, easyMode: boolean): void {
    this.#engine.say(screen, lang, easyMode);
  }

  replay(): void {
    this.#engine.replay();
  }

  stop(): void {
    this.#engine.stop();
  }

  toggleMute(): void {
    this.#engine.toggleMute();
  }

  /** A session ended: the next applicant hears the prompts even if the last one muted them. */
  unmuteForNextApplicant(): void {
    if (this.settings.muted) this.#engine.toggleMute();
  }

  louder(): void {
    this.#engine.louder();
  }

  quieter(): void {
    this.#engine.quieter();
  }

  /** Watches `target` for user gestures (the browser allows sound after the first); returns the cleanup. */
  listen(target: EventTarget): () => void {
    const onGesture = () => this.#engine.gesture();
    for (const type of GESTURES) target.addEventListener(type, onGesture, { capture: true, passive: true });
    return () => {
      for (const type of GESTURES) target.removeEventListener(type, onGesture, { capture: true });
      this.#engine.stop();
    };
  }
}

export const voice = new VoicePlayer();
