// The pickup journey's side effects as one table: for each effect, the step it starts from, the durable
// *intent* written before it starts (JourneyRecord.pending), the *result* step written after it, and how
// recovery completes or undoes it when a crash or fault leaves the intent without its result.
// The engine walks this table; recovery dispatches on `recovery`. Same shape as
// sync/src/contract/order-status.ts: the facts here, the code that applies them elsewhere.
import { PICKUP_STEPS, type PickupStep } from '../api/contract.js';

/** How an effect whose intent is durable but whose result is not is settled after a crash or fault. */
export type Recovery =
  /** Nothing on the token or at central depends on it yet: end the journey, the order stays collectable. */
  | 'roll-back'
  /** Ask central by idempotency key; until it answers, the journey waits (or staff decides). Never dropped. */
  | 'ask-central'
  /** Read the token's objects back by id; complete the write idempotently (never a second leaf). */
  | 'read-back'
  /** The user PIN is unknown: reset it with the per-token SO-PIN (C_InitPIN) and ask the holder again. */
  | 'reset-pin'
  /** The effect is idempotent (same event ids, same test signature): run it again. */
  | 're-run';

/** What a restart reports for a journey settled by each rule (printed as `recovered journey <id>: <outcome>`).
 *  A journey whose key is not in the writer when it is needed goes to staff instead: 'in-doubt'. */
export const RECOVERY_OUTCOME = {
  'roll-back': 'rolled-back',
  'ask-central': 'waiting-for-central',
  'read-back': 'resumed',
  'reset-pin': 'pin-reset',
  're-run': 'completed',
} as const satisfies Record<Recovery, string>;
export type RecoveryOutcome = (typeof RECOVERY_OUTCOME)[Recovery] | 'resumed' | 'in-doubt' | 'waiting';

export interface EffectRule {
  /** The durable step the effect starts from. */
  readonly from: PickupStep;
  /** The durable step written once the effect is done. */
  readonly to: PickupStep;
  /** What is touched: recovery needs this device (or central) to settle the effect. */
  readonly touches: 'token' | 'central' | 'printer' | 'outbox';
  readonly recovery: Recovery;
  /** From this effect on, only central's answer or a staff decision may end the journey. */
  readonly issuanceRequested: boolean;
}

export const PICKUP_EFFECTS = {
  'prepare-token': {
    from: 'identity-verified',
    to: 'token-ready',
    touches: 'token',
    recovery: 'roll-back',
    issuanceRequested: false,
  },
  'generate-key': {
    from: 'token-ready',
    to: 'key-generated',
    touches: 'token',
    recovery: 'roll-back',
    issuanceRequested: false,
  },
  'request-issuance': {
    from: 'key-generated',
    to: 'certificate-issued',
    touches: 'central',
    recovery: 'ask-central',
    issuanceRequested: true,
  },
  'write-certificate': {
    from: 'certificate-issued',
    to: 'certificate-written',
    touches: 'token',
    recovery: 'read-back',
    issuanceRequested: true,
  },
  'change-pin': {
    from: 'certificate-written',
    to: 'pin-set',
    touches: 'token',
    recovery: 'reset-pin',
    issuanceRequested: true,
  },
  'test-signature': {
    from: 'pin-set',
    to: 'verified',
    touches: 'token',
    // The holder's PIN is not kept: it is reset with the SO-PIN and set again, never guessed.
    recovery: 'reset-pin',
    issuanceRequested: true,
  },
  'print-receipt': {
    from: 'verified',
    to: 'receipt-printed',
    touches: 'printer',
    recovery: 're-run',
    issuanceRequested: true,
  },
  'report-completion': {
    from: 'receipt-printed',
    to: 'completed',
    touches: 'outbox',
    recovery: 're-run',
    issuanceRequested: true,
  },
} as const satisfies Record<string, EffectRule>;

export type PickupEffect = keyof typeof PICKUP_EFFECTS;
export const PICKUP_EFFECT_NAMES = Object.keys(PICKUP_EFFECTS) as PickupEffect[];

/** Where a fault can be injected: before an effect starts (intent durable) or after it (result not yet). */
export type FaultPoint = `before:${PickupEffect}` | `after:${PickupEffect}` | `step:${PickupStep}`;
export const FAULT_POINTS: FaultPoint[] = PICKUP_EFFECT_NAMES.flatMap((e) => [
  `before:${e}` as const,
  `after:${e}` as const,
]);

/** The effect that leads out of a durable step, if any. */
export function effectFrom(step: PickupStep): PickupEffect | undefined {
  return PICKUP_EFFECT_NAMES.find((e) => PICKUP_EFFECTS[e].from === step);
}

/** Has the journey reached the point where its certificate may exist at central (requested or issued)? */
export function issuanceMayExist(step: PickupStep, pending?: PickupEffect): boolean {
  if (pending && PICKUP_EFFECTS[pending].issuanceRequested) return true;
  return PICKUP_STEPS.indexOf(step) >= PICKUP_STEPS.indexOf(PICKUP_EFFECTS['request-issuance'].to);
}
