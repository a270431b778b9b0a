// In-memory fakes of every port the pickup engine uses (ports.ts), for fast unit tests of the engine:
// a StateStore over a plain object whose writes can be made to fail (and then put `data` back to what is
// durable, as store/journey-store.ts does), a CentralPort that signs real pickup codes and issues real X.509
// certificates over the CSR's key, an EventSink that records, a KioskDevices whose USB key is a fake driver
// with real EC P-256 / RSA key pairs from node:crypto, and an ApplianceKey. Every call that reaches central,
// the devices, the outbox or the appliance key is written to one shared call log, so a test can tell what
// happened after a given moment.
import 'reflect-metadata';
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import type { PinPolicy } from '@certkiosk/config';
import { checkPin, keyEvidenceProblems } from '@certkiosk/config';
import {
  buildCsr,
  type CsrProfile,
  deriveSoPin,
  deriveTransportPin,
  type IdCard,
  type IdCardReadResult,
  type ImportResult,
  idReader,
  type KeyAlgorithm,
  type KeyPairInfo,
  type ObjectsById,
  type PrepareBlankKeyOptions,
  type Receipt,
  type Signer,
  TokenError,
  type TokenErrorCode,
  type TokenRef,
  type TokenSummary,
  type UsbKeyDriver,
} from '@certkiosk/firmware-bridge';
import {
  type ActivationPreview,
  type ActivationRequest,
  type ActivationResponse,
  type ApplianceOrder,
  CentralClientError,
  type IdCard as CentralIdCard,
  type CertificateStatus,
  DurableStoreError,
  IDENTITY_ROLE_FIELDS,
  type IssueCertificateRequest,
  type IssuedCertificate,
  type LookupOrder,
  maskOrderId,
  type NativePaymentResponse,
  type Order,
  type OrderLookupResponse,
  type PaymentStatus,
  personMatch,
  type RenewalOrderResponse,
  type Revocation,
  renewalOffered,
  type SyncEvent,
  signPickupCode,
  type UnlockRequest,
  type UnlockResponse,
  unlockDay,
  type VoidCertificateResponse,
  verifyPickupCode,
} from '@certkiosk/sync';
import * as x509 from '@peculiar/x509';
import type { JourneyView } from '../api/contract.js';
import { deriveApplianceSecrets } from '../appliance-key.js';
import type { ServiceCentralPort } from '../services/ports.js';
import { type EngineOptions, PickupEngine } from './engine.js';
import type { ApplianceKey, CentralPort, EventSink, KioskDevices, StateStore } from './ports.js';
import { type ApplianceState, emptyState, type UsedNonce } from './record.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** One log shared by every fake: `central.issueCertificate`, `usbKey.keygen`, `events.enqueue:…`, … */
export type CallLog = string[];

// ---------- clock ----------

export class FakeClock {
  constructor(public ms = Date.parse('2025-06-16T02:00:00Z')) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

// ---------- state store ----------

/**
 * The StateStore over a plain object. `write()` makes `data` durable (a JSON copy); `breakAtWrite(n)` makes
 * the n-th write attempt from now fail, and every later one, until `repair()` (a full disk stays full). A
 * failed write puts `data` back to the last durable JSON, in place, and throws a DurableStoreError.
 */
export class FakeStore implements StateStore {
  readonly data: ApplianceState;
  private durableJson: string;
  /** Write attempts, failed ones included. */
  attempts = 0;
  /** Writes that failed. */
  failures = 0;
  private breakAt: number | null = null;
  private broken = false;
  /** Called once, at the first failing write (before `data` is put back). */
  onBreak: (() => void) | undefined;

  constructor(initial: ApplianceState | string) {
    this.durableJson = typeof initial === 'string' ? initial : JSON.stringify(initial);
    this.data = JSON.parse(this.durableJson) as ApplianceState;
  }

  /** What is on "disk": a fresh copy, e.g. to open another store on after a simulated crash. */
  durable(): string {
    return this.durableJson;
  }

  breakAtWrite(n: number): void {
    this.breakAt = this.attempts + n;
  }

  get isBroken(): boolean {
    return this.broken;
  }

  repair(): void {
    this.broken = false;
    this.breakAt = null;
  }

  async write(): Promise<void> {
    this.attempts++;
    if (this.breakAt !== null && this.attempts >= this.breakAt) {
      this.breakAt = null;
      this.broken = true;
      this.onBreak?.();
    }
    if (this.broken) {
      this.failures++;
      this.restore();
      throw new DurableStoreError('LOG_WRITE_FAILED', 'fake disk full');
    }
    this.durableJson = JSON.stringify(this.data);
  }

  useNonce(nonce: string, used: UsedNonce): void {
    this.data.usedPickupNonces[nonce] = used;
  }

  releaseNonce(nonce: string): void {
    delete this.data.usedPickupNonces[nonce];
  }

