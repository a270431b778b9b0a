// Where a heartbeat's time goes, measured with central's own code outside the server: the signature operations
// (the kiosk signs each request, central checks it, and checks an audit head it has not kept before), and the SQLite writes
// (nonce claim, heartbeat row, condition alarms) on the store the ramp filled (central stopped first).
import { generateKeyPairSync } from 'node:crypto';
import { ApplianceRegistry } from '../../central/appliances.js';
import { Alarms } from '../../central/audit-heads.js';
import { FleetAlarms } from '../../central/fleet-alarms.js';
import { openStore } from '../../central/store.js';
import { auditHeadBytes, signAuditHead, verifyApplianceSignature } from '../../contract/identity.js';
import { createKeySigner, signRequest, verifyRequestSignature } from '../../contract/request-signing.js';
import { heartbeatBody, makeKiosk } from './kiosks.js';
import { LatencyHistogram } from './latency.js';

export interface SignatureCosts {
  /** Central's check of a request's signature: every heartbeat pays it. */
  requestCheckMicros: number;
  /** Central's check of an audit head's signature: only a head not kept before (first heartbeat, after pickups). */
  auditHeadCheckMicros: number;
  /** The kiosk's signing of a request (the generator pays it for every kiosk it plays). */
  requestSignMicros: number;
}

/** Mean CPU µs of each signature operation a heartbeat may involve, each over `n` runs, with the contract's code. */
export async function signatureMicros(n = 500): Promise<SignatureCosts> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = createKeySigner(privateKey);
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const body = JSON.stringify({ softwareVersion: 'x', devices: [], consumables: { paper: 'ok' } });
  const request = { applianceId: 'K', method: 'POST', path: '/v1/heartbeat', body };
  const head = await signAuditHead(
    { applianceId: 'K', seq: 1, hash: 'a'.repeat(64), at: new Date().toISOString() },
    signer,
  );
  const headers = await signRequest(request, signer);
  const headBytes = auditHeadBytes({ applianceId: 'K', seq: head.seq, hash: head.hash, at: head.at });
  // CPU rather than wall time, `inFlight` at once: the request check runs on a thread-pool thread, as it does in a
  // central under load, where checks overlap; one at a time, every check would also pay for waking an idle
  // event loop.
  const mean = async (run: () => unknown, inFlight = 1): Promise<number> => {
    const before = process.cpuUsage();
    let next = 0;
    const lane = async () => {
      while (next++ < n) await run();
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  return {
    requestCheckMicros: await mean(
      () => verifyRequestSignature({ ...request, headers, publicKeyPem: pem }),
      8,
    ),
    auditHeadCheckMicros: await mean(() => verifyApplianceSignature(headBytes, head.signature, pem)),
    requestSignMicros: await mean(() => signRequest(request, signer)),
  };
}

export interface SqliteHeartbeatCost {
  /** Mean µs of one heartbeat's writes: claim the nonce, update the appliance row, hold/clear its alarms. */
  micros: number;
  /** Of which the nonce claim (central first deletes expired nonces: a scan of request_nonces). */
  nonceMicros: number;
  /** The slow ones: fsync and WAL checkpoints block central's event loop for this long. */
  p99Micros: number;
  maxMicros: number;
  nonceRows: number;
  appliances: number;
}

/** Replays `n` heartbeats' writes on central's store in `dataDir` (central must be stopped). */
export async function sqliteHeartbeatMicros(
  dataDir: string,
  applianceIds: string[],
  n = 1_000,
): Promise<SqliteHeartbeatCost> {
  const db = openStore(dataDir);
  try {
    const now = Date.now;
    const registry = new ApplianceRegistry(db, now);
    const fleetAlarms = new FleetAlarms(db, now, new Alarms(db, now));
    const sample = makeKiosk(0, 'http://127.0.0.1:9');
    const body = await heartbeatBody(sample, Date.now());
    const each = new LatencyHistogram();
    let nonceMs = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const id = applianceIds[i % applianceIds.length]!;
      const t = performance.now();
      await registry.claimNonce(id, `probe-${process.pid}-${i}-nonce`, Date.now() + 600_000);
      nonceMs += performance.now() - t;
      const { openAlarms } = await registry.recordHeartbeat(id, body);
      await fleetAlarms.onHeartbeat(id, body, openAlarms);
      each.record(performance.now() - t);
    }
    const micros = ((performance.now() - t0) * 1000) / n;
    const count = async (sql: string) => ((await db.get(sql)) as { n: number }).n;
    return {
      micros,
      nonceMicros: (nonceMs * 1000) / n,
      p99Micros: each.percentileMs(99) * 1000,
      maxMicros: each.maxMs() * 1000,
      nonceRows: await count('SELECT COUNT(*) AS n FROM request_nonces'),
      appliances: await count('SELECT COUNT(*) AS n FROM appliances'),
    };
  } finally {
    await db.close();
  }
}
