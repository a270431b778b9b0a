// The evidence staff see beside an in-doubt journey: the last durable state, the key and central's last answer.
import { describe, expect, it } from 'vitest';
import type { JourneyRecord } from '../journey/record.js';
import { inDoubtEvidence } from './in-doubt-evidence.js';

const base = {
  id: 'J-1',
  kind: 'pickup',
  status: 'in-doubt',
  startedAt: '2025-03-03T08:00:00.000Z',
  updatedAt: '2025-03-03T08:05:00.000Z',
  awaiting: 'none',
  attempt: 1,
  token: { serial: 'KEY0001', label: 'k', keyIdHex: '01', algorithm: 'rsa-2048' },
} as const;
const journey = (patch: Record<string, unknown>) => ({ ...base, ...patch }) as unknown as JourneyRecord;

describe('in-doubt evidence', () => {
  it('a certificate central issued, the key pulled while it was being written', () => {
    const e = inDoubtEvidence(
      journey({
        step: 'certificate-issued',
        pending: { effect: 'write-certificate', since: '2025-03-03T08:04:00.000Z' },
        certificate: { serialNumber: '5A3C910E' },
        error: { code: 'TOKEN_REMOVED' },
      }),
    );
    expect(e).toEqual({
      step: 'certificate-issued',
      pendingEffect: 'write-certificate',
      pendingSince: '2025-03-03T08:04:00.000Z',
      tokenSerial: 'KEY0001',
      central: { kind: 'issued', certificateSerial: '5A3C910E' },
      errorCode: 'TOKEN_REMOVED',
    });
  });

  it('an issuance sent and central unreachable since, or sent with no answer recorded', () => {
    expect(
      inDoubtEvidence(
        journey({
          step: 'key-generated',
          idempotencyKey: 'k',
          waiting: { on: 'central', since: '2025-03-03T08:03:00.000Z', attempts: 3 },
          error: { code: 'CENTRAL_UNAVAILABLE' },
        }),
      ).central,
    ).toEqual({ kind: 'unreachable', code: 'CENTRAL_UNAVAILABLE', at: '2025-03-03T08:03:00.000Z' });
    expect(
      inDoubtEvidence(
        journey({
          step: 'key-generated',
          idempotencyKey: 'k',
          pending: { effect: 'request-issuance', since: '2025-03-03T08:02:00.000Z' },
        }),
      ).central,
    ).toEqual({ kind: 'no-answer', at: '2025-03-03T08:02:00.000Z' });
  });

  it('a revoke-and-void asked of central is what central was told last; refusals keep their code', () => {
    expect(
      inDoubtEvidence(
        journey({
          step: 'certificate-issued',
          certificate: { serialNumber: '5A3C910E' },
          voidRequested: { at: '2025-03-03T08:06:00.000Z', reason: 'r' },
        }),
      ).central,
    ).toEqual({ kind: 'void-requested', at: '2025-03-03T08:06:00.000Z' });
    expect(
      inDoubtEvidence(journey({ step: 'key-generated', error: { code: 'CENTRAL_REFUSED' } })).central,
    ).toEqual({ kind: 'refused', code: 'CENTRAL_REFUSED' });
    expect(inDoubtEvidence(journey({ step: 'token-ready' })).central).toEqual({ kind: 'not-asked' });
  });
});