  /** Put `data` back to what is durable; the journeys and nonce maps keep their identity (as the real store). */
  private restore(): void {
    const disk = JSON.parse(this.durableJson) as ApplianceState;
    for (const id of Object.keys(this.data.journeys)) delete this.data.journeys[id];
    Object.assign(this.data.journeys, disk.journeys);
    for (const n of Object.keys(this.data.usedPickupNonces)) delete this.data.usedPickupNonces[n];
    Object.assign(this.data.usedPickupNonces, disk.usedPickupNonces);
    for (const id of Object.keys(this.data.services)) delete this.data.services[id];
    Object.assign(this.data.services, disk.services);
    const { journeys: _j, usedPickupNonces: _n, services: _s, ...fields } = disk;
    Object.assign(this.data, fields);
  }
}

// ---------- central ----------

export function refused(centralCode: string, status = 409, attemptsLeft?: number): CentralClientError {
  return new CentralClientError('CENTRAL_REFUSED', `central refused: ${centralCode}`, {
    status,
    centralCode,
    ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
  });
}

export function unavailable(): CentralClientError {
  return new CentralClientError('CENTRAL_UNAVAILABLE', 'fake central is down');
}

interface CentralOrder {
  order: Order;
  nonce: string;
  exp: number;
  /** Per order, as central keeps it: the key of the people's HMACs the kiosk gets. */
  identitySalt: string;
  /** Wrong ID cards reported for the order (all scans, all kiosks). */
  idFailures: number;
}

/** The order as central lets an appliance see it: people as masks and HMACs only. */
export function applianceOrderOf(order: Order, identitySalt: string): ApplianceOrder {
  const a: ApplianceOrder = {
    id: order.id,
    status: order.status,
    delivery: order.delivery,
    certificateType: order.certificateType,
    businessType: order.businessType,
    serviceYears: order.serviceYears,
    holderVerifiedOnline: order.holderVerifiedOnline,
    hall: order.hall,
    identitySalt,
  };
  if (order.organisation) a.organisationName = order.organisation.name;
  if (order.holder) a.holder = personMatch(identitySalt, order.holder);
  if (order.legalRepresentative) a.legalRepresentative = personMatch(identitySalt, order.legalRepresentative);
  if (order.handler) a.handler = personMatch(identitySalt, order.handler);
  return a;
}

export interface CentralCertificate extends IssuedCertificate {
  voided: boolean;
  voidRequest?: { journeyId: string; reason: string };
}

/** A certificate of ours on a key a holder brings back (after-sales): what central knows of it. */
export interface KeyCertificate {
  serialNumber: string;
  tokenSerial: string;
  orderId: string;
  holder: { name: string; idNumber: string };
  notBefore: string;
  notAfter: string;
  revokedAt?: string;
  /** A couriered key's shipped order and its activation code. */
  courier?: { code: string; expiresAt: string; wrong: number; usedAt?: string; usedBy?: string };
}

/** An unlock as central records it (every answer, counted per key per day). */
export interface FakeUnlock {
  unlockId: string;
  tokenSerial: string;
  outcome: 'granted' | 'identity-mismatch' | 'limit-reached';
  day: string;
  at: string;
}

const CA_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * Central, in memory: orders approved for kiosk pickup with Ed25519-signed pickup codes (as
 * sync/src/central/pickup-codes.ts), admission as sync/src/central/pickup-admission.ts, issuance idempotent by
 * key and signed by a CA made on the spot (certificates over the CSR's own public key), voiding.
 */
export class FakeCentral implements CentralPort, ServiceCentralPort {
  /** Every call fails with CENTRAL_UNAVAILABLE. */
  down = false;
  /** The next issuance request is refused with this central code (before anything is issued). */
  refuseNextIssue: string | null = null;
  private loseAnswers: Array<{ thenDown: boolean }> = [];
  readonly orders = new Map<string, CentralOrder>();
  readonly certificates: CentralCertificate[] = [];
  readonly pickupPublicKeyPem: string;
  private readonly pickupKey: KeyObject;

  private constructor(
    private readonly log: CallLog,
    private readonly clock: FakeClock,
    readonly hall: string,
    private readonly caCert: x509.X509Certificate,
    private readonly caKey: webcrypto.CryptoKey,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.pickupKey = privateKey;
    this.pickupPublicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  static async create(log: CallLog, clock: FakeClock, hall: string): Promise<FakeCentral> {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialHex(),
      name: 'CN=Fake Issuing CA, O=CertKiosk Tests, C=CN',
      notBefore: new Date(clock.ms - 86_400_000),
      notAfter: new Date(clock.ms + 10 * 365 * 86_400_000),
      signingAlgorithm: CA_SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new FakeCentral(log, clock, hall, ca, keys.privateKey);
  }

  get chainPem(): string[] {
    return [this.caCert.toString('pem')];
  }

  /** An approved kiosk order; returns its pickup code. */
  addOrder(order: Order): string {
    this.orders.set(order.id, {
      order: structuredClone(order),
      nonce: '',
      exp: 0,
      identitySalt: randomBytes(32).toString('base64'),
      idFailures: 0,
    });
    return this.newPickupCode(order.id);
  }

  /** A new nonce for the order (the phone refreshed its code): the old code is superseded. */
  newPickupCode(orderId: string): string {
    const o = this.need(orderId);
    o.nonce = randomBytes(12).toString('base64url');
    o.exp = Math.floor(this.clock.ms / 1000) + 7 * 86_400;
    return signPickupCode({ orderId, hall: this.hall, exp: o.exp, nonce: o.nonce }, this.pickupKey);
  }

  /** The next issuance commits the certificate, then the answer is lost (CENTRAL_UNAVAILABLE). */
  loseNextIssueAnswer(opts: { thenDown?: boolean } = {}): void {
    this.loseAnswers.push({ thenDown: opts.thenDown ?? false });
  }

  live(): CentralCertificate[] {
    return this.certificates.filter((c) => !c.voided);
  }

  /** Wrong ID cards an order may see before central refuses its code (as central's default). */
  maxIdAttempts = 3;

  async reportIdentityFailure(pickupCode: string, _reason: string): Promise<{ attemptsLeft: number }> {
    this.log.push('central.reportIdentityFailure');
    if (this.down) throw unavailable();
    const o = this.admit(pickupCode);
    if (o.idFailures >= this.maxIdAttempts) throw refused('ID_ATTEMPTS_EXHAUSTED', 403);
    o.idFailures++;
    return { attemptsLeft: this.maxIdAttempts - o.idFailures };
  }

  async checkPickupCode(pickupCode: string): Promise<ApplianceOrder> {
    this.log.push('central.checkPickupCode');
    if (this.down) throw unavailable();
    const o = this.admit(pickupCode);
    if (o.idFailures >= this.maxIdAttempts) throw refused('ID_ATTEMPTS_EXHAUSTED', 403);
    return applianceOrderOf(o.order, o.identitySalt);
  }

  async issueCertificate(req: IssueCertificateRequest): Promise<IssuedCertificate> {
    this.log.push('central.issueCertificate');
    if (this.down) throw unavailable();
    const same = this.certificates.find((c) => c.idempotencyKey === req.idempotencyKey);
    if (same) {
      if (same.voided) throw refused('CERTIFICATE_VOIDED');
      return this.answer(same);
    }
    if (this.refuseNextIssue) {
      const code = this.refuseNextIssue;
      this.refuseNextIssue = null;
      throw refused(code);
    }
    const o = this.admit(req.pickupCode);
    if (o.order.id !== req.orderId) throw refused('PICKUP_CODE_INVALID');
    if (keyEvidenceProblems(req.keyEvidence).length) throw refused('KEY_EVIDENCE_REFUSED', 400);
    // The identity statement must name a person allowed here, by the order's own HMACs (as central checks).
    const st = req.identityStatement.statement;
    const person = applianceOrderOf(o.order, o.identitySalt)[IDENTITY_ROLE_FIELDS[st.role]];
    if (
      st.orderId !== req.orderId ||
      !person ||
      person.idHmac !== st.cardIdHmac ||
      person.nameHmac !== st.cardNameHmac
    )
      throw refused('IDENTITY_STATEMENT_INVALID', 400);
    const csr = new x509.Pkcs10CertificateRequest(req.csrPem);
    if (!(await csr.verify())) throw refused('CSR_BAD_SIGNATURE', 400);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex(),
      // As central: the subject comes from the order, not from the request.
      subject: `CN=${o.order.organisation?.name ?? o.order.holder?.name ?? o.order.id}`,
      issuer: this.caCert.subjectName,
      notBefore: new Date(this.clock.ms - 5 * 60_000),
      notAfter: new Date(this.clock.ms + o.order.serviceYears * 365 * 86_400_000),
      signingAlgorithm: CA_SIGNING,
      publicKey: csr.publicKey,
      signingKey: this.caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
      ],
    });
    const issued: CentralCertificate = {
      orderId: req.orderId,
      idempotencyKey: req.idempotencyKey,
      serialNumber: cert.serialNumber,
      certificatePem: `${cert.toString('pem').trimEnd()}\n`,
      chainPem: this.chainPem,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      issuedAt: this.clock.now().toISOString(),
      publicKeySha256: createHash('sha256').update(Buffer.from(csr.publicKey.rawData)).digest('hex'),
      profile: o.order.certificateType,
      voided: false,
    };
    this.certificates.push(issued);
    o.order.status = 'issued';
    o.order.certificateSerial = issued.serialNumber;
    const lose = this.loseAnswers.shift();
    if (lose) {
      if (lose.thenDown) this.down = true;
      throw unavailable();
    }
    return this.answer(issued);
  }

