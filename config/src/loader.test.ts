import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, readSecret } from './loader.js';
import { LOG_LEVELS } from './logging.js';

const profile = (name: string) => new URL(`../profiles/${name}.json`, import.meta.url).pathname;
const sim = () => JSON.parse(readFileSync(profile('sim'), 'utf8'));

function writeTemp(obj: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return file;
}

describe('config loader', () => {
  it('accepts both shipped profiles and fills defaults', () => {
    for (const name of ['sim', 'production.example']) {
      const r = loadConfigFile(profile(name));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    const r = loadConfigFile(profile('sim'));
    if (!r.ok) throw new Error('unreachable');
    expect(r.config.devices.idReader).toMatchObject({ transport: 'serial' });
    expect(r.config.store.dir.startsWith('/')).toBe(true);
  });

  it('takes in the file every level --log-level takes, silent included', () => {
    const shipped = loadConfigFile(profile('sim'));
    if (!shipped.ok) throw new Error('the sim profile does not load');
    for (const level of LOG_LEVELS) {
      const c = sim();
      c.log.level = level;
      // The copy is elsewhere: the module path as the profile resolves it.
      c.devices.token.module = shipped.config.devices.token.module;
      const r = loadConfigFile(writeTemp(c));
      expect(r.ok, `${level}: ${JSON.stringify(r)}`).toBe(true);
      if (r.ok) expect(r.config.log.level).toBe(level);
    }
  });

  it('reports one line per problem with the field path and what is expected', () => {
    const c = sim();
    delete c.appliance.hall;
    c.timeouts.deviceMs = 'fast';
    c.devices.printer = { transport: 'bluetooth', port: 'x' };
    c.devices.token.module = '/nonexistent/libpkcs11.so';
    const r = loadConfigFile(writeTemp(c));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContainEqual(expect.stringMatching(/^appliance\.hall: missing; expected string/));
    expect(r.problems).toContainEqual(
      expect.stringMatching(/^timeouts\.deviceMs: .*number.*got string "fast"/),
    );
    expect(r.problems).toContainEqual(
      expect.stringMatching(/^devices\.printer\.transport: expected transport "serial" or "usb"/),
    );
    // the module path is only checked once the shape is right
    expect(r.problems.join('\n')).not.toMatch(/module/);
  });

  it('refuses a PKCS#11 module path that does not exist', () => {
    const c = sim();
    c.devices.token.module = '/nonexistent/libpkcs11.so';
    const r = loadConfigFile(writeTemp(c));
    expect(r).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^devices\.token\.module: expected an existing PKCS#11 module file/)],
    });
  });

  it('refuses a secret written into the JSON and unknown fields', () => {
    const c = sim();
    c.secrets.soPinMasterSecret = 'hunter2';
    c.devices.token.soPin = '12345678';
    const r = loadConfigFile(writeTemp(c));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContainEqual(
      expect.stringMatching(/^secrets\.soPinMasterSecret: .*never go in the JSON/),
    );
    expect(r.problems).toContainEqual('devices.token.soPin: unknown field (remove it or check its spelling)');
  });

  it('reports unreadable and non-JSON files', () => {
    expect(loadConfigFile('/nonexistent.json')).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/cannot read/)],
    });
    expect(loadConfigFile(writeTemp('{ nope'))).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/not valid JSON/)],
    });
  });

  it('reads secrets from the environment or a file only', () => {
    expect(readSecret({ env: 'X_SECRET' }, { X_SECRET: 'abc' }).toString()).toBe('abc');
    expect(() => readSecret({ env: 'X_SECRET' }, {})).toThrow(/X_SECRET is not set/);
    const f = writeTemp('s3cret\n');
    expect(readSecret({ file: f }).toString()).toBe('s3cret');
  });
});

describe('certkiosk-config check (built CLI)', () => {
  const cli = new URL('../dist/cli.js', import.meta.url).pathname;
  it('prints ok and exits 0 for a valid file', () => {
    expect(execFileSync(process.execPath, [cli, 'check', profile('sim')]).toString()).toBe('ok\n');
  });
  it('prints the problems and exits non-zero for a bad file', () => {
    const c = sim();
    c.log.level = 'loud';
    const r = spawnSync(process.execPath, [cli, 'check', writeTemp(c)]);
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/^log\.level: .*"info".*got string "loud"/m);
  });
});
