// Where a heartbeat's time goes, measured with central's own code outside the server: the request checks (a steady
// heartbeat's session MAC and ticket; the signed opening of a session, once an hour per kiosk; an audit head central
// has not kept before), the kiosk's MAC, and the SQLite writes (nonce claim, heartbeat row, condition alarms) on the
// store the ramp filled (central stopped first).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ApplianceRegistry } from '../../central/appliances.js';
import { Alarms } from '../../central/audit-heads.js';
import { FleetAlarms } from '../../central/fleet-alarms.js';
import { SessionTickets } from '../../central/session-tickets.js';
import { openStore } from '../../central/store.js';
import { auditHeadBytes, signAuditHead, verifyApplianceSignature } from '../../contract/identity.js';
import {
  acceptSessionOffer,
  macRequestHeaders,
  newSessionOffer,
  SESSION_LIFETIME_MS,
  verifyRequestMac,
} from '../../contract/request-sessions.js';
import { createKeySigner, signRequest, verifyRequestSignature } from '../../contract/request-signing.js';
import { heartbeatBody, makeKiosk } from './kiosks.js';
import { LatencyHistogram } from './latency.js';

export interface RequestAuthCosts {
  /** Central's check of a session request's MAC (HMAC-SHA256 of the canonical request): every heartbeat pays it. */
  macCheckMicros: number;
  /** Central's opening of the session ticket the request carries (AES-256-GCM): every heartbeat pays it too. */
  ticketOpenMicros: number;
  /** The ticket's size in bytes (what is decrypted). */
  ticketBytes: number;
  /** Central's check of a request's ECDSA signature: only a session's opening (and enrolment) pays it now. */
  openingSignatureCheckMicros: number;
  /** Central's ECDH key agreement for a session's opening (its ephemeral key pair, the shared secret, HKDF). */
  openingKeyAgreementMicros: number;
  /** Central's check of an audit head's signature: only a head not kept before (first heartbeat, after pickups). */
  auditHeadCheckMicros: number;
  /** The kiosk's MAC of a request (the generator pays it for every kiosk it plays). */
  requestMacMicros: number;
}

/** Mean CPU µs of each authentication step a heartbeat may involve, each over `n` runs, with central's own code. */
export async function requestAuthMicros(n = 500): Promise<RequestAuthCosts> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = createKeySigner(privateKey);
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const body = JSON.stringify({ softwareVersion: 'x', devices: [], consumables: { paper: 'ok' } });
  const request = { applianceId: 'FLEET-000000', method: 'POST', path: '/v1/heartbeat', body };
  const head = await signAuditHead(
    { applianceId: 'FLEET-000000', seq: 1, hash: 'a'.repeat(64), at: new Date().toISOString() },
    signer,
  );
  const headers = await signRequest(request, signer);
  const headBytes = auditHeadBytes({
    applianceId: 'FLEET-000000',
    seq: head.seq,
    hash: head.hash,
    at: head.at,
  });
  // A session as central opens it: the kiosk's offer accepted, the ticket sealed as central seals it.
  const offer = newSessionOffer('FLEET-000000');
  const accepted = acceptSessionOffer(offer.body.ephemeralPublicKey)!;
  const tickets = new SessionTickets(randomBytes(32));
  const expiresAtMs = Date.now() + SESSION_LIFETIME_MS;
  const ticket = tickets.seal({
    applianceId: 'FLEET-000000',
    key: accepted.key,
    applianceKeySha256: 'f'.repeat(64),
    expiresAtMs,
  });
  const session = offer.finish({
    ticket,
    centralPublicKey: accepted.centralPublicKey,
    expiresAt: new Date(expiresAtMs).toISOString(),
  });
  const macHeaders = macRequestHeaders(request, session);
  // CPU rather than wall time, `inFlight` at once: the signature check runs on a thread-pool thread, as it does in
  // a central under load, where checks overlap; one at a time, every check would also pay for waking an idle
  // event loop. The MAC, the ticket and the key agreement run on central's event loop.
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
  const macOk = verifyRequestMac({ ...request, headers: macHeaders, key: session.key });
  if (!macOk.ok || !tickets.open(ticket)) throw new Error('the probe session does not verify');
  return {
    macCheckMicros: await mean(() => verifyRequestMac({ ...request, headers: macHeaders, key: session.key })),
    ticketOpenMicros: await mean(() => tickets.open(ticket)),
    ticketBytes: Buffer.from(ticket, 'base64url').length,
    openingSignatureCheckMicros: await mean(
      () => verifyRequestSignature({ ...request, headers, publicKeyPem: pem }),
      8,
    ),
    openingKeyAgreementMicros: await mean(() => acceptSessionOffer(offer.body.ephemeralPublicKey)),
    auditHeadCheckMicros: await mean(() => verifyApplianceSignature(headBytes, head.signature, pem)),
    requestMacMicros: await mean(() => macRequestHeaders(request, session)),
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