  // ---------- after-sales (as sync/src/central/after-sales.ts) ----------

  /** The appliance asking (the kiosk under test). */
  applianceId = 'KIOSK-TEST-01';
  readonly keyCertificates = new Map<string, KeyCertificate>();
  readonly unlocks: FakeUnlock[] = [];
  /** Look-up by ID card: the orders each person may collect. */
  readonly lookupIndex: Array<{ person: { name: string; idNumber: string }; order: LookupOrder }> = [];
  private loseActivateAnswers = 0;
  private loseUnlockAnswers = 0;

  /** The next activation commits, then its answer is lost (CENTRAL_UNAVAILABLE). */
  loseNextActivateAnswer(): void {
    this.loseActivateAnswers++;
  }

  /** The next unlock is recorded, then its answer is lost (CENTRAL_UNAVAILABLE). */
  loseNextUnlockAnswer(): void {
    this.loseUnlockAnswers++;
  }

  /**
   * Certify a key pair made on `token` (CKA_ID 01) for `holder`, as the CA's key workshop does; with `courier`,
   * its order is shipped with that activation code. The token gets the SO-PIN and transport PIN the kiosk
   * derives from its serial (`master`).
   */
  async certifyKey(
    token: FakeToken,
    master: Buffer,
    opts: {
      holder?: { name: string; idNumber: string };
      courier?: { code: string; expiresInDays?: number };
      notAfterDays?: number;
    } = {},
  ): Promise<KeyCertificate> {
    const holder = opts.holder ?? { ...HOLDER };
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
    token.initialized = true;
    token.label = `KEY-${token.serial}`;
    token.soPin = deriveSoPin(master, token.serial);
    token.userPin = deriveTransportPin(master, token.serial);
    token.keys.set('01', { algorithm: 'ec-p256', label: 'holder', privateKey: pair.privateKey, spki });
    const publicKey = await webcrypto.subtle.importKey(
      'spki',
      spki,
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['verify'],
    );
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex(),
      subject: `CN=${holder.name}`,
      issuer: this.caCert.subjectName,
      notBefore: new Date(this.clock.ms - 86_400_000),
      notAfter: new Date(this.clock.ms + (opts.notAfterDays ?? 365) * 86_400_000),
      signingAlgorithm: CA_SIGNING,
      publicKey,
      signingKey: this.caKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    token.leaves.set('01', [Buffer.from(cert.rawData)]);
    token.chain.push(Buffer.from(this.caCert.rawData));
    const k: KeyCertificate = {
      serialNumber: cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
      tokenSerial: token.serial,
      orderId: `CK20250601${randomBytes(4).toString('hex').toUpperCase()}`,
      holder,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      ...(opts.courier
        ? {
            courier: {
              code: opts.courier.code,
              expiresAt: new Date(
                this.clock.ms + (opts.courier.expiresInDays ?? 30) * 86_400_000,
              ).toISOString(),
              wrong: 0,
            },
          }
        : {}),
    };
    this.keyCertificates.set(k.serialNumber, k);
    return k;
  }

  private onKey(serial: string, tokenSerial: string): KeyCertificate {
    const c = this.keyCertificates.get(serial.toLowerCase().replace(/^(00)+(?=.)/, ''));
    if (!c || c.tokenSerial !== tokenSerial) throw refused('CERTIFICATE_NOT_OURS', 404);
    return c;
  }

  async certificateStatus(serialNumber: string, tokenSerial: string): Promise<CertificateStatus> {
    this.log.push('central.certificateStatus');
    if (this.down) throw unavailable();
    const c = this.onKey(serialNumber, tokenSerial);
    return {
      serialNumber: c.serialNumber,
      status: c.revokedAt ? 'revoked' : 'good',
      ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
      certificateType: 'natural-person',
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      issuer: this.caCert.subject,
      holderNameMasked: `${c.holder.name.slice(0, 1)}*`,
      orderIdMasked: maskOrderId(c.orderId),
      renewal: {
        rule: 'revoke-previous',
        windowDays: 90,
        offered: renewalOffered({ notAfter: c.notAfter, revoked: !!c.revokedAt }, this.clock.ms),
      },
    };
  }

