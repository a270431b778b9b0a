import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATURAL_PERSON } from '../central/testing.js';
import type { AuditHead, Change, HeartbeatRequest, Order } from '../contract/schemas.js';
import {
  LOOPBACK_ADMIN_TOKEN,
  type LoopbackCentral,
  startLoopbackCentral,
  testEvent,
} from './loopback-central.js';
import { SyncAgent } from './sync-agent.js';

let central: LoopbackCentral;
let dir: string;
beforeAll(async () => {
  central = await startLoopbackCentral();
  dir = mkdtempSync(join(tmpdir(), 'ck-agent-'));
});
afterAll(async () => {
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SyncAgent', () => {
  it('delivers events, follows the change feed and sends heartbeats that show in the fleet data', async () => {
    const client = await central.newClient('KIOSK-AG-001');
    const changes: Change[] = [];
    const agent = await SyncAgent.open({
      dir,
      client,
      outbox: { idlePollMs: 100 },
      inbox: { handler: (c) => void changes.push(...c), intervalMs: 60_000 },
      heartbeat: {
        intervalMs: 100,
        collect: () => ({
          softwareVersion: '0.1.0-test',
          devices: [
            { device: 'printer', status: 'user-action-needed', detail: 'paper-out' },
            { device: 'usb-key', status: 'online' },
          ],
          consumables: { paper: 'out', blankKeys: 12 },
        }),
      },
    });
    // queued before start: the first heartbeat reports them as queue depth
    for (let i = 0; i < 3; i++) await agent.enqueue(testEvent(`evt-agent-${i}0000`));
    expect(agent.pendingCount()).toBe(3);
    agent.start();
    await agent.drain(5_000);
    expect(agent.pendingCount()).toBe(0);

    const heartbeat = async () => {
      const row = await central.app.central.appliances.row('KIOSK-AG-001');
      return row?.heartbeat_json ? (JSON.parse(row.heartbeat_json) as HeartbeatRequest) : null;
    };
    await until(async () => (await heartbeat()) !== null);
    expect(await heartbeat()).toMatchObject({
      softwareVersion: '0.1.0-test',
      consumables: { paper: 'out', blankKeys: 12 },
      devices: [
        { device: 'printer', status: 'user-action-needed', detail: 'paper-out' },
        { device: 'usb-key' },
      ],
    });
    expect((await heartbeat())!.queueDepth).toBeGreaterThanOrEqual(0);
    const fleet = await fetch(`${central.url}/fleet`, {
      headers: { authorization: `Bearer ${LOOPBACK_ADMIN_TOKEN}` },
    });
    expect(fleet.status).toBe(200);
    const html = await fleet.text();
    expect(html).toContain('KIOSK-AG-001');
    expect(html).toContain('0.1.0-test');

    // A new order at central: the heartbeat sees a newer change cursor and wakes the inbox
    // (its own poll interval is a minute, so only the heartbeat can make this happen in time).
    const order = (await central.admin('POST', '/orders', NATURAL_PERSON)) as Order;
    await until(() => changes.some((c) => c.orderId === order.id));
    expect(agent.status()).toMatchObject({
      outbox: { pending: 0, delivered: 3 },
      heartbeat: { running: true },
    });
    await agent.close();
    expect(await central.app.central.events.count()).toBe(3);
  });

  it('reports the queue that built up while central was down, then an empty queue once it drained', async () => {
    const client = await central.newClient('KIOSK-AG-002', { timeoutMs: 500 });
    const lastBeat = async () => {
      const row = await central.app.central.appliances.row('KIOSK-AG-002');
      return row?.heartbeat_json ? (JSON.parse(row.heartbeat_json) as HeartbeatRequest) : null;
    };
    const agent = await SyncAgent.open({
      dir: join(dir, 'two'),
      client,
      // a long backoff: the outbox waits for retryNow(), so the heartbeat can show the queue first
      outbox: { backoff: { baseMs: 60_000, maxMs: 60_000 } },
      heartbeat: {
        intervalMs: 50,
        collect: () => ({ softwareVersion: '0.1.0', devices: [], consumables: { paper: 'ok' } }),
      },
    });
    await central.stop();
    try {
      agent.start();
      for (let i = 0; i < 4; i++) await agent.enqueue(testEvent(`evt-agent2-${i}0000`));
      await until(
        () => (agent.status().heartbeat?.failures ?? 0) >= 2 && agent.status().outbox.failures >= 1,
      );
      expect(agent.pendingCount()).toBe(4);
      await central.restart();
      await until(async () => (await lastBeat())?.queueDepth === 4);
      agent.outbox.retryNow();
      await agent.drain(5_000);
      await until(async () => (await lastBeat())?.queueDepth === 0);
    } finally {
      await agent.close();
      await central.restart();
    }
  });

  it('the heartbeat carries the parked-event count, and the fleet view shows it until staff deal with them', async () => {
    const client = await central.newClient('KIOSK-AG-003');
    const lastBeat = async () => {
      const row = await central.app.central.appliances.row('KIOSK-AG-003');
      return row?.heartbeat_json ? (JSON.parse(row.heartbeat_json) as HeartbeatRequest) : null;
    };
    const fleetRow = async () => {
      const html = await (
        await fetch(`${central.url}/fleet`, { headers: { authorization: `Bearer ${LOOPBACK_ADMIN_TOKEN}` } })
      ).text();
      const start = html.indexOf('data-appliance="KIOSK-AG-003"');
      return html.slice(start, html.indexOf('</tr>', start));
    };
    const agent = await SyncAgent.open({
      dir: join(dir, 'three'),
      client,
      outbox: { idlePollMs: 100 },
      heartbeat: {
        intervalMs: 50,
        collect: () => ({ softwareVersion: '0.1.0', devices: [], consumables: { paper: 'ok' } }),
      },
    });
    try {
      agent.start();
      await until(async () => (await lastBeat())?.parkedEvents === 0);
      // central refuses this one for good (larger than it accepts)
      await agent.enqueue(testEvent('evt-agent3-too-big', undefined, { scan: 'x'.repeat(1_100_000) }));
      await agent.enqueue(testEvent('evt-agent3-fine'));
      await agent.drain(5_000);
      expect(agent.status().outbox).toMatchObject({ pending: 0, parked: 1 });
      await until(async () => (await lastBeat())?.parkedEvents === 1 && (await lastBeat())?.queueDepth === 0);
      expect(await fleetRow()).toContain('class="bad" data-parked="1">1<');
      await agent.outbox.discardParked('evt-agent3-too-big');
      await until(async () => (await lastBeat())?.parkedEvents === 0);
      expect(await fleetRow()).toContain('class="" data-parked="0">0<');
    } finally {
      await agent.close();
    }
  });

  it('the heartbeat carries the audit head, signed by the kiosk key through an async collect (once per head, then sent as it is); central alarms when it goes back', async () => {
    const client = await central.newClient('KIOSK-AG-004');
    let seq = 20;
    const sent: AuditHead[] = [];
    const agent = await SyncAgent.open({
      dir: join(dir, 'four'),
      client,
      heartbeat: {
        intervalMs: 50,
        collect: async () => ({
          softwareVersion: '0.1.0',
          devices: [],
          consumables: { paper: 'ok' },
          auditHead: await client
            .currentAuditHead({ seq, hash: createHash('sha256').update(`record-${seq}`).digest('hex') })
            .then((head) => {
              sent.push(head);
              return head;
            }),
        }),
      },
    });
    const alarms = async () => central.app.central.alarms.list({ applianceId: 'KIOSK-AG-004' });
    const lastSeq = async () => {
      const row = await central.app.central.appliances.row('KIOSK-AG-004');
      return row?.heartbeat_json
        ? (JSON.parse(row.heartbeat_json) as HeartbeatRequest).auditHead?.seq
        : undefined;
    };
    try {
      agent.start();
      await until(async () => (await lastSeq()) === 20 && sent.length >= 3);
      expect(await alarms()).toEqual([]);
      // The same head, signed once: every heartbeat sends the same bytes.
      expect(new Set(sent.map((h) => JSON.stringify(h))).size).toBe(1);
      seq = 5; // the audit log lost its tail
      await until(async () => (await alarms()).length > 0);
      expect((await alarms())[0]).toMatchObject({
        kind: 'audit-truncated',
        details: { highestSeq: 20, seq: 5 },
      });
      // A moved head is signed anew.
      const five = sent.find((h) => h.seq === 5)!;
      expect(five.signature).not.toBe(sent[0]!.signature);
    } finally {
      await agent.close();
    }
  });

  it('an event central refuses because another kiosk issued the order (EVENT_WRONG_APPLIANCE) is parked, not retried forever', async () => {
    const client = await central.newClient('KIOSK-AG-005');
    // an order in another hall: this kiosk has no business reporting on it
    const order = (await central.admin('POST', '/orders', { ...NATURAL_PERSON, hall: 'GZ-TIANHE' })) as Order;
    const agent = await SyncAgent.open({ dir: join(dir, 'five'), client, outbox: { idlePollMs: 100 } });
    try {
      agent.start();
      await agent.enqueue({ ...testEvent('evt-agent5-not-mine', order.id), type: 'certificate.activated' });
      await agent.enqueue(testEvent('evt-agent5-fine'));
      await agent.drain(5_000);
      expect(agent.outbox.parked()).toMatchObject([
        { id: 'evt-agent5-not-mine', refusal: { status: 403, code: 'EVENT_WRONG_APPLIANCE' } },
      ]);
      expect(agent.status().outbox).toMatchObject({ pending: 0, parked: 1 });
    } finally {
      await agent.close();
    }
  });
});
