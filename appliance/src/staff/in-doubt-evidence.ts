// What staff see of an in-doubt journey before they resolve it: the last durable state (the step the record
// reached and the side effect begun but not recorded), the key's serial and what central said last about the
// issuance (a certificate with its serial, a revoke-and-void asked for, a failed call with its code, or no
// answer recorded). From the journey record only: no name, ID number or PIN.
import type { Static } from '@sinclair/typebox';
import type { InDoubtEvidenceSchema } from '../api/maintenance-schemas.js';
import type { JourneyRecord } from '../journey/record.js';

export type InDoubtEvidence = Static<typeof InDoubtEvidenceSchema>;

const CENTRAL_CODES = new Set(['CENTRAL_UNAVAILABLE', 'CENTRAL_TIMEOUT', 'STEP_TIMEOUT']);

export function centralAnswer(j: JourneyRecord): InDoubtEvidence['central'] {
  if (j.voidRequested) return { kind: 'void-requested', at: j.voidRequested.at };
  if (j.certificate?.serialNumber) return { kind: 'issued', certificateSerial: j.certificate.serialNumber };
  const code = j.error?.code;
  if (code && (CENTRAL_CODES.has(code) || j.waiting?.on === 'central'))
    return { kind: 'unreachable', code, ...(j.waiting ? { at: j.waiting.since } : {}) };
  if (code === 'CENTRAL_REFUSED') return { kind: 'refused', code };
  if (j.waiting?.on === 'central') return { kind: 'unreachable', at: j.waiting.since };
  if (j.pending?.effect === 'request-issuance' || j.idempotencyKey)
    return { kind: 'no-answer', ...(j.pending ? { at: j.pending.since } : {}) };
  return { kind: 'not-asked' };
}

export function inDoubtEvidence(j: JourneyRecord): InDoubtEvidence {
  return {
    step: j.step,
    ...(j.pending ? { pendingEffect: j.pending.effect, pendingSince: j.pending.since } : {}),
    ...(j.token?.serial ? { tokenSerial: j.token.serial } : {}),
    central: centralAnswer(j),
    ...(j.error?.code ? { errorCode: j.error.code } : {}),
  };
}