  /** Central's checks before a code is compared: shipped, not used, not locked, not expired. */
  private shipped(c: KeyCertificate): NonNullable<KeyCertificate['courier']> {
    if (c.revokedAt) throw refused('CERTIFICATE_REVOKED');
    const courier = c.courier;
    if (!courier) throw refused('ACTIVATION_NOT_AVAILABLE');
    if (courier.usedAt) throw refused('ACTIVATION_ALREADY_DONE');
    if (courier.wrong >= 5) throw refused('ACTIVATION_LOCKED', 423);
    if (Date.parse(courier.expiresAt) <= this.clock.ms) throw refused('ACTIVATION_CODE_EXPIRED', 410);
    return courier;
  }

  async activationPreview(serialNumber: string, tokenSerial: string): Promise<ActivationPreview> {
    this.log.push('central.activationPreview');
    if (this.down) throw unavailable();
    const c = this.onKey(serialNumber, tokenSerial);
    const courier = this.shipped(c);
    return {
      certificateSerial: c.serialNumber,
      orderIdMasked: maskOrderId(c.orderId),
      certificateType: 'natural-person',
      holderNameMasked: `${c.holder.name.slice(0, 1)}*`,
      codeExpiresAt: courier.expiresAt,
      attemptsLeft: 5 - courier.wrong,
    };
  }

  async activate(req: ActivationRequest): Promise<ActivationResponse> {
    this.log.push('central.activate');
    if (this.down) throw unavailable();
    const c = this.onKey(req.certificateSerial, req.tokenSerial);
    const answer = (at: string): ActivationResponse => ({
      certificateSerial: c.serialNumber,
      orderIdMasked: maskOrderId(c.orderId),
      status: 'activated',
      activatedAt: at,
    });
    const courier = c.courier;
    // The same kiosk sending the right code again gets the same answer.
    if (courier?.usedAt && courier.usedBy === this.applianceId && courier.code === req.code)
      return answer(courier.usedAt);
    const open = this.shipped(c);
    if (open.code !== req.code) {
      open.wrong++;
      const left = 5 - open.wrong;
      if (left <= 0) throw refused('ACTIVATION_LOCKED', 423);
      throw refused('ACTIVATION_CODE_WRONG', 403, left);
    }
    open.usedAt = this.clock.now().toISOString();
    open.usedBy = this.applianceId;
    if (this.loseActivateAnswers > 0) {
      this.loseActivateAnswers--;
      throw unavailable();
    }
    return answer(open.usedAt);
  }

  async requestUnlock(req: UnlockRequest): Promise<UnlockResponse> {
    this.log.push('central.requestUnlock');
    if (this.down) throw unavailable();
    const c = this.onKey(req.certificateSerial, req.tokenSerial);
    const counted = (day: string) =>
      this.unlocks.filter(
        (u) => u.tokenSerial === c.tokenSerial && u.day === day && u.outcome !== 'limit-reached',
      ).length;
    const refusal = (o: FakeUnlock['outcome']) =>
      o === 'identity-mismatch' ? refused('IDENTITY_MISMATCH', 403) : refused('UNLOCK_LIMIT_REACHED', 429);
    const before = this.unlocks.find((u) => u.unlockId === req.unlockId);
    if (before) {
      if (before.outcome !== 'granted') throw refusal(before.outcome);
      return { unlockId: before.unlockId, unlocksLeftToday: 3 - counted(before.day), grantedAt: before.at };
    }
    const day = unlockDay(this.clock.ms);
    let outcome: FakeUnlock['outcome'] = 'granted';
    if (counted(day) >= 3) outcome = 'limit-reached';
    else if (req.card.idNumber !== c.holder.idNumber || req.card.name !== c.holder.name)
      outcome = 'identity-mismatch';
    const at = this.clock.now().toISOString();
    this.unlocks.push({ unlockId: req.unlockId, tokenSerial: c.tokenSerial, outcome, day, at });
    if (outcome !== 'granted') throw refusal(outcome);
    if (this.loseUnlockAnswers > 0) {
      this.loseUnlockAnswers--;
      throw unavailable();
    }
    return { unlockId: req.unlockId, unlocksLeftToday: 3 - counted(day), grantedAt: at };
  }

  async lookupByIdCard(card: CentralIdCard): Promise<OrderLookupResponse> {
    this.log.push('central.lookupByIdCard');
    if (this.down) throw unavailable();
    return {
      orders: this.lookupIndex
        .filter((e) => e.person.idNumber === card.idNumber && e.person.name === card.name)
        .map((e) => structuredClone(e.order)),
    };
  }

  async lookupByCode(code: string): Promise<OrderLookupResponse> {
    this.log.push('central.lookupByCode');
    if (this.down) throw unavailable();
    const check = verifyPickupCode(code, this.pickupPublicKeyPem, { hall: this.hall, now: this.clock.ms });
    const payload = 'payload' in check ? check.payload : undefined;
    if (!payload || (!check.ok && check.reason === 'forged')) throw refused('PICKUP_CODE_INVALID', 400);
    const o = this.need(payload.orderId);
    const order = o.order;
    return {
      orders: [
        {
          id: order.id,
          businessType: order.businessType,
          certificateType: order.certificateType,
          status: order.status,
          delivery: order.delivery,
          hall: order.hall,
          submittedAt: order.submittedAt ?? order.createdAt,
          updatedAt: order.updatedAt,
          history: [{ action: 'approve', status: 'approved', at: order.updatedAt }],
        },
      ],
    };
  }

  async getCertificateByIdempotencyKey(idempotencyKey: string): Promise<IssuedCertificate | null> {
    this.log.push('central.getCertificateByIdempotencyKey');
    if (this.down) throw unavailable();
    const c = this.certificates.find((x) => x.idempotencyKey === idempotencyKey);
    if (c?.voided) throw refused('CERTIFICATE_VOIDED');
    return c ? this.answer(c) : null;
  }

  async voidCertificate(
    serialNumber: string,
    req: { journeyId: string; reason: string },
  ): Promise<VoidCertificateResponse> {
    this.log.push(`central.voidCertificate:${serialNumber}`);
    if (this.down) throw unavailable();
    const c = this.certificates.find((x) => x.serialNumber === serialNumber);
    if (!c) throw refused('CERTIFICATE_NOT_FOUND', 404);
    if (!c.voided) {
      c.voided = true;
      c.voidRequest = { ...req };
      const o = this.need(c.orderId);
      o.order.status = 'approved';
      delete o.order.certificateSerial;
    }
    const at = new Date(this.clock.ms).toISOString();
    return {
      serialNumber,
      order: structuredClone(this.need(c.orderId).order),
      revokedAt: at,
      voidedAt: at,
    } as unknown as VoidCertificateResponse;
  }

