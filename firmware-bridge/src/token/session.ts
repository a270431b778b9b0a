// A session on one token: the typed operations the rest of the system may ask for.
// Raw handles and attribute juggling stay in here.
import { createHash, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import pkcs11js from 'pkcs11js';
import { ecdsaRawToDer, type Signer } from './csr.js';
import { TokenError, toTokenError } from './errors.js';
import type { Handle, Pkcs11Module, TokenSummary } from './module.js';
import {
  ecP256Spki,
  type KeyAlgorithm,
  P256_PARAMS,
  parseCertificate,
  rsaSpki,
  spkiSha256,
} from './public-key.js';

export interface KeyEvidence {
  /** CKA_LOCAL: generated on the token. */
  local: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  sensitive: boolean;
  extractable: boolean;
}

export interface KeyPairInfo {
  id: string;
  label: string;
  algorithm: KeyAlgorithm;
  spki: Buffer;
  spkiSha256: string;
  evidence: KeyEvidence;
}

/** The objects stored under one key id (see TokenSession.objectsById). */
export interface ObjectsById {
  privateKeys: number;
  publicKeys: number;
  /** Leaf certificates (CKA_ID = the key id) first, then the CA certificates chaining them. */
  certificates: Array<{ id: string; der: Buffer; isLeaf: boolean }>;
}

export interface TokenObjectSummary {
  class: 'private-key' | 'public-key' | 'certificate' | 'data' | 'secret-key' | 'other';
  label: string;
  id: string;
  keyType?: 'rsa' | 'ec' | 'other';
  /** For keys: the security attributes; for certificates: subject/serial/validity. */
  attributes: Record<string, unknown>;
}

const CLASS_NAMES: Record<number, TokenObjectSummary['class']> = {
  [pkcs11js.CKO_PRIVATE_KEY]: 'private-key',
  [pkcs11js.CKO_PUBLIC_KEY]: 'public-key',
  [pkcs11js.CKO_CERTIFICATE]: 'certificate',
  [pkcs11js.CKO_DATA]: 'data',
  [pkcs11js.CKO_SECRET_KEY]: 'secret-key',
};

const bool = (b: Buffer | undefined) => !!b && b.length > 0 && b[0] !== 0;
const ulong = (b: Buffer | undefined) => (b && b.length >= 4 ? b.readUInt32LE(0) : -1);

export class TokenSession {
  private closed = false;
  /** Key pairs already looked up in this session, by CKA_ID hex: saves repeated searches. */
  private readonly keys = new Map<string, { priv: Handle; pub: Handle; info: KeyPairInfo }>();

  constructor(
    readonly module: Pkcs11Module,
    readonly slot: Handle,
    readonly token: TokenSummary,
    private readonly handle: Handle,
  ) {}

  static open(mod: Pkcs11Module, by: { label?: string; serial?: string }): TokenSession {
    const { slot, token } = mod.findToken(by);
    if (!token.flags.initialized) throw new TokenError('TOKEN_NOT_INITIALIZED', undefined, { ...by });
    try {
      return new TokenSession(mod, slot, token, mod.openSession(slot, true));
    } catch (err) {
      throw toTokenError(err, 'open session', { stillPresent: () => mod.isPresent(token.serial) });
    }
  }

  private get api() {
    return this.module.api;
  }

  /**
   * Run PKCS#11 calls in the module's current turn (TOKEN_BUSY from outside one while the module is busy);
   * anything they throw becomes a TokenError (TOKEN_REMOVED if the key is gone).
   */
  private call<T>(op: string, fn: () => T, so = false): T {
    if (this.closed) throw new TokenError('TOKEN_FAILED', `The session was closed before ${op}.`);
    return this.module.callSync(() => {
      try {
        return fn();
      } catch (err) {
        throw this.wrap(err, op, so);
      }
    });
  }

  /** An *Async call (on a worker thread): in the current turn, or queued for one. */
  private async callAsync<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TokenError('TOKEN_FAILED', `The session was closed before ${op}.`);
    try {
      return await this.module.callAsync(fn);
    } catch (err) {
      throw this.wrap(err, op, false);
    }
  }

  private wrap(err: unknown, op: string, so: boolean): TokenError {
    const e = toTokenError(err, op, { so, stillPresent: () => this.module.isPresent(this.token.serial) });
    if (e.code === 'TOKEN_PIN_INCORRECT' || e.code === 'TOKEN_SO_PIN_INCORRECT') {
      const now = this.module.tokenInfo(this.slot);
      const f = now?.flags;
      const locked = so ? f?.soPinLocked : f?.userPinLocked;
      if (locked) return new TokenError('TOKEN_PIN_LOCKED', undefined, { ...e.details, so });
      const finalTry = so ? f?.soPinFinalTry : f?.userPinFinalTry;
      const countLow = so ? f?.soPinCountLow : f?.userPinCountLow;
      const triesLeft = finalTry ? 1 : undefined;
      const which = so ? 'security-officer PIN' : 'PIN';
      const msg = finalTry
        ? `The ${which} is wrong. One try is left before the USB key locks.`
        : countLow
          ? `The ${which} is wrong. Few tries are left before the USB key locks.`
          : undefined;
      return new TokenError(e.code, msg, { ...e.details, triesLeft, countLow: !!countLow });
    }
    return e;
  }

  loginUser(pin: string): void {
    this.login(pkcs11js.CKU_USER, pin, false);
  }

  loginSO(soPin: string): void {
    this.login(pkcs11js.CKU_SO, soPin, true);
  }

  private login(userType: number, pin: string, so: boolean): void {
    this.call(
      so ? 'SO login' : 'login',
      () => {
        try {
          this.api.C_Login(this.handle, userType, pin);
        } catch (err) {
          if ((err as Error).message !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
        }
      },
      so,
    );
  }

  logout(): void {
    this.module.callSync(() => {
      try {
        this.api.C_Logout(this.handle);
      } catch {
        // not logged in, or gone
      }
    });
  }

  /** C_SetPIN on the logged-in user (or SO, when logged in as SO). */
  setPin(oldPin: string, newPin: string, so = false): void {
    this.call(so ? 'SO PIN change' : 'PIN change', () => this.api.C_SetPIN(this.handle, oldPin, newPin), so);
  }

  /** C_InitPIN: set the user PIN. Needs an SO login. */
  initUserPin(newPin: string): void {
    this.call('user PIN initialisation', () => this.api.C_InitPIN(this.handle, newPin));
  }

  // ---------- objects ----------

  private find(template: pkcs11js.Template, max = 100): Handle[] {
    return this.call('object search', () => {
      this.api.C_FindObjectsInit(this.handle, template);
      try {
        return this.api.C_FindObjects(this.handle, max);
      } finally {
        this.api.C_FindObjectsFinal(this.handle);
      }
    });
  }

  private attrs(obj: Handle, types: number[]): Map<number, Buffer> {
    return this.module.callSync(() => this.readAttrs(obj, types));
  }

  private readAttrs(obj: Handle, types: number[]): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    try {
      for (const r of this.api.C_GetAttributeValue(
        this.handle,
        obj,
        types.map((type) => ({ type })),
      )) {
        if (r.value) out.set(r.type, r.value as Buffer);
      }
      return out;
    } catch {
      // fall through: read one by one so one sensitive or unknown attribute does not hide the rest
    }
    for (const type of types) {
      // One at a time: a sensitive attribute refuses the whole batch otherwise.
      try {
        const [r] = this.api.C_GetAttributeValue(this.handle, obj, [{ type }]);
        if (r?.value) out.set(type, r.value as Buffer);
      } catch (err) {
        const ckr = (err as Error).message;
        if (ckr === 'CKR_ATTRIBUTE_SENSITIVE' || ckr === 'CKR_ATTRIBUTE_TYPE_INVALID') continue;
        throw this.wrap(err, 'attribute read', false);
      }
    }
    return out;
  }

  private findKey(cls: number, id: Buffer): Handle | undefined {
    return this.find([
      { type: pkcs11js.CKA_CLASS, value: cls },
      { type: pkcs11js.CKA_ID, value: id },
    ])[0];
  }

  async generateKeyPair(opts: { algorithm: KeyAlgorithm; id: Buffer; label: string }): Promise<KeyPairInfo> {
    const { algorithm, id, label } = opts;
    if (!id.length) throw new TokenError('TOKEN_BAD_ARGUMENT', 'A key id (CKA_ID) must not be empty.');
    if (this.find([{ type: pkcs11js.CKA_ID, value: id }], 1).length) {
      throw new TokenError(
        'TOKEN_KEY_EXISTS',
        `A key with id ${id.toString('hex')} already exists on the USB key.`,
      );
    }
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    const isRsa = algorithm !== 'ec-p256';
    const publicTemplate: pkcs11js.Template = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_LABEL, value: `${label} (public)` },
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      ...(isRsa
        ? [
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
            { type: pkcs11js.CKA_MODULUS_BITS, value: algorithm === 'rsa3072' ? 3072 : 2048 },
            { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          ]
        : [
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
            { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
          ]),
    ];
    const privateTemplate: pkcs11js.Template = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: isRsa ? pkcs11js.CKK_RSA : pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
    ];
    const mechanism = {
      mechanism: isRsa ? pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN,
    };
    // The async call keeps the event loop free during the (long) RSA generation.
    const pair = await this.callAsync('key generation', () =>
      this.api.C_GenerateKeyPairAsync(this.handle, mechanism, publicTemplate, privateTemplate),
    );
    return this.describeKeyPair(id, pair.privateKey, pair.publicKey);
  }

  /** The key pair with this CKA_ID, its public key as SPKI, and the on-token evidence. */
  /** SHA-256 of the public key object `id`'s SubjectPublicKeyInfo: readable before any login. */
  publicKeySha256(id: Buffer): string | undefined {
    const pub = this.findKey(pkcs11js.CKO_PUBLIC_KEY, id);
    if (!pub) return undefined;
    const keyType = ulong(this.attrs(pub, [pkcs11js.CKA_KEY_TYPE]).get(pkcs11js.CKA_KEY_TYPE));
    if (keyType === pkcs11js.CKK_EC) {
      const point = this.attrs(pub, [pkcs11js.CKA_EC_POINT]).get(pkcs11js.CKA_EC_POINT);
      return point ? spkiSha256(ecP256Spki(point)) : undefined;
    }
    if (keyType === pkcs11js.CKK_RSA) {
      const p = this.attrs(pub, [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT]);
      const n = p.get(pkcs11js.CKA_MODULUS);
      const e = p.get(pkcs11js.CKA_PUBLIC_EXPONENT);
      return n && e ? spkiSha256(rsaSpki(n, e)) : undefined;
    }
    return undefined;
  }

  keyPair(id: Buffer): KeyPairInfo {
    return this.keyHandles(id).info;
  }

  private keyHandles(id: Buffer): { priv: Handle; pub: Handle; info: KeyPairInfo } {
    const cached = this.keys.get(id.toString('hex'));
    if (cached) return cached;
    const priv = this.findKey(pkcs11js.CKO_PRIVATE_KEY, id);
    const pub = this.findKey(pkcs11js.CKO_PUBLIC_KEY, id);
    if (!priv || !pub) {
      throw new TokenError(
        'TOKEN_KEY_NOT_FOUND',
        `No key pair with id ${id.toString('hex')} is on the USB key (log in first?).`,
      );
    }
    this.describeKeyPair(id, priv, pub);
    return this.keys.get(id.toString('hex'))!;
  }

  private describeKeyPair(id: Buffer, priv: Handle, pub: Handle): KeyPairInfo {
    // The key type first, then only the attributes that type has (asking for others makes the module fail).
    const keyType = ulong(this.attrs(pub, [pkcs11js.CKA_KEY_TYPE]).get(pkcs11js.CKA_KEY_TYPE));
    const p = this.attrs(
      pub,
      keyType === pkcs11js.CKK_RSA
        ? [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT]
        : [pkcs11js.CKA_EC_POINT],
    );
    let spki: Buffer;
    let algorithm: KeyAlgorithm;
    if (keyType === pkcs11js.CKK_RSA) {
      const modulus = p.get(pkcs11js.CKA_MODULUS)!;
      spki = rsaSpki(modulus, p.get(pkcs11js.CKA_PUBLIC_EXPONENT)!);
      let bits = modulus.length * 8;
      if (modulus[0] === 0) bits -= 8;
      algorithm = bits > 2048 ? 'rsa3072' : 'rsa2048';
    } else if (keyType === pkcs11js.CKK_EC) {
      spki = ecP256Spki(p.get(pkcs11js.CKA_EC_POINT)!);
      algorithm = 'ec-p256';
    } else {
      throw new TokenError(
        'TOKEN_MECHANISM_UNSUPPORTED',
        `Key ${id.toString('hex')} has an unsupported key type.`,
      );
    }
    const { label, evidence } = this.privateKeyFacts(priv);
    const info: KeyPairInfo = {
      id: id.toString('hex'),
      label,
      algorithm,
      spki,
      spkiSha256: spkiSha256(spki),
      evidence,
    };
    this.keys.set(info.id, { priv, pub, info });
    return info;
  }

  private privateKeyFacts(priv: Handle): { label: string; evidence: KeyEvidence } {
    const a = this.attrs(priv, [
      pkcs11js.CKA_LABEL,
      pkcs11js.CKA_LOCAL,
      pkcs11js.CKA_NEVER_EXTRACTABLE,
      pkcs11js.CKA_ALWAYS_SENSITIVE,
      pkcs11js.CKA_SENSITIVE,
      pkcs11js.CKA_EXTRACTABLE,
    ]);
    return {
      label: a.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
      evidence: {
        local: bool(a.get(pkcs11js.CKA_LOCAL)),
        neverExtractable: bool(a.get(pkcs11js.CKA_NEVER_EXTRACTABLE)),
        alwaysSensitive: bool(a.get(pkcs11js.CKA_ALWAYS_SENSITIVE)),
        sensitive: bool(a.get(pkcs11js.CKA_SENSITIVE)),
        extractable: bool(a.get(pkcs11js.CKA_EXTRACTABLE)),
      },
    };
  }

  /** A Signer backed by the private key with this id (SHA-256; hashing is done on the host for EC). */
  signer(id: Buffer): Signer {
    const { info, priv } = this.keyHandles(id);
    const isRsa = info.algorithm !== 'ec-p256';
    return {
      algorithm: info.algorithm,
      sign: async (data: Buffer) => {
        const input = isRsa ? data : createHash('sha256').update(data).digest();
        const mechanism = { mechanism: isRsa ? pkcs11js.CKM_SHA256_RSA_PKCS : pkcs11js.CKM_ECDSA };
        const sig = await this.callAsync('signature', async () => {
          this.api.C_SignInit(this.handle, mechanism, priv);
          return this.api.C_SignAsync(this.handle, input, Buffer.alloc(isRsa ? 512 : 132));
        });
        return isRsa ? sig : ecdsaRawToDer(sig);
      },
    };
  }

  /**
   * Write the certificate for key `id` (and optionally its chain). Refuses a certificate whose public key
   * is not this key's. Safe to repeat (after a crash, say): the same certificate already under `id` is not
   * written again, nor a chain certificate already on the token (compared by value); a different
   * certificate under `id` is refused (TOKEN_CERT_EXISTS) and nothing is written.
   */
  writeCertificate(
    id: Buffer,
    cert: X509Certificate,
    chain: X509Certificate[] = [],
    label?: string,
  ): { leafWritten: boolean; chainWritten: number } {
    const key = this.keyPair(id);
    // The certificate's SubjectPublicKeyInfo, byte for byte, must be the token key's.
    const parts = tbsParts(cert.raw);
    if (!parts.spki.equals(key.spki)) {
      throw new TokenError('TOKEN_CERT_KEY_MISMATCH', undefined, {
        keySpkiSha256: key.spkiSha256,
        certSpkiSha256: spkiSha256(parts.spki),
      });
    }
    const stored = this.certificateValues();
    const underId = stored.filter((c) => c.id.equals(id));
    const other = underId.find((c) => !c.der.equals(cert.raw));
    if (other) {
      throw new TokenError(
        'TOKEN_CERT_EXISTS',
        `A different certificate is already stored for key ${id.toString('hex')} on the USB key.`,
        {
          id: id.toString('hex'),
          storedSha256: createHash('sha256').update(other.der).digest('hex'),
          newSha256: createHash('sha256').update(cert.raw).digest('hex'),
        },
      );
    }
    const leafWritten = underId.length === 0;
    if (leafWritten) this.createCertificateObject(cert, id, label ?? key.label, 1, parts);
    const onToken = [...stored.map((c) => c.der), cert.raw];
    let chainWritten = 0;
    for (const ca of chain) {
      if (onToken.some((der) => der.equals(ca.raw))) continue;
      const caId = createHash('sha1').update(tbsParts(ca.raw).spki).digest();
      this.createCertificateObject(ca, caId, `CA ${commonName(ca.subject)}`, 2);
      onToken.push(ca.raw);
      chainWritten++;
    }
    return { leafWritten, chainWritten };
  }

  /** CKA_ID and DER of every certificate object, unparsed. */
  private certificateValues(): Array<{ id: Buffer; der: Buffer }> {
    return this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }], 1000).map((h) => {
      const a = this.attrs(h, [pkcs11js.CKA_ID, pkcs11js.CKA_VALUE]);
      return {
        id: a.get(pkcs11js.CKA_ID) ?? Buffer.alloc(0),
        der: a.get(pkcs11js.CKA_VALUE) ?? Buffer.alloc(0),
      };
    });
  }

  /**
   * What the token holds for key `id`: its key objects, its leaf certificate(s) (CKA_ID = `id`) and the CA
   * certificates that chain them (found by issuer, whatever their id). Private keys count only after login.
   */
  objectsById(id: Buffer): ObjectsById {
    const count = (cls: number) =>
      this.find(
        [
          { type: pkcs11js.CKA_CLASS, value: cls },
          { type: pkcs11js.CKA_ID, value: id },
        ],
        1000,
      ).length;
    const all = this.certificateValues().map((c) => ({ ...c, cert: parseCertificate(c.der) }));
    const leaves = all.filter((c) => c.id.equals(id));
    const chain: typeof all = [];
    // Walk up from the leaves: every certificate that issued one already found (duplicates included).
    let frontier = leaves;
    while (frontier.length) {
      const next = all.filter(
        (c) =>
          !leaves.includes(c) &&
          !chain.includes(c) &&
          frontier.some((f) => !f.der.equals(c.der) && f.cert.checkIssued(c.cert)),
      );
      chain.push(...next);
      frontier = next;
    }
    return {
      privateKeys: count(pkcs11js.CKO_PRIVATE_KEY),
      publicKeys: count(pkcs11js.CKO_PUBLIC_KEY),
      certificates: [
        ...leaves.map((c) => ({ id: c.id.toString('hex'), der: c.der, isLeaf: true })),
        ...chain.map((c) => ({ id: c.id.toString('hex'), der: c.der, isLeaf: false })),
      ],
    };
  }

  private createCertificateObject(
    cert: X509Certificate,
    id: Buffer,
    label: string,
    category: number,
    parts = tbsParts(cert.raw),
  ): void {
    this.call('certificate write', () =>
      this.api.C_CreateObject(this.handle, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
        { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_CERTIFICATE_CATEGORY, value: category },
        { type: pkcs11js.CKA_SUBJECT, value: parts.subject },
        { type: pkcs11js.CKA_ISSUER, value: parts.issuer },
        { type: pkcs11js.CKA_SERIAL_NUMBER, value: parts.serial },
        { type: pkcs11js.CKA_VALUE, value: cert.raw },
      ]),
    );
  }

  findCertificates(): Array<{ id: string; label: string; cert: X509Certificate }> {
    return this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }]).map((h) => {
      const a = this.attrs(h, [pkcs11js.CKA_ID, pkcs11js.CKA_LABEL, pkcs11js.CKA_VALUE]);
      return {
        id: a.get(pkcs11js.CKA_ID)?.toString('hex') ?? '',
        label: a.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
        cert: parseCertificate(a.get(pkcs11js.CKA_VALUE)!),
      };
    });
  }

  /** Delete every object (keys, certificates) with this CKA_ID; returns how many were deleted. */
  destroyObjects(id: Buffer): number {
    const handles = this.find([{ type: pkcs11js.CKA_ID, value: id }], 1000);
    for (const h of handles) this.call('object deletion', () => this.api.C_DestroyObject(this.handle, h));
    this.keys.delete(id.toString('hex'));
    return handles.length;
  }

  /** Write a CKO_DATA object (seals later). Private data objects need a user login. */
  writeData(opts: { application: string; label: string; value: Buffer; private?: boolean }): void {
    this.call('data write', () =>
      this.api.C_CreateObject(this.handle, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: opts.private ?? false },
        { type: pkcs11js.CKA_APPLICATION, value: opts.application },
        { type: pkcs11js.CKA_LABEL, value: opts.label },
        { type: pkcs11js.CKA_VALUE, value: opts.value },
      ]),
    );
  }

  readData(opts: { application?: string; label: string }): Buffer | undefined {
    const template: pkcs11js.Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_LABEL, value: opts.label },
    ];
    if (opts.application) template.push({ type: pkcs11js.CKA_APPLICATION, value: opts.application });
    const [h] = this.find(template, 1);
    return h ? this.attrs(h, [pkcs11js.CKA_VALUE]).get(pkcs11js.CKA_VALUE) : undefined;
  }

  /**
   * HMAC-SHA256 of `data` under the token's secret key `label`, made on the token on first use: sensitive and
   * never extractable, so whoever has the data but not the token cannot compute (or brute-force) the HMAC.
   */
  hmac(label: string, data: Buffer): Buffer {
    const template: pkcs11js.Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ];
    let key = this.find(template, 1)[0];
    if (!key) {
      key = this.call('secret key generation', () =>
        this.api.C_GenerateKey(this.handle, { mechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN }, [
          ...template,
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
          { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_VERIFY, value: true },
        ]),
      );
    }
    const handle = key;
    return this.call('HMAC', () => {
      this.api.C_SignInit(this.handle, { mechanism: pkcs11js.CKM_SHA256_HMAC }, handle);
      return Buffer.from(this.api.C_Sign(this.handle, data, Buffer.alloc(32)));
    });
  }

  /** Every object visible in this session, for `info`. */
  listObjects(): TokenObjectSummary[] {
    return this.find([], 1000).map((h) => {
      const a = this.attrs(h, [
        pkcs11js.CKA_CLASS,
        pkcs11js.CKA_LABEL,
        pkcs11js.CKA_ID,
        pkcs11js.CKA_KEY_TYPE,
      ]);
      const cls = CLASS_NAMES[ulong(a.get(pkcs11js.CKA_CLASS))] ?? 'other';
      const kt = ulong(a.get(pkcs11js.CKA_KEY_TYPE));
      const summary: TokenObjectSummary = {
        class: cls,
        label: a.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
        id: a.get(pkcs11js.CKA_ID)?.toString('hex') ?? '',
        attributes: {},
      };
      if (cls === 'private-key' || cls === 'public-key') {
        summary.keyType = kt === pkcs11js.CKK_RSA ? 'rsa' : kt === pkcs11js.CKK_EC ? 'ec' : 'other';
      }
      if (cls === 'private-key') summary.attributes = { ...this.privateKeyFacts(h).evidence };
      if (cls === 'certificate') {
        const v = this.attrs(h, [pkcs11js.CKA_VALUE]).get(pkcs11js.CKA_VALUE);
        if (v) {
          const c = parseCertificate(v);
          summary.attributes = {
            subject: c.subject,
            issuer: c.issuer,
            serial: c.serialNumber,
            validFrom: c.validFrom,
            validTo: c.validTo,
          };
        }
      }
      return summary;
    });
  }

  /** Log out and close (from outside a turn while the module is busy: in its next turn). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.module.closeSession(this.handle, true);
  }
}

function commonName(subject: string): string {
  return /CN=([^\n]+)/.exec(subject)?.[1] ?? subject.split('\n')[0] ?? '';
}

/** The DER subject, issuer and serial INTEGER of a certificate, as PKCS#11 wants them. */
export function tbsParts(der: Buffer): { subject: Buffer; issuer: Buffer; serial: Buffer; spki: Buffer } {
  const { asn1 } = forge;
  const cert = asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  const hasVersion = tbs[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  const at = (i: number) => Buffer.from(asn1.toDer(tbs[i + (hasVersion ? 1 : 0)]!).getBytes(), 'binary');
  return { serial: at(0), issuer: at(2), subject: at(4), spki: at(5) };
}
