// certkiosk-demo shows its daemons' JSON log records as short lines a person reads at the terminal:
// `INFO  listening url=http://127.0.0.1:7420`. A line that is not a record passes as it is.
import { parseLogLine } from '@certkiosk/config';

/** Fields every record of a daemon carries, or that the prefix already says. */
const OMITTED = new Set(['level', 'time', 'msg', 'daemon', 'pid', 'applianceId', 'hall']);
/** Fastify's per-request records: at info on central, they would bury the rest of `make demo`. */
const REQUEST_RECORDS = new Set(['incoming request', 'request completed']);
const LONG = 120;

function value(v: unknown): string {
  const text = typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return text.length > LONG ? `${text.slice(0, LONG)}…` : text;
}

/**
 * The line as the demo shows it, or null to leave it out (a request record, unless `requests`).
 */
export function humanLogLine(line: string, opts: { requests?: boolean } = {}): string | null {
  const r = parseLogLine(line);
  if (!r) return line;
  if (!opts.requests && REQUEST_RECORDS.has(r.msg)) return null;
  const fields = Object.entries(r)
    .filter(([k, v]) => !OMITTED.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return [`${r.level.toUpperCase().padEnd(5)} ${r.msg}`, ...fields].join(' ');
}
