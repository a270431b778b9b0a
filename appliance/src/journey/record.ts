// The durable record of one journey, and the appliance's small state, as stored in the lowdb JSON file.

import type { KeyEvidenceFacts } from '@certkiosk/config';
import type { KeyAlgorithm } from '@certkiosk/firmware-bridge';
import type { PersonMatch, SignedIdentityStatement } from '@certkiosk/sync';
import {
  type BusinessType,
  type CertificateType,
  type ErrorBody,
  type JourneyStatus,
  PICKUP_STEPS,
  type PickupStep,
} from '../api/contract.js';
import type { ServiceRecord } from '../services/service-record.js';
import type { PickupEffect } from './pickup-table.js';

/**
 * A person named on the order as central lets the kiosk see them (only by presenting the pickup code): masked
 * for display, and HMACs under the order's identity salt to match an ID card against. No ID number or full name.
 */
export type PersonRef = PersonMatch;

/** What the journey keeps of the order: only what identity matching, the CSR and the receipt need. */
export interface OrderSnapshot {
  orderId: string;
  certificateType: CertificateType;
  businessType: BusinessType;
  serviceYears: number;
  organisationName?: string;
  /** The key of the people's HMACs (base64); dropped at purge with the HMACs. */
  identitySalt: string;
  holder?: PersonRef;
  legalRepresentative?: PersonRef;
  handler?: PersonRef;
  holderVerifiedOnline: boolean;
  /** What the applicant paid, in fen (central's order; printed on the receipt). */
  pricePaidFen?: number;
  /** The order's receipt page on central (with its receipt token), for the receipt's QR code; dropped at purge. */
  receiptUrl?: string;
  /** Reissue (补办): the certificate the order replaces, masked (replaced-certificate.ts); never its serial. */
  previousCertificateMasked?: string;
}

/** The ID-card check: attempts so far and, once a card matched, who it was. */
export interface IdentityAttempts {
  attempts: number;
  /** Role that matched: holder, handler or legal representative. */
  role?: 'holder' | 'handler' | 'legal-representative';
  nameMasked?: string;
  idNumberMasked?: string;
  /** HMAC of the ID number under the appliance token's key, for the issuance record (not the number). */
  idNumberHash?: string;
  /** The signed statement that the card matched (sent with the issuance request). */
  statement?: SignedIdentityStatement;
  lastReason?: ErrorBody['code'];
  /** After the last wrong card: the tries the order has left (central counts them per order, all scans). */
  attemptsLeft?: number;
}

/** A card that matched the order (from identity-verified on). */
export interface VerifiedIdentity extends IdentityAttempts {
  role: 'holder' | 'handler' | 'legal-representative';
  idNumberHash: string;
  statement: SignedIdentityStatement;
}

/** The blank key prepared for this journey. */
export interface TokenRecord {
  serial: string;
  label: string;
  keyIdHex: string;
  algorithm: KeyAlgorithm;
  spkiSha256?: string;
  evidence?: KeyEvidenceRecord;
}

/** The private key's PKCS#11 attributes as read back from the token (the rule: KEY_EVIDENCE_RULE). */
export type KeyEvidenceRecord = KeyEvidenceFacts;

/** The key with its key pair generated and read back (from key-generated on). */
export interface KeyedToken extends TokenRecord {
  spkiSha256: string;
  evidence: KeyEvidenceRecord;
}

export interface CertificateRecord {
  serialNumber: string;
  pem: string;
  chainPem: string[];
  notBefore: string;
  notAfter: string;
  subjectCommonName: string;
  publicKeySha256: string;
}

/** What every journey record has, whatever its phase; fields a later phase guarantees are optional here. */
interface JourneyBase {
  id: string;
  kind: 'pickup';
  step: PickupStep;
  status: JourneyStatus;
  startedAt: string;
  updatedAt: string;
  /** Incremented by every persist; lets the UI drop views that arrive out of order. */
  revision?: number;
  /** Waiting-for-input sub-state within a step (confirm order, id card, token, pin). */
  awaiting: 'scan' | 'confirm-order' | 'id-card' | 'token' | 'pin' | 'none';
  pickupCode?: string;
  pickupNonce?: string;
  /** When the scanned pickup code expires (its nonce is remembered as used until then). */
  pickupExpiresAt?: string;
  order?: OrderSnapshot;
  identity?: IdentityAttempts;
  /** The durable intent of a side effect that has started and whose result is not yet recorded. */
  pending?: {
    effect: PickupEffect;
    since: string;
    /** request-issuance: the CSR sent (public data), so a retry needs neither the key nor the PIN. */
    csrPem?: string;
  };
  /** Staff asked central to revoke and void this issuance (written before the request): never write it. */
  voidRequested?: { at: string; reason: string };
  /** Waiting on central after the issuance was sent; the engine retries by itself. */
  waiting?: { on: 'central'; since: string; attempts: number; nextRetryAt?: string };
  /** Increases when a new key pair is generated; part of the idempotency key. */
  attempt: number;
  idempotencyKey?: string;
  token?: TokenRecord;
  certificate?: CertificateRecord;
  receipt?: { state: 'printed' | 'queued-for-reprint' | 'pending' };
  error?: ErrorBody;
  /** Why a journey is in doubt or failed, for staff. */
  note?: string;
}

