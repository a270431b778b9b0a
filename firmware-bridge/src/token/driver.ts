// The USB-key driver: the personalisation steps the appliance and the CLI ask for, each opening its own
// session, logging in, and translating every failure into a TokenError. Each step takes its turn at the
// module (Pkcs11Module.exclusive): steps, polls and rescans never run inside the module at the same time.
import { randomBytes, type X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkPin, type PinPolicy } from '@certkiosk/config';
import { type BuiltCsr, buildCsr, type CsrProfile } from './csr.js';
import { TokenError, toTokenError } from './errors.js';
import { Pkcs11Module, type SlotSummary, slotHandle, slotIdString, type TokenSummary } from './module.js';
import type { KeyAlgorithm } from './public-key.js';
import { type KeyPairInfo, type ObjectsById, type TokenObjectSummary, TokenSession } from './session.js';
import { deriveSoPin } from './so-pin.js';

export type TokenRef = { label: string } | { serial: string };

export interface TokenInfoReport {
  token: TokenSummary;
  objects: TokenObjectSummary[];
  keys: Array<Omit<KeyPairInfo, 'spki'> & { spkiSha256: string }>;
  certificates: Array<{
    id: string;
    label: string;
    subject: string;
    issuer: string;
    serial: string;
    validTo: string;
  }>;
}

export interface InitTokenOptions {
  label: string;
  soPin: string;
  userPin: string;
  userPinPolicy?: PinPolicy;
}

export interface PrepareBlankKeyOptions {
  label: string;
  masterSecret: Buffer;
  /**
   * The transport user PIN, or how to derive it from the token's serial (known only after initialisation on
   * tokens such as SoftHSM's): e.g. `(serial) => deriveTransportPin(master, serial)`.
   */
  transportPin: string | ((serial: string) => string);
  currentSoPin?: string;
}

/** What `importCertificate` wrote: false where the object was already on the key. */
export interface ImportResult {
  leafWritten: boolean;
  /** Chain certificates written now (those already on the key by value are not counted). */
  chainWritten: number;
}

export type SlotEvent =
  | { type: 'inserted'; slotId: string; token: TokenSummary }
  | { type: 'removed'; serial: string; label: string };

function policyError(pin: string, policy: PinPolicy | undefined): void {
  if (!policy) return;
  const problems = checkPin(pin, policy);
  if (problems.length) {
    throw new TokenError(
      'TOKEN_PIN_POLICY',
      `The new PIN does not meet the PIN policy (${problems.join(', ')}): use ${policy.minLength}–${policy.maxLength} ${
        policy.digitsOnly ? 'digits' : 'characters'
      }, not a run like 123456 or 111111.`,
      { problems },
    );
  }
}

export class UsbKeyDriver {
  private constructor(readonly module: Pkcs11Module) {}

  static open(modulePath: string): UsbKeyDriver {
    return new UsbKeyDriver(Pkcs11Module.load(modulePath));
  }

  /** Finalise the module (once the calls already queued are done). */
  close(): void {
    this.module.close();
  }

  /** Every slot. Never waits: while the module is busy, the last listing. */
  slots(): SlotSummary[] {
    return this.module.listSlots(false);
  }

  /** Every slot, listed in the module's next turn. */
  slotsAsync(): Promise<SlotSummary[]> {
    return this.module.listSlotsAsync(false);
  }

  /**
   * Run `fn` in a fresh session on the token, with the module to itself until `fn` settles; logs in as user
   * when `pin` is given.
   */
  withSession<T>(
    ref: TokenRef,
    pin: string | undefined,
    fn: (s: TokenSession) => T | Promise<T>,
    opts: { expectPublicKey?: { id: Buffer; spkiSha256: string } } = {},
  ): Promise<T> {
    return this.module.exclusive(async () => {
      const session = TokenSession.open(this.module, ref);
      try {
        const expect = opts.expectPublicKey;
        // A token that merely claims the serial or label gets no PIN: its public key is checked first.
        if (expect && session.publicKeySha256(expect.id) !== expect.spkiSha256) {
          throw new TokenError('TOKEN_IDENTITY_MISMATCH', undefined, { serial: session.token.serial });
        }
        if (pin !== undefined) session.loginUser(pin);
        return await fn(session);
      } finally {
        session.close();
      }
    });
  }

