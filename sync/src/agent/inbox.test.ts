import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NATURAL_PERSON } from '../central/testing.js';
import type { Change, Order } from '../contract/schemas.js';
import type { CentralClient } from './central-client.js';
import { Inbox } from './inbox.js';
import { type LoopbackCentral, startLoopbackCentral } from './loopback-central.js';

let central: LoopbackCentral;
let client: CentralClient;
let dir: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
  client = await central.newClient('KIOSK-IN-001');
  dir = mkdtempSync(join(tmpdir(), 'ck-inbox-'));
});
afterAll(async () => {
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

let stateFile: string;
let n = 0;
beforeEach(() => {
  stateFile = join(dir, `inbox-${n++}.json`);
});

/** A new order walked to 'paid': three order.updated changes for this hall. */
async function orderWithChanges(): Promise<string> {
  const order = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
  await central.admin('POST', `/orders/${order.id}/actions`, { action: 'request-payment' });
  await central.admin('POST', `/orders/${order.id}/actions`, { action: 'pay-wechat' });
  return order.id;
}

describe('Inbox against the real central on loopback', () => {
  it('hands every change to the handler page by page and persists the cursor durably', async () => {
    const orderId = await orderWithChanges();
    const seen: Change[] = [];
    const inbox = await Inbox.open({ client, stateFile, limit: 2, handler: (c) => void seen.push(...c) });
    const r = await inbox.pollOnce();
    expect(r.applied).toBe(seen.length);
    expect(seen.filter((c) => c.orderId === orderId).map((c) => c.payload['status'])).toEqual([
      'submitted',
      'awaiting-payment',
      'paid',
    ]);
    expect(inbox.cursor).toBe(seen.at(-1)!.cursor);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ version: 1, cursor: inbox.cursor });

    // a restarted agent resumes from the stored cursor: nothing is handed over twice
    const again: Change[] = [];
    const reopened = await Inbox.open({ client, stateFile, handler: (c) => void again.push(...c) });
    expect(reopened.cursor).toBe(inbox.cursor);
    expect((await reopened.pollOnce()).applied).toBe(0);
    const next = await orderWithChanges();
    await reopened.pollOnce();
    expect(again.map((c) => c.orderId)).toEqual([next, next, next]);
  });

  it('a failing handler does not advance the cursor; the same changes come again', async () => {
    await orderWithChanges();
    let fail = true;
    const handled: string[] = [];
    const inbox = await Inbox.open({
      client,
      stateFile,
      limit: 1000,
      handler: (changes) => {
        if (fail) throw new Error('store busy');
        handled.push(...changes.map((c) => c.cursor));
      },
    });
    await expect(inbox.pollOnce()).rejects.toThrow('store busy');
    expect(inbox.cursor).toBe('0');
    fail = false;
    await inbox.pollOnce();
    expect(handled[0]).toBe('1');
    expect(inbox.cursor).toBe(handled.at(-1));
  });

  it('in the background, keeps polling after failures and picks up new changes', async () => {
    let calls = 0;
    const got: Change[] = [];
    const inbox = await Inbox.open({
      client,
      stateFile,
      intervalMs: 50,
      backoff: { baseMs: 10, maxMs: 20 },
      handler: (c) => {
        if (++calls === 1) throw new Error('first try fails');
        got.push(...c);
      },
    });
    inbox.start();
    const orderId = await orderWithChanges();
    const until = Date.now() + 5_000;
    while (!got.some((c) => c.orderId === orderId && c.payload['status'] === 'paid') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await inbox.stop();
    expect(got.some((c) => c.orderId === orderId && c.payload['status'] === 'paid')).toBe(true);
    expect(inbox.stats().failures).toBeGreaterThanOrEqual(1);
  });
});
