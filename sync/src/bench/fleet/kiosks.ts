// The simulated kiosks: each has its own P-256 key pair and the sync agent's CentralClient (so its enrolment is
// signed exactly as a real kiosk signs it), and enrols the way a real one does — an operator registers it
// (one-time code), the kiosk enrols its key with the code, the operator approves it by key fingerprint. It then
// opens a request session (sessions.ts) and sends its requests in it.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { DEVICE_KINDS } from '@certkiosk/config';
import { CentralClient } from '../../agent/central-client.js';
import { keyFingerprint, signAuditHead } from '../../contract/identity.js';
import type { RequestSession } from '../../contract/request-sessions.js';
import { createKeySigner, type EcdsaSigner } from '../../contract/request-signing.js';
import type { AuditHead, HeartbeatRequest } from '../../contract/schemas.js';
import type { SignedPoster } from './signed-poster.js';

export const FLEET_HALL = 'SZ-FLEET-LOAD';
export const FLEET_SOFTWARE_VERSION = 'fleet-load-sim';

export interface SimKiosk {
  id: string;
  /** The sync agent's client over the kiosk's key: enrolment. */
  client: CentralClient;
  signer: EcdsaSigner;
  /** Index of the central URL this kiosk talks to (several central processes on one store). */
  central: number;
  publicKeyPem: string;
  /** Records in the kiosk's audit log (grows with its pickups; its head goes into every heartbeat). */
  auditSeq: number;
  /** The audit head signed for auditSeq, sent again until the seq moves (as the appliance does). */
  signedHead?: AuditHead;
  pickups: number;
  startedAt: number;
  /** The request session its heartbeats and events are MACed in (sessions.ts); none before it opens one. */
  session?: RequestSession | undefined;
  /** The opening in flight, so a heartbeat and an event post due together open one session. */
  opening?: Promise<RequestSession> | undefined;
  /** Sessions it has opened (the first, and one an hour after). */
  sessionsOpened: number;
}

export function kioskId(i: number): string {
  return `FLEET-${String(i).padStart(6, '0')}`;
}

/** A new kiosk with its own key; it enrols at `baseUrl`, its load goes through poster number `central`. */
export function makeKiosk(i: number, baseUrl: string, central = 0): SimKiosk {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const id = kioskId(i);
  const signer = createKeySigner(privateKey);
  return {
    id,
    client: new CentralClient({ baseUrl, applianceId: id, signer, timeoutMs: 30_000 }),
    signer,
    central,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    auditSeq: 1,
    pickups: 0,
    startedAt: Date.now(),
    sessionsOpened: 0,
  };
}

/** The operator's side of enrolment, through central's admin API. */
export interface FleetOperator {
  register(applianceId: string, hall: string): Promise<string>;
  approve(applianceId: string, fingerprint: string): Promise<void>;
}

export function adminOperator(baseUrl: string, adminToken: string): FleetOperator {
  const call = async (path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${baseUrl}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`admin POST ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    async register(applianceId, hall) {
      const r = (await call('/appliances', { applianceId, hall })) as { enrolmentCode: string };
      return r.enrolmentCode;
    },
    async approve(applianceId, fingerprint) {
      await call(`/appliances/${encodeURIComponent(applianceId)}/approve`, { keyFingerprint: fingerprint });
    },
  };
}

/**
 * How kiosks enrol: `code` as in production (the operator registers the kiosk, it enrols with the one-time
 * code, the operator approves its key fingerprint: three requests); `auto` enrols with one signed request on a
 * loopback central started with --auto-approve-appliances (no code, approved at once).
 */
export type EnrolMode = 'code' | 'auto';

/** Enrol (and have approved) each kiosk, `concurrency` at a time. */
export async function enrolKiosks(
  kiosks: SimKiosk[],
  operator: FleetOperator,
  mode: EnrolMode = 'code',
  concurrency = 32,
): Promise<void> {
  await eachLimited(kiosks, concurrency, async (k) => {
    const req = {
      applianceId: k.id,
      hall: FLEET_HALL,
      publicKeyPem: k.publicKeyPem,
      softwareVersion: FLEET_SOFTWARE_VERSION,
    };
    if (mode === 'auto') {
      await k.client.enrol(req);
      return;
    }
    await k.client.enrol(req, await operator.register(k.id, FLEET_HALL));
    await operator.approve(k.id, keyFingerprint(k.publicKeyPem));
  });
}

/**
 * Each new kiosk's first heartbeat, as an appliance sends it once enrolled (in the session it opened): central
 * checks its audit head's signature and keeps it under the appliance's lock (a durable transaction); later
 * heartbeats repeat the kept head and only renew it. Part of a step's setup, so the step measures the fleet's
 * steady heartbeats.
 */
export async function firstHeartbeats(
  kiosks: SimKiosk[],
  posters: readonly SignedPoster[],
  concurrency = 32,
): Promise<void> {
  await eachLimited(kiosks, concurrency, async (k) => {
    if (!k.session) throw new Error(`${k.id} has no session for its first heartbeat`);
    const r = await posters[k.central]!.postInSession(
      k.session,
      '/v1/heartbeat',
      await heartbeatBody(k, Date.now()),
    );
    if (r.status !== 200)
      throw new Error(`${k.id}'s first heartbeat: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  });
}

/** Run `fn` over `items` with at most `limit` running at once; the first failure rejects. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** What a healthy kiosk reports (appliance/src/daemon.ts), with its signed audit head. */
export async function heartbeatBody(k: SimKiosk, now: number): Promise<HeartbeatRequest> {
  if (k.signedHead?.seq !== k.auditSeq) {
    const hash = createHash('sha256').update(`${k.id}:${k.auditSeq}`).digest('hex');
    k.signedHead = await signAuditHead(
      { applianceId: k.id, seq: k.auditSeq, hash, at: new Date(now).toISOString() },
      k.signer,
    );
  }
  return {
    softwareVersion: FLEET_SOFTWARE_VERSION,
    devices: DEVICE_KINDS.map((device) => ({ device, status: 'online' as const })),
    consumables: { paper: 'ok', blankKeys: 40 },
    queueDepth: 0,
    parkedEvents: 0,
    inDoubt: 0,
    uptimeS: Math.floor((now - k.startedAt) / 1000),
    auditHead: k.signedHead,
    alarms: [],
  };
}
