// Issuance, revocation, voiding and the CRL. Issuance is serialised and idempotent: the same idempotency key
// (or the same key pair for the same order) returns the stored certificate; a second, different request is
// refused. A voided certificate is revoked and never handed out again, under any key.
import { timingSafeEqual } from 'node:crypto';
import { KEY_EVIDENCE_RULE, keyEvidenceProblems } from '@certkiosk/config';
import { normaliseCertificateSerial } from '../../contract/after-sales.js';
import {
  allowedIdentityRoles,
  hexEqual,
  IDENTITY_ROLE_FIELDS,
  IDENTITY_STATEMENT_MAX_AGE_MS,
  IDENTITY_STATEMENT_MAX_FUTURE_MS,
  identityStatementBytes,
  personMatch,
  verifyApplianceSignature,
} from '../../contract/identity.js';
import { applyOrderAction, CERTIFICATE_EXISTS_STATUSES, ORDER_KINDS } from '../../contract/order-status.js';
import type {
  AdminCertificate,
  AnyIssueRequest,
  ApplianceRevokeRequest,
  IdentityStatement,
  IssuedCertificate,
  KeyEvidence,
  Order,
  RenewalIssueRequest,
  Revocation,
  RevocationReason,
  VoidCertificateRequest,
  VoidCertificateResponse,
} from '../../contract/schemas.js';
import type { ChangeFeed } from '../change-feed.js';
import { CentralError } from '../errors.js';
import { type OrderRow, OrderService } from '../orders.js';
import { admitPickupCode } from '../pickup-admission.js';
import { lockSubject } from '../sql.js';
import type { Db } from '../store.js';
import { type CaKeys, randomSerialHex } from './authority.js';
import { type CheckedCsr, checkCsr } from './csr.js';
import { PROFILES } from './profiles.js';
import { CA_SIGNING_ALGORITHM, x509 } from './x509.js';

export interface CertRow {
  serial: string;
  order_id: string;
  idempotency_key: string;
  profile: IssuedCertificate['profile'];
  public_key_sha256: string;
  certificate_pem: string;
  not_before: string;
  not_after: string;
  issued_at: string;
  revoked_at: string | null;
  revocation_reason: RevocationReason | null;
  appliance_id: string | null;
  voided_at: string | null;
  void_journey_id?: string | null;
  void_reason?: string | null;
  key_evidence_json?: string | null;
  identity_statement_json?: string | null;
  identity_signature?: string | null;
  /** The key (token serial) the key pair is on: from the key evidence, or the CA's key workshop. */
  token_serial?: string | null;
}

/** The appliance asking for an issuance (authenticated by its request signature). */
export interface IssuingAppliance {
  id: string;
  hall: string;
  /** Its enrolled key (SPKI PEM): the identity statement must be signed by it. */
  publicKeyPem: string;
}

/** PEM with a final newline, so concatenated chains stay valid. */
const pemOf = (c: x509.X509Certificate) => `${c.toString('pem').trimEnd()}\n`;

/** A CRL is valid this long (nextUpdate − thisUpdate). */
export const CRL_VALIDITY_MS = 24 * 3600 * 1000;
/** The cached CRL is re-signed once less than this remains before its nextUpdate (or after a revocation). */
export const CRL_RENEW_BEFORE_MS = 6 * 3600 * 1000;

/** Where relying parties fetch the CRL and the issuing CA certificate (put into every issued certificate). */
export interface CaPublicUrls {
  crl: string;
  caIssuers: string;
}

interface CrlStateRow {
  crl_number: number;
  revocations: number;
  built_from: number | null;
  der: Buffer | null;
  next_update: string | null;
}

/** DER INTEGER of a non-negative number (the cRLNumber extension value). */
function derInteger(n: number): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

/** OID of the cRLNumber CRL extension (RFC 5280 §5.2.3). */
export const CRL_NUMBER_OID = '2.5.29.20';

/** The cRLNumber of a CRL, or null when it has none. */
export function crlNumberOf(crl: x509.X509Crl): bigint | null {
  const ext = crl.getExtension(CRL_NUMBER_OID);
  if (!ext) return null;
  const v = Buffer.from(ext.value);
  if (v[0] !== 0x02 || v[1] === undefined) throw new Error('cRLNumber is not a DER INTEGER');
  return BigInt(`0x${v.subarray(2, 2 + v[1]).toString('hex') || '0'}`);
}

/** A voided kiosk issuance is replaced by the holder's next collection. */
const VOID_REVOCATION_REASON: RevocationReason = 'superseded';

/** Serials compare as central stores them: lower-case hex without the DER sign byte. */
const normaliseSerial = normaliseCertificateSerial;

