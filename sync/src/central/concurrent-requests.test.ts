// Many signed requests and heartbeats at once (SQLite here, PostgreSQL in the PostgreSQL pass, where they are
// gathered into one statement each): every nonce is accepted once, however its copies arrive; each heartbeat is
// kept on its own appliance and answers that appliance's open alarms; a heartbeat repeating its kept audit head is
// one statement with the others (PostgreSQL) or left to the full path; heartbeat history keeps one point per
// appliance however many heartbeats come at once; an unknown appliance reads as unknown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplianceRegistry, type ApplianceRow } from './appliances.js';
import { healthyHeartbeat } from './healthy-heartbeat.js';
import { HeartbeatHistory } from './heartbeat-history.js';
import { openCentralStore } from './open-store.js';
import type { Db } from './store.js';

let db: Db;
let registry: ApplianceRegistry;
const now = () => Date.parse('2026-03-01T08:00:00Z');
const IDS = ['K-A', 'K-B', 'K-C'];

beforeAll(async () => {
  db = await openCentralStore({ dataDir: ':memory:' });
  registry = new ApplianceRegistry(db, now);
  for (const id of IDS) {
    await db.run(
      `INSERT INTO appliances (id, hall, public_key_pem, status, enrolled_at) VALUES (?, 'H1', 'pem-of-' || ?, 'approved', ?)`,
      id,
      id,
      new Date(now()).toISOString(),
    );
  }
  // K-B has two open alarms and one cleared; K-A and K-C none.
  for (const cleared of [null, null, '2026-03-01T07:00:00Z']) {
    await db.run(
      `INSERT INTO alarms (appliance_id, kind, message, details_json, raised_at, last_seen_at, cleared_at)
       VALUES ('K-B', 'device-error', 'm', '{}', '2026-03-01T06:00:00Z', '2026-03-01T06:00:00Z', ?)`,
      cleared,
    );
  }
});
afterAll(async () => {
  await db?.close();
});