  /**
   * C_InitToken + C_InitPIN. A fresh token takes `soPin` as its SO-PIN; an initialised one must already
   * have it (re-initialising wipes it). Synchronous: TOKEN_BUSY while the module is busy (`initTokenAsync`
   * waits for its turn).
   */
  initToken(slotId: string, opts: InitTokenOptions): TokenSummary {
    return this.module.callSync(() => this.initTokenNow(slotId, opts));
  }

  initTokenAsync(slotId: string, opts: InitTokenOptions): Promise<TokenSummary> {
    return this.module.exclusive(() => this.initTokenNow(slotId, opts));
  }

  private initTokenNow(slotId: string, opts: InitTokenOptions): TokenSummary {
    policyError(opts.userPin, opts.userPinPolicy);
    const token = this.initTokenObject(slotId, opts.label, opts.soPin);
    this.asSo(token.serial, opts.soPin, (s) => s.initUserPin(opts.userPin));
    return this.module.findToken({ serial: token.serial }).token;
  }

  /** One SO session on the token: log in, run `fn`, close. */
  private asSo(serial: string, soPin: string, fn: (s: TokenSession) => void): void {
    const session = TokenSession.open(this.module, { serial });
    try {
      session.loginSO(soPin);
      fn(session);
    } finally {
      session.close();
    }
  }

  /** C_InitToken, then the token found again (SoftHSM moves it to a new slot and gives it its serial). */
  private initTokenObject(slotId: string, label: string, soPin: string): TokenSummary {
    if (!label || Buffer.byteLength(label) > 32) {
      throw new TokenError('TOKEN_BAD_ARGUMENT', 'A token label must be 1–32 bytes long.');
    }
    const slot = slotHandle(slotId);
    const before = this.module.tokenInfo(slot);
    if (!before) throw new TokenError('TOKEN_NOT_PRESENT', `No USB key is in slot ${slotId}.`, { slotId });
    const serialsBefore = new Set(this.module.listSlots(true).map((x) => x.token?.serial));
    try {
      // PKCS#11 labels are 32 bytes padded with blanks; pkcs11js would pad with NULs.
      const padded = Buffer.alloc(32, ' ');
      padded.write(label, 'utf8');
      this.module.api.C_InitToken(slot, soPin, padded.toString('utf8'));
    } catch (err) {
      throw toTokenError(err, 'token initialisation', {
        so: true,
        stillPresent: () => !!this.module.tokenInfo(slot),
      });
    }
    // SoftHSM moves a freshly initialised token to a new slot id (and only then gives it a serial): find it
    // again by its serial, or by label among the tokens that were not there before. Another key may
    // carry the same label.
    const token = before.serial
      ? this.module.findToken({ serial: before.serial }).token
      : this.module
          .listSlots(true)
          .find((x) => x.token?.label === label && !serialsBefore.has(x.token.serial))?.token;
    if (!token)
      throw new TokenError('TOKEN_REMOVED', 'The USB key disappeared during initialisation.', { slotId });
    return token;
  }

  /**
   * Prepare a blank key for an applicant: initialise it with an SO-PIN derived from the master secret and
   * the token's own serial, and a transport user PIN. Tokens that only get a serial at initialisation
   * (SoftHSM) are initialised with a one-time SO-PIN first, which is then replaced by the derived one.
   * Synchronous: TOKEN_BUSY while the module is busy (`prepareBlankKeyAsync` waits for its turn).
   */
  prepareBlankKey(where: string | { serial: string }, opts: PrepareBlankKeyOptions): TokenSummary {
    return this.module.callSync(() => this.prepareBlankKeyNow(where, opts));
  }

