// Issuance, revocation, voiding and the CRL. Issuance is serialised and idempotent: the same idempotency key
// (or the same key pair for the same order) returns the stored certificate; a second, different request is
// refused. A voided certificate is revoked and never handed out again, under any key.
import { applyOrderAction, CERTIFICATE_EXISTS_STATUSES } from '../../contract/order-status.js';
import type {
  IssueCertificateRequest,
  IssuedCertificate,
  Revocation,
  RevocationReason,
  VoidCertificateRequest,
  VoidCertificateResponse,
} from '../../contract/schemas.js';
import type { ChangeFeed } from '../change-feed.js';
import { CentralError } from '../errors.js';
import type { OrderService } from '../orders.js';
import { admitPickupCode } from '../pickup-admission.js';
import type { Db } from '../store.js';
import { type CaKeys, randomSerialHex } from './authority.js';
import { checkCsr } from './csr.js';
import { PROFILES } from './profiles.js';
import { CA_SIGNING_ALGORITHM, x509 } from './x509.js';

interface CertRow {
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
}

/** PEM with a final newline, so concatenated chains stay valid. */
const pemOf = (c: x509.X509Certificate) => `${c.toString('pem').trimEnd()}\n`;

const CRL_VALIDITY_MS = 24 * 3600 * 1000;

/** A voided kiosk issuance is replaced by the holder's next collection. */
const VOID_REVOCATION_REASON: RevocationReason = 'superseded';

/** Serials compare as central stores them: lower-case hex without the DER sign byte. */
function normaliseSerial(serial: string): string {
  return serial.toLowerCase().replace(/^(00)+(?=.)/, '');
}

