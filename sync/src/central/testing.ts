// Test support: a central on a temp dir with a movable clock, an enrolled appliance with a software key,
// inject helpers for signed appliance calls and admin calls, and what a valid issuance carries besides the
// CSR: full key evidence and the kiosk's signed identity statement.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  allowedIdentityRoles,
  IDENTITY_ROLE_FIELDS,
  idNumberMatchHmac,
  personNameMatchHmac,
  signIdentityStatement,
} from '../contract/identity.js';
import type { OrderAction } from '../contract/order-status.js';
import { createKeySigner, type EcdsaSigner, signRequest } from '../contract/request-signing.js';
import {
  type ApplianceOrder,
  type CreateOrderRequest,
  IDENTITY_MATCH_RULE,
  type IdentityRole,
  type IdentityStatement,
  type KeyEvidence,
  type Order,
  type SignedIdentityStatement,
} from '../contract/schemas.js';
import { buildCentral, type CentralOptions } from './app.js';

export { healthyHeartbeat } from './healthy-heartbeat.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token';
export const TEST_HALL = 'SZ-FUTIAN';

export interface TestAppliance {
  id: string;
  hall: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function newApplianceKey(id: string, hall = TEST_HALL): TestAppliance {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, hall, privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Key evidence that satisfies KEY_EVIDENCE_RULE (a key pair generated on the token, never extractable). */
export const GOOD_KEY_EVIDENCE: KeyEvidence = {
  tokenSerial: 'TEST-TOKEN-0001',
  local: true,
  neverExtractable: true,
  alwaysSensitive: true,
  sensitive: true,
  extractable: false,
};

/**
 * What a kiosk signs after an ID card matched: the card's HMACs under the order's identitySalt (from the
 * ApplianceOrder it got with the pickup code), for `role` (default: the first allowed role), signed with the
 * appliance key. `card` defaults to nothing: give the ID number and name read from the card.
 */
export async function identityStatementFor(
  order: ApplianceOrder,
  card: { idNumber: string; name: string },
  opts: {
    applianceId: string;
    signer: EcdsaSigner;
    role?: IdentityRole;
    checkedAt?: string;
    /** Replace fields after the HMACs are computed (forgeries). */
    patch?: Partial<IdentityStatement>;
  },
): Promise<SignedIdentityStatement> {
  const role = opts.role ?? allowedIdentityRoles(order)[0];
  if (!role) throw new Error(`order ${order.id} has nobody allowed to collect it`);
  const statement: IdentityStatement = {
    orderId: order.id,
    applianceId: opts.applianceId,
    role,
    cardIdHmac: idNumberMatchHmac(order.identitySalt, card.idNumber),
    cardNameHmac: personNameMatchHmac(order.identitySalt, card.name),
    matchRule: IDENTITY_MATCH_RULE,
    checkedAt: opts.checkedAt ?? new Date().toISOString(),
    ...opts.patch,
  };
  return signIdentityStatement(statement, opts.signer);
}

export interface IssueBodyOptions {
  /** The appliance that signs the statement (default: the harness appliance). */
  as?: TestAppliance;
  role?: IdentityRole;
  /** The card presented (default: the person of `role` on the order, i.e. the right one). */
  card?: { idNumber: string; name: string };
  checkedAt?: string;
  keyEvidence?: KeyEvidence;
  /** Replace statement fields after the HMACs are computed. */
  patch?: Partial<IdentityStatement>;
}

/** A couriered key: the CA's workshop certified it (token serial recorded) and the order was shipped. */
export interface CourierKey {
  orderId: string;
  serialNumber: string;
  tokenSerial: string;
  /** The activation code pushed at shipping. */
  code: string;
}

export interface Harness {
  app: FastifyInstance;
  dir: string;
  clock: { ms: number };
  appliance: TestAppliance;
  signed(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    as?: TestAppliance,
    opts?: { now?: number; nonce?: string },
  ): Promise<LightMyRequestResponse>;
  admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** Register an appliance id for a hall (admin API); returns its one-time enrolment code. */
  register(id: string, hall: string): Promise<string>;
  /**
   * Enrol (signed with the appliance's own key). `code` undefined: the code this harness registered for the id
   * (registered for `a.hall` the first time); null: send none; a string: send that.
   */
  enrol(a: TestAppliance, code?: string | null): Promise<LightMyRequestResponse>;
  /** A valid signed identity statement for an order, as `as` (default: the harness appliance) would send it. */
  identityStatement(orderId: string, opts?: IssueBodyOptions): Promise<SignedIdentityStatement>;
  /** A full, valid `POST /v1/certificates` body (key evidence and identity statement included). */
  issueBody(
    req: { orderId: string; pickupCode: string; csrPem: string; idempotencyKey?: string },
    opts?: IssueBodyOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * POST /v1/certificates as `opts.as` (default: the harness appliance) with `body`, completed with valid key
   * evidence and a valid identity statement where it has none.
   */
  issue(body: Record<string, unknown>, opts?: IssueBodyOptions): Promise<LightMyRequestResponse>;
  /** Create an order and walk it through the given actions; returns the final order and any pickup code. */
  order(
    actions: OrderAction[],
    patch?: Partial<CreateOrderRequest>,
  ): Promise<{ order: Order; pickupCode?: string }>;
  /** An approved courier order, certified at the workshop onto `tokenSerial` (admin API) and shipped. */
  courierKey(tokenSerial: string, patch?: Partial<CreateOrderRequest>): Promise<CourierKey>;
  /**
   * Stop central as a crash would leave it (nothing more is written) and start it again on the same data
   * directory and clock; `h.app` is the new instance, the enrolled appliances stay.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const NATURAL_PERSON: CreateOrderRequest = {
  certificateType: 'natural-person',
  businessType: 'new',
  serviceYears: 2,
  hall: TEST_HALL,
  delivery: 'kiosk',
  applicant: { name: '张伟', phone: '13800138000' },
  holder: { name: '张伟', idNumber: '440304199001011233' },
};

/** `count` certificate.issued events a kiosk sends (no payload), occurred at `atMs`. */
export function issuedEvents(count: number, atMs: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt-issued-${i + 1}`,
    type: 'certificate.issued',
    occurredAt: new Date(atMs).toISOString(),
    payload: {},
  }));
}

export const TO_APPROVED: OrderAction[] = [
  'request-payment',
  'pay-wechat',
  'request-identity',
  'verify-identity',
  'approve',
];

export async function startHarness(
  opts: { pickupKeyPem?: string; central?: Partial<Omit<CentralOptions, 'dataDir' | 'now'>> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-central-'));
  const clock = { ms: Date.parse('2026-03-01T08:00:00Z') };
  const build = () =>
    buildCentral({
      dataDir: dir,
      adminToken: TEST_ADMIN_TOKEN,
      now: () => clock.ms,
      ...(opts.pickupKeyPem ? { pickupKeyPem: opts.pickupKeyPem } : {}),
      ...opts.central,
    });
  let app = await build();
  const appliance = newApplianceKey('KIOSK-T-001');

  const signed: Harness['signed'] = async (method, url, body, as = appliance, o = {}) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signRequest(
      { applianceId: as.id, method, path: url, body: payload },
      createKeySigner(as.privateKey),
      { now: o.now ?? clock.ms, ...(o.nonce ? { nonce: o.nonce } : {}) },
    );
    return app.inject({
      method,
      url,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload } : {}),
    });
  };
  const admin: Harness['admin'] = (method, url, body) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const register = async (id: string, hall: string) => {
    const r = await admin('POST', '/admin/v1/appliances', { applianceId: id, hall });
    if (r.statusCode !== 201) throw new Error(`register failed: ${r.body}`);
    return (r.json() as { enrolmentCode: string }).enrolmentCode;
  };
  const codes = new Map<string, string>();
  const enrol: Harness['enrol'] = async (a, code) => {
    let c = code;
    if (c === undefined) {
      c = codes.get(a.id) ?? (await register(a.id, a.hall));
      codes.set(a.id, c);
    }
    return signed(
      'POST',
      '/v1/appliances/enrol',
      {
        applianceId: a.id,
        hall: a.hall,
        publicKeyPem: a.publicKeyPem,
        ...(c === null ? {} : { enrolmentCode: c }),
      },
      a,
    );
  };
  const identityStatement: Harness['identityStatement'] = async (orderId, o = {}) => {
    const as = o.as ?? appliance;
    const ctx = app.central;
    const row = (await ctx.db.get('SELECT 1 FROM orders WHERE id = ?', orderId))
      ? await ctx.orders.row(orderId)
      : undefined;
    // An order central does not know: a statement about it all the same (the refusal under test comes first).
    const order: ApplianceOrder = row
      ? ctx.orders.toApplianceOrder(row)
      : {
          id: orderId,
          status: 'approved',
          delivery: 'kiosk',
          certificateType: 'natural-person',
          businessType: 'new',
          serviceYears: 1,
          holderVerifiedOnline: false,
          hall: as.hall,
          identitySalt: Buffer.alloc(32).toString('base64'),
        };
    const role = o.role ?? allowedIdentityRoles(order)[0] ?? 'holder';
    const person = row ? ctx.orders.people(row)[IDENTITY_ROLE_FIELDS[role]] : undefined;
    const card = o.card ?? person ?? { idNumber: '110101199003077777', name: '无名' };
    return identityStatementFor(order, card, {
      applianceId: as.id,
      signer: createKeySigner(as.privateKey),
      role,
      checkedAt: o.checkedAt ?? new Date(clock.ms).toISOString(),
      ...(o.patch ? { patch: o.patch } : {}),
    });
  };

  const h: Harness = {
    app,
    dir,
    clock,
    appliance,
    signed,
    admin,
    register,
    enrol,
    identityStatement,
    async issueBody(req, o = {}) {
      return {
        orderId: req.orderId,
        idempotencyKey: req.idempotencyKey ?? `${req.orderId}:attempt-1`,
        pickupCode: req.pickupCode,
        csrPem: req.csrPem,
        keyEvidence: o.keyEvidence ?? GOOD_KEY_EVIDENCE,
        identityStatement: await identityStatement(req.orderId, o),
      };
    },
    async issue(body, o = {}) {
      const orderId = String(body.orderId ?? '');
      return signed(
        'POST',
        '/v1/certificates',
        {
          keyEvidence: o.keyEvidence ?? GOOD_KEY_EVIDENCE,
          ...(body.identityStatement === undefined
            ? { identityStatement: await identityStatement(orderId, o) }
            : {}),
          ...body,
        },
        o.as ?? appliance,
      );
    },
    async order(actions, patch = {}) {
      const created = await admin('POST', '/admin/v1/orders', { ...NATURAL_PERSON, ...patch });
      if (created.statusCode !== 201) throw new Error(`create failed: ${created.body}`);
      let order = created.json() as Order;
      let pickupCode: string | undefined;
      for (const action of actions) {
        const r = await admin('POST', `/admin/v1/orders/${order.id}/actions`, {
          action,
          ...(action === 'reject' ? { reason: 'Please upload a clearer scan.' } : {}),
        });
        if (r.statusCode !== 200) throw new Error(`${action} failed: ${r.body}`);
        const out = r.json() as { order: Order; pickupCode?: string };
        order = out.order;
        pickupCode = out.pickupCode ?? pickupCode;
      }
      return { order, ...(pickupCode ? { pickupCode } : {}) };
    },
    async courierKey(tokenSerial, patch = {}) {
      const { order } = await h.order(TO_APPROVED, { delivery: 'courier', ...patch });
      const w = await admin('POST', `/admin/v1/orders/${order.id}/certificates`, {
        csrPem: opensslCsr(dir, 'ec', `courier-${order.id}`),
        tokenSerial,
      });
      if (w.statusCode !== 200) throw new Error(`workshop issuance failed: ${w.body}`);
      const ship = await admin('POST', `/admin/v1/orders/${order.id}/actions`, { action: 'ship' });
      if (ship.statusCode !== 200) throw new Error(`ship failed: ${ship.body}`);
      return {
        orderId: order.id,
        serialNumber: (w.json() as { serialNumber: string }).serialNumber,
        tokenSerial,
        code: (ship.json() as { activationCode: string }).activationCode,
      };
    },
    async restart() {
      await app.close();
      app = await build();
      h.app = app;
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const e = await enrol(appliance);
  if (e.statusCode !== 200) throw new Error(`enrol failed: ${e.body}`);
  await admin('POST', `/admin/v1/appliances/${appliance.id}/approve`);
  return h;
}

/** A PKCS#10 CSR made by the real openssl (`rsa:2048`, `rsa:1024`, `ec`). */
export function opensslCsr(dir: string, kind: 'rsa:2048' | 'rsa:1024' | 'ec', name: string): string {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const keyArgs =
    kind === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', kind];
  execFileSync(
    'openssl',
    ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-subj', '/CN=kiosk', '-out', csr],
    {
      stdio: 'pipe',
    },
  );
  return readFileSync(csr, 'utf8');
}

export function writeTemp(dir: string, name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}