  // The fake has no renewal orders: renew is played against the real central (renew.softhsm.test.ts).
  async renewalFor(): Promise<RenewalOrderResponse> {
    this.log.push('central.renewalFor');
    if (this.down) throw unavailable();
    throw refused('RENEWAL_ORDER_NOT_FOUND', 404);
  }

  async issueRenewal(): Promise<IssuedCertificate> {
    this.log.push('central.issueRenewal');
    throw refused('RENEWAL_ORDER_NOT_FOUND', 404);
  }

  // No kiosk payments here (renewals, which pay at the kiosk, are tested against the real central).
  async startNativePayment(): Promise<NativePaymentResponse> {
    this.log.push('central.startNativePayment');
    throw refused('PAYMENT_NOT_AVAILABLE', 409);
  }

  async paymentStatus(): Promise<PaymentStatus> {
    this.log.push('central.paymentStatus');
    throw refused('PAYMENT_NOT_FOUND', 404);
  }

  async cancelPayment(): Promise<PaymentStatus> {
    this.log.push('central.cancelPayment');
    throw refused('PAYMENT_NOT_FOUND', 404);
  }

  async revokeForOrder(): Promise<Revocation> {
    this.log.push('central.revokeForOrder');
    throw refused('REVOCATION_NOT_ALLOWED', 409);
  }

  private answer(c: CentralCertificate): IssuedCertificate {
    const { voided: _v, voidRequest: _r, ...issued } = c;
    return structuredClone(issued);
  }

  private need(orderId: string): CentralOrder {
    const o = this.orders.get(orderId);
    if (!o) throw refused('ORDER_NOT_FOUND', 404);
    return o;
  }

  /** As central's admitPickupCode: signature, hall, order status, expiry, current nonce. */
  private admit(pickupCode: string): CentralOrder {
    const check = verifyPickupCode(pickupCode, this.pickupPublicKeyPem, {
      hall: this.hall,
      now: this.clock.ms,
    });
    const payload = 'payload' in check ? check.payload : undefined;
    if (!payload || (!check.ok && check.reason === 'forged')) throw refused('PICKUP_CODE_INVALID');
    if (payload.hall !== this.hall) throw refused('ORDER_WRONG_HALL');
    const o = this.need(payload.orderId);
    if (['issued', 'shipped', 'activated', 'invoiced'].includes(o.order.status)) {
      throw refused('ORDER_ALREADY_ISSUED');
    }
    if (o.order.status !== 'approved' || o.order.delivery !== 'kiosk') throw refused('ORDER_NOT_APPROVED');
    if (!check.ok) throw refused('PICKUP_CODE_EXPIRED');
    if (payload.nonce !== o.nonce) throw refused('PICKUP_CODE_SUPERSEDED');
    return o;
  }
}

function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

// ---------- outbox ----------

export class FakeEventSink implements EventSink {
  readonly events: SyncEvent[] = [];
  constructor(private readonly log: CallLog) {}

  async enqueue(event: SyncEvent): Promise<unknown> {
    this.log.push(`events.enqueue:${event.type}`);
    this.events.push(structuredClone(event));
    return undefined;
  }

  ofType(type: string): SyncEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Event types by distinct id (a re-sent event keeps its id and central deduplicates it). */
  distinct(): SyncEvent[] {
    const seen = new Map<string, SyncEvent>();
    for (const e of this.events) if (!seen.has(e.id)) seen.set(e.id, e);
    return [...seen.values()];
  }
}

// ---------- appliance key ----------

export class FakeApplianceKey implements ApplianceKey {
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  constructor(private readonly log: CallLog) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async sign(data: Buffer): Promise<Buffer> {
    this.log.push('applianceKey.sign');
    return sign('sha256', data, this.privateKey);
  }

  private readonly secret = randomBytes(32);
  async hmac(data: Buffer): Promise<Buffer> {
    return createHmac('sha256', this.secret).update(data).digest();
  }
}

// ---------- USB key ----------

interface FakeKey {
  algorithm: KeyAlgorithm;
  label: string;
  privateKey: KeyObject;
  spki: Buffer;
}

/** One USB key: its PINs, key pairs and certificates (DER) by CKA_ID (hex). */
export class FakeToken {
  label = '';
  initialized = false;
  soPin: string | null = null;
  userPin: string | null = null;
  userPinLocked = false;
  userTriesLeft = 10;
  readonly keys = new Map<string, FakeKey>();
  /** Leaf certificates by key id (a list: a second leaf under one id would be a bug). */
  readonly leaves = new Map<string, Buffer[]>();
  readonly chain: Buffer[] = [];
  constructor(readonly serial: string) {}

  summary(): TokenSummary {
    return {
      label: this.label,
      serial: this.serial,
      manufacturer: 'Fake',
      model: 'FakeKey',
      flags: {
        initialized: this.initialized,
        userPinInitialized: this.userPin !== null,
        loginRequired: true,
        userPinLocked: this.userPinLocked,
        userPinCountLow: false,
        userPinFinalTry: false,
        soPinLocked: false,
        soPinCountLow: false,
        soPinFinalTry: false,
        writeProtected: false,
      },
      freePublicMemory: null,
      freePrivateMemory: null,
      minPinLength: 4,
      maxPinLength: 32,
    };
  }

  leafCount(): number {
    let n = 0;
    for (const l of this.leaves.values()) n += l.length;
    return n;
  }
}

/** The session `withSession` hands out: the methods the engines use. */
export interface FakeSession {
  token: TokenSummary;
  keyPair(id: Buffer): KeyPairInfo;
  signer(id: Buffer): Signer;
  /** Every certificate on the key (public objects: no login needed). */
  findCertificates(): Array<{ id: string; label: string; cert: X509Certificate }>;
}

