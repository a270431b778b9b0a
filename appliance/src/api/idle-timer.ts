// The applicant's idle clock: after `warningMs` of no activity a warning (with the wipe time), after a
// further `wipeMs` (≥ 20 s, WCAG 2.2.1) the session is wiped. Any activity starts it over.
import { EventEmitter } from 'node:events';

export class IdleTimer extends EventEmitter<{ warning: [wipeAt: string]; expired: [] }> {
  private warnTimer: NodeJS.Timeout | undefined;
  private wipeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly warningMs: number,
    private readonly wipeMs: number,
  ) {
    super();
  }

  /** Restart the clock; returns the time (ms since epoch) the session will be wiped without activity. */
  touch(): number {
    this.stop();
    const wipeAt = Date.now() + this.warningMs + this.wipeMs;
    this.warnTimer = setTimeout(() => this.emit('warning', new Date(wipeAt).toISOString()), this.warningMs);
    this.wipeTimer = setTimeout(() => this.emit('expired'), this.warningMs + this.wipeMs);
    return wipeAt;
  }

  get running(): boolean {
    return this.wipeTimer !== undefined;
  }

  stop(): void {
    clearTimeout(this.warnTimer);
    clearTimeout(this.wipeTimer);
    this.warnTimer = this.wipeTimer = undefined;
  }
}
