// Test support: a central on a temp dir with a movable clock, an enrolled appliance with a software key,
// and inject helpers for signed appliance calls and admin calls.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { OrderAction } from '../contract/order-status.js';
import { createKeySigner, signRequest } from '../contract/request-signing.js';
import type { CreateOrderRequest, Order } from '../contract/schemas.js';
import { buildCentral } from './app.js';

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
  enrol(a: TestAppliance): Promise<LightMyRequestResponse>;
  /** Create an order and walk it through the given actions; returns the final order and any pickup code. */
  order(
    actions: OrderAction[],
    patch?: Partial<CreateOrderRequest>,
  ): Promise<{ order: Order; pickupCode?: string }>;
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

export const TO_APPROVED: OrderAction[] = [
  'request-payment',
  'pay-wechat',
  'request-identity',
  'verify-identity',
  'approve',
];

export async function startHarness(opts: { pickupKeyPem?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-central-'));
  const clock = { ms: Date.parse('2026-03-01T08:00:00Z') };
  const app = await buildCentral({
    dataDir: dir,
    adminToken: TEST_ADMIN_TOKEN,
    now: () => clock.ms,
    ...(opts.pickupKeyPem ? { pickupKeyPem: opts.pickupKeyPem } : {}),
  });
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
  const enrol = (a: TestAppliance) =>
    signed(
      'POST',
      '/v1/appliances/enrol',
      { applianceId: a.id, hall: a.hall, publicKeyPem: a.publicKeyPem },
      a,
    );

  const h: Harness = {
    app,
    dir,
    clock,
    appliance,
    signed,
    admin,
    enrol,
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
