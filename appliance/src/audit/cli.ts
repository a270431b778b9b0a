#!/usr/bin/env node
// certkiosk-audit verify --dir DIR: checks the audit log's hash chain; exit 0 "ok N records", 1 on the first
// bad record, 2 on a usage error.
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { verifyAuditLog } from './audit-log.js';

const USAGE = 'usage: certkiosk-audit verify --dir DIR';

export async function main(
  argv: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: { dir: { type: 'string' } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: { dir: { type: 'string' } }, allowPositionals: true });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  const dir = parsed.values.dir;
  if (command !== 'verify' || !dir) {
    err(USAGE);
    return 2;
  }
  if (!existsSync(dir)) {
    err(`No audit log at ${dir} (the directory does not exist).`);
    return 2;
  }
  const result = await verifyAuditLog(dir);
  if (result.ok) {
    out(
      `ok ${result.records} records${result.tornTail ? ' (a half-written last line from a crash is ignored)' : ''}`,
    );
    out(`head seq ${result.head.seq} hash ${result.head.hash}`);
    return 0;
  }
  out(`BAD at seq ${result.firstBadSeq}: ${result.problem} — ${result.message}`);
  out(`file ${result.segment}; ${result.records} records verified before it`);
  return 1;
}

// Run only as a program, not when imported by tests.
const self = fileURLToPath(import.meta.url);
if (process.argv[1] && realpathSync(process.argv[1]) === self) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 2;
    },
  );
}
