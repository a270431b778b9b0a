// "At most once per period" for work a busy central must not repeat on every request (pruning expired rows,
// sweeping for stale kiosks, a heartbeat-history point per appliance): one gate, per process, on central's clock.

/** One period: `take()` is true at most once per `everyMs`; `mark()` starts a period without asking. */
export class AtMostEvery {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number,
  ) {}

  /** True when the last period has run out; the next period starts now. */
  take(): boolean {
    if (this.now() - this.last < this.everyMs) return false;
    this.mark();
    return true;
  }

  /** The work just ran: the next may run a period from now. */
  mark(): void {
    this.last = this.now();
  }
}

/** A period per key (an appliance), remembering at most `maxKeys` of them (beyond, it forgets them all). */
export class AtMostEveryPerKey {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number,
    private readonly maxKeys: number,
  ) {}

  /** True when `key`'s period has run out (or is not remembered); unlike AtMostEvery, starts none. */
  due(key: string): boolean {
    return this.now() - (this.last.get(key) ?? Number.NEGATIVE_INFINITY) >= this.everyMs;
  }

  /** `key`'s work just ran: its next may run a period from now. */
  mark(key: string): void {
    if (this.last.size >= this.maxKeys && !this.last.has(key)) this.last.clear();
    this.last.set(key, this.now());
  }
}