  prepareBlankKeyAsync(
    where: string | { serial: string },
    opts: PrepareBlankKeyOptions,
  ): Promise<TokenSummary> {
    return this.module.exclusive(() => this.prepareBlankKeyNow(where, opts));
  }

  private prepareBlankKeyNow(where: string | { serial: string }, opts: PrepareBlankKeyOptions): TokenSummary {
    // By serial where there is one: slot ids can change between looking and acting (SoftHSM rescans).
    const slotId = typeof where === 'string' ? where : slotIdString(this.module.findToken(where).slot);
    const slot = slotHandle(slotId);
    const before = this.module.tokenInfo(slot);
    if (!before) throw new TokenError('TOKEN_NOT_PRESENT', `No USB key is in slot ${slotId}.`, { slotId });
    if (before.flags.initialized && !opts.currentSoPin) {
      throw new TokenError(
        'TOKEN_ALREADY_INITIALIZED',
        'The USB key is already initialised and its SO-PIN is not known.',
      );
    }
    const knownSerial = before.serial;
    const firstSoPin = before.flags.initialized
      ? opts.currentSoPin!
      : knownSerial
        ? deriveSoPin(opts.masterSecret, knownSerial)
        : randomBytes(12).toString('base64url');
    const token = this.initTokenObject(slotId, opts.label, firstSoPin);
    const derived = deriveSoPin(opts.masterSecret, token.serial);
    const transportPin =
      typeof opts.transportPin === 'function' ? opts.transportPin(token.serial) : opts.transportPin;
    // One SO session: the derived SO-PIN first (a crash after it leaves a key the SO can still recover),
    // then the transport PIN.
    this.asSo(token.serial, firstSoPin, (s) => {
      if (derived !== firstSoPin) s.setPin(firstSoPin, derived, true);
      s.initUserPin(transportPin);
    });
    return this.module.findToken({ serial: token.serial }).token;
  }

  keygen(
    ref: TokenRef,
    pin: string,
    opts: { algorithm: KeyAlgorithm; id: Buffer; label: string },
  ): Promise<KeyPairInfo> {
    return this.withSession(ref, pin, (s) => s.generateKeyPair(opts));
  }

  csr(ref: TokenRef, pin: string, id: Buffer, profile: CsrProfile): Promise<BuiltCsr> {
    return this.withSession(ref, pin, async (s) => buildCsr(s.keyPair(id).spki, profile, s.signer(id)));
  }

  /**
   * Write the certificate of key `id` and its chain. Idempotent: a certificate already stored under `id`
   * with the same DER is not written again, nor a chain certificate already on the key by value; a
   * different certificate under `id` is refused (TOKEN_CERT_EXISTS) and nothing is written.
   */
  importCertificate(
    ref: TokenRef,
    pin: string,
    id: Buffer,
    cert: X509Certificate,
    chain: X509Certificate[] = [],
  ): Promise<ImportResult> {
    return this.withSession(ref, pin, (s) => s.writeCertificate(id, cert, chain));
  }

  /** What is on the key under `id`: key objects, the leaf certificate(s) and the CA certificates chaining it. */
  objectsById(ref: TokenRef, pin: string, id: Buffer): Promise<ObjectsById> {
    return this.withSession(ref, pin, (s) => s.objectsById(id));
  }

  async setPin(ref: TokenRef, oldPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    policyError(newPin, policy);
    return this.withSession(ref, oldPin, (s) => s.setPin(oldPin, newPin));
  }

  /**
   * Unlock a locked user PIN, or reset a forgotten one (e.g. left unknown by a crash during C_SetPIN): SO
   * login, C_InitPIN. The user PIN is never tried, so no user-PIN try is spent.
   */
  async unlock(ref: TokenRef, soPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    policyError(newPin, policy);
    return this.withSession(ref, undefined, (s) => {
      s.loginSO(soPin);
      s.initUserPin(newPin);
    });
  }

