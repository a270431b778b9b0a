// The daemon's recent log lines, kept in memory for the diagnostics bundle: a bounded ring (the newest
// RECENT_LOG_LINES), fed by `record(line)` from whatever logs (a text line, or a pino-style JSON object).
// Lines are kept as given; the masks are applied when the bundle is built (diagnostics.ts `recentLogs`).
export const RECENT_LOG_LINES = 500;
/** A longer line is cut here (a stack trace or a dumped object must not crowd out the rest). */
const MAX_LINE_CHARS = 2000;

export type LogEntry = string | Record<string, unknown>;

export class LogRing {
  private readonly lines: LogEntry[] = [];

  constructor(readonly capacity = RECENT_LOG_LINES) {}

  record(line: string | object): void {
    const entry: LogEntry =
      typeof line === 'string' ? line.slice(0, MAX_LINE_CHARS) : { ...(line as Record<string, unknown>) };
    this.lines.push(entry);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** Oldest first. */
  recent(): LogEntry[] {
    return [...this.lines];
  }

  clear(): void {
    this.lines.length = 0;
  }
}

/** The process's ring: the daemon's log function and any logger record into it. */
export const recentLog = new LogRing();
export const record = (line: string | object): void => recentLog.record(line);