type DriverMethod =
  | 'prepareBlankKeyAsync'
  | 'keygen'
  | 'csr'
  | 'objectsById'
  | 'withSession'
  | 'importCertificate'
  | 'setPin'
  | 'unlock';

/** A fault for the next call of a driver method: throw `code` before or after its effect, maybe pulling the key. */
export interface DriverFault {
  code: TokenErrorCode;
  when: 'before' | 'after';
  /** The key leaves the writer (TOKEN_REMOVED). */
  pull?: boolean;
}

/** The methods of UsbKeyDriver the engine calls, over FakeTokens; one key in the writer at a time. */
export class FakeUsbKey {
  private inWriter: FakeToken | null = null;
  readonly tokens: FakeToken[] = [];
  private nextSerial = 1;
  /** Every user-PIN login (or C_SetPIN old PIN) that was wrong: a holder's try spent. Must stay 0. */
  wrongUserPinTries = 0;
  wrongSoPinTries = 0;
  private readonly faults = new Map<DriverMethod, DriverFault[]>();
  private readonly hangs = new Map<DriverMethod, Promise<void>>();

  constructor(private readonly log: CallLog) {}

  get inserted(): FakeToken | null {
    return this.inWriter;
  }

  /** A new blank (uninitialised) key from the tray into the writer; the one there before comes out. */
  insertBlank(): FakeToken {
    const t = new FakeToken(`FK${String(this.nextSerial++).padStart(6, '0')}`);
    this.tokens.push(t);
    this.inWriter = t;
    return t;
  }

  insert(t: FakeToken): void {
    this.inWriter = t;
  }

  pull(): void {
    this.inWriter = null;
  }

  /** The next call of `method` hangs (as a wedged key would) until the returned function is called. */
  hangNext(method: DriverMethod): () => void {
    let release: () => void = () => {};
    this.hangs.set(
      method,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => release();
  }

  private async hang(method: DriverMethod): Promise<void> {
    const gate = this.hangs.get(method);
    if (!gate) return;
    this.hangs.delete(method);
    await gate;
  }

  failNext(method: DriverMethod, fault: DriverFault): void {
    const list = this.faults.get(method) ?? [];
    list.push(fault);
    this.faults.set(method, list);
  }

  private fault(method: DriverMethod, when: 'before' | 'after'): void {
    const list = this.faults.get(method);
    if (!list?.length || list[0]?.when !== when) return;
    const f = list.shift()!;
    if (f.pull) this.inWriter = null;
    throw new TokenError(f.code, `fake ${method} fault (${when})`);
  }

  private token(where: TokenRef | string): FakeToken {
    const t = this.inWriter;
    if (typeof where === 'string') {
      if (!t) throw new TokenError('TOKEN_NOT_PRESENT');
      return t;
    }
    const match = 'serial' in where ? t?.serial === where.serial : t?.label === where.label;
    if (!t || !match) throw new TokenError('TOKEN_NOT_FOUND');
    return t;
  }

  private login(t: FakeToken, pin: string): void {
    if (!t.initialized) throw new TokenError('TOKEN_NOT_INITIALIZED');
    if (t.userPinLocked) throw new TokenError('TOKEN_PIN_LOCKED');
    if (pin !== t.userPin) {
      this.wrongUserPinTries++;
      if (--t.userTriesLeft <= 0) t.userPinLocked = true;
      throw new TokenError(t.userPinLocked ? 'TOKEN_PIN_LOCKED' : 'TOKEN_PIN_INCORRECT');
    }
    t.userTriesLeft = 10;
  }

  private loginSo(t: FakeToken, soPin: string): void {
    if (soPin !== t.soPin) {
      this.wrongSoPinTries++;
      throw new TokenError('TOKEN_SO_PIN_INCORRECT');
    }
  }

  private key(t: FakeToken, id: Buffer): FakeKey {
    const k = t.keys.get(id.toString('hex'));
    if (!k) throw new TokenError('TOKEN_KEY_NOT_FOUND');
    return k;
  }

  private keyInfo(id: Buffer, k: FakeKey): KeyPairInfo {
    return {
      id: id.toString('hex'),
      label: k.label,
      algorithm: k.algorithm,
      spki: Buffer.from(k.spki),
      spkiSha256: createHash('sha256').update(k.spki).digest('hex'),
      evidence: {
        local: true,
        neverExtractable: true,
        alwaysSensitive: true,
        sensitive: true,
        extractable: false,
        ...this.evidenceOverride,
      },
    };
  }

  /** Keys made from now on report these attributes (a token that imports keys, or lets them be read). */
  evidenceOverride: Partial<KeyPairInfo['evidence']> = {};

  private session(t: FakeToken): FakeSession {
    return {
      token: t.summary(),
      findCertificates: () => [
        ...[...t.leaves.entries()].flatMap(([id, ders]) =>
          ders.map((der) => ({ id, label: '', cert: new X509Certificate(der) })),
        ),
        ...t.chain.map((der) => ({ id: '', label: '', cert: new X509Certificate(der) })),
      ],
      keyPair: (id) => this.keyInfo(id, this.key(t, id)),
      signer: (id) => {
        const k = this.key(t, id);
        return {
          algorithm: k.algorithm,
          sign: async (data: Buffer) => {
            this.log.push('usbKey.sign');
            if (this.inWriter !== t) throw new TokenError('TOKEN_REMOVED');
            return sign('sha256', data, k.privateKey);
          },
        };
      },
    };
  }

  async prepareBlankKeyAsync(
    where: string | { serial: string },
    opts: PrepareBlankKeyOptions,
  ): Promise<TokenSummary> {
    this.log.push('usbKey.prepareBlankKeyAsync');
    this.fault('prepareBlankKeyAsync', 'before');
    const t = this.token(where);
    if (t.initialized) {
      if (!opts.currentSoPin) throw new TokenError('TOKEN_ALREADY_INITIALIZED');
      this.loginSo(t, opts.currentSoPin);
    }
    t.initialized = true;
    t.label = opts.label;
    t.keys.clear();
    t.leaves.clear();
    t.chain.length = 0;
    t.soPin = deriveSoPin(opts.masterSecret, t.serial);
    t.userPin = typeof opts.transportPin === 'function' ? opts.transportPin(t.serial) : opts.transportPin;
    t.userPinLocked = false;
    this.fault('prepareBlankKeyAsync', 'after');
    return t.summary();
  }

  async keygen(
    ref: TokenRef,
    pin: string,
    opts: { algorithm: KeyAlgorithm; id: Buffer; label: string },
  ): Promise<KeyPairInfo> {
    this.log.push('usbKey.keygen');
    await this.hang('keygen');
    this.fault('keygen', 'before');
    const t = this.token(ref);
    this.login(t, pin);
    if (t.keys.has(opts.id.toString('hex'))) throw new TokenError('TOKEN_KEY_EXISTS');
    const pair =
      opts.algorithm === 'ec-p256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('rsa', { modulusLength: opts.algorithm === 'rsa3072' ? 3072 : 2048 });
    const k: FakeKey = {
      algorithm: opts.algorithm,
      label: opts.label,
      privateKey: pair.privateKey,
      spki: pair.publicKey.export({ type: 'spki', format: 'der' }),
    };
    t.keys.set(opts.id.toString('hex'), k);
    this.fault('keygen', 'after');
    return this.keyInfo(opts.id, k);
  }

  async csr(ref: TokenRef, pin: string, id: Buffer, profile: CsrProfile) {
    this.log.push('usbKey.csr');
    this.fault('csr', 'before');
    const t = this.token(ref);
    this.login(t, pin);
    const s = this.session(t);
    return buildCsr(s.keyPair(id).spki, profile, s.signer(id));
  }

  async objectsById(ref: TokenRef, pin: string, id: Buffer): Promise<ObjectsById> {
    this.log.push('usbKey.objectsById');
    this.fault('objectsById', 'before');
    const t = this.token(ref);
    this.login(t, pin);
    const has = t.keys.has(id.toString('hex')) ? 1 : 0;
    return {
      privateKeys: has,
      publicKeys: has,
      certificates: [
        ...(t.leaves.get(id.toString('hex')) ?? []).map((der) => ({
          id: id.toString('hex'),
          der,
          isLeaf: true,
        })),
        ...t.chain.map((der) => ({ id: '', der, isLeaf: false })),
      ],
    };
  }

  async withSession<T>(
    ref: TokenRef,
    pin: string | undefined,
    fn: (s: FakeSession) => T | Promise<T>,
  ): Promise<T> {
    this.log.push('usbKey.withSession');
    this.fault('withSession', 'before');
    const t = this.token(ref);
    if (!t.initialized) throw new TokenError('TOKEN_NOT_INITIALIZED');
    if (pin !== undefined) this.login(t, pin);
    const r = await fn(this.session(t));
    this.fault('withSession', 'after');
    return r;
  }

  async importCertificate(
    ref: TokenRef,
    pin: string,
    id: Buffer,
    cert: X509Certificate,
    chain: X509Certificate[] = [],
  ): Promise<ImportResult> {
    this.log.push('usbKey.importCertificate');
    await this.hang('importCertificate');
    this.fault('importCertificate', 'before');
    const t = this.token(ref);
    this.login(t, pin);
    const k = this.key(t, id);
    if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(k.spki)) {
      throw new TokenError('TOKEN_CERT_KEY_MISMATCH');
    }
    const leaves = t.leaves.get(id.toString('hex')) ?? [];
    let leafWritten = false;
    if (leaves.length) {
      if (!leaves.some((d) => d.equals(cert.raw))) throw new TokenError('TOKEN_CERT_EXISTS');
    } else {
      leaves.push(Buffer.from(cert.raw));
      t.leaves.set(id.toString('hex'), leaves);
      leafWritten = true;
    }
    let chainWritten = 0;
    for (const c of chain) {
      if (!t.chain.some((d) => d.equals(c.raw))) {
        t.chain.push(Buffer.from(c.raw));
        chainWritten++;
      }
    }
    this.fault('importCertificate', 'after');
    return { leafWritten, chainWritten };
  }

