// The durable record of one journey, and the appliance's small state, as stored in the lowdb JSON file.

import type { KeyAlgorithm } from '@certkiosk/firmware-bridge';
import type { BusinessType, CertificateType, ErrorBody, JourneyStatus, PickupStep } from '../api/contract.js';
import type { PickupEffect } from './pickup-table.js';

/** A person named on the order. The ID number is kept only as a salted hash: the journal never holds it. */
export interface PersonRef {
  name: string;
  idNumberHash: string;
}

/** What the journey keeps of the order: only what identity matching, the CSR and the receipt need. */
export interface OrderSnapshot {
  orderId: string;
  certificateType: CertificateType;
  businessType: BusinessType;
  serviceYears: number;
  organisationName?: string;
  holder?: PersonRef;
  legalRepresentative?: PersonRef;
  handler?: PersonRef;
  holderVerifiedOnline: boolean;
}

export interface JourneyRecord {
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
  identity?: {
    attempts: number;
    /** Role that matched: holder, handler or legal representative. */
    role?: 'holder' | 'handler' | 'legal-representative';
    nameMasked?: string;
    idNumberMasked?: string;
    /** Salted SHA-256 of the ID number, for the issuance record; the number itself is not kept. */
    idNumberHash?: string;
    lastReason?: ErrorBody['code'];
  };
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
  token?: {
    serial: string;
    label: string;
    keyIdHex: string;
    algorithm: KeyAlgorithm;
    spkiSha256?: string;
    evidence?: { local: boolean; neverExtractable: boolean; alwaysSensitive: boolean };
  };
  certificate?: {
    serialNumber: string;
    pem: string;
    chainPem: string[];
    notBefore: string;
    notAfter: string;
    subjectCommonName: string;
    publicKeySha256: string;
  };
  receipt?: { state: 'printed' | 'queued-for-reprint' | 'pending' };
  error?: ErrorBody;
  /** Why a journey is in doubt or failed, for staff. */
  note?: string;
}

export interface ReprintItem {
  id: string;
  journeyId: string;
  queuedAt: string;
  /** The receipt lines as printed (masked data only). */
  receipt: import('./receipt.js').ReceiptData;
  state: 'queued' | 'printed';
}

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
  /** Monotonic issuance counter for issuance records. */
  issuanceCounter: number;
  reprints: ReprintItem[];
  /** Random salt for hashing ID numbers in issuance records. */
  idSalt: string;
}

export function emptyState(salt: string): ApplianceState {
  return {
    version: 1,
    activeJourneyId: null,
    journeys: {},
    usedPickupNonces: {},
    spoiledKeys: [],
    issuanceCounter: 0,
    reprints: [],
    idSalt: salt,
  };
}
