// The client's request sessions against the real central on loopback: one ECDSA signature (the token's) opens a
// session, later requests carry its ticket and MAC; the session is renewed before it expires and opened again,
// once, when central no longer takes its ticket. A recording fetch sees what goes over the wire.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCentral } from '../central/app.js';
import { healthyHeartbeat } from '../central/testing.js';
import {
  SESSION_HEADERS,
  SESSION_LIFETIME_MS,
  SESSION_RENEW_BEFORE_MS,
} from '../contract/request-sessions.js';
import { createKeySigner, SIGNATURE_HEADERS } from '../contract/request-signing.js';
import { CentralClient, type CentralClientOptions, SESSIONS_ABSENT_RETRY_MS } from './central-client.js';
import {
  LOOPBACK_ADMIN_TOKEN,
  LOOPBACK_HALL,
  type LoopbackCentral,
  refusalOf,
  startLoopbackCentral,
  testEvent,
} from './loopback-central.js';

/** One request as it went over the wire, and central's answer. */
interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  status: number;
  centralCode?: string;
}

const signed = (s: Sent) => SIGNATURE_HEADERS.signature in s.headers;
const inSession = (s: Sent) => SESSION_HEADERS.ticket in s.headers && SESSION_HEADERS.mac in s.headers;
const openings = (log: Sent[]) => log.filter((s) => s.path === '/v1/session');

/**
 * A fetch that records each request and answer; `edit` may change a request's headers before it goes (a tampered
 * ticket, a replayed request), `to` sends it to another central than the client's base URL.
 */
function recordingFetch(
  opts: {
    edit?: (s: { method: string; path: string; headers: Record<string, string> }) => Record<string, string>;
    to?: () => string;
  } = {},
) {
  const log: Sent[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const path = url.pathname + url.search;
    const method = init?.method ?? 'GET';
    let headers = { ...(init?.headers as Record<string, string>) };
    headers = opts.edit?.({ method, path, headers }) ?? headers;
    const target = opts.to ? new URL(path, opts.to()) : url;
    const res = await fetch(target, { ...init, headers });
    const code = res.status >= 400 ? ((await res.clone().json()) as { code?: string }).code : undefined;
    log.push({ method, path, headers, status: res.status, ...(code ? { centralCode: code } : {}) });
    return res;
  };
  return { log, fetch: fetchImpl };
}

/**
 * A central on loopback whose clock is Date.now at each call (a loopback central keeps the real Date.now), so
 * moving Date (clockAt) moves it and the client's request timestamps together.
 */
