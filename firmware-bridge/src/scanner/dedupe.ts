// A scanner in continuous mode reads the same QR code many times while a phone is held under it.
// The window counts from the most recent read of that code, so a code left lying under the scanner
// is reported once, not once per window.

export const DEFAULT_DEDUPE_WINDOW_MS = 1500;

export class DuplicateFilter {
  private lastCode: string | undefined;
  private lastSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number = DEFAULT_DEDUPE_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the code should be reported, false when it repeats the previous read within the window. */
  accept(code: string): boolean {
    const now = this.now();
    const duplicate = code === this.lastCode && now - this.lastSeenAt < this.windowMs;
    this.lastCode = code;
    this.lastSeenAt = now;
    return !duplicate;
  }

  /** Forget the last code, e.g. after the scanner was reconnected. */
  reset(): void {
    this.lastCode = undefined;
    this.lastSeenAt = Number.NEGATIVE_INFINITY;
  }
}