/** KEY_EVIDENCE_RULE (@certkiosk/config), or KEY_EVIDENCE_REFUSED naming every attribute that breaks it. */
function checkKeyEvidence(e: KeyEvidence): void {
  const problems = keyEvidenceProblems(e);
  if (problems.length === 0) return;
  throw new CentralError(
    'KEY_EVIDENCE_REFUSED',
    `The key pair cannot be certified: ${problems.map((k) => `${k} must be ${KEY_EVIDENCE_RULE[k]}`).join(', ')} (token ${e.tokenSerial}).`,
    { attributes: problems },
  );
}

/** The identity statement is about this request's order, made by the requesting appliance, signed by its key. */
function checkStatementSignature(req: AnyIssueRequest, appliance: IssuingAppliance): void {
  const { statement, signature } = req.identityStatement;
  if (statement.orderId !== req.orderId) {
    throw new CentralError(
      'IDENTITY_STATEMENT_INVALID',
      `The identity statement is about order ${statement.orderId}, not ${req.orderId}.`,
    );
  }
  if (statement.applianceId !== appliance.id) {
    throw new CentralError(
      'IDENTITY_STATEMENT_INVALID',
      `The identity statement was made by appliance ${statement.applianceId}, not by the one asking (${appliance.id}).`,
    );
  }
  if (!verifyApplianceSignature(identityStatementBytes(statement), signature, appliance.publicKeyPem)) {
    throw new CentralError('IDENTITY_STATEMENT_BAD_SIGNATURE');
  }
}

function toAdminCertificate(r: CertRow): AdminCertificate {
  return {
    serialNumber: r.serial,
    orderId: r.order_id,
    profile: r.profile,
    ...(r.appliance_id ? { applianceId: r.appliance_id } : {}),
    idempotencyKey: r.idempotency_key,
    publicKeySha256: r.public_key_sha256,
    notBefore: r.not_before,
    notAfter: r.not_after,
    issuedAt: r.issued_at,
    ...(r.key_evidence_json ? { keyEvidence: JSON.parse(r.key_evidence_json) as KeyEvidence } : {}),
    ...(r.token_serial ? { tokenSerial: r.token_serial } : {}),
    certificatePem: r.certificate_pem,
    ...(r.identity_statement_json && r.identity_signature
      ? {
          identityStatement: {
            statement: JSON.parse(r.identity_statement_json) as IdentityStatement,
            signature: r.identity_signature,
          },
        }
      : {}),
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
    ...(r.revocation_reason ? { revocationReason: r.revocation_reason } : {}),
    ...(r.voided_at ? { voidedAt: r.voided_at } : {}),
    ...(r.void_journey_id ? { voidJourneyId: r.void_journey_id } : {}),
    ...(r.void_reason ? { voidReason: r.void_reason } : {}),
  };
}

