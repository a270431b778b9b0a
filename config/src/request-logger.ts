// Fastify's logger for one request (its `childLoggerFactory`), made only when the request logs something its
// level lets through. Fastify otherwise makes a pino child for every request, and a route with its own level
// (central's heartbeat route logs at warn) rebuilds every log method of that child: measured as 4–6% of central's
// CPU per heartbeat under fleet load, for a request that logs nothing. The records are the same: the child is
// made with the same bindings (the request id) and options the first time a record passes its level.
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogFn = (...args: unknown[]) => void;

class RequestLogger {
  private made: Logger | undefined;
  /** The lowest level value that is written (pino: higher values are more severe). */
  private threshold: number;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {
    this.threshold = opts.level === undefined ? parent.levelVal : levelValue(parent, opts.level);
  }

  /** The pino child, made on first use. */
  private real(): Logger {
    this.made ??= this.parent.child(this.bindings, this.opts);
    return this.made;
  }

  private log(method: Method, args: unknown[]): void {
    if (levelValue(this.parent, method) < this.threshold) return;
    (this.real()[method] as LogFn)(...args);
  }

  get level(): string {
    return this.made?.level ?? this.opts.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
    this.threshold = this.real().levelVal;
  }
  isLevelEnabled(level: string): boolean {
    return levelValue(this.parent, level) >= this.threshold;
  }
  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, opts);
  }
  silent(): void {}
  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
}

function levelValue(logger: Logger, level: string): number {
  if (level === 'silent') return Number.POSITIVE_INFINITY;
  const value = logger.levels.values[level];
  if (value === undefined) throw new Error(`unknown log level "${level}"`);
  return value;
}

/**
 * Fastify's `childLoggerFactory`: a request's logger whose pino child is made only when a record passes its
 * level (the route's `logLevel`, else the parent's). Typed as the parent's Logger: it has the methods Fastify
 * and the routes call (the six levels, silent, level, isLevelEnabled, child).
 */
export function lazyRequestLogger(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  return new RequestLogger(parent, bindings, opts) as unknown as Logger;
}
