// Request sessions (contract/request-sessions.ts): opened by a request signed with the appliance key, then each
// request authenticated by its ticket and MAC. SQLite here, PostgreSQL in the PostgreSQL pass (where central
// remembers keys and claims nonces in one statement). Each test performs an attack and fails if it works.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  macRequestHeaders,
  newSessionOffer,
  type RequestSession,
  SESSION_HEADERS,
  SESSION_LIFETIME_MS,
  SESSION_OPEN_PATH,
  SessionOpenResponseSchema,
} from '../../contract/request-sessions.js';
import { SessionTickets } from '../session-tickets.js';
import {
  type Harness,
  healthyHeartbeat,
  newApplianceKey,
  startHarness,
  type TestAppliance,
} from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function kiosk(id: string): Promise<TestAppliance> {
  const a = newApplianceKey(id);
  await h.enrol(a);
  await h.admin('POST', `/admin/v1/appliances/${id}/approve`);
  return a;
}

async function openSession(a: TestAppliance): Promise<RequestSession> {
  const offer = newSessionOffer(a.id);
  const r = await h.signed('POST', SESSION_OPEN_PATH, offer.body, a);
  expect(r.statusCode, r.body).toBe(200);
  const answer = r.json() as { ticket: string; centralPublicKey: string; expiresAt: string };
  expect(Object.keys(answer).sort()).toEqual(Object.keys(SessionOpenResponseSchema.properties).sort());
  return offer.finish(answer);
}

/** A request in a session; `tamper` changes the headers after the MAC is made (attacks). */
function inSession(
  session: RequestSession,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  o: { nonce?: string; tamper?: (h: Record<string, string>) => void; payloadAfterMac?: string } = {},
) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = macRequestHeaders({ method, path: url, body: payload }, session, {
    now: h.clock.ms,
    ...(o.nonce ? { nonce: o.nonce } : {}),
  });
  o.tamper?.(headers);
  const sent = o.payloadAfterMac ?? payload;
  return h.app.inject({
    method,
    url,
    headers: { ...headers, ...(sent ? { 'content-type': 'application/json' } : {}) },
    ...(sent ? { payload: sent } : {}),
  });
}

const codeOf = (r: { json(): unknown }) => (r.json() as { code?: string }).code;

