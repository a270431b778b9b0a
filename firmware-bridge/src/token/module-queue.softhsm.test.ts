// One call at a time into a PKCS#11 module: the queue every driver step, poll and rescan goes through, on
// the usbkey-sim module with this file's own SOFTHSM2_CONF. (The long concurrent run is
// pkcs11-stress.softhsm.test.ts.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsbKeyDriver } from './driver.js';
import { createSoftHsmHome, USBKEY_SIM_MODULE } from './softhsm.js';

const SO_PIN = 'so-pin-8421';
const PIN = '246813';
const MASTER = Buffer.from('a very secret master secret for tests');

let driver: UsbKeyDriver;
let n = 0;

beforeAll(() => {
  createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-queue-')));
  driver = UsbKeyDriver.open(USBKEY_SIM_MODULE);
});
afterAll(() => driver?.close());

async function freeSlot(): Promise<string> {
  const free = (await driver.slotsAsync()).find((s) => s.token && !s.token.flags.initialized);
  if (!free) throw new Error('SoftHSM offers no free slot');
  return free.slotId;
}

async function newToken(): Promise<{ serial: string }> {
  const t = await driver.initTokenAsync(await freeSlot(), { label: `q-${++n}`, soPin: SO_PIN, userPin: PIN });
  return { serial: t.serial };
}

/** Record the module-wide calls that reach the module (pkcs11js entry points) until `restore()`. */
function spyModuleCalls(): { calls: string[]; restore: () => void } {
  const api = driver.module.api as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ['C_GetSlotList', 'C_GetTokenInfo', 'C_Finalize', 'C_WaitForSlotEvent', 'C_InitToken'];
  const calls: string[] = [];
  const saved = names.map((name) => [name, api[name]!] as const);
  for (const [name, original] of saved) {
    api[name] = (...a: unknown[]) => {
      calls.push(name);
      return original.apply(driver.module.api, a);
    };
  }
  const restore = () => {
    for (const [name, original] of saved) api[name] = original;
  };
  return { calls, restore };
}

describe('the module queue', () => {
  it('while a key is generated on a worker thread, sync polls and rescans do not enter the module', async () => {
    const ref = await newToken();
    const listed = await driver.slotsAsync();
    const watcher = driver.watch({ intervalMs: 60_000, rescan: true });
    const spy = spyModuleCalls();
    try {
      const keygen = driver.keygen(ref, PIN, { algorithm: 'rsa2048', id: Buffer.from([1]), label: 'k' });
      expect(driver.module.busy).toBe(true);
      const mark = spy.calls.length; // the key generation's own look-up is done
      // Polls answer from the last listing; rescans and slot-event checks are skipped; the watcher defers.
      expect(driver.slots()).toEqual(listed);
      expect(driver.module.isPresent(ref.serial)).toBe(true);
      expect(driver.module.tokenInfo(driver.module.findToken(ref).slot)).toMatchObject({
        serial: ref.serial,
      });
      expect(driver.module.rescan()).toBe(false);
      expect(driver.module.pollSlotEvent()).toBeNull();
      watcher.tick();
      watcher.tick(); // at most one deferred look
      expect(spy.calls.slice(mark)).toEqual([]);

      await expect(keygen).resolves.toMatchObject({ algorithm: 'rsa2048' });
      await driver.slotsAsync(); // queued behind the deferred look
      const after = spy.calls.slice(mark);
      expect(after[0]).toBe('C_WaitForSlotEvent'); // the watcher's look came first, once
      expect(after.filter((c) => c === 'C_Finalize')).toHaveLength(1);
    } finally {
      spy.restore();
      watcher.stop();
    }
  });

  it('sync steps refuse with TOKEN_BUSY while the module is busy; their async forms wait for their turn', async () => {
    const ref = await newToken();
    const slotId = await freeSlot();
    const keygen = driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([2]), label: 'k' });
    expect(() => driver.initToken(slotId, { label: 'too-early', soPin: SO_PIN, userPin: PIN })).toThrow(
      expect.objectContaining({ code: 'TOKEN_BUSY' }),
    );
    expect(() =>
      driver.prepareBlankKey(slotId, { label: 'too-early', masterSecret: MASTER, transportPin: '70081452' }),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_BUSY' }));

    const prepared = driver.prepareBlankKeyAsync(slotId, {
      label: 'in-turn',
      masterSecret: MASTER,
      transportPin: '70081452',
    });
    await expect(keygen).resolves.toMatchObject({ algorithm: 'ec-p256' });
    await expect(prepared).resolves.toMatchObject({ label: 'in-turn', flags: { initialized: true } });
  });

  it('runs driver steps one at a time, in the order they were asked for', async () => {
    const ref = await newToken();
    await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([3]), label: 'k' });
    const log: string[] = [];
    const step = (i: number) =>
      driver.withSession(ref, PIN, async (s) => {
        log.push(`start ${i}`);
        await s.signer(Buffer.from([3])).sign(Buffer.from(`data ${i}`));
        await new Promise((r) => setTimeout(r, 2));
        log.push(`end ${i}`);
      });
    await Promise.all([0, 1, 2, 3, 4].map(step));
    expect(log).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]));
  });

  it('a step inside a step runs in the outer turn instead of waiting behind it', async () => {
    const a = await newToken();
    const b = await newToken();
    const labels = await driver.withSession(a, PIN, async (s) => [
      s.token.label,
      await driver.withSession(b, PIN, (t) => t.token.label),
    ]);
    expect(labels).toHaveLength(2);
  });

  it('close() during a key generation lets it finish, then refuses further steps', async () => {
    // Closing finalises the module for the whole file, so this test comes last.
    const ref = await newToken();
    const keygen = driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([4]), label: 'k' });
    driver.close();
    await expect(keygen).resolves.toMatchObject({ algorithm: 'ec-p256' });
    await expect(driver.slotsAsync()).rejects.toMatchObject({ code: 'TOKEN_MODULE_CLOSED' });
    await expect(driver.info(ref, PIN)).rejects.toMatchObject({ code: 'TOKEN_MODULE_CLOSED' });
  });
});
