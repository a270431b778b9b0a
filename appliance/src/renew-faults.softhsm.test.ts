// kill -9 at every side-effect boundary of renew (续期, services/service-table.ts): the sim daemon runs the
// renewal in a child process that SIGKILLs itself right before an effect starts (its intent durable), right
// after it (its result not yet recorded), or right after a step is durable (CERTKIOSK_FAULT_AT). Restarted on
// the same store, SoftHSM and outbox, the holder goes on as a person would (types the current PIN again).
// What must hold whatever the crash: the key ends with exactly one certificate — the renewed one — whose key
// pair signs, and never without a working one in between (a crash before the new one is verified leaves the
// old one on the key); central issued the renewal once and revoked the old certificate once (superseded);
// one certificate.renewed event; no PIN try spent.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseCertificateSerial } from '@certkiosk/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import {
  SERVICE_EFFECTS,
  SERVICE_RECOVERY_OUTCOME,
  type ServiceEffect,
  type ServiceFaultPoint,
  serviceStepIndex,
} from './services/service-table.js';
import { makeCourieredKey, playServiceInChild, renewalOrder } from './testing/after-sales.js';
import { centralEventCount, centralStore } from './testing/central-rows.js';
import { HOLDER_PIN, startDaemonChild } from './testing/daemon-child.js';
import { type CentralHandle, startTestCentral, waitFor } from './testing/kiosk-harness.js';
import { inspectSimKeys, simPinTriesSpent } from './testing/token-inspect.js';

const DAY = 86_400_000;
let central: CentralHandle;
let centralOffsetMs = 0;
beforeAll(async () => {
  central = await startTestCentral(undefined, 0, { now: () => Date.now() + centralOffsetMs });
});
afterAll(async () => central?.stop());

const POINTS: ServiceFaultPoint[] = [
  ...(Object.keys(SERVICE_EFFECTS) as ServiceEffect[])
    .filter((e) => SERVICE_EFFECTS[e].kind === 'renew')
    .flatMap((e) => [`before:${e}` as const, `after:${e}` as const]),
  'service-step:renew:identity-verified',
  'service-step:renew:verified',
];

/** What the restarted daemon must print for the journey killed at `point`. */
function expectedOutcome(point: ServiceFaultPoint): string {
  if (point.startsWith('service-step:')) return 'pin-again';
  const effect = point.split(':')[1] as ServiceEffect;
  return SERVICE_RECOVERY_OUTCOME[SERVICE_EFFECTS[effect].recovery];
}

/** The step a crash at `point` leaves durable (before the effect: its `from`; after it: still its `from`). */
function durableStepAt(point: ServiceFaultPoint): string {
  if (point.startsWith('service-step:')) return point.split(':')[2]!;
  return SERVICE_EFFECTS[point.split(':')[1] as ServiceEffect].from;
}

const centralDb = () => centralStore(central);
const eventsAbout = (serial: string, type: string): Promise<number> =>
  centralEventCount(central, type, serial);

/** The holder's key as it lies in the sim (writer or pulled): its leaf certificates and key pairs. */
function keyContents(simDir: string) {
  const [k] = inspectSimKeys(simDir, 'HOLDER-KEY', () => [HOLDER_PIN]);
  if (!k) throw new Error('the holder key is nowhere');
  const leaves = k.certificates.filter((c) => k.keyIds.includes(c.id));
  return { ...k, leaves: leaves.map((c) => c.serial ?? '?').sort() };
}

describe('kill -9 during a renewal', () => {
  it.each(POINTS)(
    'crash at %s: a working certificate on the key throughout; then the renewed one only, issued once, the old revoked once, one event',
    async (point) => {
      const dir = mkdtempSync(join(tmpdir(), `ck-renew-crash-${point.replace(/:/g, '-')}-`));
      const simDir = join(dir, 'sim');
      centralOffsetMs = -320 * DAY;
      const key = await makeCourieredKey(central, join(simDir, 'key-tray'), 'holder-key', {
        ship: false,
        userPin: HOLDER_PIN,
      });
      centralOffsetMs = 0;
      const orderId = await renewalOrder(central, key.certificateSerial);
      const oldSerial = normaliseCertificateSerial(key.certificateSerial);

      const answers = { key: key.name, card: 'long-term-wang-shufen', pin: HOLDER_PIN };
      const first = await startDaemonChild(dir, central, { CERTKIOSK_FAULT_AT: point });
      expect(first.output.join('\n')).toContain('FAULT INJECTION ARMED');
      await playServiceInChild(first, 'renew', answers);
      const end = await first.exited;
      expect(end.signal, `the daemon should have been killed at ${point}`).toBe('SIGKILL');

      // At the crash: the old certificate is on the key until the new one was verified (and it still works).
      const atCrash = keyContents(simDir);
      const verified =
        serviceStepIndex('renew', durableStepAt(point) as ServiceView['step']) >=
        serviceStepIndex('renew', 'verified');
      if (!verified) expect(atCrash.leaves).toContain(oldSerial);
      expect(atCrash.leaves.length, JSON.stringify(atCrash)).toBeGreaterThan(0);

      const second = await startDaemonChild(dir, central);
      try {
        expect(second.recovered(), second.output.join('\n')).toEqual([expectedOutcome(point)]);
        const last = await playServiceInChild(second, 'renew', answers);
        expect(last?.status, second.output.slice(-30).join('\n')).toBe('completed');
        const fresh = normaliseCertificateSerial(last!.renewal!.newCertificate!.serialNumber);
        await waitFor(
          async () => (await eventsAbout(fresh, 'certificate.renewed')) > 0,
          20_000,
          'the event at central',
        );

        const certs = await centralDb().all<{ serial: string; voided_at: string | null }>(
          'SELECT serial, voided_at FROM certificates WHERE order_id = ?',
          orderId,
        );
        expect(certs.map((c) => c.serial)).toEqual([fresh]);
        const old = await centralDb().get<{ revoked_at: string | null; revocation_reason: string | null }>(
          'SELECT revoked_at, revocation_reason FROM certificates WHERE serial = ?',
          oldSerial,
        );
        expect(old?.revocation_reason).toBe('superseded');
        expect((await central.order(orderId)).status).toBe('issued');
        expect(await eventsAbout(fresh, 'certificate.renewed')).toBe(1);
      } finally {
        await second.stop();
      }
      const after = keyContents(simDir);
      expect(after.openedWith).toBe(HOLDER_PIN);
      expect(after.leaves).toEqual([
        normaliseCertificateSerial(
          (
            (await centralDb().get<{ serial: string }>(
              'SELECT serial FROM certificates WHERE order_id = ?',
              orderId,
            )) as {
              serial: string;
            }
          ).serial,
        ),
      ]);
      expect(after.privateKeys).toBe(1);
      expect(simPinTriesSpent(simDir, key.tokenSerial)).toBe(0);
    },
    120_000,
  );
});
