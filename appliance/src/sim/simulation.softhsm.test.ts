// The sim's appliance token survives what SoftHSM's file store does not: a process killed while SoftHSM
// rewrites the token's token.object (it does at every login). The appliance keeps its own token (no second
// one with a new key), as a real appliance token would.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIANCE_HMAC_KEY_LABEL, APPLIANCE_KEY_ID } from '../appliance-key.js';
import {
  type CentralHandle,
  SIM_SECRETS_ENV,
  simConfig,
  startTestCentral,
} from '../testing/kiosk-harness.js';
import { startSimDaemon } from './compose.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

describe('the sim appliance token', () => {
  it('a token.object lost to a kill is put back: the same appliance token, no new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-sim-token-'));
    const config = simConfig(dir, central.url);
    const start = () =>
      startSimDaemon({
        config,
        port: 0,
        env: SIM_SECRETS_ENV,
        pollMs: 100,
        heartbeatMs: 60_000,
        log: () => {},
      });
    // The token's identity: its key, and its HMAC secret (the journal's keys derive from it).
    const identity = (d: Awaited<ReturnType<typeof start>>) =>
      d.manager
        .usbKey()
        .withSession(
          { label: 'certkiosk-appliance' },
          SIM_SECRETS_ENV.CERTKIOSK_APPLIANCE_TOKEN_PIN,
          (t) => ({
            key: t.publicKeySha256(APPLIANCE_KEY_ID),
            hmac: t.hmac(APPLIANCE_HMAC_KEY_LABEL, Buffer.from('identity')).toString('hex'),
          }),
        );
    const first = await start();
    const firstIdentity = await identity(first);
    await first.stop();
    const simDir = config.simulation?.dir ?? '';
    const { folder } = JSON.parse(readFileSync(join(simDir, 'appliance-token.json'), 'utf8')) as {
      folder: string;
    };
    const tokenObject = join(simDir, 'softhsm', 'tokens', folder, 'token.object');
    expect(existsSync(tokenObject)).toBe(true);
    rmSync(tokenObject);

    const second = await start();
    try {
      // Put back (SoftHSM's generation counter in it may differ): the same key and HMAC secret.
      expect(readFileSync(tokenObject).length).toBeGreaterThan(0);
      expect(await identity(second)).toEqual(firstIdentity);
      // No second appliance token was made.
      const folders = readdirSync(join(simDir, 'softhsm', 'tokens'));
      const labels = folders.filter((f) => {
        const obj = join(simDir, 'softhsm', 'tokens', f, 'token.object');
        return existsSync(obj) && readFileSync(obj).includes(Buffer.from('certkiosk-appliance'));
      });
      expect(labels).toEqual([folder]);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
