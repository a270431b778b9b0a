// The after-sales services' side effects as one table, the same shape as journey/pickup-table.ts: for each
// effect, the service and step it starts from, the durable *intent* written before it starts
// (ServiceRecord.pending), the *result* step written after it, and how recovery settles it when a crash or a
// fault leaves the intent without its result. The service engine walks this table; recovery dispatches on
// `recovery`. Reading the key, asking central what it knows (certificate status, the activation preview) and
// the look-ups change nothing anywhere: they are no effects, and a restart simply asks again.
import { SERVICE_STEPS, type ServiceKind, type ServiceStep } from '../api/service-contract.js';

/** How an effect whose intent is durable but whose result is not is settled after a crash or fault. */
export type ServiceRecovery =
  /**
   * Activation: ask central whether the key's order was activated. Still waiting for its code → the code was
   * not taken (lost, or wrong and counted): the holder types it again. Activated → the same request again
   * (central answers the same kiosk's same code the same), never a second wrong try.
   */
  | 'ask-central'
  /**
   * The unlock request: the ID card it carried is not kept, so the holder places it again and the request is
   * sent again under the same unlockId (central answers what it decided, and counts it once).
   */
  | 'ask-card-again'
  /** C_SetPIN whose outcome is unknown: reset the user PIN to the transport PIN with the SO-PIN, ask again. */
  | 'reset-pin'
  /** C_InitPIN (SO) whose outcome is unknown: the holder types the new PIN again and it is set again (no
   *  user-PIN try is spent by C_InitPIN). */
  | 'ask-pin-again'
  /**
   * Renew, a step on the holder's key (key pair, certificate, removal of the old): the PIN is not kept, so
   * the holder types the current PIN again and the step runs again — each finds what an earlier try left
   * (the key pair under its id, the certificate already written, the old objects already gone).
   */
  | 'resume-with-pin'
  /**
   * Renew's issuance request: ask central by its idempotency key; a certificate found is recorded, none
   * means the same request (the same CSR, the same key) is sent again.
   */
  | 'ask-by-idempotency-key'
  /** Idempotent (the same event ids, deduplicated by central): run it again. */
  | 're-run';

/** What a restart prints for a service journey settled by each rule (`recovered journey <id>: <outcome>`). */
export const SERVICE_RECOVERY_OUTCOME = {
  'ask-central': 'asking-central',
  'ask-card-again': 'card-again',
  'reset-pin': 'pin-reset',
  'ask-pin-again': 'pin-again',
  'resume-with-pin': 'pin-again',
  'ask-by-idempotency-key': 'asking-central',
  're-run': 'completed',
} as const satisfies Record<ServiceRecovery, string>;

export interface ServiceEffectRule {
  readonly kind: ServiceKind;
  /** The durable step the effect starts from. */
  readonly from: ServiceStep;
  /** The durable step written once the effect is done. */
  readonly to: ServiceStep;
  readonly touches: 'central' | 'token' | 'outbox';
  readonly recovery: ServiceRecovery;
  /** From this effect's result on, the holder may not walk away (the kiosk must finish: CANCEL_NOT_ALLOWED). */
  readonly commits: boolean;
}

export const SERVICE_EFFECTS = {
  // ---- activate a couriered key ----
  'activate-code': {
    kind: 'activate',
    from: 'order-found',
    to: 'code-accepted',
    touches: 'central',
    recovery: 'ask-central',
    // The code is used: the key must get the holder's PIN here (its transport PIN is no one's).
    commits: true,
  },
  'activation-pin': {
    kind: 'activate',
    from: 'code-accepted',
    to: 'pin-set',
    touches: 'token',
    recovery: 'reset-pin',
    commits: true,
  },
  'report-activation': {
    kind: 'activate',
    from: 'pin-set',
    to: 'completed',
    touches: 'outbox',
    recovery: 're-run',
    commits: true,
  },
  // ---- unlock a locked PIN ----
  'request-unlock': {
    kind: 'unlock',
    from: 'identity-verified',
    to: 'unlock-granted',
    touches: 'central',
    recovery: 'ask-card-again',
    commits: false,
  },
  'unlock-pin': {
    kind: 'unlock',
    from: 'unlock-granted',
    to: 'pin-reset',
    touches: 'token',
    recovery: 'ask-pin-again',
    commits: true,
  },
  'report-unlock': {
    kind: 'unlock',
    from: 'pin-reset',
    to: 'completed',
    touches: 'outbox',
    recovery: 're-run',
    commits: true,
  },
  // ---- renew (续期): the new key pair beside the old, the old removed only once the new one is verified ----
  'renew-keygen': {
    kind: 'renew',
    from: 'identity-verified',
    to: 'key-generated',
    touches: 'token',
    recovery: 'resume-with-pin',
    commits: false,
  },
  'renew-issue': {
    kind: 'renew',
    from: 'key-generated',
    to: 'certificate-issued',
    touches: 'central',
    recovery: 'ask-by-idempotency-key',
    // A certificate may exist from here: the kiosk writes it, or voids it at central when the holder left.
    commits: true,
  },
  'renew-write': {
    kind: 'renew',
    from: 'certificate-issued',
    to: 'certificate-written',
    touches: 'token',
    recovery: 'resume-with-pin',
    commits: true,
  },
  'remove-old': {
    kind: 'renew',
    from: 'verified',
    to: 'old-removed',
    touches: 'token',
    recovery: 'resume-with-pin',
    commits: true,
  },
  'revoke-old': {
    kind: 'renew',
    from: 'old-removed',
    to: 'old-revoked',
    touches: 'central',
    recovery: 're-run',
    commits: true,
  },
  'report-renewal': {
    kind: 'renew',
    from: 'old-revoked',
    to: 'completed',
    touches: 'outbox',
    recovery: 're-run',
    commits: true,
  },
} as const satisfies Record<string, ServiceEffectRule>;

export type ServiceEffect = keyof typeof SERVICE_EFFECTS;
export const SERVICE_EFFECT_NAMES = Object.keys(SERVICE_EFFECTS) as ServiceEffect[];

/** Where a fault can be injected: before an effect starts (intent durable) or after it (result not yet). */
export type ServiceFaultPoint =
  | `before:${ServiceEffect}`
  | `after:${ServiceEffect}`
  | `service-step:${ServiceKind}:${string}`;
export const SERVICE_FAULT_POINTS: ServiceFaultPoint[] = SERVICE_EFFECT_NAMES.flatMap((e) => [
  `before:${e}` as const,
  `after:${e}` as const,
]);
export const SERVICE_STEP_FAULT_POINTS: ServiceFaultPoint[] = (
  Object.entries(SERVICE_STEPS) as Array<[ServiceKind, readonly string[]]>
).flatMap(([kind, steps]) => steps.map((step) => `service-step:${kind}:${step}` as const));

/** The index of a step in its service's list (−1 when it is not one of them). */
export function serviceStepIndex(kind: ServiceKind, step: ServiceStep): number {
  return (SERVICE_STEPS[kind] as readonly string[]).indexOf(step);
}

/** Has the journey passed an effect that commits it (the holder may not walk away before the end)? */
export function committed(kind: ServiceKind, step: ServiceStep, pending?: ServiceEffect): boolean {
  if (pending && SERVICE_EFFECTS[pending].commits) return true;
  return SERVICE_EFFECT_NAMES.some((e) => {
    const rule: ServiceEffectRule = SERVICE_EFFECTS[e];
    return (
      rule.kind === kind &&
      rule.commits &&
      serviceStepIndex(kind, step) >= serviceStepIndex(kind, rule.to) &&
      step !== 'completed'
    );
  });
}