// ---------- the journey by phase ----------
// A journey that is still open (active, or in doubt with staff) holds what its step guarantees; the types
// below say what, and `PHASE_REQUIRES` is the same rule as data, checked when a record is loaded or narrowed.

type Open = 'active' | 'in-doubt';

/** Nothing scanned yet, or a code being checked. */
export interface ScanningJourney extends JourneyBase {
  status: Open;
  step: 'scanned';
}
/** The pickup code checked with central: its order is known. */
export interface OrderedJourney extends JourneyBase {
  status: Open;
  step: 'order-verified';
  pickupCode: string;
  pickupNonce: string;
  pickupExpiresAt: string;
  order: OrderSnapshot;
}
/** An ID card matched the order. */
export interface IdentifiedJourney extends Omit<OrderedJourney, 'step' | 'identity'> {
  step: 'identity-verified';
  identity: VerifiedIdentity;
}
/** A blank key prepared for this journey. */
export interface TokenReadyJourney extends Omit<IdentifiedJourney, 'step' | 'token'> {
  step: 'token-ready';
  token: TokenRecord;
}
/** The key pair generated on the key; the issuance request's idempotency key fixed. */
export interface KeyedJourney extends Omit<TokenReadyJourney, 'step' | 'token'> {
  step: 'key-generated';
  token: KeyedToken;
  idempotencyKey: string;
}
/** Central issued the certificate (from certificate-issued to completed). */
export interface IssuedJourney extends Omit<KeyedJourney, 'step'> {
  step:
    | 'certificate-issued'
    | 'certificate-written'
    | 'pin-set'
    | 'verified'
    | 'receipt-printed'
    | 'completed';
  certificate: CertificateRecord;
}
/** What a closed journey keeps of its certificate: the subject (whose CN names the holder) is gone. */
export interface CertificateSummary {
  serialNumber: string;
  /** SHA-256 of the certificate's DER, hex. */
  fingerprint: string;
  /** Kept until the done screen is left (masked subject, expiry), then dropped. */
  notAfter?: string;
  subjectMasked?: string;
}

/** Ended (completed, failed, abandoned): personal data purged, so no field is guaranteed any more. */
export interface ClosedJourney extends Omit<JourneyBase, 'certificate'> {
  status: 'completed' | 'failed' | 'abandoned';
  certificate?: CertificateSummary;
}

export type OpenJourney =
  | ScanningJourney
  | OrderedJourney
  | IdentifiedJourney
  | TokenReadyJourney
  | KeyedJourney
  | IssuedJourney;

export type JourneyRecord = OpenJourney | ClosedJourney;

/** The phases, in order, each named by its first step. */
export type Phase =
  | 'scanned'
  | 'order-verified'
  | 'identity-verified'
  | 'token-ready'
  | 'key-generated'
  | 'certificate-issued';

/** The record type of an open journey that has reached a phase (or any later one). */
export type JourneyFrom<P extends Phase> = {
  scanned: OpenJourney;
  'order-verified': Exclude<OpenJourney, ScanningJourney>;
  'identity-verified': IdentifiedJourney | TokenReadyJourney | KeyedJourney | IssuedJourney;
  'token-ready': TokenReadyJourney | KeyedJourney | IssuedJourney;
  'key-generated': KeyedJourney | IssuedJourney;
  'certificate-issued': IssuedJourney;
}[P];

type FieldCheck = { field: string; ok: (j: JourneyBase) => boolean };
const has = (field: string, ok: (j: JourneyBase) => boolean): FieldCheck => ({ field, ok });

