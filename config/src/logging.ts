// The daemons' logs, defined once: the appliance daemon and central log through Fastify's own logger (pino),
// one JSON object per line on stdout (journald takes stdout as it is), ISO time, the daemon's name (and the
// appliance's id and hall where known) on every record, personal data redacted by path, and a last guard that
// masks anything shaped like an ID number wherever it sits in a line (a message, an error, a URL).
import pino, { type Logger, type LoggerOptions } from 'pino';
import { maskIdNumbersInText } from './masks.js';

export type { Logger } from 'pino';

/** The levels `--log-level` accepts, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** A `--log-level` value that is not one of LOG_LEVELS. */
export class LogLevelError extends Error {
  readonly code = 'BAD_LOG_LEVEL';
  constructor(readonly value: string) {
    super(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
    this.name = 'LogLevelError';
  }
}

/** `--log-level` as a level (DEFAULT_LOG_LEVEL when not given); a LogLevelError for anything else. */
export function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return DEFAULT_LOG_LEVEL;
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new LogLevelError(value);
}

/** What the redaction writes in place of a value. */
export const REDACTED = '[redacted]';

/** The fields that carry personal data or a secret: redacted wherever a record puts them (top level, or one
 *  or two objects down — `holder.idNumber`, `req.headers.authorization`, `body.pin`). */
const SECRET_FIELDS = [
  // the person
  'idNumber',
  'holderIdNumber',
  'name',
  'holderName',
  'applicantName',
  'phone',
  'email',
  'holder',
  'applicant',
  // PINs and codes
  'pin',
  'newPin',
  'oldPin',
  'soPin',
  'userPin',
  'puk',
  'pickupCode',
  'activationCode',
  'enrolmentCode',
  // credentials
  'token',
  'adminToken',
  'password',
  'authorization',
  'cookie',
  'set-cookie',
  // request bodies (PIN and ID routes carry them; no record needs a body)
  'body',
] as const;

/** The redaction paths (pino `redact`): each secret field at the top level and one or two levels down. */
export const REDACT_PATHS: string[] = SECRET_FIELDS.flatMap((f) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key, join('*'), join('*.*')];
});

/** A URL as logged: the query string's values and the capability token of a path under a secret prefix
 *  (central's phone page `/p/<token>`) replaced by REDACTED. */
export function redactUrl(url: string, secretPathPrefixes: readonly string[] = []): string {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  for (const prefix of secretPathPrefixes) {
    if (path.startsWith(prefix) && path.length > prefix.length) {
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      path = `${prefix}${REDACTED}${slash < 0 ? '' : rest.slice(slash)}`;
    }
  }
  if (!query) return path;
  const params = query
    .split('&')
    .map((pair) => `${pair.split('=')[0]}=${REDACTED}`)
    .join('&');
  return `${path}?${params}`;
}

// A path in a text (`/v1/x?a=1`, `/p/<token>`): what Fastify's own messages quote ("Route GET:/p/… not found").
const PATH_IN_TEXT = /\/[^\s"'<>]*/g;

/** Every URL path in a text as redactUrl leaves it (messages that quote a request's URL). */
export function redactUrlsInText(text: string, secretPathPrefixes: readonly string[] = []): string {
  return text.replace(PATH_IN_TEXT, (path) => redactUrl(path, secretPathPrefixes));
}

export interface LogSetup {
  /** The daemon's name on every record (`daemon`): `appliance`, `central`. */
  daemon: string;
  level?: LogLevel;
  /** More fields on every record (the appliance's id and hall). */
  base?: Record<string, string>;
  /** Paths whose next segment is a capability token (redacted in request logs). */
  secretPathPrefixes?: readonly string[];
  /** Where each line goes (without its newline); default: stdout (fd 1), synchronously. */
  write?: (line: string) => void;
  /** Also handed each line as written (already redacted and masked): e.g. a ring of recent records for the
   *  diagnostics bundle (`record(line)`). */
  onLine?: (line: string) => void;
}

interface RequestLike {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  ip?: string;
}

/** pino's options for a daemon (level, base, ISO time, redaction, serializers); the stream is separate. */
export function logOptions(setup: LogSetup): LoggerOptions {
  const prefixes = setup.secretPathPrefixes ?? [];
  return {
    level: setup.level ?? DEFAULT_LOG_LEVEL,
    base: { daemon: setup.daemon, pid: process.pid, ...setup.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level's name ("info"), not its number: what a person or journalctl's JSON output reads.
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // A message never quotes a query string's values or a phone page's token (Fastify's 404 message does).
    hooks: {
      logMethod(args, method) {
        const safe = args.map((a) => (typeof a === 'string' ? redactUrlsInText(a, prefixes) : a));
        return method.apply(this, safe as Parameters<typeof method>);
      },
    },
    serializers: {
      err: pino.stdSerializers.err,
      // A request as logged: its method, route, URL without secrets, and client address; no headers, no body.
      req: (req: RequestLike) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url, prefixes),
        ...(req.routeOptions?.url ? { route: req.routeOptions.url } : {}),
        ...(req.ip ? { remoteAddress: req.ip } : {}),
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** The stream a logger writes to: each line through the ID-number guard, then to `write` or stdout (and
 *  `onLine`). */
function guardedStream(setup: LogSetup): { write(chunk: string): void } {
  const stdout = setup.write ? null : pino.destination({ dest: 1, sync: true });
  return {
    write: (chunk) => {
      const line = maskIdNumbersInText(chunk).replace(/\n$/, '');
      if (stdout) stdout.write(`${line}\n`);
      else setup.write?.(line);
      setup.onLine?.(line);
    },
  };
}

/** A daemon's logger: hand it to Fastify as `loggerInstance`, and log the daemon's own progress through it. */
export function createLogger(setup: LogSetup): Logger {
  return pino(logOptions(setup), guardedStream(setup));
}

/** A log line as a record (null for a line that is not one: a test or the demo reading a daemon's stdout). */
export interface LogRecord {
  level: string;
  time: string;
  msg: string;
  daemon?: string;
  [field: string]: unknown;
}

export function parseLogLine(line: string): LogRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const r = JSON.parse(line) as Partial<LogRecord>;
    return typeof r.msg === 'string' && typeof r.level === 'string' ? (r as LogRecord) : null;
  } catch {
    return null;
  }
}

/** Whether any of `lines` is a record with this `msg`. */
export function hasLogRecord(lines: readonly string[], msg: string): boolean {
  return lines.some((l) => parseLogLine(l)?.msg === msg);
}
