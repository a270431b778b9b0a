// Types of voice-files.mjs (Node helpers of src/lib/voice-prompts.test.ts).
export declare const PUBLIC_DIR: string;
export declare function fileExists(path: string): boolean;
export declare function checkPrompts(): { ok: boolean; message: string };
export declare function measureAudio(path: string): {
  seconds: number;
  type: string;
  channels: number;
  rms: number;
};
export declare function readVoiceManifest(): {
  version: number;
  engines: string[];
  files: Record<string, { hash: string; voice: string; wpm: number; text: string }>;
};
export declare function espeakPhonemes(voice: string, text: string): string;