function addYears(d: Date, years: number): Date {
  const r = new Date(d);
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

export class CertificateIssuer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly ca: CaKeys,
    private readonly orders: OrderService,
    private readonly changes: ChangeFeed,
    private readonly pickupPublicKeyPem: string,
  ) {}

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

  private rowByIdempotencyKey(key: string): CertRow | undefined {
    return this.db.prepare('SELECT * FROM certificates WHERE idempotency_key = ?').get(key) as
      | CertRow
      | undefined;
  }

  private rowBySerial(serial: string): CertRow {
    const r = this.db.prepare('SELECT * FROM certificates WHERE serial = ?').get(normaliseSerial(serial)) as
      | CertRow
      | undefined;
    if (!r) throw new CentralError('CERTIFICATE_NOT_FOUND', `No certificate with serial ${serial}.`);
    return r;
  }

  /** The certificate issued under a key, null when none was; a voided one is CERTIFICATE_VOIDED (never handed out). */
  byIdempotencyKey(key: string): IssuedCertificate | null {
    const r = this.rowByIdempotencyKey(key);
    if (r?.voided_at) throw new CentralError('CERTIFICATE_VOIDED');
    return r ? this.toIssued(r) : null;
  }

  /** Issue for an appliance in `hall`; one request at a time so checks and writes cannot interleave. */
  issue(req: IssueCertificateRequest, applianceId: string, hall: string): Promise<IssuedCertificate> {
    const run = this.queue.then(() => this.issueNow(req, applianceId, hall));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async issueNow(
    req: IssueCertificateRequest,
    applianceId: string,
    hall: string,
  ): Promise<IssuedCertificate> {
    const checked = await checkCsr(req.csrPem);
    const same = this.rowByIdempotencyKey(req.idempotencyKey);
    if (same) {
      if (same.voided_at) throw new CentralError('CERTIFICATE_VOIDED');
      if (same.order_id !== req.orderId || same.public_key_sha256 !== checked.publicKeySha256) {
        throw new CentralError('IDEMPOTENCY_CONFLICT');
      }
      return this.toIssued(same);
    }
    const sameKey = this.db
      .prepare(
        'SELECT * FROM certificates WHERE order_id = ? AND public_key_sha256 = ? AND revoked_at IS NULL',
      )
      .get(req.orderId, checked.publicKeySha256) as CertRow | undefined;
    if (sameKey) return this.toIssued(sameKey);
    const row = admitPickupCode(this.orders, this.pickupPublicKeyPem, {
      pickupCode: req.pickupCode,
      hall,
      now: this.now(),
      orderId: req.orderId,
    });
    const revokedKey = this.db
      .prepare(
        'SELECT 1 FROM certificates WHERE order_id = ? AND public_key_sha256 = ? AND revoked_at IS NOT NULL',
      )
      .get(req.orderId, checked.publicKeySha256);
    if (revokedKey) throw new CentralError('CSR_KEY_REVOKED');

    const order = this.orders.toOrder(row);
    const profile = PROFILES[order.certificateType];
    const notBefore = new Date(this.now() - 5 * 60_000);
    const caEnd = this.ca.issuingCert.notAfter;
    const wanted = addYears(notBefore, order.serviceYears);
    const notAfter = new Date(Math.min(wanted.getTime(), caEnd.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject: profile.subject(order),
      issuer: this.ca.issuingCert.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: CA_SIGNING_ALGORITHM,
      publicKey: checked.csr.publicKey,
      signingKey: this.ca.issuingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(profile.keyUsage, true),
        new x509.ExtendedKeyUsageExtension(profile.extendedKeyUsage),
        await x509.SubjectKeyIdentifierExtension.create(checked.csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.ca.issuingCert),
      ],
    });
    const issuedAt = new Date(this.now()).toISOString();
    const r: CertRow = {
      serial: cert.serialNumber,
      order_id: req.orderId,
      idempotency_key: req.idempotencyKey,
      profile: order.certificateType,
      public_key_sha256: checked.publicKeySha256,
      certificate_pem: pemOf(cert),
      not_before: cert.notBefore.toISOString(),
      not_after: cert.notAfter.toISOString(),
      issued_at: issuedAt,
      revoked_at: null,
      revocation_reason: null,
      appliance_id: applianceId,
      voided_at: null,
    };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO certificates (serial, order_id, idempotency_key, appliance_id, profile, public_key_sha256,
            certificate_pem, not_before, not_after, issued_at, key_evidence_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.serial,
          r.order_id,
          r.idempotency_key,
          applianceId,
          r.profile,
          r.public_key_sha256,
          r.certificate_pem,
          r.not_before,
          r.not_after,
          r.issued_at,
          req.keyEvidence ? JSON.stringify(req.keyEvidence) : null,
        );
      this.orders.act(req.orderId, { action: 'issue-at-kiosk' });
    })();
    return this.toIssued(r);
  }

  revoke(serial: string, reason: RevocationReason): Revocation {
    const r = this.rowBySerial(serial);
    if (r.revoked_at) throw new CentralError('CERTIFICATE_ALREADY_REVOKED');
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => this.markRevoked(r, reason, at))();
    return { serialNumber: r.serial, reason, revokedAt: at };
  }

  /**
   * Staff resolution of an in-doubt kiosk issuance, asked by the appliance that issued the certificate: it is
   * revoked (CRL) and the order goes back to approved, so the holder collects again with the same pickup code
   * and a new key pair. Voiding a voided certificate answers the same again and changes nothing.
   */
  voidIssuance(serial: string, applianceId: string, req: VoidCertificateRequest): VoidCertificateResponse {
    return this.db.transaction((): VoidCertificateResponse => {
      const r = this.rowBySerial(serial);
      if (r.appliance_id !== applianceId) throw new CentralError('CERTIFICATE_WRONG_APPLIANCE');
      const answer = (revokedAt: string, voidedAt: string): VoidCertificateResponse => ({
        serialNumber: r.serial,
        order: this.orders.get(r.order_id),
        revokedAt,
        voidedAt,
      });
      if (r.voided_at && r.revoked_at) return answer(r.revoked_at, r.voided_at);
      const status = this.orders.row(r.order_id).status;
      const t = applyOrderAction(status, 'void-issuance');
      if (!t.ok) {
        if (CERTIFICATE_EXISTS_STATUSES.includes(status)) throw new CentralError('ORDER_ALREADY_ACTIVATED');
        throw new CentralError('ORDER_ILLEGAL_TRANSITION', t.message, { status });
      }
      const at = new Date(this.now()).toISOString();
      // An operator may have revoked it already: that revocation stands, the void is recorded on top.
      if (!r.revoked_at) this.markRevoked(r, VOID_REVOCATION_REASON, at);
      this.db
        .prepare(
          'UPDATE certificates SET voided_at = ?, void_journey_id = ?, void_reason = ? WHERE serial = ?',
        )
        .run(at, req.journeyId, req.reason, r.serial);
      this.orders.act(r.order_id, {
        action: 'void-issuance',
        reason: `Certificate ${r.serial} voided by appliance ${applianceId}, journey ${req.journeyId}: ${req.reason}`,
      });
      return answer(r.revoked_at ?? at, at);
    })();
  }

  /** Record a revocation (CRL from now on) and tell every appliance; run inside a transaction. */
  private markRevoked(r: CertRow, reason: RevocationReason, at: string): void {
    this.db
      .prepare('UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ?')
      .run(at, reason, r.serial);
    this.changes.record('certificate.revoked', null, r.order_id, { serialNumber: r.serial, reason });
  }

  /** A fresh CRL of every revoked certificate, signed by the issuing CA (DER). */
  async crlDer(): Promise<Buffer> {
    const rows = this.db
      .prepare('SELECT serial, revoked_at, revocation_reason FROM certificates WHERE revoked_at IS NOT NULL')
      .all() as Array<{ serial: string; revoked_at: string; revocation_reason: RevocationReason }>;
    const now = this.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.ca.issuingCert.subjectName,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + CRL_VALIDITY_MS),
      entries: rows.map((e) => ({
        serialNumber: e.serial,
        revocationDate: new Date(e.revoked_at),
        reason: x509.X509CrlReason[e.revocation_reason],
      })),
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(this.ca.issuingCert)],
      signingKey: this.ca.issuingKey,
      signingAlgorithm: CA_SIGNING_ALGORITHM,
    });
    return Buffer.from(crl.rawData);
  }
}