  async setPin(ref: TokenRef, oldPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    this.log.push('usbKey.setPin');
    await this.hang('setPin');
    if (policy && checkPin(newPin, policy).length) throw new TokenError('TOKEN_PIN_POLICY');
    this.fault('setPin', 'before');
    const t = this.token(ref);
    this.login(t, oldPin);
    t.userPin = newPin;
    this.fault('setPin', 'after');
  }

  async unlock(ref: TokenRef, soPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    this.log.push('usbKey.unlock');
    if (policy && checkPin(newPin, policy).length) throw new TokenError('TOKEN_PIN_POLICY');
    this.fault('unlock', 'before');
    const t = this.token(ref);
    this.loginSo(t, soPin);
    t.userPin = newPin;
    t.userPinLocked = false;
    t.userTriesLeft = 10;
    this.fault('unlock', 'after');
  }

  /** The driver's name for the SO reset the engine uses (same effect as unlock). */
  resetUserPin(ref: TokenRef, soPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    return this.unlock(ref, soPin, newPin, policy);
  }
}

// ---------- devices ----------

export class FakeDevices implements KioskDevices {
  /** The card on the reader (null: none). */
  card: IdCard | null = null;
  /** The printer fails (paper out) while set. */
  printerFault: Error | null = null;
  readonly printed: Receipt[] = [];

  constructor(
    private readonly log: CallLog,
    readonly driver: FakeUsbKey,
  ) {}

  async readIdCard(): Promise<IdCardReadResult> {
    this.log.push('devices.readIdCard');
    return this.card ? { state: 'card', card: structuredClone(this.card) } : { state: 'no-card' };
  }

  async idCardPresent(): Promise<boolean> {
    return this.card !== null;
  }

  blankToken(): { slotId: string; token: TokenSummary } | null {
    const t = this.driver.inserted;
    return t && !t.initialized ? { slotId: '1', token: t.summary() } : null;
  }

  keyInWriter(): { slotId: string; token: TokenSummary } | null {
    const t = this.driver.inserted;
    return t ? { slotId: '1', token: t.summary() } : null;
  }

  tokenPresent(serial: string): boolean {
    return this.driver.inserted?.serial === serial;
  }

  usbKey(): UsbKeyDriver {
    return this.driver as unknown as UsbKeyDriver;
  }

  tokenJob<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async printReceipt(receipt: Receipt): Promise<void> {
    this.log.push('devices.printReceipt');
    if (this.printerFault) throw this.printerFault;
    this.printed.push(receipt);
  }
}

