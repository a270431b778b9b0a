// The one loader: read JSON, validate against the schema, check paths on disk, report one line per problem.
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { productionProblems } from './production-rules.js';
import { type CertkioskConfig, configSchema, type SecretSource } from './schema.js';

export type LoadResult = { ok: true; config: CertkioskConfig } | { ok: false; problems: string[] };

/** Error thrown by `loadConfigOrThrow`; `problems` holds one line per field. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const s = JSON.stringify(value);
  return `${typeof value} ${s.length > 40 ? `${s.slice(0, 37)}...` : s}`;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function issueLine(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map(
        (k) => `${path === '(root)' ? k : `${path}.${k}`}: unknown field (remove it or check its spelling)`,
      )
      .join('\n');
  }
  const got = valueAt(input, issue.path);
  const message = issue.message.replace(/^Invalid input: /, '');
  if (got === undefined && issue.code === 'invalid_type') {
    return `${path}: missing; ${message.replace(/, received undefined$/, '')}`;
  }
  return `${path}: ${message.replace(/, received \w+$/, '')} (got ${describe(got)})`;
}

/** Validate an already-parsed object. `baseDir` resolves relative paths. */
export function parseConfig(input: unknown, baseDir: string): LoadResult {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap((i) => issueLine(i, input).split('\n')) };
  }
  const config = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.store.dir = abs(config.store.dir);
  config.devices.token.module = abs(config.devices.token.module);
  for (const dev of [config.devices.idReader, config.devices.printer, config.devices.scanner]) {
    if (dev.transport === 'serial') dev.port = abs(dev.port);
  }
  for (const source of Object.values(config.secrets)) {
    if (source && 'file' in source) source.file = abs(source.file);
  }
  if (config.simulation) config.simulation.dir = abs(config.simulation.dir);

  const problems: string[] = [];
  const mod = config.devices.token.module;
  if (!existsSync(mod) || !statSync(mod).isFile()) {
    problems.push(
      `devices.token.module: expected an existing PKCS#11 module file (got "${mod}", which does not exist)`,
    );
  }
  try {
    createPublicKey(config.central.publicKey);
  } catch (err) {
    problems.push(`central.publicKey: expected a PEM public key that parses (${(err as Error).message})`);
  }
  problems.push(...productionProblems(config));
  return problems.length ? { ok: false, problems } : { ok: true, config };
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`(file): cannot read ${file}: ${(err as Error).message}`] };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`(file): not valid JSON: ${(err as Error).message}`] };
  }
  return parseConfig(input, dirname(resolve(file)));
}

export function loadConfigOrThrow(file: string): CertkioskConfig {
  const result = loadConfigFile(file);
  if (!result.ok) throw new ConfigError(file, result.problems);
  return result.config;
}

/** For program entry points: print one line per problem to stderr and exit 2. */
export function loadConfigOrExit(file: string): CertkioskConfig {
  const result = loadConfigFile(file);
  if (!result.ok) {
    process.stderr.write(`certkiosk: invalid configuration ${file}\n`);
    for (const p of result.problems) process.stderr.write(`${p}\n`);
    process.exit(2);
  }
  return result.config;
}

/** Read a secret from where the config says it lives; never from the JSON. */
export function readSecret(source: SecretSource, env: NodeJS.ProcessEnv = process.env): Buffer {
  if ('env' in source) {
    const v = env[source.env];
    if (!v) throw new ConfigError('(secrets)', [`secrets: environment variable ${source.env} is not set`]);
    return Buffer.from(v, 'utf8');
  }
  try {
    const b = readFileSync(source.file);
    const trimmed = b.toString('utf8').trim();
    if (!trimmed) throw new Error('file is empty');
    return Buffer.from(trimmed, 'utf8');
  } catch (err) {
    throw new ConfigError('(secrets)', [`secrets: cannot read ${source.file}: ${(err as Error).message}`]);
  }
}