describe('request sessions', () => {
  it('a session opened with the appliance key authenticates heartbeats and reads with a MAC alone', async () => {
    const a = await kiosk('KIOSK-SESSION-OK');
    const s = await openSession(a);
    expect(s.expiresAtMs).toBe(h.clock.ms + SESSION_LIFETIME_MS);
    const beat = await inSession(s, 'POST', '/v1/heartbeat', healthyHeartbeat());
    expect(beat.statusCode, beat.body).toBe(200);
    expect((await inSession(s, 'GET', '/v1/changes')).statusCode).toBe(200);
    const row = (await h.app.central.appliances.row(a.id))!;
    expect(row.last_heartbeat_at).toBe(new Date(h.clock.ms).toISOString());
  });

  it('refuses a MAC made with any other key, and a body changed after the MAC', async () => {
    const a = await kiosk('KIOSK-SESSION-FORGE');
    const s = await openSession(a);
    const forged = await inSession({ ...s, key: randomBytes(32) }, 'GET', '/v1/changes');
    expect(codeOf(forged)).toBe('AUTH_BAD_SIGNATURE');
    const changed = await inSession(s, 'POST', '/v1/heartbeat', healthyHeartbeat(), {
      payloadAfterMac: JSON.stringify(healthyHeartbeat({ queueDepth: 7 })),
    });
    expect(codeOf(changed)).toBe('AUTH_BAD_SIGNATURE');
    const noMac = await inSession(s, 'GET', '/v1/changes', undefined, {
      tamper: (x) => delete x[SESSION_HEADERS.mac],
    });
    expect(codeOf(noMac)).toBe('AUTH_UNSIGNED');
  });

  it('refuses a ticket that was altered, made up, or sealed under another key', async () => {
    const a = await kiosk('KIOSK-SESSION-TICKET');
    const s = await openSession(a);
    const raw = Buffer.from(s.ticket, 'base64url');
    raw[raw.length >> 1]! ^= 1;
    const forgeries = [
      raw.toString('base64url'),
      randomBytes(120).toString('base64url'),
      'not a ticket',
      new SessionTickets(randomBytes(32)).seal({
        applianceId: a.id,
        key: s.key,
        applianceKeySha256: '00'.repeat(32),
        expiresAtMs: h.clock.ms + 60_000,
      }),
    ];
    for (const ticket of forgeries) {
      const r = await inSession({ ...s, ticket }, 'GET', '/v1/changes');
      expect(codeOf(r), ticket).toBe('AUTH_SESSION_INVALID');
    }
    // The ticket does not carry the session key in the clear.
    expect(Buffer.from(s.ticket, 'base64url').includes(s.key)).toBe(false);
    expect(s.ticket.includes(s.key.toString('base64'))).toBe(false);
  });

  it("refuses one appliance's session used in another appliance's name", async () => {
    const a = await kiosk('KIOSK-SESSION-A');
    await kiosk('KIOSK-SESSION-B');
    const s = await openSession(a);
    const r = await inSession({ ...s, applianceId: 'KIOSK-SESSION-B' }, 'GET', '/v1/changes');
    expect(codeOf(r)).toBe('AUTH_SESSION_INVALID');
  });

  it('a session cannot open another session (that needs the appliance key again)', async () => {
    const a = await kiosk('KIOSK-SESSION-CHAIN');
    const s = await openSession(a);
    const r = await inSession(s, 'POST', SESSION_OPEN_PATH, newSessionOffer(a.id).body);
    expect(r.statusCode).toBe(401);
    expect(codeOf(r)).toBe('AUTH_SESSION_NEEDS_SIGNATURE');
  });

  it('claims each nonce once, shared with signed requests', async () => {
    const a = await kiosk('KIOSK-SESSION-REPLAY');
    const s = await openSession(a);
    const nonce = 'session-nonce-000001';
    expect((await inSession(s, 'GET', '/v1/changes', undefined, { nonce })).statusCode).toBe(200);
    expect(codeOf(await inSession(s, 'GET', '/v1/changes', undefined, { nonce }))).toBe('AUTH_REPLAYED');
    const signedNonce = 'signed-nonce-0000001';
    expect((await h.signed('GET', '/v1/changes', undefined, a, { nonce: signedNonce })).statusCode).toBe(200);
    const replayed = await inSession(s, 'GET', '/v1/changes', undefined, { nonce: signedNonce });
    expect(codeOf(replayed)).toBe('AUTH_REPLAYED');
    // Arriving together (one statement on PostgreSQL): one passes.
    const together = await Promise.all(
      [1, 2, 3].map(() => inSession(s, 'GET', '/v1/changes', undefined, { nonce: 'session-nonce-000002' })),
    );
    expect(together.map((r) => r.statusCode).sort()).toEqual([200, 401, 401]);
  });

  it('an expired session is refused, and a stale timestamp too', async () => {
    const a = await kiosk('KIOSK-SESSION-EXPIRY');
    const s = await openSession(a);
    const start = h.clock.ms;
    try {
      h.clock.ms = start + SESSION_LIFETIME_MS - 1;
      expect((await inSession(s, 'GET', '/v1/changes')).statusCode).toBe(200);
      h.clock.ms = start + SESSION_LIFETIME_MS;
      expect(codeOf(await inSession(s, 'GET', '/v1/changes'))).toBe('AUTH_SESSION_EXPIRED');
    } finally {
      h.clock.ms = start;
    }
    const stale = await inSession(s, 'GET', '/v1/changes', undefined, {
      tamper: (x) => {
        x['x-certkiosk-timestamp'] = String(start - 10 * 60_000);
      },
    });
    expect(codeOf(stale)).toBe('AUTH_STALE_TIMESTAMP');
  });

  it('ends with the appliance: revoked, suspended or re-keyed, its open session is refused at once', async () => {
    const a = await kiosk('KIOSK-SESSION-END');
    const s = await openSession(a);
    const changes = () => inSession(s, 'GET', '/v1/changes');
    for (let i = 0; i < 2; i++) expect((await changes()).statusCode).toBe(200);
    const db = h.app.central.db;
    await db.run("UPDATE appliances SET status = 'revoked' WHERE id = ?", a.id);
    expect(codeOf(await changes())).toBe('AUTH_UNKNOWN_APPLIANCE');
    await db.run("UPDATE appliances SET status = 'pending' WHERE id = ?", a.id);
    expect(codeOf(await changes())).toBe('AUTH_APPLIANCE_NOT_APPROVED');
    await db.run("UPDATE appliances SET status = 'approved' WHERE id = ?", a.id);
    expect((await changes()).statusCode).toBe(200);
    // Re-keyed and approved: the session opened with the old key is over; the new key opens a new one.
    const rekeyed = newApplianceKey(a.id);
    await db.run('UPDATE appliances SET public_key_pem = ? WHERE id = ?', rekeyed.publicKeyPem, a.id);
    expect(codeOf(await changes())).toBe('AUTH_SESSION_INVALID');
    const fresh = await openSession(rekeyed);
    expect((await inSession(fresh, 'GET', '/v1/changes')).statusCode).toBe(200);
    expect(codeOf(await changes())).toBe('AUTH_SESSION_INVALID');
    // The old key cannot open one any more.
    const old = await h.signed('POST', SESSION_OPEN_PATH, newSessionOffer(a.id).body, a);
    expect(codeOf(old)).toBe('AUTH_BAD_SIGNATURE');
  });

  it('an unknown or unapproved appliance cannot open a session', async () => {
    const stranger = newApplianceKey('KIOSK-SESSION-STRANGER');
    const r = await h.signed('POST', SESSION_OPEN_PATH, newSessionOffer(stranger.id).body, stranger);
    expect(codeOf(r)).toBe('AUTH_UNKNOWN_APPLIANCE');
    const pending = newApplianceKey('KIOSK-SESSION-PENDING');
    await h.enrol(pending);
    const p = await h.signed('POST', SESSION_OPEN_PATH, newSessionOffer(pending.id).body, pending);
    expect(codeOf(p)).toBe('AUTH_APPLIANCE_NOT_APPROVED');
  });

  it('refuses an ephemeral key that is not EC P-256, with a clear error', async () => {
    const a = await kiosk('KIOSK-SESSION-BADKEY');
    const rsa = (await import('node:crypto'))
      .generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    for (const ephemeralPublicKey of [rsa, Buffer.from('x'.repeat(64)).toString('base64')]) {
      const r = await h.signed('POST', SESSION_OPEN_PATH, { ephemeralPublicKey }, a);
      expect(r.statusCode).toBe(400);
      expect(codeOf(r)).toBe('SESSION_KEY_INVALID');
    }
  });

  it('a session outlives a central restart (the ticket key is kept in the data directory)', async () => {
    const a = await kiosk('KIOSK-SESSION-RESTART');
    const s = await openSession(a);
    await h.restart();
    expect((await inSession(s, 'GET', '/v1/changes')).statusCode).toBe(200);
  });
});