  /** Set a new user PIN with the SO-PIN when the current one is unknown: the same as `unlock`. */
  resetUserPin(ref: TokenRef, soPin: string, newPin: string, policy?: PinPolicy): Promise<void> {
    return this.unlock(ref, soPin, newPin, policy);
  }

  info(ref: TokenRef, pin?: string): Promise<TokenInfoReport> {
    return this.withSession(ref, pin, (s) => {
      const objects = s.listObjects();
      const keyIds = [...new Set(objects.filter((o) => o.class === 'private-key').map((o) => o.id))];
      const keys = keyIds.map((id) => {
        const { spki: _spki, ...rest } = s.keyPair(Buffer.from(id, 'hex'));
        return rest;
      });
      const certificates = s.findCertificates().map((c) => ({
        id: c.id,
        label: c.label,
        subject: c.cert.subject,
        issuer: c.cert.issuer,
        serial: c.cert.serialNumber,
        validTo: c.cert.validTo,
      }));
      return { token: s.token, objects, keys, certificates };
    });
  }

  /**
   * Watch for keys being inserted and removed. Polls the slot list (and C_WaitForSlotEvent without
   * blocking, where the module reports events); `rescan` re-initialises modules that only notice
   * new tokens that way (SoftHSM) while no session is open.
   */
  watch(opts: { intervalMs: number; rescan?: boolean }): SlotWatcher {
    return new SlotWatcher(this.module, opts.intervalMs, opts.rescan ?? false);
  }
}

export class SlotWatcher extends EventEmitter<{ event: [SlotEvent]; error: [Error] }> {
  private known = new Map<string, TokenSummary>();
  private timer: NodeJS.Timeout | undefined;
  private deferred = false;

  constructor(
    private readonly module: Pkcs11Module,
    intervalMs: number,
    private readonly rescan: boolean,
  ) {
    super();
    this.snapshot(true);
    // The timer must not run in the turn of whoever started the watcher.
    this.timer = module.detached(() => setInterval(() => this.tick(), intervalMs));
    this.timer.unref();
  }

  /** Tokens currently in view, by serial. */
  present(): TokenSummary[] {
    return [...this.known.values()];
  }

  /**
   * Look once: slot event, rescan if asked, slot list. Never enters a busy module: the look is deferred to
   * the module's next turn instead (at most one deferred look at a time).
   */
  tick(): void {
    if (!this.module.busy) {
      this.look();
      return;
    }
    if (this.deferred) return;
    this.deferred = true;
    this.module
      .exclusive(() => this.look())
      .catch((err) => this.fail(err))
      .finally(() => {
        this.deferred = false;
      });
  }

  private look(): void {
    if (!this.timer) return; // stopped while the look waited for its turn
    try {
      this.module.callSync(() => {
        this.module.pollSlotEvent();
        if (this.rescan) this.module.rescan();
        this.snapshot(false);
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.listenerCount('error')) this.emit('error', err as Error);
  }

  private snapshot(initial: boolean): void {
    let slots: SlotSummary[];
    try {
      slots = this.module.listSlots(true);
    } catch (err) {
      if (this.listenerCount('error')) this.emit('error', err as Error);
      return;
    }
    const now = new Map<string, { slotId: string; token: TokenSummary }>();
    for (const s of slots)
      if (s.token?.flags.initialized && s.token.serial)
        now.set(s.token.serial, { slotId: s.slotId, token: s.token });
    for (const [serial, t] of this.known) {
      if (!now.has(serial)) {
        this.known.delete(serial);
        this.emit('event', { type: 'removed', serial, label: t.label });
      }
    }
    for (const [serial, { slotId, token }] of now) {
      const isNew = !this.known.has(serial);
      this.known.set(serial, token);
      if (isNew && !initial) this.emit('event', { type: 'inserted', slotId, token });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