function addYears(d: Date, years: number): Date {
  const r = new Date(d);
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

/** issueLocked's answer when it committed a reissue's revocation and must be called again to sign. */
const REVOKED_FIRST = Symbol('revoked first');

export class CertificateIssuer {
  private queue: Promise<unknown> = Promise.resolve();
  /** CRL requests run one at a time, so a burst after a revocation signs once. */
  private crlQueue: Promise<unknown> = Promise.resolve();
  /** Whether the CRL cached in the store was checked against this issuing CA (once per process). */
  private cachedCrlChecked = false;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly ca: CaKeys,
    private readonly orders: OrderService,
    private readonly changes: ChangeFeed,
    private readonly pickupPublicKeyPem: string,
    private readonly publicUrls: () => CaPublicUrls,
  ) {}

  /** The issuing CA certificate (DER), what the caIssuers URL of every issued certificate serves. */
  issuingCertDer(): Buffer {
    return Buffer.from(this.ca.issuingCert.rawData);
  }

  chainPem(): string[] {
    return [pemOf(this.ca.issuingCert), pemOf(this.ca.rootCert)];
  }

  private toIssued(r: CertRow): IssuedCertificate {
    return {
      orderId: r.order_id,
      idempotencyKey: r.idempotency_key,
      serialNumber: r.serial,
      certificatePem: r.certificate_pem,
      chainPem: this.chainPem(),
      notBefore: r.not_before,
      notAfter: r.not_after,
      issuedAt: r.issued_at,
      publicKeySha256: r.public_key_sha256,
      profile: r.profile,
    };
  }

  private async rowByIdempotencyKey(key: string): Promise<CertRow | undefined> {
    return (await this.db.get('SELECT * FROM certificates WHERE idempotency_key = ?', key)) as
      | CertRow
      | undefined;
  }

  private async rowBySerial(serial: string): Promise<CertRow> {
    const r = (await this.db.get('SELECT * FROM certificates WHERE serial = ?', normaliseSerial(serial))) as
      | CertRow
      | undefined;
    if (!r) throw new CentralError('CERTIFICATE_NOT_FOUND', `No certificate with serial ${serial}.`);
    return r;
  }

  /**
   * The certificate `applianceId` issued under a key, null when it issued none (another appliance's key is
   * none of its business: null too); a voided one is CERTIFICATE_VOIDED (never handed out).
   */
  async byIdempotencyKey(key: string, applianceId: string): Promise<IssuedCertificate | null> {
    const r = await this.rowByIdempotencyKey(key);
    if (!r || r.appliance_id !== applianceId) return null;
    if (r.voided_at) throw new CentralError('CERTIFICATE_VOIDED');
    return this.toIssued(r);
  }

  /** Issue for an appliance; one request at a time so checks and writes cannot interleave. */
  issue(req: AnyIssueRequest, appliance: IssuingAppliance): Promise<IssuedCertificate> {
    const run = this.queue.then(() => this.issueNow(req, appliance));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The checks, the signing and the record in one transaction under the order's lock: on PostgreSQL a second
   * central process asked for the same order waits, then finds the certificate (its idempotency key) or the
   * order already issued, so no certificate is ever signed that central does not record.
   */
  private async issueNow(req: AnyIssueRequest, appliance: IssuingAppliance): Promise<IssuedCertificate> {
    checkKeyEvidence(req.keyEvidence);
    const checked = await checkCsr(req.csrPem);
    checkStatementSignature(req, appliance);
    const locked = () =>
      this.db.transaction(async () => {
        await lockSubject(this.db, `order:${req.orderId}`);
        return this.issueLocked(req, appliance, checked);
      });
    let recorded = await locked();
    // A reissue's revocation was committed on its own: now the checks again, the signing and the record.
    if (recorded === REVOKED_FIRST) recorded = await locked();
    if (recorded === REVOKED_FIRST) throw new Error('the replaced certificate was revoked twice');
    return this.toIssued(recorded);
  }

  private async issueLocked(
    req: AnyIssueRequest,
    appliance: IssuingAppliance,
    checked: CheckedCsr,
  ): Promise<CertRow | typeof REVOKED_FIRST> {
    const same = await this.rowByIdempotencyKey(req.idempotencyKey);
    if (same) {
      // Another appliance's idempotency key is not a way to its certificate.
      if (same.appliance_id !== appliance.id) throw new CentralError('IDEMPOTENCY_CONFLICT');
      if (same.voided_at) throw new CentralError('CERTIFICATE_VOIDED');
      if (same.order_id !== req.orderId || same.public_key_sha256 !== checked.publicKeySha256) {
        throw new CentralError('IDEMPOTENCY_CONFLICT');
      }
      return same;
    }
    const sameKey = (await this.db.get(
      'SELECT * FROM certificates WHERE order_id = ? AND public_key_sha256 = ? AND appliance_id = ? AND revoked_at IS NULL',
      req.orderId,
      checked.publicKeySha256,
      appliance.id,
    )) as CertRow | undefined;
    if (sameKey) return sameKey;
    const { row, previous } = await this.admit(req, appliance, checked.publicKeySha256);
    const revokedKey = await this.db.get(
      'SELECT 1 FROM certificates WHERE order_id = ? AND public_key_sha256 = ? AND revoked_at IS NOT NULL',
      req.orderId,
      checked.publicKeySha256,
    );
    if (revokedKey) throw new CentralError('CSR_KEY_REVOKED');
    await this.checkIdentity(req, row, previous);

    const kind = ORDER_KINDS[row.business_type];
    // Reissue: the lost key's certificate is revoked (committed on its own) before the new one is signed, so a
    // lost key is revoked even when the signing fails. A retry after a crash in between finds it revoked and goes
    // on: revoked once, the order still approved.
    if (previous && kind.revocationAtIssuance) {
      const p = await this.rowBySerial(previous.serial);
      if (!p.revoked_at) {
        await this.markRevoked(p, kind.revocationAtIssuance, new Date(this.now()).toISOString());
        return REVOKED_FIRST;
      }
    }
    const order = await this.orders.toOrder(row);
    const cert = await this.makeCertificate(order, checked.csr.publicKey, new Date(this.now() - 5 * 60_000));
    const r: CertRow = {
      serial: cert.serialNumber,
      order_id: req.orderId,
      idempotency_key: req.idempotencyKey,
      profile: order.certificateType,
      public_key_sha256: checked.publicKeySha256,
      certificate_pem: pemOf(cert),
      not_before: cert.notBefore.toISOString(),
      not_after: cert.notAfter.toISOString(),
      issued_at: new Date(this.now()).toISOString(),
      revoked_at: null,
      revocation_reason: null,
      appliance_id: appliance.id,
      voided_at: null,
      token_serial: req.keyEvidence.tokenSerial,
    };
    await this.insertCertificate(r, req);
    await this.orders.act(req.orderId, { action: kind.issueAction });
    return r;
  }

  /** A signed certificate's row; a kiosk's issuance also keeps its key evidence and identity statement. */
  private async insertCertificate(
    r: CertRow,
    kiosk?: Pick<AnyIssueRequest, 'keyEvidence' | 'identityStatement'>,
  ): Promise<void> {
    await this.db.run(
      `INSERT INTO certificates (serial, order_id, idempotency_key, appliance_id, profile, public_key_sha256,
          certificate_pem, not_before, not_after, issued_at, key_evidence_json, identity_statement_json,
          identity_signature, token_serial)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.serial,
      r.order_id,
      r.idempotency_key,
      r.appliance_id,
      r.profile,
      r.public_key_sha256,
      r.certificate_pem,
      r.not_before,
      r.not_after,
      r.issued_at,
      kiosk ? JSON.stringify(kiosk.keyEvidence) : null,
      kiosk ? JSON.stringify(kiosk.identityStatement.statement) : null,
      kiosk ? kiosk.identityStatement.signature : null,
      r.token_serial,
    );
  }

  /** Sign a leaf for an order: the profile's subject and usages, `serviceYears` from notBefore (within the CA). */
  private async makeCertificate(
    order: Order,
    publicKey: x509.PublicKey | CryptoKey,
    notBefore: Date,
  ): Promise<x509.X509Certificate> {
    const profile = PROFILES[order.certificateType];
    const caEnd = this.ca.issuingCert.notAfter;
    const wanted = addYears(notBefore, order.serviceYears);
    const notAfter = new Date(Math.min(wanted.getTime(), caEnd.getTime()));
    const urls = this.publicUrls();
    return x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject: profile.subject(order),
      issuer: this.ca.issuingCert.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: CA_SIGNING_ALGORITHM,
      publicKey,
      signingKey: this.ca.issuingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(profile.keyUsage, true),
        new x509.ExtendedKeyUsageExtension(profile.extendedKeyUsage),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.ca.issuingCert),
        new x509.CRLDistributionPointsExtension([urls.crl]),
        new x509.AuthorityInfoAccessExtension({ caIssuers: urls.caIssuers }),
      ],
    });
  }

  /**
   * The order a request is admitted to issue for, by the kind of order's admission (ORDER_KINDS): its pickup
   * code (new, reissue), or the certificate it renews on the key in the writer (renewal); and for renewal and
   * reissue the certificate it renews or replaces.
   */
  private async admit(
    req: AnyIssueRequest,
    appliance: IssuingAppliance,
    publicKeySha256: string,
  ): Promise<{ row: OrderRow; previous?: CertRow }> {
    let row: OrderRow;
    if ('pickupCode' in req) {
      row = await admitPickupCode(this.orders, this.pickupPublicKeyPem, {
        pickupCode: req.pickupCode,
        hall: appliance.hall,
        now: this.now(),
        orderId: req.orderId,
      });
      if (ORDER_KINDS[row.business_type].admission !== 'pickup-code')
        throw new CentralError('ISSUANCE_ADMISSION_MISSING');
    } else {
      row = await this.admitRenewal(req, appliance, publicKeySha256);
    }
    const serial = ORDER_KINDS[row.business_type].previousCertificate
      ? row.previous_certificate_serial
      : null;
    return serial ? { row, previous: await this.rowBySerial(serial) } : { row };
  }

  /**
   * A paid renewal, at a kiosk of its hall, for the certificate on the key in the writer: that certificate is
   * good, and the new key pair is a new one on the same key.
   */
  private async admitRenewal(
    req: RenewalIssueRequest,
    appliance: IssuingAppliance,
    publicKeySha256: string,
  ): Promise<OrderRow> {
    const row = await this.orders.row(req.orderId);
    const kind = ORDER_KINDS[row.business_type];
    if (kind.admission !== 'previous-certificate') {
      throw new CentralError(
        'ISSUANCE_ADMISSION_MISSING',
        `Order ${row.id} is a ${row.business_type} order: it is collected with its pickup code.`,
      );
    }
    if (row.hall !== appliance.hall) {
      throw new CentralError('ORDER_WRONG_HALL', `This renewal is to be collected at hall ${row.hall}.`);
    }
    if (CERTIFICATE_EXISTS_STATUSES.includes(row.status)) throw new CentralError('ORDER_ALREADY_ISSUED');
    if (!applyOrderAction(row.status, kind.issueAction, row.business_type).ok) {
      throw new CentralError('RENEWAL_NOT_PAID', `The renewal order is "${row.status}", not paid yet.`);
    }
    const prev = row.previous_certificate_serial
      ? await this.rowBySerial(row.previous_certificate_serial)
      : undefined;
    if (!prev || normaliseSerial(req.previousCertificateSerial) !== prev.serial) {
      throw new CentralError(
        'RENEWAL_WRONG_KEY',
        `This order renews certificate ${prev?.serial ?? '(none)'}, not ${req.previousCertificateSerial}.`,
      );
    }
    if (prev.revoked_at) throw new CentralError('CERTIFICATE_REVOKED');
    if (Date.parse(prev.not_after) <= this.now()) throw new CentralError('CERTIFICATE_EXPIRED');
    if (kind.sameToken && prev.token_serial !== req.keyEvidence.tokenSerial) {
      throw new CentralError(
        'RENEWAL_WRONG_KEY',
        `The new key pair must be generated on the key holding certificate ${prev.serial}, not on token ${req.keyEvidence.tokenSerial}.`,
      );
    }
    if (publicKeySha256 === prev.public_key_sha256) throw new CentralError('CSR_KEY_REUSED');
    return row;
  }

  /**
   * The statement's role may collect this order, its card HMACs are that role's person's, and the check is
   * recent. For a renewal or reissue the person is also the one of the certificate it renews or replaces.
   * (Its signature, order and appliance were checked first: checkStatementSignature.)
   */
  private async checkIdentity(req: AnyIssueRequest, row: OrderRow, previous?: CertRow): Promise<void> {
    const st = req.identityStatement.statement;
    const checkedAt = Date.parse(st.checkedAt);
    const now = this.now();
    if (
      Number.isNaN(checkedAt) ||
      checkedAt < now - IDENTITY_STATEMENT_MAX_AGE_MS ||
      checkedAt > now + IDENTITY_STATEMENT_MAX_FUTURE_MS
    ) {
      throw new CentralError(
        'IDENTITY_STATEMENT_STALE',
        `The identity check at ${st.checkedAt} is outside the ${IDENTITY_STATEMENT_MAX_AGE_MS / 60_000} minutes central accepts; check the card again.`,
      );
    }
    const people = this.orders.people(row);
    const allowed = allowedIdentityRoles({
      certificateType: row.certificate_type,
      holderVerifiedOnline: row.holder_verified_online === 1,
      ...people,
    });
    if (!allowed.includes(st.role)) {
      throw new CentralError(
        'IDENTITY_ROLE_NOT_ALLOWED',
        `The ${st.role} may not collect this ${row.certificate_type} order (allowed: ${allowed.join(', ') || 'nobody'}).`,
      );
    }
    const salt = OrderService.identitySalt(row);
    const persons = [people[IDENTITY_ROLE_FIELDS[st.role]]];
    if (previous)
      persons.push(
        this.orders.people(await this.orders.row(previous.order_id))[IDENTITY_ROLE_FIELDS[st.role]],
      );
    for (const person of persons) {
      const expected = person ? personMatch(salt, person) : undefined;
      if (
        !expected ||
        !hexEqual(st.cardIdHmac, expected.idHmac) ||
        !hexEqual(st.cardNameHmac, expected.nameHmac)
      ) {
        throw new CentralError('IDENTITY_MISMATCH');
      }
    }
  }

  // ---- the CA's own issuance (couriered keys, demo seed) and the key a certificate is on ----

  /**
   * The CA's own issuance, without a kiosk: the key workshop certifying a key to be couriered, and the demo
   * seed. No order status changes (the caller ships, or walks the seed on). `notBefore` may be in the past
   * (the seed's certificates due for renewal).
   */
  async issueAtCa(
    orderId: string,
    key: { publicKey: x509.PublicKey | CryptoKey; publicKeySha256: string; tokenSerial: string },
    notBefore = new Date(this.now() - 5 * 60_000),
  ): Promise<IssuedCertificate> {
    const order = await this.orders.get(orderId);
    const cert = await this.makeCertificate(order, key.publicKey, notBefore);
    const r: CertRow = {
      serial: cert.serialNumber,
      order_id: orderId,
      idempotency_key: `ca:${orderId}:${cert.serialNumber}`,
      profile: order.certificateType,
      public_key_sha256: key.publicKeySha256,
      certificate_pem: pemOf(cert),
      not_before: cert.notBefore.toISOString(),
      not_after: cert.notAfter.toISOString(),
      issued_at: new Date(this.now()).toISOString(),
      revoked_at: null,
      revocation_reason: null,
      appliance_id: null,
      voided_at: null,
      token_serial: key.tokenSerial,
    };
    await this.insertCertificate(r);
    return this.toIssued(r);
  }

  /**
   * The key workshop (operator): certify a CSR made on the key to be couriered for an approved courier order,
   * recording the key's serial; the order is then shipped. Certifying the same key again answers the same.
   */
  workshopIssue(orderId: string, csrPem: string, tokenSerial: string): Promise<IssuedCertificate> {
    const run = this.queue.then(async () => {
      const checked = await checkCsr(csrPem);
      return this.db.transaction(async () => {
        await lockSubject(this.db, `order:${orderId}`);
        return this.workshopIssueLocked(orderId, checked, tokenSerial);
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async workshopIssueLocked(
    orderId: string,
    checked: CheckedCsr,
    tokenSerial: string,
  ): Promise<IssuedCertificate> {
    const row = await this.orders.row(orderId);
    if (row.delivery !== 'courier') {
      throw new CentralError(
        'ORDER_ILLEGAL_TRANSITION',
        'This order is collected at a kiosk, where its key is made.',
      );
    }
    const current = (await this.db.get(
      'SELECT * FROM certificates WHERE order_id = ? AND voided_at IS NULL AND revoked_at IS NULL',
      orderId,
    )) as CertRow | undefined;
    if (current) {
      if (current.public_key_sha256 === checked.publicKeySha256 && current.token_serial === tokenSerial)
        return this.toIssued(current);
      throw new CentralError('ORDER_ALREADY_ISSUED');
    }
    if (row.status !== 'approved') {
      throw new CentralError('ORDER_NOT_APPROVED', `The order is "${row.status}", not approved.`);
    }
    return this.issueAtCa(orderId, {
      publicKey: checked.csr.publicKey,
      publicKeySha256: checked.publicKeySha256,
      tokenSerial,
    });
  }

  /**
   * Record the key a certificate the CA issued (no kiosk) is on: the workshop's record of a couriered key, or
   * the demo's SoftHSM token holding a seeded certificate. Kiosk-issued certificates keep their key evidence.
   */
  async bindToken(serial: string, tokenSerial: string): Promise<AdminCertificate> {
    const r = await this.rowBySerial(serial);
    if (r.appliance_id !== null) {
      throw new CentralError(
        'CERTIFICATE_WRONG_APPLIANCE',
        'This certificate was issued at a kiosk onto the key its key evidence names.',
      );
    }
    await this.db.run('UPDATE certificates SET token_serial = ? WHERE serial = ?', tokenSerial, r.serial);
    return this.adminCertificate(r.serial);
  }

  /**
   * A certificate of ours on the key a kiosk names (the certificate's serial and the key's token serial, read
   * from the key in the writer); CERTIFICATE_NOT_OURS for an unknown serial and for another key alike, so a
   * serial alone (from a CRL or a signed document) opens nothing.
   */
  async certificateOnKey(serial: string, tokenSerial: string): Promise<CertRow> {
    const r = (await this.db.get('SELECT * FROM certificates WHERE serial = ?', normaliseSerial(serial))) as
      | CertRow
      | undefined;
    const onKey = r?.token_serial ?? '';
    const want = Buffer.from(onKey, 'utf8');
    const got = Buffer.from(tokenSerial, 'utf8');
    const same = want.length === got.length && timingSafeEqual(want, got);
    if (!r || !onKey || !same) throw new CentralError('CERTIFICATE_NOT_OURS');
    return r;
  }

  /** The newest certificate of an order that was not voided (its current one). */
  async currentCertificateOf(orderId: string): Promise<CertRow | undefined> {
    return (await this.db.get(
      'SELECT * FROM certificates WHERE order_id = ? AND voided_at IS NULL ORDER BY issued_at DESC, serial LIMIT 1',
      orderId,
    )) as CertRow | undefined;
  }

  /** The issuing CA's distinguished name (what certificates name as their issuer). */
  issuerName(): string {
    return this.ca.issuingCert.subject;
  }

  /**
   * A kiosk revokes the certificate a renewal or reissue order names, with a reason its kind allows
   * (ORDER_KINDS): a renewal once the new certificate was issued by this kiosk, and only when the profile
   * revokes renewed certificates; a reissue once approved (central also does it at issuance). Revoking a
   * revoked certificate answers its revocation again (idempotent; revoked once, listed once in the CRL).
   */
  async revokeForOrder(
    serial: string,
    appliance: { id: string; hall: string },
    req: ApplianceRevokeRequest,
  ): Promise<Revocation> {
    return await this.db.transaction(async (): Promise<Revocation> => {
      const cert = (await this.db.get(
        'SELECT * FROM certificates WHERE serial = ?',
        normaliseSerial(serial),
      )) as CertRow | undefined;
      if (!cert) throw new CentralError('CERTIFICATE_NOT_OURS');
      const order = await this.orders.row(req.orderId);
      const kind = ORDER_KINDS[order.business_type];
      if (!kind.previousCertificate || order.previous_certificate_serial !== cert.serial) {
        throw new CentralError(
          'REVOCATION_NOT_ALLOWED',
          `Order ${order.id} does not renew or replace certificate ${cert.serial}.`,
        );
      }
      if (!kind.revocationReasons.includes(req.reason)) {
        throw new CentralError(
          'REVOCATION_REASON_NOT_ALLOWED',
          `A ${order.business_type} order revokes with ${kind.revocationReasons.join(' or ')}, not ${req.reason}.`,
        );
      }
      if (order.hall !== appliance.hall) {
        throw new CentralError('ORDER_WRONG_HALL', `This order belongs to hall ${order.hall}.`);
      }
      if (kind.previousCertificateFate === 'per-profile-after-verified') {
        if (PROFILES[cert.profile].renewal !== 'revoke-previous') {
          throw new CentralError(
            'REVOCATION_NOT_ALLOWED',
            `The ${cert.profile} profile lets a renewed certificate run out; it is not revoked.`,
          );
        }
        if (!CERTIFICATE_EXISTS_STATUSES.includes(order.status))
          throw new CentralError('REVOCATION_TOO_EARLY');
        if ((await this.currentCertificateOf(order.id))?.appliance_id !== appliance.id) {
          throw new CentralError(
            'CERTIFICATE_WRONG_APPLIANCE',
            'Only the kiosk that issued the renewal revokes the certificate it replaces.',
          );
        }
      } else if (order.status !== 'approved' && !CERTIFICATE_EXISTS_STATUSES.includes(order.status)) {
        throw new CentralError('ORDER_NOT_APPROVED', `The reissue order is "${order.status}", not approved.`);
      }
      if (cert.revoked_at && cert.revocation_reason) {
        return { serialNumber: cert.serial, reason: cert.revocation_reason, revokedAt: cert.revoked_at };
      }
      const at = new Date(this.now()).toISOString();
      await this.markRevoked(cert, req.reason, at);
      return { serialNumber: cert.serial, reason: req.reason, revokedAt: at };
    });
  }

  /** The certificates of an order, newest first, as operators see them (evidence and identity check included). */
  async certificatesOfOrder(orderId: string): Promise<AdminCertificate[]> {
    await this.orders.row(orderId);
    const rows = (await this.db.all(
      'SELECT * FROM certificates WHERE order_id = ? ORDER BY issued_at DESC, serial',
      orderId,
    )) as CertRow[];
    return rows.map(toAdminCertificate);
  }

  /** One certificate as operators see it. */
  async adminCertificate(serial: string): Promise<AdminCertificate> {
    return toAdminCertificate(await this.rowBySerial(serial));
  }

  async revoke(serial: string, reason: RevocationReason): Promise<Revocation> {
    const r = await this.rowBySerial(serial);
    if (r.revoked_at) throw new CentralError('CERTIFICATE_ALREADY_REVOKED');
    const at = new Date(this.now()).toISOString();
    await this.db.transaction(async () => this.markRevoked(r, reason, at));
    return { serialNumber: r.serial, reason, revokedAt: at };
  }

  /**
   * Staff resolution of an in-doubt kiosk issuance, asked by the appliance that issued the certificate: it is
   * revoked (CRL) and the order goes back to approved, so the holder collects again with the same pickup code
   * and a new key pair. Voiding a voided certificate answers the same again and changes nothing.
   */
  async voidIssuance(
    serial: string,
    applianceId: string,
    req: VoidCertificateRequest,
  ): Promise<VoidCertificateResponse> {
    return await this.db.transaction(async (): Promise<VoidCertificateResponse> => {
      const r = await this.rowBySerial(serial);
      if (r.appliance_id !== applianceId) throw new CentralError('CERTIFICATE_WRONG_APPLIANCE');
      const answer = async (revokedAt: string, voidedAt: string): Promise<VoidCertificateResponse> => ({
        serialNumber: r.serial,
        order: this.orders.toApplianceOrder(await this.orders.row(r.order_id)),
        revokedAt,
        voidedAt,
      });
      if (r.voided_at && r.revoked_at) return answer(r.revoked_at, r.voided_at);
      const orderRow = await this.orders.row(r.order_id);
      const status = orderRow.status;
      const voidAction = ORDER_KINDS[orderRow.business_type].voidAction;
      const t = applyOrderAction(status, voidAction, orderRow.business_type);
      if (!t.ok) {
        if (CERTIFICATE_EXISTS_STATUSES.includes(status)) throw new CentralError('ORDER_ALREADY_ACTIVATED');
        throw new CentralError('ORDER_ILLEGAL_TRANSITION', t.message, { status });
      }
      const at = new Date(this.now()).toISOString();
      // An operator may have revoked it already: that revocation stands, the void is recorded on top.
      if (!r.revoked_at) await this.markRevoked(r, VOID_REVOCATION_REASON, at);
      await this.db.run(
        'UPDATE certificates SET voided_at = ?, void_journey_id = ?, void_reason = ? WHERE serial = ?',
        at,
        req.journeyId,
        req.reason,
        r.serial,
      );
      await this.orders.act(r.order_id, {
        action: voidAction,
        reason: `Certificate ${r.serial} voided by appliance ${applianceId}, journey ${req.journeyId}: ${req.reason}`,
      });
      return answer(r.revoked_at ?? at, at);
    });
  }

  /** Record a revocation (CRL from now on) and tell every appliance; run inside a transaction. */
  private async markRevoked(r: CertRow, reason: RevocationReason, at: string): Promise<void> {
    await this.db.run(
      'UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ?',
      at,
      reason,
      r.serial,
    );
    // In the same transaction: the cached CRL no longer lists every revocation.
    await this.db.run('UPDATE crl_state SET revocations = revocations + 1 WHERE id = 1');
    await this.changes.record('certificate.revoked', null, r.order_id, { serialNumber: r.serial, reason });
  }

  /**
   * The current CRL of every revoked certificate, signed by the issuing CA (DER). It is cached in the store and
   * re-signed only after a revocation or when less than CRL_RENEW_BEFORE_MS remains before its nextUpdate;
   * each signing takes the next cRLNumber (persisted, so it only grows, across restarts too).
   */
  crlDer(): Promise<Buffer> {
    const run = this.crlQueue.then(() => this.currentCrl());
    this.crlQueue = run.catch(() => undefined);
    return run;
  }

  private async crlState(): Promise<CrlStateRow> {
    return (await this.db.get(
      'SELECT crl_number, revocations, built_from, der, next_update FROM crl_state WHERE id = 1',
    )) as CrlStateRow;
  }

  private async currentCrl(): Promise<Buffer> {
    const state = await this.crlState();
    const now = this.now();
    if (
      state.der &&
      state.built_from === state.revocations &&
      state.next_update &&
      now < Date.parse(state.next_update) - CRL_RENEW_BEFORE_MS &&
      (await this.cachedCrlIsOurs(state.der))
    ) {
      return state.der;
    }
    // Read the revocations and the counter they add up to together (synchronous: nothing interleaves), so a
    // revocation recorded while this CRL is being signed leaves it stale for the next request.
    const rows = (await this.db.all(
      'SELECT serial, revoked_at, revocation_reason FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial',
    )) as Array<{ serial: string; revoked_at: string; revocation_reason: RevocationReason }>;
    const number = state.crl_number + 1;
    const thisUpdate = new Date(now);
    const nextUpdate = new Date(now + CRL_VALIDITY_MS);
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.ca.issuingCert.subjectName,
      thisUpdate,
      nextUpdate,
      entries: rows.map((e) => ({
        serialNumber: e.serial,
        revocationDate: new Date(e.revoked_at),
        reason: x509.X509CrlReason[e.revocation_reason],
      })),
      extensions: [
        await x509.AuthorityKeyIdentifierExtension.create(this.ca.issuingCert),
        new x509.Extension(CRL_NUMBER_OID, false, new Uint8Array(derInteger(number))),
      ],
      signingKey: this.ca.issuingKey,
      signingAlgorithm: CA_SIGNING_ALGORITHM,
    });
    const der = Buffer.from(crl.rawData);
    await this.db.run(
      `UPDATE crl_state SET crl_number = ?, built_from = ?, der = ?, this_update = ?, next_update = ?
         WHERE id = 1`,
      number,
      state.revocations,
      der,
      thisUpdate.toISOString(),
      nextUpdate.toISOString(),
    );
    this.cachedCrlChecked = true;
    return der;
  }

  /** A CRL cached by an earlier run is served only if this issuing CA signed it (the CA files may be new). */
  private async cachedCrlIsOurs(der: Buffer): Promise<boolean> {
    if (this.cachedCrlChecked) return true;
    let ours = false;
    try {
      ours = await new x509.X509Crl(new Uint8Array(der)).verify({ publicKey: this.ca.issuingCert.publicKey });
    } catch {
      ours = false;
    }
    this.cachedCrlChecked = ours;
    return ours;
  }
}
