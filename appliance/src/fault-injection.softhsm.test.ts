// kill -9 at every side-effect boundary: the sim daemon runs a pickup journey in a child process that
// SIGKILLs itself right before an effect starts (its intent durable) or right after it (its result not yet
// recorded) — CERTKIOSK_FAULT_AT, see journey/pickup-table.ts. It is restarted on the same store, SoftHSM
// and outbox; the journey is finished the way a person would; then the token's objects, central's rows and
// the events are checked, not only the journey status.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveTransportPin } from '@certkiosk/firmware-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_POINTS, PICKUP_EFFECTS, type PickupEffect, RECOVERY_OUTCOME } from './journey/pickup-table.js';
import { call, centralRows, HOLDER_PIN, play, startDaemonChild } from './testing/daemon-child.js';
import { type CentralHandle, SIM_SECRETS_ENV, startTestCentral, waitFor } from './testing/kiosk-harness.js';
import { inspectSimKeys } from './testing/token-inspect.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

/** The recovery outcome the restarted daemon must print, per fault point: its effect's rule. */
function expectedOutcome(point: string): string {
  const effect = point.split(':')[1] as PickupEffect;
  return RECOVERY_OUTCOME[PICKUP_EFFECTS[effect].recovery];
}

const master = SIM_SECRETS_ENV.CERTKIOSK_SO_PIN_MASTER;
const pinsFor = (serial: string) => [HOLDER_PIN, deriveTransportPin(Buffer.from(master), serial)];

/** Wrong user PINs ever given to a key (usbkey-sim logs each one and never resets that log). */
function pinTriesSpent(simDir: string, serial: string): number {
  const file = join(simDir, 'softhsm', `usbkey-sim-${serial}.wrong-total`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('kill -9 at every side-effect boundary', () => {
  it.each(FAULT_POINTS)(
    'crash at %s: one certificate, one key pair and one leaf on the key, every event once',
    async (point) => {
      const dir = mkdtempSync(join(tmpdir(), `ck-crash-${point.replace(':', '-')}-`));
      const simDir = join(dir, 'sim');
      const { orderId, pickupCode } = await central.createApprovedOrder();

      const first = await startDaemonChild(dir, central, { CERTKIOSK_FAULT_AT: point });
      expect(first.output.join('\n')).toContain('FAULT INJECTION ARMED');
      await play(first, pickupCode);
      const end = await first.exited;
      expect(end.signal, `the daemon should have been killed at ${point}`).toBe('SIGKILL');

      const second = await startDaemonChild(dir, central);
      try {
        expect(second.output.join('\n')).not.toContain('FAULT INJECTION ARMED');
        const outcome = expectedOutcome(point);
        expect(second.recovered(), second.output.join('\n')).toEqual([outcome]);
        // Rolled back: the order is collectable again, with a new key (the touched one is spoiled).
        if (outcome === 'rolled-back') await call(second.base, 'POST', '/sim/token', { action: 'pull' });
        const last = await play(second, pickupCode);
        expect(last?.status ?? 'closed', second.output.slice(-30).join('\n')).toMatch(/completed|closed/);

        // Central: the order activated, exactly one certificate, every event exactly once.
        await waitFor(
          async () => (await central.order(orderId)).status === 'activated',
          20_000,
          'order activated at central',
        );
        await waitFor(
          async () => ((await centralRows(central, orderId)).eventsByType['issuance.record'] ?? 0) === 1,
          20_000,
          'issuance record at central',
        );
        const rows = await centralRows(central, orderId);
        expect(rows.certificates).toHaveLength(1);
        expect(rows.certificates[0]?.['revoked_at']).toBeNull();
        expect(rows.eventsByType).toMatchObject({
          'certificate.issued': 1,
          'certificate.written': 1,
          'receipt.printed': 1,
          'issuance.record': 1,
          'certificate.activated': 1,
        });
        expect(rows.eventsByType['journey.failed'] ?? 0).toBe(outcome === 'rolled-back' ? 1 : 0);
        expect(rows.eventsByType['journey.in-doubt'] ?? 0).toBe(0);
      } finally {
        await second.stop();
      }

      // The keys: exactly one carries the certificate, with one private key, one public key and one leaf
      // under the key pair's id, opened by the holder's PIN and with no PIN try spent; a key touched by a
      // rolled-back attempt carries no certificate.
      const keys = inspectSimKeys(simDir, `CK-${orderId}`.slice(0, 32), pinsFor);
      const withCert = keys.filter((k) => k.certificates.length > 0);
      expect(withCert, JSON.stringify(keys)).toHaveLength(1);
      const key = withCert[0]!;
      expect(key.openedWith).toBe(HOLDER_PIN);
      expect(key.privateKeys).toBe(1);
      expect(key.publicKeys).toBe(1);
      expect(key.keyIds).toHaveLength(1);
      expect(key.certificates.filter((c) => c.id === key.keyIds[0])).toHaveLength(1);
      expect(pinTriesSpent(simDir, key.serial)).toBe(0);
      for (const spoiled of keys.filter((k) => k !== key)) expect(spoiled.certificates).toHaveLength(0);
    },
    120_000,
  );
});
