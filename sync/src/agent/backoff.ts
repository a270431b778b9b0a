// Exponential backoff with jitter: retries spread out while central is down instead of arriving in lockstep.
export interface BackoffOptions {
  /** First delay (default 500 ms). */
  baseMs?: number;
  /** Ceiling (default 60 s). */
  maxMs?: number;
  factor?: number;
  /** 0…1 (default Math.random); tests pass a fixed value. */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.maxMs = opts.maxMs ?? 60_000;
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get attempt(): number {
    return this.failures;
  }

  /** Record a failure and return how long to wait: half the exponential step fixed, half random. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * this.factor ** this.failures);
    this.failures++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