/** What each phase adds to the record: the types above as data. */
export const PHASE_REQUIRES: Record<Phase, readonly FieldCheck[]> = {
  scanned: [],
  'order-verified': [
    has('order', (j) => !!j.order),
    has('pickupCode', (j) => !!j.pickupCode),
    has('pickupNonce', (j) => !!j.pickupNonce),
    has('pickupExpiresAt', (j) => !!j.pickupExpiresAt),
  ],
  'identity-verified': [
    has('identity.role', (j) => !!j.identity?.role),
    has('identity.idNumberHash', (j) => !!j.identity?.idNumberHash),
    has('identity.statement', (j) => !!j.identity?.statement),
  ],
  'token-ready': [has('token', (j) => !!j.token)],
  'key-generated': [
    has('token.spkiSha256', (j) => !!j.token?.spkiSha256),
    has('token.evidence', (j) => !!j.token?.evidence),
    has('idempotencyKey', (j) => !!j.idempotencyKey),
  ],
  'certificate-issued': [has('certificate', (j) => !!j.certificate?.pem)],
};

const PHASES = Object.keys(PHASE_REQUIRES) as Phase[];

/** The phase a step belongs to. */
export function phaseOf(step: PickupStep): Phase {
  const at = PICKUP_STEPS.indexOf(step);
  let phase: Phase = 'scanned';
  for (const p of PHASES) if (PICKUP_STEPS.indexOf(p) <= at) phase = p;
  return phase;
}

/** Fields an open journey lacks for its step (empty for a closed one, or a sound record). */
export function missingForStep(j: JourneyRecord): string[] {
  if (j.status !== 'active' && j.status !== 'in-doubt') return [];
  const upTo = PHASES.indexOf(phaseOf(j.step));
  return PHASES.slice(0, upTo + 1).flatMap((p) =>
    PHASE_REQUIRES[p].filter((c) => !c.ok(j)).map((c) => c.field),
  );
}

/** True when the journey is open and has reached `phase` with everything that phase guarantees. */
export function reached<P extends Phase>(j: JourneyRecord, phase: P): j is JourneyFrom<P> {
  if (j.status !== 'active' && j.status !== 'in-doubt') return false;
  if (PICKUP_STEPS.indexOf(j.step) < PICKUP_STEPS.indexOf(phase)) return false;
  return missingForStep(j).length === 0;
}

interface ReprintBase {
  id: string;
  /** The pickup journey (or, for an invoice slip, the service journey) it was printed for. */
  journeyId: string;
  queuedAt: string;
  state: 'queued' | 'printed';
}
/** A receipt to print again (items queued before slips existed have no `kind`). */
export interface ReceiptReprint extends ReprintBase {
  kind?: 'receipt';
  /** The receipt lines as printed (masked data only). */
  receipt: import('./receipt.js').ReceiptData;
}
/** An invoice slip to print again (masked data only). */
export interface InvoiceSlipReprint extends ReprintBase {
  kind: 'invoice-slip';
  slip: import('../invoices/invoice-slip.js').InvoiceSlipData;
}
export type ReprintItem = ReceiptReprint | InvoiceSlipReprint;

/** A pickup-code nonce consumed here: kept until the code expires (a used code is refused offline). */
export interface UsedNonce {
  journeyId: string;
  expiresAt: string;
}

/** A blank key that left the tray for a journey that did not finish with it: staff take it out of stock. */
export interface SpoiledKey {
  serial: string;
  journeyId: string;
  at: string;
  reason: string;
}

export interface ApplianceState {
  version: 1;
  activeJourneyId: string | null;
  journeys: Record<string, JourneyRecord>;
  /** Pickup-code nonces consumed here (a certificate was issued against them). */
  usedPickupNonces: Record<string, UsedNonce>;
  spoiledKeys: SpoiledKey[];
  /**
   * Wrong ID cards per order seen at this kiosk (until the code expires): used when central cannot be asked, so
   * scanning the code again here gives no fresh tries even offline. Central's count is the one that decides.
   */
  idFailures: Record<string, { count: number; expiresAt: string }>;
  /** Monotonic issuance counter for issuance records. */
  issuanceCounter: number;
  reprints: ReprintItem[];
  /** After-sales service journeys (services/), kept like the pickup journeys: sealed while open. */
  services: Record<string, ServiceRecord>;
  /** The service journey on screen (one journey at a time: never beside an active pickup). */
  activeServiceId: string | null;
}

export function emptyState(): ApplianceState {
  return {
    version: 1,
    activeJourneyId: null,
    journeys: {},
    usedPickupNonces: {},
    spoiledKeys: [],
    idFailures: {},
    issuanceCounter: 0,
    reprints: [],
    services: {},
    activeServiceId: null,
  };
}
