import { describe, expect, it } from 'vitest';
import { PICKUP_STEPS } from '../api/contract.js';
import { type JourneyRecord, missingForStep, phaseOf, reached } from './record.js';

const base = {
  id: 'j1',
  kind: 'pickup' as const,
  status: 'active' as const,
  awaiting: 'none' as const,
  startedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  attempt: 1,
};

const ordered = {
  ...base,
  step: 'order-verified' as const,
  pickupCode: 'code',
  pickupNonce: 'n1',
  pickupExpiresAt: '2026-01-08T00:00:00Z',
  order: {
    orderId: 'O1',
    certificateType: 'natural-person' as const,
    businessType: 'new' as const,
    serviceYears: 1,
    holderVerifiedOnline: true,
    identitySalt: Buffer.alloc(32).toString('base64'),
  },
};

describe('the journey record by phase', () => {
  it('puts every step in the phase of the latest phase step at or before it', () => {
    expect(PICKUP_STEPS.map(phaseOf)).toEqual([
      'scanned',
      'order-verified',
      'identity-verified',
      'token-ready',
      'key-generated',
      'certificate-issued',
      'certificate-issued',
      'certificate-issued',
      'certificate-issued',
      'certificate-issued',
      'certificate-issued',
    ]);
  });

  it('names what an open record lacks for its step, and asks nothing of a closed one', () => {
    expect(missingForStep(ordered)).toEqual([]);
    const { order: _order, ...noOrder } = ordered;
    expect(missingForStep(noOrder as JourneyRecord)).toEqual(['order']);
    const keyed = { ...ordered, step: 'key-generated' as const, identity: { attempts: 1 } };
    expect(missingForStep(keyed as JourneyRecord)).toEqual([
      'identity.role',
      'identity.idNumberHash',
      'identity.statement',
      'token',
      'token.spkiSha256',
      'token.evidence',
      'idempotencyKey',
    ]);
    expect(missingForStep({ ...base, step: 'completed', status: 'completed' })).toEqual([]);
  });

  it('narrows only a record that has reached the phase with all it guarantees', () => {
    expect(reached(ordered, 'order-verified')).toBe(true);
    expect(reached(ordered, 'identity-verified')).toBe(false);
    expect(reached({ ...ordered, status: 'failed' } as JourneyRecord, 'order-verified')).toBe(false);
    const { pickupNonce: _n, ...noNonce } = ordered;
    expect(reached(noNonce as JourneyRecord, 'order-verified')).toBe(false);
  });
});