async function startClockedCentral(): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ck-sessions-central-'));
  const app = await buildCentral({
    dataDir,
    adminToken: LOOPBACK_ADMIN_TOKEN,
    autoApproveAppliances: true,
    now: () => Date.now(),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let central: LoopbackCentral;
let other: LoopbackCentral;
let clocked: { url: string; close(): Promise<void> };
beforeAll(async () => {
  [central, other, clocked] = await Promise.all([
    startLoopbackCentral(),
    startLoopbackCentral(),
    startClockedCentral(),
  ]);
});
afterAll(async () => {
  await Promise.all([central.close(), other.close(), clocked.close()]);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Move Date (the kiosk's and the clocked central's clock) to `ms`. */
const clockAt = (ms: number) => vi.useFakeTimers({ toFake: ['Date'], now: ms });

/**
 * An appliance enrolled (auto-approved) at each central given, with the same key, and a client for it at the first:
 * `signatures` counts the ECDSA signatures its token made after enrolment.
 */
async function enrolledKiosk(
  applianceId: string,
  opts: Partial<CentralClientOptions> = {},
  at: { url: string }[] = [central],
) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sign = createKeySigner(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  for (const c of at) {
    await new CentralClient({ baseUrl: c.url, applianceId, signer: sign }).enrol({
      applianceId,
      hall: LOOPBACK_HALL,
      publicKeyPem,
    });
  }
  const counter = { signatures: 0 };
  const client = new CentralClient({
    baseUrl: at[0]!.url,
    applianceId,
    signer: (data) => {
      counter.signatures++;
      return sign(data);
    },
    timeoutMs: 5_000,
    ...opts,
  });
  return { client, counter };
}

describe('CentralClient request sessions', () => {
  it('signs only the opening: N calls, concurrent ones too, share one session and carry its ticket and MAC', async () => {
    const rec = recordingFetch();
    const { client, counter } = await enrolledKiosk('KIOSK-SES-001', { fetch: rec.fetch });
    // A burst on a fresh client: one opening between them.
    await Promise.all([
      client.getChanges('0', 1),
      client.heartbeat(healthyHeartbeat()),
      client.postEvents([testEvent('evt-ses-0001')]),
    ]);
    for (let i = 0; i < 4; i++) await client.getChanges('0', 1);
    await client.postEvents([testEvent('evt-ses-0002')]);

    const log = rec.log;
    expect(log).toHaveLength(1 + 8);
    expect(log.every((s) => s.status === 200)).toBe(true);
    expect(counter.signatures).toBe(1);
    expect(log.filter(signed).map((s) => s.path)).toEqual(['/v1/session']);
    expect(openings(log)[0]!.headers).not.toHaveProperty(SESSION_HEADERS.ticket);
    const rest = log.filter((s) => s.path !== '/v1/session');
    expect(rest.every((s) => inSession(s) && !signed(s))).toBe(true);
    expect(new Set(rest.map((s) => s.headers[SESSION_HEADERS.ticket])).size).toBe(1);
  });

  it('renews a session near its expiry before using it (a new opening, before central would refuse it)', async () => {
    const rec = recordingFetch();
    const { client } = await enrolledKiosk('KIOSK-SES-002', { fetch: rec.fetch, now: () => Date.now() }, [
      clocked,
    ]);
    const opened = Date.now();
    clockAt(opened);
    await client.getChanges('0', 1);
    clockAt(opened + SESSION_LIFETIME_MS - SESSION_RENEW_BEFORE_MS - 60_000); // a minute before renewal is due
    await client.getChanges('0', 1);
    expect(openings(rec.log)).toHaveLength(1);
    clockAt(opened + SESSION_LIFETIME_MS - SESSION_RENEW_BEFORE_MS + 60_000); // due; central would still take it
    await client.getChanges('0', 1);
    await client.getChanges('0', 1);
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 200],
      ['/v1/changes', 200],
      ['/v1/session', 200],
      ['/v1/changes', 200],
      ['/v1/changes', 200],
    ]);
    const tickets = rec.log.filter(inSession).map((s) => s.headers[SESSION_HEADERS.ticket]);
    expect(tickets[1]).toBe(tickets[0]);
    expect(tickets[2]).not.toBe(tickets[1]);
    expect(tickets[3]).toBe(tickets[2]);
  });

  it('a central with another ticket key refuses the ticket: the client opens a new session there and the call succeeds', async () => {
    let target = central.url;
    const rec = recordingFetch({ to: () => target });
    const { client, counter } = await enrolledKiosk('KIOSK-SES-003', { fetch: rec.fetch }, [central, other]);
    await client.getChanges('0', 1);
    target = other.url; // e.g. central moved to another data directory: its ticket key changed
    // Three requests in flight on the refused session: they all retry in one new session.
    const [events] = await Promise.all([
      client.postEvents([testEvent('evt-ses-0003')]),
      client.getChanges('0', 1),
      client.heartbeat(healthyHeartbeat()),
    ]);
    expect(events).toEqual({ accepted: 1, duplicates: 0, acknowledged: ['evt-ses-0003'] });
    await client.getChanges('0', 1);
    const refused = rec.log.filter((s) => s.status === 401);
    expect(refused.map((s) => s.centralCode)).toEqual(Array(3).fill('AUTH_SESSION_INVALID'));
    expect(openings(rec.log).map((s) => s.status)).toEqual([200, 200]);
    expect(counter.signatures).toBe(2);
    expect(rec.log).toHaveLength(2 + 3 + 1 + 3 + 1);
    const answered = rec.log.slice(2).filter((s) => inSession(s) && s.status === 200);
    expect(answered).toHaveLength(4);
    expect(new Set(answered.map((s) => s.headers[SESSION_HEADERS.ticket])).size).toBe(1);
  });

  it('retries a refused ticket once only: a central that keeps refusing it gives the error, and the next call opens afresh', async () => {
    let tamper = true;
    const rec = recordingFetch({
      edit: ({ headers }) => {
        const ticket = headers[SESSION_HEADERS.ticket];
        if (!tamper || ticket === undefined) return headers;
        const flipped = ticket.startsWith('A') ? `B${ticket.slice(1)}` : `A${ticket.slice(1)}`;
        return { ...headers, [SESSION_HEADERS.ticket]: flipped };
      },
    });
    const { client } = await enrolledKiosk('KIOSK-SES-004', { fetch: rec.fetch });
    const e = await refusalOf(client.getChanges('0', 1));
    expect(e).toMatchObject({ code: 'CENTRAL_REFUSED', status: 401, centralCode: 'AUTH_SESSION_INVALID' });
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 401],
      ['/v1/session', 200],
      ['/v1/changes', 401],
    ]);
    tamper = false;
    await client.getChanges('0', 1);
    expect(rec.log.slice(4).map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 200],
    ]);
  });

  it('an expired session refused by central (the kiosk thought it fresh) is opened again and the call succeeds', async () => {
    const opened = Date.now();
    const rec = recordingFetch();
    // The kiosk's renewal clock stays at the opening: it believes the session is fresh.
    const { client } = await enrolledKiosk('KIOSK-SES-005', { fetch: rec.fetch, now: () => opened }, [
      clocked,
    ]);
    await client.getChanges('0', 1);
    clockAt(opened + SESSION_LIFETIME_MS + 60_000);
    await client.getChanges('0', 1);
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status, s.centralCode])).toEqual([
      ['/v1/session', 200, undefined],
      ['/v1/changes', 200, undefined],
      ['/v1/changes', 401, 'AUTH_SESSION_EXPIRED'],
      ['/v1/session', 200, undefined],
      ['/v1/changes', 200, undefined],
    ]);
  });

  it('never opens a new session for a bad MAC or a replayed request: those are thrown as before', async () => {
    let edit: ((h: Record<string, string>) => Record<string, string>) | undefined;
    const rec = recordingFetch({ edit: ({ headers }) => edit?.(headers) ?? headers });
    const { client } = await enrolledKiosk('KIOSK-SES-006', { fetch: rec.fetch });
    await client.getChanges('0', 1);

    edit = (h) => ({ ...h, [SESSION_HEADERS.mac]: Buffer.alloc(32).toString('base64') });
    expect(await refusalOf(client.getChanges('0', 1))).toMatchObject({
      code: 'CENTRAL_REFUSED',
      centralCode: 'AUTH_BAD_SIGNATURE',
    });
    const first = rec.log[1]!.headers; // the accepted GET /v1/changes?cursor=0&limit=1, sent again as it was
    edit = () => first;
    expect(await refusalOf(client.getChanges('0', 1))).toMatchObject({
      code: 'CENTRAL_REFUSED',
      centralCode: 'AUTH_REPLAYED',
    });
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 200],
      ['/v1/changes', 401],
      ['/v1/changes', 401],
    ]);
  });

  it('an opening that failed is not kept: the next call opens again', async () => {
    let down = true;
    const rec = recordingFetch();
    const { client } = await enrolledKiosk('KIOSK-SES-007', {
      fetch: async (input, init) => {
        if (down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
        return rec.fetch(input, init);
      },
    });
    expect((await refusalOf(client.getChanges('0', 1))).code).toBe('CENTRAL_UNAVAILABLE');
    down = false;
    await client.getChanges('0', 1);
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 200],
    ]);
  });

  it('sessions: false signs every request with the appliance key and opens no session', async () => {
    const rec = recordingFetch();
    const { client, counter } = await enrolledKiosk('KIOSK-SES-008', { fetch: rec.fetch, sessions: false });
    await client.getChanges('0', 1);
    await client.heartbeat(healthyHeartbeat());
    await client.postEvents([testEvent('evt-ses-0008')]);
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/changes', 200],
      ['/v1/heartbeat', 200],
      ['/v1/events', 200],
    ]);
    expect(rec.log.every((s) => signed(s) && !(SESSION_HEADERS.ticket in s.headers))).toBe(true);
    expect(counter.signatures).toBe(3);
  });
  it('a central older than sessions (a bare 404 to the opening) gets signed requests, and a session once it has them', async () => {
    let upgraded = false;
    const rec = recordingFetch();
    const { client, counter } = await enrolledKiosk(
      'KIOSK-SES-009',
      {
        now: () => Date.now(),
        fetch: async (input, init) => {
          const url = new URL(String(input));
          if (upgraded || url.pathname !== '/v1/session') return rec.fetch(input, init);
          // What Fastify answers for a route it does not have: no code of central's.
          rec.log.push({ method: 'POST', path: url.pathname, headers: {}, status: 404 });
          const body = { message: 'Route POST:/v1/session not found', error: 'Not Found', statusCode: 404 };
          return new Response(JSON.stringify(body), {
            status: 404,
            headers: { 'content-type': 'application/json' },
          });
        },
      },
      [clocked],
    );
    const start = Date.now();
    clockAt(start);
    await client.heartbeat(healthyHeartbeat());
    await client.getChanges('0', 1);
    clockAt(start + SESSIONS_ABSENT_RETRY_MS - 60_000);
    await client.postEvents([testEvent('evt-ses-0009')]);
    expect(rec.log.map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 404],
      ['/v1/heartbeat', 200],
      ['/v1/changes', 200],
      ['/v1/events', 200],
    ]);
    expect(rec.log.slice(1).every((s) => signed(s) && !inSession(s))).toBe(true);

    upgraded = true;
    clockAt(start + SESSIONS_ABSENT_RETRY_MS + 60_000);
    await client.getChanges('0', 1);
    await client.getChanges('0', 1);
    expect(rec.log.slice(4).map((s) => [s.path.split('?')[0], s.status])).toEqual([
      ['/v1/session', 200],
      ['/v1/changes', 200],
      ['/v1/changes', 200],
    ]);
    expect(rec.log.slice(5).every((s) => inSession(s) && !signed(s))).toBe(true);
    expect(counter.signatures).toBe(2 + 3); // two openings (the refused one too) and the three signed calls
  });

  it('a 404 carrying a central error code is not taken for a central without sessions', async () => {
    const rec = recordingFetch();
    const { client } = await enrolledKiosk('KIOSK-SES-010', {
      fetch: async (input, init) => {
        if (new URL(String(input)).pathname !== '/v1/session') return rec.fetch(input, init);
        const body = { code: 'APPLIANCE_NOT_FOUND', message: 'No such appliance.' };
        return new Response(JSON.stringify(body), {
          status: 404,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    const e = await refusalOf(client.getChanges('0', 1));
    expect(e.centralCode).toBe('APPLIANCE_NOT_FOUND');
    expect(rec.log).toEqual([]);
  });
});
