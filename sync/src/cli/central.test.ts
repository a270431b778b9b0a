// The central CLI's appliance-trust switches, run as operations run them (the built CLI in a child process):
// --register-appliance prints a one-time enrolment code, and --auto-approve-appliances refuses any address
// but loopback.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCentral } from '../central/app.js';
import { newApplianceKey } from '../central/testing.js';
import { createKeySigner, signRequest } from '../contract/request-signing.js';

const CLI = fileURLToPath(new URL('../../dist/cli/central.js', import.meta.url));
const STRONG = 'a3f1'.repeat(8);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-cli-central-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CERTKIOSK_CENTRAL_ADMIN_TOKEN: STRONG },
  });

describe('certkiosk-central (built CLI)', () => {
  it('is built', () => expect(existsSync(CLI), 'build first: npx tsc -b').toBe(true));

  it('auto-approve on a non-loopback address refuses to start with one line', () => {
    for (const host of ['0.0.0.0', '10.0.0.5']) {
      const r = run([
        '--port',
        '0',
        '--data',
        join(dir, 'auto'),
        '--host',
        host,
        '--public-url',
        'https://central.example',
        '--auto-approve-appliances',
      ]);
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^certkiosk-central: refusing to listen on ${host.replaceAll('.', '\\.')} \\(not loopback\\) with --auto-approve-appliances`,
        ),
      );
      expect(r.stdout).not.toContain('listening');
    }
  });

  it('--register-appliance ID:HALL prints a one-time code that enrols that appliance (and only once)', async () => {
    const data = join(dir, 'register');
    const r = run(['--data', data, '--register-appliance', 'KIOSK-CLI-1:SZ-FUTIAN']);
    expect(r.status, r.stderr).toBe(0);
    const code = /enrolment code: ([A-Z0-9-]+)/.exec(r.stdout)?.[1];
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/);
    expect(run(['--data', data, '--register-appliance', 'no-hall']).status).toBe(2);

    const app = await buildCentral({ dataDir: data, adminToken: 'dev' });
    try {
      const enrol = async (k: ReturnType<typeof newApplianceKey>) => {
        const payload = JSON.stringify({
          applianceId: k.id,
          hall: k.hall,
          publicKeyPem: k.publicKeyPem,
          enrolmentCode: code,
        });
        const headers = await signRequest(
          { applianceId: k.id, method: 'POST', path: '/v1/appliances/enrol', body: payload },
          createKeySigner(k.privateKey),
        );
        return app.inject({
          method: 'POST',
          url: '/v1/appliances/enrol',
          headers: { ...headers, 'content-type': 'application/json' },
          payload,
        });
      };
      const first = await enrol(newApplianceKey('KIOSK-CLI-1'));
      expect(first.json()).toMatchObject({
        applianceId: 'KIOSK-CLI-1',
        hall: 'SZ-FUTIAN',
        status: 'pending',
      });
      expect((await enrol(newApplianceKey('KIOSK-CLI-1'))).json()).toMatchObject({
        code: 'ENROLMENT_CODE_USED',
      });
    } finally {
      await app.close();
    }
  });
});
