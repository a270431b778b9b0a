// The kiosk's daily reconciliation: once a day, from 02:30 Beijing time, the previous day's records go to central
// with a kiosk run of that day, so central's own scheduled run (02:00, and again while the provider's bill is missing)
// and every later run of the day have them. A failed run (central unreachable) is tried again at the next check; a
// restart sends the day again, which is harmless (central keeps one set of records per kiosk and day, replaced).
import { beijingDay, beijingMinuteOfDay, previousDay } from '@certkiosk/sync';

/** 02:30 Beijing, in minutes after midnight: after central's 02:00 run has started the day. */
export const DAILY_AT_MINUTES = 2 * 60 + 30;

export interface DailyReconciliationOptions {
  /** Run a day at central with the kiosk's records (ReconciliationDesk.run). */
  run(day: string): Promise<unknown>;
  /** The clock (epoch ms); tests pass a fake one. */
  now?: () => number;
  /** How often to look whether the day is due (default one minute). */
  checkEveryMs?: number;
  dailyAtMinutes?: number;
  /** Told about each run (`ok`) and each failure, for the log and the audit. */
  onRun?: (day: string, outcome: { ok: true } | { ok: false; error: unknown }) => void | Promise<void>;
}

export class DailyReconciliation {
  private readonly now: () => number;
  private readonly at: number;
  private done: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<string | null> | null = null;

  constructor(private readonly opts: DailyReconciliationOptions) {
    this.now = opts.now ?? Date.now;
    this.at = opts.dailyAtMinutes ?? DAILY_AT_MINUTES;
  }

  /** The day due now (yesterday, from the daily time on, until it was sent), or null. */
  due(): string | null {
    const now = this.now();
    if (beijingMinuteOfDay(now) < this.at) return null;
    const day = previousDay(beijingDay(now));
    return day === this.done ? null : day;
  }

  /** Run the due day, if any (one run at a time): the day run, or null when none was due or it failed. */
  check(): Promise<string | null> {
    this.running ??= this.runDue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runDue(): Promise<string | null> {
    const day = this.due();
    if (day === null) return null;
    try {
      await this.opts.run(day);
    } catch (error) {
      await this.tell(day, { ok: false, error });
      return null;
    }
    this.done = day;
    await this.tell(day, { ok: true });
    return day;
  }

  /** A listener that fails (the audit log's disk) neither stops the timer nor makes the day undone. */
  private async tell(day: string, outcome: { ok: true } | { ok: false; error: unknown }): Promise<void> {
    try {
      await this.opts.onRun?.(day, outcome);
    } catch {
      // nothing more to do here: the next check runs as before
    }
  }

  /** Look every `checkEveryMs` (the first look one interval after the start, once central had time to answer). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.opts.checkEveryMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
