// certkiosk-token as a user runs it: the built CLI against SoftHSM2, with openssl as the CA.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayCa } from '../testing/openssl-ca.js';
import { createSoftHsmHome, SOFTHSM_MODULE, type SoftHsmHome } from '../token/softhsm.js';

const CLI = new URL('../../dist/cli/token.js', import.meta.url).pathname;
let home: SoftHsmHome;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...home.env, CERTKIOSK_PKCS11_MODULE: SOFTHSM_MODULE },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-cli-')));
});

describe('certkiosk-token', () => {
  it('personalises a key end to end with the documented commands', () => {
    const slots = run('slots', '--json');
    expect(slots.code).toBe(0);
    const free = JSON.parse(slots.out).find(
      (s: { token?: { flags: { initialized: boolean } } }) => s.token && !s.token.flags.initialized,
    );

    expect(
      run('init', '--slot', free.slotId, '--label', 'cli-key', '--so-pin', 'so-pin-1357', '--pin', '246813'),
    ).toMatchObject({
      code: 0,
      out: expect.stringMatching(/initialised "cli-key" serial \w+/),
    });
    expect(run('slots').out).toMatch(/"cli-key" serial/);

    const keygen = run(
      'keygen',
      '--token-label',
      'cli-key',
      '--pin',
      '246813',
      '--algo',
      'ec-p256',
      '--id',
      '0a0b',
      '--label',
      'sign',
    );
    expect(keygen.code, keygen.err).toBe(0);
    expect(keygen.out).toMatch(/CKA_LOCAL=true CKA_NEVER_EXTRACTABLE=true CKA_ALWAYS_SENSITIVE=true/);

    const csrFile = join(home.dir, 'req.csr');
    const csr = run(
      'csr',
      '--token-label',
      'cli-key',
      '--pin',
      '246813',
      '--id',
      '0a0b',
      '--subject',
      '/CN=李娜/O=示例单位',
      '--out',
      csrFile,
    );
    expect(csr.code, csr.err).toBe(0);
    const verify = spawnSync('openssl', ['req', '-in', csrFile, '-noout', '-verify'], { encoding: 'utf8' });
    expect(verify.status).toBe(0);

    const ca = createThrowawayCa(join(home.dir, 'ca'));
    const certFile = join(home.dir, 'leaf.pem');
    const chainFile = join(home.dir, 'chain.pem');
    writeFileSync(certFile, ca.sign(readFileSync(csrFile, 'utf8')));
    writeFileSync(chainFile, ca.caPem);
    const imp = run(
      'import-cert',
      '--token-label',
      'cli-key',
      '--pin',
      '246813',
      '--id',
      '0a0b',
      '--cert',
      certFile,
      '--chain',
      chainFile,
    );
    expect(imp.code, imp.err).toBe(0);

    expect(
      run('set-pin', '--token-label', 'cli-key', '--old-pin', '246813', '--new-pin', '681357').code,
    ).toBe(0);

    const info = run('info', '--token-label', 'cli-key', '--pin', '681357', '--json');
    expect(info.code, info.err).toBe(0);
    const report = JSON.parse(info.out);
    expect(report.keys[0]).toMatchObject({
      id: '0a0b',
      algorithm: 'ec-p256',
      evidence: { local: true, neverExtractable: true },
    });
    expect(report.certificates.map((c: { id: string }) => c.id)).toContain('0a0b');

    expect(
      run('unlock', '--token-label', 'cli-key', '--so-pin', 'so-pin-1357', '--new-pin', '975318').code,
    ).toBe(0);
    expect(run('info', '--token-label', 'cli-key', '--pin', '975318', '--json').code).toBe(0);
  });

  it('prints the error code and a plain sentence, and exits non-zero', () => {
    const wrong = run('info', '--token-label', 'nope', '--json');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^TOKEN_NOT_FOUND: No USB key with label "nope" is in the writer\./);

    const usage = run(
      'keygen',
      '--token-label',
      'x',
      '--pin',
      '1',
      '--algo',
      'dsa',
      '--id',
      '01',
      '--label',
      'k',
    );
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--algo must be one of rsa2048, rsa3072, ec-p256/);

    const noModule = spawnSync(process.execPath, [CLI, 'slots'], {
      env: { ...home.env, CERTKIOSK_PKCS11_MODULE: '' },
      encoding: 'utf8',
    });
    expect(noModule.status).toBe(2);
    expect(noModule.stderr).toMatch(/no PKCS#11 module/);

    const badModule = run('--module', '/nonexistent.so', 'slots');
    expect(badModule.code).toBe(1);
    expect(badModule.err).toMatch(/^TOKEN_MODULE_NOT_FOUND: /);
  });
});
