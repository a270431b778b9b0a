// What the kiosk and central must compute identically to agree on who collected an order without the kiosk
// ever receiving an ID number or a full name: the PersonMatch HMACs under the order's identity salt, the
// roles allowed to collect, the canonical bytes of the signed identity statement and of the signed audit
// head, and the display fingerprint of an appliance key.
import { createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { maskIdNumber, maskName, normaliseIdNumber, normalisePersonName } from '@certkiosk/config';
import { publicKeyObject, spkiSha256 } from './public-keys.js';
import type { EcdsaSigner } from './request-signing.js';
import type {
  AuditHead,
  CertificateType,
  IdentityRole,
  IdentityStatement,
  PersonMatch,
  SignedIdentityStatement,
} from './schemas.js';

export { normaliseIdNumber, normalisePersonName } from '@certkiosk/config';

/** Central refuses an identity statement checked longer ago than this (at issuance; a retry of an issued request is answered regardless). */
export const IDENTITY_STATEMENT_MAX_AGE_MS = 30 * 60_000;
/** …or dated further than this in the future (kiosk clock ahead). */
export const IDENTITY_STATEMENT_MAX_FUTURE_MS = 5 * 60_000;

/**
 * Canonical JSON: object keys sorted (UTF-16 code-unit order), no whitespace, `undefined` members left out.
 * The bytes signed in identity statements and audit heads are its UTF-8.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError('canonicalJson: value is not representable in JSON');
    return s;
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

// ---- PersonMatch HMACs ----

/** Hex HMAC-SHA256 with key = the salt's bytes (base64) over `value` as UTF-8. The caller normalises. */
export function personMatchHmac(saltB64: string, value: string): string {
  return createHmac('sha256', Buffer.from(saltB64, 'base64')).update(value, 'utf8').digest('hex');
}

/** `idHmac` of PersonMatch / `cardIdHmac` of a statement: personMatchHmac(salt, normaliseIdNumber(id)). */
export function idNumberMatchHmac(saltB64: string, idNumber: string): string {
  return personMatchHmac(saltB64, normaliseIdNumber(idNumber));
}

/** `nameHmac` of PersonMatch / `cardNameHmac` of a statement: personMatchHmac(salt, normalisePersonName(name)). */
export function personNameMatchHmac(saltB64: string, name: string): string {
  return personMatchHmac(saltB64, normalisePersonName(name));
}

/** A person as an appliance may see them (central builds these from the order). */
export function personMatch(saltB64: string, person: { name: string; idNumber: string }): PersonMatch {
  return {
    nameMasked: maskName(person.name),
    idNumberMasked: maskIdNumber(normaliseIdNumber(person.idNumber)),
    idHmac: idNumberMatchHmac(saltB64, person.idNumber),
    nameHmac: personNameMatchHmac(saltB64, person.name),
  };
}

/** True when a card (ID number and name as read) is this person. Constant-time per comparison. */
export function cardMatchesPerson(
  saltB64: string,
  card: { idNumber: string; name: string },
  person: Pick<PersonMatch, 'idHmac' | 'nameHmac'>,
): boolean {
  return (
    hexEqual(idNumberMatchHmac(saltB64, card.idNumber), person.idHmac) &&
    hexEqual(personNameMatchHmac(saltB64, card.name), person.nameHmac)
  );
}

/** Constant-time equality of two hex strings (false for different lengths or non-hex). */
export function hexEqual(a: string, b: string): boolean {
  if (!/^[0-9a-f]+$/i.test(a) || !/^[0-9a-f]+$/i.test(b) || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a.toLowerCase(), 'hex'), Buffer.from(b.toLowerCase(), 'hex'));
}

// ---- who may collect ----

/** The order field holding each role's person. */
export const IDENTITY_ROLE_FIELDS = {
  holder: 'holder',
  handler: 'handler',
  'legal-representative': 'legalRepresentative',
} as const satisfies Record<IdentityRole, string>;

/**
 * Roles allowed to collect an order, in matching order (from the CA's published process): natural person —
 * the holder only; organisation-individual — the holder, or the handler when the holder already verified
 * online; organisation — the handler or the legal representative. A role whose person the order lacks is left out.
 */
export function allowedIdentityRoles(order: {
  certificateType: CertificateType;
  holderVerifiedOnline: boolean;
  holder?: unknown;
  handler?: unknown;
  legalRepresentative?: unknown;
}): IdentityRole[] {
  const candidates: IdentityRole[] =
    order.certificateType === 'natural-person'
      ? ['holder']
      : order.certificateType === 'organisation-individual'
        ? order.holderVerifiedOnline
          ? ['holder', 'handler']
          : ['holder']
        : ['handler', 'legal-representative'];
  return candidates.filter((r) => order[IDENTITY_ROLE_FIELDS[r]] !== undefined);
}

// ---- signed statements ----

/** The exact bytes an identity statement's signature covers: canonicalJson(statement) as UTF-8. */
export function identityStatementBytes(statement: IdentityStatement): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

/** Sign a statement with the appliance key (the same async DER signer as request signing). */
export async function signIdentityStatement(
  statement: IdentityStatement,
  signer: EcdsaSigner,
): Promise<SignedIdentityStatement> {
  return { statement, signature: (await signer(identityStatementBytes(statement))).toString('base64') };
}

/** What an audit head's signature covers. */
export interface AuditHeadToSign {
  applianceId: string;
  seq: number;
  hash: string;
  at: string;
}

/** The exact bytes an audit head's signature covers: canonicalJson({applianceId, seq, hash, at}) as UTF-8. */
export function auditHeadBytes(head: AuditHeadToSign): Buffer {
  const { applianceId, seq, hash, at } = head;
  return Buffer.from(canonicalJson({ applianceId, seq, hash, at }), 'utf8');
}

/** The heartbeat's `auditHead`, signed with the appliance key. */
export async function signAuditHead(head: AuditHeadToSign, signer: EcdsaSigner): Promise<AuditHead> {
  const { seq, hash, at } = head;
  return { seq, hash, at, signature: (await signer(auditHeadBytes(head))).toString('base64') };
}

/** ECDSA P-256 / SHA-256 DER signature check (as request signatures are checked); false on any error. */
export function verifyApplianceSignature(
  data: Buffer,
  signatureB64: string,
  publicKey: string | KeyObject,
): boolean {
  try {
    const key = publicKeyObject(publicKey);
    return verify('sha256', data, { key, dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

// ---- key fingerprint ----

/** Hex SHA-256 of a public key's SPKI DER (what `keyFingerprint` groups). */
export function publicKeySha256(publicKey: string | KeyObject): string {
  return spkiSha256(publicKey);
}

/** SHA-256 of the SPKI DER, lower-case hex in 16 groups of four: `3f9a 0c1e … 77d2`. Shown on kiosk and fleet page. */
export function keyFingerprint(publicKey: string | KeyObject): string {
  return groupFingerprint(publicKeySha256(publicKey));
}

/** Hex in groups of four, separated by spaces. */
export function groupFingerprint(hex: string): string {
  return hex.toLowerCase().replace(/(.{4})(?=.)/g, '$1 ');
}

/** A fingerprint as typed or pasted (any case, spaces, colons or dashes) → plain lower-case hex. */
export function normaliseFingerprint(s: string): string {
  return s.toLowerCase().replace(/[^0-9a-f]/g, '');
}
