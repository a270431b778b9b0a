// Facts of the kiosk defined once: device kinds and states, certificate and business types and their labels.
// Pure (no imports): the device layer, the appliance, the API contract (and so the UI bundle), central and the
// receipts all take them from here. The UI's locale files carry the same labels; a test holds them equal.

/** The devices of a kiosk, in the CEN/XFS style of one status per device. */
export const DEVICE_KINDS = ['token', 'idReader', 'printer', 'scanner'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const DEVICE_STATES = ['online', 'offline', 'busy', 'hardware-error', 'user-action-needed'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** What the device manager adds to a device's state, one code each (firmware-bridge's DEVICE_DETAILS says what
 *  each means; the UI has a phrase per code: `staff.detail.<code>`). */
export const DEVICE_DETAILS = [
  'not-started',
  'stopped',
  'disconnected',
  'open-failed',
  'not-responding',
  'paper-out',
  'paper-near-end',
  'cover-open',
  'printer-error',
  'printer-offline',
  'bad-status',
  'self-check-failed',
  'module-error',
  'bad-frames',
  'token-present',
  'token-absent',
  'module-unavailable',
] as const;
export type DeviceDetail = (typeof DEVICE_DETAILS)[number];

/** What staff refill: blank USB keys in the tray, receipt paper (the UI: `staff.consumable.<kind>`). */
export const CONSUMABLE_KINDS = ['blankKeys', 'paper'] as const;
export type ConsumableKind = (typeof CONSUMABLE_KINDS)[number];

/** The receipt paper as the printer reports it (unknown: the printer cannot say; the UI: `staff.paper.<level>`). */
export const PAPER_LEVELS = ['ok', 'low', 'out', 'unknown'] as const;
export type PaperLevel = (typeof PAPER_LEVELS)[number];

/** The CA's certificate types (who must verify identity differs per type). */
export const CERTIFICATE_TYPES = ['organisation', 'organisation-individual', 'natural-person'] as const;
export type CertificateType = (typeof CERTIFICATE_TYPES)[number];

/** The CA's business types. */
export const BUSINESS_TYPES = ['new', 'renewal', 'change', 'reissue', 'unlock'] as const;
export type BusinessType = (typeof BUSINESS_TYPES)[number];

export interface Label {
  zh: string;
  en: string;
}

export const CERTIFICATE_TYPE_LABELS: Record<CertificateType, Label> = {
  organisation: { zh: '机构证书', en: 'Organisation certificate' },
  'organisation-individual': { zh: '机构个人证书', en: 'Organisation-individual certificate' },
  'natural-person': { zh: '自然人证书', en: 'Natural-person certificate' },
};

export const BUSINESS_TYPE_LABELS: Record<BusinessType, Label> = {
  new: { zh: '新办', en: 'New' },
  renewal: { zh: '续期', en: 'Renewal' },
  change: { zh: '变更', en: 'Change' },
  reissue: { zh: '补办', en: 'Reissue' },
  unlock: { zh: '解锁', en: 'Unlock' },
};

/**
 * What a certificate's private key must show about itself (PKCS#11 attributes of the key object), checked on the
 * kiosk before the CSR and again at central before issuance: made on the token, never readable out of it.
 */
export interface KeyEvidenceFacts {
  /** CKA_LOCAL: generated on the token (not imported). */
  local: boolean;
  /** CKA_NEVER_EXTRACTABLE */
  neverExtractable: boolean;
  /** CKA_ALWAYS_SENSITIVE */
  alwaysSensitive: boolean;
  /** CKA_SENSITIVE */
  sensitive: boolean;
  /** CKA_EXTRACTABLE */
  extractable: boolean;
}

export const KEY_EVIDENCE_RULE: Record<keyof KeyEvidenceFacts, boolean> = {
  local: true,
  neverExtractable: true,
  alwaysSensitive: true,
  sensitive: true,
  extractable: false,
};

/** The attributes that break the rule (empty when the key may be certified). Missing attributes break it. */
export function keyEvidenceProblems(e: Partial<KeyEvidenceFacts>): Array<keyof KeyEvidenceFacts> {
  return (Object.keys(KEY_EVIDENCE_RULE) as Array<keyof KeyEvidenceFacts>).filter(
    (k) => e[k] !== KEY_EVIDENCE_RULE[k],
  );
}
