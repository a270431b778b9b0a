// A kiosk as central sees it, without the appliance: its own ECDSA P-256 key, registered by an operator, enrolled
// with the one-time code (signed with that key), approved by fingerprint, then signed heartbeats — the same
// signing the sync agent does (sync/dist/contract/request-signing.js).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { expect } from '@playwright/test';
import { healthyHeartbeat } from '../../sync/dist/central/healthy-heartbeat.js';
import { createKeySigner, signRequest } from '../../sync/dist/contract/request-signing.js';
import { ADMIN_TOKEN, CENTRAL_URL } from './ops.ts';

async function admin<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${CENTRAL_URL}/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.ok, `central ${method} ${path} answered ${res.status}: ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

export { admin as centralAdmin };

export class FakeKiosk {
  private readonly key: KeyObject;
  private readonly publicKeyPem: string;
  /** The key fingerprint central answered at enrolment. */
  fingerprint: string | undefined;

  constructor(
    readonly id: string,
    readonly hall: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  private async signed(path: string, body: unknown): Promise<Response> {
    const payload = JSON.stringify(body);
    const headers = await signRequest(
      { applianceId: this.id, method: 'POST', path, body: payload },
      createKeySigner(this.key),
    );
    return fetch(`${CENTRAL_URL}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: payload,
    });
  }

  /** Registered, enrolled with its code, approved by its fingerprint. */
  async enrolApproved(): Promise<void> {
    const { enrolmentCode } = await admin<{ enrolmentCode: string }>('POST', '/appliances', {
      applianceId: this.id,
      hall: this.hall,
    });
    const enrol = await this.signed('/v1/appliances/enrol', {
      applianceId: this.id,
      hall: this.hall,
      publicKeyPem: this.publicKeyPem,
      softwareVersion: '0.9.0-ops',
      enrolmentCode,
    });
    expect(enrol.status, await enrol.clone().text()).toBe(200);
    const { keyFingerprint } = (await enrol.json()) as { keyFingerprint: string };
    this.fingerprint = keyFingerprint;
    await admin('POST', `/appliances/${this.id}/approve`, { keyFingerprint });
  }

  async heartbeat(): Promise<void> {
    const r = await this.signed('/v1/heartbeat', healthyHeartbeat({ softwareVersion: '0.9.0-ops' }));
    expect(r.status, await r.text()).toBe(200);
  }
}
