// Plays the voice prompt of the screen on show (plain TS over an injected audio element, so it is unit-tested
// without a browser; voice-player.svelte.ts wraps it for the UI). Nothing here ever throws: a kiosk that
// cannot play sound (no audio device, a missing file, the browser's autoplay policy) stays silent.
//
// Autoplay: Chromium plays sound only once the page had a user gesture (unless the kiosk's browser runs with
// --autoplay-policy=no-user-gesture-required). A prompt the browser refused is remembered; at the first
// gesture it is played if its screen is still on show a moment later (the tap that unlocks sound usually
// changes the screen, whose own prompt then plays instead). After that first gesture Chromium keeps allowing.
import type { Lang } from './i18n.ts';
import type { ScreenName } from './kiosk-state.ts';
import {
  loadVoiceSettings,
  louder,
  quieter,
  saveVoiceSettings,
  type VoiceSettings,
  type VoiceStorage,
  voiceSrc,
} from './voice.ts';

/** The part of HTMLAudioElement this uses. */
export interface AudioLike {
  src: string;
  volume: number;
  readonly paused: boolean;
  play(): Promise<void> | undefined;
  pause(): void;
}

export interface VoiceEngineOptions {
  /** Makes the one audio element, on first use; null (or a throw) where there is none: silence. */
  createAudio: () => AudioLike | null;
  storage: VoiceStorage | null;
  /** The UI's base URL (import.meta.env.BASE_URL). */
  base?: string;
  /** Told of every settings change (the UI keeps them in $state). */
  onSettings?: (settings: VoiceSettings) => void;
  /** How long after the first gesture a refused prompt is retried, if its screen is still on show. */
  retryAfterGestureMs?: number;
}

export const RETRY_AFTER_GESTURE_MS = 400;

function refusedByPolicy(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'NotAllowedError';
}

export class VoiceEngine {
  #options: VoiceEngineOptions;
  #settings: VoiceSettings;
  #audio: AudioLike | null | undefined;
  /** The prompt of what is on screen, or null (no prompt: staff screens). */
  #src: string | null = null;
  /** The browser refused to play #src (no user gesture yet). */
  #refused = false;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(options: VoiceEngineOptions) {
    this.#options = options;
    this.#settings = loadVoiceSettings(options.storage);
  }

  get settings(): VoiceSettings {
    return { ...this.#settings };
  }

  /** What is on screen now; plays its prompt when it changed (screen, language or easy mode). */
  say(screen: ScreenName | null, lang: Lang, easyMode: boolean): void {
    const src = screen === null ? null : voiceSrc(screen, lang, easyMode, this.#options.base);
    if (src === this.#src) return;
    this.#src = src;
    this.#refused = false;
    this.#cancelRetry();
    if (src === null) this.#pause();
    else this.#play();
  }

  /** The current prompt again, from the start. */
  replay(): void {
    this.#play();
  }

  /** Silence until the next say() with a screen. */
  stop(): void {
    this.#src = null;
    this.#refused = false;
    this.#cancelRetry();
    this.#pause();
  }

  /** A user gesture (pointerdown, keydown): the browser now lets the page play a prompt it refused. */
  gesture(): void {
    if (!this.#refused || this.#retry !== null) return;
    this.#refused = false;
    const src = this.#src;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#src === src && this.#audio?.paused !== false) this.#play();
    }, this.#options.retryAfterGestureMs ?? RETRY_AFTER_GESTURE_MS);
  }

  /** Mute stops the prompt; unmute plays the current one from the start (the applicant hears it worked). */
  toggleMute(): void {
    this.#update({ ...this.#settings, muted: !this.#settings.muted });
    if (this.#settings.muted) this.#pause();
    else this.#play();
  }

  louder(): void {
    this.#changeVolume(louder(this.#settings));
  }

  quieter(): void {
    this.#changeVolume(quieter(this.#settings));
  }

  dispose(): void {
    this.stop();
  }

  #changeVolume(next: VoiceSettings): void {
    this.#update(next);
    if (next.muted) return;
    const audio = this.#element();
    try {
      if (audio) audio.volume = next.volume;
      // Nothing playing: play the prompt at the new level, so the applicant hears what the button did.
      if (!audio || audio.paused) this.#play();
    } catch {
      // silent
    }
  }

  #update(next: VoiceSettings): void {
    this.#settings = next;
    saveVoiceSettings(this.#options.storage, next);
    this.#options.onSettings?.({ ...next });
  }

  #element(): AudioLike | null {
    if (this.#audio === undefined) {
      try {
        this.#audio = this.#options.createAudio();
      } catch {
        this.#audio = null;
      }
    }
    return this.#audio;
  }

  #play(): void {
    const src = this.#src;
    if (src === null || this.#settings.muted) return;
    const audio = this.#element();
    if (!audio) return;
    try {
      audio.pause();
      audio.volume = this.#settings.volume;
      // Setting src (even the same one) loads it afresh: the prompt starts from its beginning.
      audio.src = src;
      const started = audio.play();
      if (started && typeof started.then === 'function') {
        started.then(
          () => {
            if (this.#src === src) this.#refused = false;
          },
          (e: unknown) => {
            // AbortError (another prompt came first), NotSupportedError (no file): nothing to do.
            if (refusedByPolicy(e) && this.#src === src) this.#refused = true;
          },
        );
      }
    } catch (e) {
      if (refusedByPolicy(e) && this.#src === src) this.#refused = true;
    }
  }

  #pause(): void {
    try {
      this.#audio?.pause();
    } catch {
      // silent
    }
  }

  #cancelRetry(): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