describe('requests at once', () => {
  it('accept each nonce once: copies sent together, and copies of a nonce used earlier', async () => {
    const keep = now() + 600_000;
    expect(await registry.claimNonce('K-A', 'used-before', keep)).toBe(true);
    const claims = [
      ...Array.from({ length: 30 }, (_, i) => ['K-A', `n${i}`]),
      ...Array.from({ length: 30 }, (_, i) => ['K-A', `n${i}`]), // replays, sent at the same moment
      ...Array.from({ length: 30 }, (_, i) => ['K-B', `n${i}`]), // the same text from another appliance
      ['K-A', 'used-before'],
      ['K-A', 'used-before'],
    ] as Array<[string, string]>;
    const won = await Promise.all(claims.map(([id, n]) => registry.claimNonce(id, n, keep)));
    const accepted = new Map<string, number>();
    claims.forEach(([id, n], i) => {
      if (won[i]) accepted.set(`${id}/${n}`, (accepted.get(`${id}/${n}`) ?? 0) + 1);
    });
    expect(accepted.size).toBe(60);
    expect([...accepted.values()].every((times) => times === 1)).toBe(true);
    expect(accepted.has('K-A/used-before')).toBe(false);
    // Each accepted nonce is stored, so a later copy is refused too.
    const stored = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM request_nonces');
    expect(Number(stored?.n)).toBe(61);
    expect(await registry.claimNonce('K-B', 'n7', keep)).toBe(false);
  });

  it('keep each heartbeat on its own appliance, the later of two, and answer its open alarms', async () => {
    const answers = await Promise.all([
      registry.recordHeartbeat('K-A', healthyHeartbeat({ softwareVersion: '1.0.0' })),
      registry.recordHeartbeat('K-B', healthyHeartbeat({ softwareVersion: '2.0.0', queueDepth: 4 })),
      registry.recordHeartbeat('K-A', healthyHeartbeat({ softwareVersion: '1.0.1' })),
      registry.recordHeartbeat('K-C', healthyHeartbeat({ softwareVersion: '3.0.0' })),
      registry.recordHeartbeat('K-UNKNOWN', healthyHeartbeat()),
    ]);
    expect(answers.map((a) => a.openAlarms)).toEqual([0, 2, 0, 0, 0]);
    const rows = await db.all<ApplianceRow>('SELECT * FROM appliances ORDER BY id');
    expect(rows.map((r) => [r.id, r.software_version])).toEqual([
      ['K-A', '1.0.1'],
      ['K-B', '2.0.0'],
      ['K-C', '3.0.0'],
    ]);
    expect(JSON.parse(rows[1]?.heartbeat_json ?? '{}').queueDepth).toBe(4);
    expect(rows.every((r) => r.last_heartbeat_at === '2026-03-01T08:00:00.000Z')).toBe(true);
  });

  it('keep heartbeats repeating the kept audit head in one statement on PostgreSQL; any other head is left to the full path', async () => {
    const head = (seq: number) => ({
      seq,
      hash: `hash-${seq}`,
      at: '2026-03-01T07:00:00.000Z',
      signature: `sig-${seq}`,
    });
    for (const [id, seq] of [
      ['K-A', 5],
      ['K-B', 5],
      ['K-B', 6],
      ['K-C', 5],
    ] as const) {
      await db.run(
        `INSERT INTO audit_heads (appliance_id, epoch, seq, hash, at, signature, received_at)
           VALUES (?, 0, ?, ?, ?, ?, '2026-03-01T07:00:00.000Z')`,
        id,
        seq,
        head(seq).hash,
        head(seq).at,
        head(seq).signature,
      );
    }
    const beat = (id: string, seq: number, version: string) =>
      registry.recordHeartbeatRepeatingHead(id, {
        ...healthyHeartbeat({ softwareVersion: version }),
        auditHead: head(seq),
      });
    const answers = await Promise.all([
      beat('K-A', 5, '5.0.0'), // the kept head, repeated
      beat('K-B', 5, '5.0.0'), // not the highest of its epoch
      beat('K-C', 5, '5.0.0'), // the kept head, but twice in the batch
      beat('K-C', 5, '5.0.1'),
      beat('K-NONE', 5, '5.0.0'),
    ]);
    const rows = new Map((await db.all<ApplianceRow>('SELECT * FROM appliances')).map((r) => [r.id, r]));
    if (db.dialect === 'sqlite') {
      expect(answers).toEqual(['not-tried', 'not-tried', 'not-tried', 'not-tried', 'not-tried']);
      expect([...rows.values()].some((r) => r.software_version?.startsWith('5.'))).toBe(false);
      return;
    }
    expect(answers).toEqual([
      { openAlarms: 0 },
      'head-not-renewed',
      'not-tried',
      'not-tried',
      'head-not-renewed',
    ]);
    expect(rows.get('K-A')?.software_version).toBe('5.0.0');
    expect(rows.get('K-B')?.software_version).not.toBe('5.0.0');
    expect(rows.get('K-C')?.software_version).not.toMatch(/^5\./);
    const renewed = await db.all<{ appliance_id: string; seq: number }>(
      `SELECT appliance_id, seq FROM audit_heads WHERE received_at = '2026-03-01T08:00:00.000Z' ORDER BY appliance_id`,
    );
    expect(renewed).toEqual([{ appliance_id: 'K-A', seq: 5 }]);
  });

  it('keep one history point per appliance for heartbeats arriving together, the first of two', async () => {
    const history = new HeartbeatHistory(db, now);
    await Promise.all([
      history.record('K-A', healthyHeartbeat({ queueDepth: 1, uptimeS: 60 })),
      history.record('K-B', healthyHeartbeat({ queueDepth: 2, uptimeS: undefined })),
      history.record('K-A', healthyHeartbeat({ queueDepth: 3 })),
      history.record('K-C', healthyHeartbeat({ queueDepth: 4, inDoubt: 1 })),
    ]);
    const points = async (id: string) =>
      (await history.list(id)).map((p) => [p.queueDepth, p.uptimeS, p.inDoubt]);
    expect(await points('K-A')).toEqual([[1, 60, 0]]);
    expect(await points('K-B')).toEqual([[2, null, 0]]);
    expect(await points('K-C')).toEqual([[4, 3600, 1]]);
    // Another process's history (no memory of these points) keeps none within the step either.
    const other = new HeartbeatHistory(db, now);
    await Promise.all(IDS.map((id) => other.record(id, healthyHeartbeat({ queueDepth: 9 }))));
    const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM heartbeat_history');
    expect(Number(n?.n)).toBe(3);
  });

  it('read each request’s appliance, and none for an id that is not enrolled', async () => {
    const rows = await Promise.all(['K-C', 'K-A', 'K-NONE', 'K-A'].map((id) => registry.rowOfRequest(id)));
    expect(rows.map((r) => r?.public_key_pem)).toEqual(['pem-of-K-C', 'pem-of-K-A', undefined, 'pem-of-K-A']);
  });
});
