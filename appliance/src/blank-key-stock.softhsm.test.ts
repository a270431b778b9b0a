// The blank-key stock across kill -9: the sim daemon in a child process SIGKILLs itself right after the key's
// certificate was written (result not yet recorded) and right before the PIN is set (certificate-written durable,
// the count perhaps not yet); restarted on the same store, the journey is resumed and finished. Either way the
// recorded stock is exactly one key lower: the count is tied to the journey, not to the code path that ran twice.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play, startDaemonChild } from './testing/daemon-child.js';
import { type CentralHandle, startTestCentral, waitFor } from './testing/kiosk-harness.js';

let central: CentralHandle;
beforeAll(async () => {
  central = await startTestCentral();
});
afterAll(async () => central?.stop());

const stock = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'store', 'blank-keys.json'), 'utf8')) as {
    count: number;
    counted: string[];
  };

describe('blank-key stock survives kill -9', () => {
  it.each(['after:write-certificate', 'before:change-pin'] as const)(
    'crash at %s: the resumed journey takes exactly one key off the stock',
    async (point) => {
      const dir = mkdtempSync(join(tmpdir(), `ck-stock-${point.replace(':', '-')}-`));
      const { pickupCode } = await central.createApprovedOrder();
      const first = await startDaemonChild(dir, central, { CERTKIOSK_FAULT_AT: point }, { blankKeys: 8 });
      expect(stock(dir)).toMatchObject({ count: 8, counted: [] });
      await play(first, pickupCode);
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = await startDaemonChild(dir, central, {}, { blankKeys: 8 });
      try {
        const last = await play(second, pickupCode);
        expect(last?.status ?? 'closed').toMatch(/completed|closed/);
        await waitFor(() => stock(dir).counted.length === 1, 10_000, 'the key counted');
        expect(stock(dir).count).toBe(7);
      } finally {
        await second.stop();
      }
      // A third start on the same store counts nothing again.
      const third = await startDaemonChild(dir, central, {}, { blankKeys: 8 });
      await third.stop();
      expect(stock(dir)).toMatchObject({ count: 7 });
      expect(stock(dir).counted).toHaveLength(1);
    },
    120_000,
  );
});
