// kill -9 at every side-effect boundary of the activation and the unlock (services/service-table.ts): the
// sim daemon runs the service in a child process that SIGKILLs itself right before an effect starts (its
// intent durable), right after it (its result not yet recorded), or right after a step is durable
// (CERTKIOSK_FAULT_AT). It is restarted on the same store, SoftHSM and outbox; the holder finishes the way a
// person would (the card placed again, the PIN typed again); then the key itself, central's rows and the
// events are checked, not only the journey's status.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveTransportPin } from '@certkiosk/firmware-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from './api/service-contract.js';
import {
  SERVICE_EFFECTS,
  SERVICE_RECOVERY_OUTCOME,
  type ServiceEffect,
  type ServiceFaultPoint,
} from './services/service-table.js';
import {
  type HeldCertifiedKey,
  lockHeldKeyPin,
  MASTER,
  makeCourieredKey,
  playServiceInChild,
} from './testing/after-sales.js';
import { centralEventCount, centralStore } from './testing/central-rows.js';
import { HOLDER_PIN, startDaemonChild } from './testing/daemon-child.js';
import { type CentralHandle, startTestCentral, waitFor } from './testing/kiosk-harness.js';
import { inspectSimKeys, simPinTriesSpent } from './testing/token-inspect.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

const effectPoints = (kind: 'activate' | 'unlock'): ServiceFaultPoint[] =>
  (Object.keys(SERVICE_EFFECTS) as ServiceEffect[])
    .filter((e) => SERVICE_EFFECTS[e].kind === kind)
    .flatMap((e) => [`before:${e}` as const, `after:${e}` as const]);

/** What the restarted daemon must print for the journey killed at `point`. */
function expectedOutcome(point: ServiceFaultPoint): string {
  if (point.startsWith('service-step:')) {
    const step = point.split(':')[2];
    if (step === 'pin-set' || step === 'pin-reset') return 'completed';
    if (step === 'identity-verified') return SERVICE_RECOVERY_OUTCOME['ask-card-again'];
    return 'resumed';
  }
  const effect = point.split(':')[1] as ServiceEffect;
  return SERVICE_RECOVERY_OUTCOME[SERVICE_EFFECTS[effect].recovery];
}

const centralDb = () => centralStore(central);
const eventsAbout = (serial: string, type: string): Promise<number> =>
  centralEventCount(central, type, serial);

async function crashAndRecover(
  kind: 'activate' | 'unlock',
  point: ServiceFaultPoint,
): Promise<{ key: HeldCertifiedKey; simDir: string; last: ServiceView | null }> {
  const dir = mkdtempSync(join(tmpdir(), `ck-svc-crash-${point.replace(/:/g, '-')}-`));
  const simDir = join(dir, 'sim');
  const key = await makeCourieredKey(central, join(simDir, 'key-tray'), 'holder-key');
  if (kind === 'unlock') lockHeldKeyPin(simDir, 'holder-key');

  const answers = {
    key: key.name,
    ...(key.code ? { code: key.code } : {}),
    card: 'long-term-wang-shufen',
    pin: HOLDER_PIN,
  };
  const first = await startDaemonChild(dir, central, { CERTKIOSK_FAULT_AT: point });
  expect(first.output.join('\n')).toContain('FAULT INJECTION ARMED');
  await playServiceInChild(first, kind, answers);
  const end = await first.exited;
  expect(end.signal, `the daemon should have been killed at ${point}`).toBe('SIGKILL');

  const second = await startDaemonChild(dir, central);
  try {
    expect(second.recovered(), second.output.join('\n')).toEqual([expectedOutcome(point)]);
    const last = await playServiceInChild(second, kind, answers);
    expect(last?.status, second.output.slice(-30).join('\n')).toBe('completed');
    // The outbox delivered what the journey queued (or what the killed daemon had queued before).
    await waitFor(
      async () =>
        (await eventsAbout(
          key.certificateSerial,
          kind === 'activate' ? 'certificate.activated' : 'token.unlocked',
        )) > 0,
      20_000,
      'the event at central',
    );
    return { key, simDir, last };
  } finally {
    await second.stop();
  }
}

describe('kill -9 during the activation of a couriered key', () => {
  it.each([
    ...effectPoints('activate'),
    'service-step:activate:code-accepted',
    'service-step:activate:pin-set',
  ] as ServiceFaultPoint[])(
    'crash at %s: activated once at central, no wrong code counted, the holder’s PIN on the key, one event',
    async (point) => {
      const { key, simDir } = await crashAndRecover('activate', point);
      expect((await central.order(key.orderId)).status).toBe('activated');
      const code = await centralDb().get<{ wrong_attempts: number; used_at: string | null }>(
        'SELECT wrong_attempts, used_at FROM activation_codes WHERE order_id = ?',
        key.orderId,
      );
      expect(code?.wrong_attempts).toBe(0);
      expect(code?.used_at).not.toBeNull();
      expect(await eventsAbout(key.certificateSerial, 'certificate.activated')).toBe(1);
      // The key: opened by the holder's PIN (not the transport PIN), one key pair, no PIN try spent.
      const [onKey] = inspectSimKeys(simDir, 'HOLDER-KEY', (serial) => [
        HOLDER_PIN,
        deriveTransportPin(MASTER, serial),
      ]);
      expect(onKey?.openedWith).toBe(HOLDER_PIN);
      expect(onKey?.privateKeys).toBe(1);
      expect(simPinTriesSpent(simDir, key.tokenSerial)).toBe(0);
    },
    120_000,
  );
});

describe('kill -9 during the unlock of a locked PIN', () => {
  it.each([
    ...effectPoints('unlock'),
    'service-step:unlock:identity-verified',
    'service-step:unlock:unlock-granted',
    'service-step:unlock:pin-reset',
  ] as ServiceFaultPoint[])(
    'crash at %s: one grant at central (one unlockId), the new PIN opens the key, no lock left, one event',
    async (point) => {
      const { key, simDir, last } = await crashAndRecover('unlock', point);
      const rows = await centralDb().all<{ unlock_id: string; outcome: string }>(
        'SELECT unlock_id, outcome FROM unlocks WHERE token_serial = ?',
        key.tokenSerial,
      );
      expect(rows.map((r) => r.outcome)).toEqual(['granted']);
      expect(last?.unlocksLeftToday).toBe(2);
      expect(await eventsAbout(key.certificateSerial, 'token.unlocked')).toBe(1);
      const [onKey] = inspectSimKeys(simDir, 'HOLDER-KEY', () => [HOLDER_PIN]);
      expect(onKey?.openedWith).toBe(HOLDER_PIN);
      // Unlocked: the sim module's try counter for the key is gone (C_InitPIN reset it).
      expect(existsSync(join(simDir, 'softhsm', `usbkey-sim-${key.tokenSerial}.tries`))).toBe(false);
    },
    120_000,
  );
});