// ---------- people, cards, orders ----------

/** A valid 18-character ID number from 17 digits (the check character computed). */
export function idNumber(first17: string): string {
  return first17 + idReader.idCheckCharacter(first17);
}

/** A resident ID card in the shape the reader driver produces. */
export function residentCard(name: string, id: string, over: Partial<Omit<IdCard, 'cardType'>> = {}): IdCard {
  return {
    cardType: 'resident',
    name,
    sex: 'male',
    nation: '汉',
    nationCode: '01',
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    address: '广东省深圳市福田区福华路1号',
    idNumber: id,
    authority: '深圳市公安局福田分局',
    validFrom: '2020-01-01',
    validTo: '2040-01-01',
    photo: new Uint8Array(16),
    ...over,
  } as IdCard;
}

export const HOLDER = { name: '张伟', idNumber: idNumber('44030519900101123') };
export const HALL = 'SZ-FUTIAN';
export const HOLDER_PIN = '385172';

export function kioskOrder(over: Partial<Order> = {}): Order {
  const t = '2025-06-01T08:00:00.000Z';
  return {
    id: 'ORD-20250601-0001',
    status: 'approved',
    certificateType: 'natural-person',
    businessType: 'new',
    serviceYears: 1,
    hall: HALL,
    delivery: 'kiosk',
    priceFen: 30000,
    applicant: { name: HOLDER.name, phone: '13800000000' },
    holder: { ...HOLDER },
    holderVerifiedOnline: false,
    createdAt: t,
    submittedAt: t,
    updatedAt: t,
    ...over,
  };
}

// ---------- the whole kiosk ----------

export const PIN_POLICY: PinPolicy = {
  minLength: 6,
  maxLength: 8,
  digitsOnly: true,
  forbidSequences: true,
  forbidRepeated: true,
};

export interface FakeKiosk {
  log: CallLog;
  clock: FakeClock;
  store: FakeStore;
  central: FakeCentral;
  events: FakeEventSink;
  driver: FakeUsbKey;
  devices: FakeDevices;
  applianceKey: FakeApplianceKey;
  options: EngineOptions;
  engine: PickupEngine;
  order: Order;
  /** The order's current pickup code. */
  code: string;
  card: IdCard;
  /** A new engine on the same fakes (the same store, or a store opened on `durableJson` after a "crash"). */
  newEngine(durableJson?: string): PickupEngine;
}

export async function fakeKiosk(
  opts: { order?: Partial<Order>; card?: IdCard; engine?: Partial<EngineOptions> } = {},
): Promise<FakeKiosk> {
  const log: CallLog = [];
  const clock = new FakeClock();
  const central = await FakeCentral.create(log, clock, HALL);
  const order = kioskOrder(opts.order);
  const code = central.addOrder(order);
  const store = new FakeStore(emptyState());
  const events = new FakeEventSink(log);
  const driver = new FakeUsbKey(log);
  const devices = new FakeDevices(log, driver);
  const applianceKey = new FakeApplianceKey(log);
  const options: EngineOptions = {
    applianceId: 'KIOSK-TEST-01',
    hall: HALL,
    centralUrl: 'https://central.test/',
    pickupPublicKeyPem: central.pickupPublicKeyPem,
    pinPolicy: PIN_POLICY,
    soPinMasterSecret: Buffer.alloc(32, 7),
    blankKeySoPin: null,
    idHashKey: (await deriveApplianceSecrets(applianceKey)).idHashKey,
    maxIdAttempts: 3,
    centralRetry: { initialMs: 2_000, maxMs: 60_000 },
    centralWaitLimitMs: 3 * 60_000,
    now: clock.now,
    ...opts.engine,
  };
  const kiosk: FakeKiosk = {
    log,
    clock,
    store,
    central,
    events,
    driver,
    devices,
    applianceKey,
    options,
    order,
    code,
    card: opts.card ?? residentCard(HOLDER.name, HOLDER.idNumber),
    engine: undefined as unknown as PickupEngine,
    newEngine(durableJson) {
      if (durableJson !== undefined) kiosk.store = new FakeStore(durableJson);
      kiosk.engine = new PickupEngine(kiosk.store, central, events, devices, applianceKey, options);
      return kiosk.engine;
    },
  };
  kiosk.newEngine();
  return kiosk;
}

/**
 * Do once what the applicant (or the autopilot) would for what the current view needs: scan the code, confirm,
 * put the card on the reader, put a blank key into the writer, enter the PIN, or wait for central's retry time.
 * Returns false when the journey is no longer active (nothing to do).
 */
export async function nextAction(k: FakeKiosk, opts: { pin?: string } = {}): Promise<boolean> {
  const e = k.engine;
  const v = e.view();
  if (v && v.status !== 'active') return false;
  const need = v?.need ?? 'scan';
  switch (need) {
    case 'scan':
      await e.scan(k.code);
      break;
    case 'confirm-order':
      await e.confirm();
      break;
    case 'id-card':
      k.devices.card = k.card;
      await e.readIdentity();
      break;
    case 'token':
      if (!k.devices.blankToken()) k.driver.insertBlank();
      await e.personaliseToken();
      break;
    case 'pin':
      await e.setPin(opts.pin ?? HOLDER_PIN);
      break;
    case 'wait':
      if (v?.waiting?.nextRetryAt) {
        const due = Date.parse(v.waiting.nextRetryAt);
        if (due > k.clock.ms) k.clock.ms = due;
        await e.retryWaiting();
      } else {
        await e.retry();
      }
      break;
    default:
      throw new Error(`the journey needs "${need}"; nothing the applicant can do`);
  }
  return true;
}

/** `nextAction` until the journey ends (or needs `until`); the last view. */
export async function driveToEnd(
  k: FakeKiosk,
  opts: { pin?: string; maxActions?: number; until?: JourneyView['need'] } = {},
): Promise<JourneyView | null> {
  for (let i = 0; i < (opts.maxActions ?? 40); i++) {
    const v = k.engine.view();
    if (opts.until && v?.status === 'active' && v.need === opts.until) return v;
    if (!(await nextAction(k, opts))) return k.engine.view();
  }
  throw new Error(`the journey did not end: ${JSON.stringify(k.engine.view())}`);
}
