// The USB-key driver against a real PKCS#11 module: SoftHSM2 behind the usbkey-sim module (which adds
// PIN lockout), each test file with its own SOFTHSM2_CONF. Peers: openssl and OpenSC's pkcs11-tool.
import { execFileSync } from 'node:child_process';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayCa, type ThrowawayCa } from '../testing/openssl-ca.js';
import { parseSubject } from './csr.js';
import { UsbKeyDriver } from './driver.js';
import type { KeyAlgorithm } from './public-key.js';
import { TokenSession } from './session.js';
import { deriveSoPin, deriveTransportPin } from './so-pin.js';
import {
  createSoftHsmHome,
  SOFTHSM_MODULE,
  type SoftHsmHome,
  softHsmTokenFolder,
  USBKEY_SIM_MODULE,
} from './softhsm.js';

const POLICY = { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true };
const SO_PIN = 'so-pin-8421';
const PIN = '246813';

let home: SoftHsmHome;
let driver: UsbKeyDriver;
let ca: ThrowawayCa;
let n = 0;

beforeAll(() => {
  home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-test-')));
  process.env['CERTKIOSK_SIM_MAX_TRIES'] = '3';
  driver = UsbKeyDriver.open(USBKEY_SIM_MODULE);
  ca = createThrowawayCa(join(home.dir, 'ca'));
});
afterAll(() => driver?.close());

function freeSlot(): string {
  const slot = driver.slots().find((s) => s.token && !s.token.flags.initialized);
  if (!slot) throw new Error('SoftHSM offers no free slot');
  return slot.slotId;
}

function newToken(prefix = 'key') {
  const label = `${prefix}-${++n}`;
  return driver.initToken(freeSlot(), { label, soPin: SO_PIN, userPin: PIN });
}

const profile = {
  subject: parseSubject('/CN=张伟/O=深圳市测试科技有限公司/C=CN'),
  keyUsage: ['digitalSignature', 'nonRepudiation'] as const,
  extKeyUsage: ['clientAuth'] as const,
};

function opensslVerifiesCsr(pem: string): string {
  const f = join(home.dir, `csr-${Date.now()}.pem`);
  writeFileSync(f, pem);
  return (
    execFileSync('openssl', ['req', '-in', f, '-noout', '-verify', '-subject', '-nameopt', 'utf8'], {
      stdio: 'pipe',
    }).toString() + ''
  );
}

describe('personalisation on a real PKCS#11 module', () => {
  it.each<KeyAlgorithm>(['ec-p256', 'rsa2048'])(
    '%s: init → keygen → CSR → CA → import → set PIN → login with new PIN → sign and verify',
    async (algorithm) => {
      const token = newToken(algorithm);
      const ref = { label: token.label };
      expect(token.flags).toMatchObject({ initialized: true, userPinInitialized: true });
      const id = Buffer.from('c0ffee01', 'hex');

      const kp = await driver.keygen(ref, PIN, { algorithm, id, label: 'signing key' });
      expect(kp.algorithm).toBe(algorithm);
      expect(kp.evidence).toEqual({
        local: true,
        neverExtractable: true,
        alwaysSensitive: true,
        sensitive: true,
        extractable: false,
      });

      const csr = await driver.csr(ref, PIN, id, {
        ...profile,
        keyUsage: [...profile.keyUsage],
        extKeyUsage: [...profile.extKeyUsage],
      });
      expect(csr.spkiSha256).toBe(kp.spkiSha256);
      const opensslOut = opensslVerifiesCsr(csr.pem);
      expect(opensslOut).toMatch(/CN ?= ?张伟/);

      const cert = new X509Certificate(ca.sign(csr.pem));
      await driver.importCertificate(ref, PIN, id, cert, [new X509Certificate(ca.caPem)]);

      await driver.setPin(ref, PIN, '902417', POLICY);
      await expect(driver.info(ref, PIN)).rejects.toMatchObject({ code: 'TOKEN_PIN_INCORRECT' });

      const data = Buffer.from('certkiosk test signature');
      const signature = await driver.withSession(ref, '902417', (s) => s.signer(id).sign(data));
      expect(verify('sha256', data, cert.publicKey, signature)).toBe(true);
      expect(verify('sha256', Buffer.from('other data'), cert.publicKey, signature)).toBe(false);

      const info = await driver.info(ref, '902417');
      expect(info.certificates.map((c) => c.id)).toContain('c0ffee01');
      expect(info.certificates).toHaveLength(2); // leaf + CA
      expect(info.keys).toEqual([
        expect.objectContaining({ id: 'c0ffee01', algorithm, spkiSha256: kp.spkiSha256 }),
      ]);
    },
  );

  it('generates RSA-3072 on the token', async () => {
    const token = newToken('rsa3072');
    const kp = await driver.keygen({ label: token.label }, PIN, {
      algorithm: 'rsa3072',
      id: Buffer.from([3]),
      label: 'k',
    });
    expect(kp.algorithm).toBe('rsa3072');
    expect(createHash('sha256').update(kp.spki).digest('hex')).toBe(kp.spkiSha256);
  });

  it('keeps the private key non-extractable: its value cannot be read', async () => {
    const token = newToken('sensitive');
    const id = Buffer.from([9]);
    await driver.keygen({ label: token.label }, PIN, { algorithm: 'ec-p256', id, label: 'k' });
    const pkcs11js = (await import('pkcs11js')).default;
    await driver.withSession({ label: token.label }, PIN, (s) => {
      const api = driver.module.api;
      const h = (s as unknown as { handle: Buffer }).handle;
      api.C_FindObjectsInit(h, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
      const [priv] = api.C_FindObjects(h, 1);
      api.C_FindObjectsFinal(h);
      expect(() => api.C_GetAttributeValue(h, priv!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
    });
  });
});

describe('HMAC with a secret key that stays on the token', () => {
  it('is stable for one key, differs per token, and the key value cannot be read', async () => {
    const a = newToken('hmac');
    const b = newToken('hmac');
    const data = Buffer.from('110101199003077777');
    const first = await driver.withSession({ label: a.label }, PIN, (s) => s.hmac('certkiosk-id', data));
    const again = await driver.withSession({ label: a.label }, PIN, (s) => s.hmac('certkiosk-id', data));
    const other = await driver.withSession({ label: b.label }, PIN, (s) => s.hmac('certkiosk-id', data));
    expect(first).toHaveLength(32);
    expect(again.equals(first)).toBe(true);
    expect(other.equals(first)).toBe(false);
    const pkcs11js = (await import('pkcs11js')).default;
    await driver.withSession({ label: a.label }, PIN, (s) => {
      const api = driver.module.api;
      const h = (s as unknown as { handle: Buffer }).handle;
      api.C_FindObjectsInit(h, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }]);
      const keys = api.C_FindObjects(h, 10);
      api.C_FindObjectsFinal(h);
      expect(keys).toHaveLength(1);
      expect(() => api.C_GetAttributeValue(h, keys[0]!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
    });
  });
});

describe('interop with OpenSC pkcs11-tool and openssl', () => {
  it('pkcs11-tool lists the written key and certificate under one id, and reads the same public key', async () => {
    const token = newToken('interop');
    const ref = { label: token.label };
    const id = Buffer.from('a1b2', 'hex');
    const kp = await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id, label: 'interop key' });
    const csr = await driver.csr(ref, PIN, id, { subject: parseSubject('/CN=Interop/O=certkiosk') });
    const cert = new X509Certificate(ca.sign(csr.pem));
    await driver.importCertificate(ref, PIN, id, cert);

    const tool = (...args: string[]) =>
      execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', token.label, ...args], {
        env: home.env,
        stdio: 'pipe',
      });
    const listing = tool('--login', '--pin', PIN, '--list-objects').toString();
    const blocks = listing.split(/\n(?=\S)/);
    const withId = (kind: RegExp) => blocks.filter((b) => kind.test(b) && /ID:\s+a1b2/.test(b));
    expect(withId(/^Private Key Object/)).toHaveLength(1);
    expect(withId(/^Public Key Object/)).toHaveLength(1);
    expect(withId(/^Certificate Object/)).toHaveLength(1);

    const pubDer = tool('--read-object', '--type', 'pubkey', '--id', 'a1b2');
    expect(createHash('sha256').update(pubDer).digest('hex')).toBe(kp.spkiSha256);
    expect(Buffer.from(pubDer).equals(cert.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });
});

describe('faults a user can cause', () => {
  it('wrong PINs count down, then lock; the SO unlocks with a new PIN', async () => {
    const token = newToken('lock');
    const ref = { label: token.label };
    const e1 = await driver.info(ref, '000111').catch((e) => e);
    expect(e1).toMatchObject({ code: 'TOKEN_PIN_INCORRECT', details: { countLow: true } });
    const e2 = await driver.info(ref, '000111').catch((e) => e);
    expect(e2).toMatchObject({ code: 'TOKEN_PIN_INCORRECT', details: { triesLeft: 1 } });
    expect(e2.message).toMatch(/One try is left/);
    await expect(driver.info(ref, '000111')).rejects.toMatchObject({ code: 'TOKEN_PIN_LOCKED' });
    // Locked means locked: even the right PIN is refused now.
    await expect(driver.info(ref, PIN)).rejects.toMatchObject({ code: 'TOKEN_PIN_LOCKED' });
    expect(driver.module.findToken(ref).token.flags.userPinLocked).toBe(true);

    await expect(driver.unlock(ref, 'wrong-so-pin', '580371', POLICY)).rejects.toMatchObject({
      code: 'TOKEN_SO_PIN_INCORRECT',
    });
    await driver.unlock(ref, SO_PIN, '580371', POLICY);
    expect(driver.module.findToken(ref).token.flags.userPinLocked).toBe(false);
    await expect(driver.info(ref, '580371')).resolves.toMatchObject({ token: { label: token.label } });
  });

  it('refuses a PIN that breaks the policy and leaves the old PIN in force', async () => {
    const token = newToken('policy');
    const ref = { label: token.label };
    for (const bad of ['123456', '111111', '12a456', '1234']) {
      await expect(driver.setPin(ref, PIN, bad, POLICY)).rejects.toMatchObject({ code: 'TOKEN_PIN_POLICY' });
    }
    await expect(driver.info(ref, PIN)).resolves.toBeTruthy();
  });

  it('refuses a certificate issued for another key and writes nothing', async () => {
    const token = newToken('mismatch');
    const ref = { label: token.label };
    await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([1]), label: 'a' });
    await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([2]), label: 'b' });
    const csrForB = await driver.csr(ref, PIN, Buffer.from([2]), { subject: parseSubject('/CN=B') });
    const certForB = new X509Certificate(ca.sign(csrForB.pem));
    await expect(driver.importCertificate(ref, PIN, Buffer.from([1]), certForB)).rejects.toMatchObject({
      code: 'TOKEN_CERT_KEY_MISMATCH',
    });
    expect((await driver.info(ref, PIN)).certificates).toEqual([]);
  });

  it('refuses a second key with an id already in use', async () => {
    const token = newToken('dup');
    const ref = { label: token.label };
    await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([7]), label: 'a' });
    await expect(
      driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: Buffer.from([7]), label: 'b' }),
    ).rejects.toMatchObject({
      code: 'TOKEN_KEY_EXISTS',
    });
  });

  it('reports TOKEN_REMOVED when the key vanishes mid-operation, and sees it come back', async () => {
    const token = newToken('pulled');
    const ref = { serial: token.serial };
    const id = Buffer.from([5]);
    await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id, label: 'k' });
    const folder = softHsmTokenFolder(home, token.serial);
    const pulled = join(home.dir, `pulled-${token.serial}`); // outside the token dir: out of the module's view

    const session = TokenSession.open(driver.module, ref);
    session.loginUser(PIN);
    const signer = session.signer(id);
    renameSync(folder, pulled); // the key leaves the module's view
    await expect(signer.sign(Buffer.from('x'))).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
    expect(() =>
      session.writeData({ application: 'certkiosk', label: 'x', value: Buffer.from('y') }),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_REMOVED' }));
    session.close();
    await expect(driver.info(ref, PIN)).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });

    // Plugged back: the watcher (re-initialising SoftHSM, which only then notices) reports it.
    const watcher = driver.watch({ intervalMs: 20, rescan: true });
    try {
      expect(watcher.present().some((t) => t.serial === token.serial)).toBe(false);
      const inserted = new Promise((resolve) =>
        watcher.on('event', (e) => e.type === 'inserted' && e.token.serial === token.serial && resolve(e)),
      );
      renameSync(pulled, folder);
      await inserted;
      const removed = new Promise((resolve) =>
        watcher.on('event', (e) => e.type === 'removed' && e.serial === token.serial && resolve(e)),
      );
      renameSync(folder, pulled);
      await removed;
      renameSync(pulled, folder);
    } finally {
      watcher.stop();
    }
  });

  it('names a missing module clearly', () => {
    expect(() => UsbKeyDriver.open('/nonexistent/libpkcs11.so')).toThrow(
      expect.objectContaining({ code: 'TOKEN_MODULE_NOT_FOUND' }),
    );
    expect(() => UsbKeyDriver.open('/etc/hostname')).toThrow(
      expect.objectContaining({ code: 'TOKEN_MODULE_NOT_FOUND' }),
    );
  });
});

describe('blank-key preparation and data objects', () => {
  it('derives a different SO-PIN per key from the master secret and the key serial', () => {
    const master = Buffer.from('a very secret master secret for tests');
    const a = driver.prepareBlankKey(freeSlot(), {
      label: `blank-${++n}`,
      masterSecret: master,
      transportPin: '700814',
    });
    const b = driver.prepareBlankKey(freeSlot(), {
      label: `blank-${++n}`,
      masterSecret: master,
      transportPin: '700814',
    });
    const soA = deriveSoPin(master, a.serial);
    const soB = deriveSoPin(master, b.serial);
    expect(soA).not.toBe(soB);
    expect(soA).toMatch(/^[0-9A-Z]{16}$/);
    const so = (serial: string, pin: string) => {
      const s = TokenSession.open(driver.module, { serial });
      try {
        s.loginSO(pin);
      } finally {
        s.close();
      }
    };
    expect(() => so(a.serial, soA)).not.toThrow();
    expect(() => so(a.serial, soB)).toThrow(expect.objectContaining({ code: 'TOKEN_SO_PIN_INCORRECT' }));
  });

  it('derives the transport PIN from the serial the key gets at initialisation', async () => {
    const master = Buffer.from('a very secret master secret for tests');
    const prepared = await driver.prepareBlankKeyAsync(freeSlot(), {
      label: `blank-${++n}`,
      masterSecret: master,
      transportPin: (serial) => deriveTransportPin(master, serial),
    });
    expect(prepared.flags).toMatchObject({ initialized: true, userPinInitialized: true });
    const ref = { serial: prepared.serial };
    await expect(driver.info(ref, deriveTransportPin(master, prepared.serial))).resolves.toMatchObject({
      token: { serial: prepared.serial },
    });
    await expect(
      driver.withSession(ref, undefined, (s) => s.loginSO(deriveSoPin(master, prepared.serial))),
    ).resolves.toBeUndefined();
  });

  it('writes and reads CKO_DATA objects', async () => {
    const token = newToken('data');
    await driver.withSession({ label: token.label }, PIN, (s) => {
      s.writeData({
        application: 'certkiosk-seal',
        label: 'seal-image',
        value: Buffer.from('PNG…'),
        private: true,
      });
    });
    const read = await driver.withSession({ label: token.label }, PIN, (s) =>
      s.readData({ label: 'seal-image' }),
    );
    expect(read?.toString()).toBe('PNG…');
    // private data is invisible without login
    const anon = await driver.withSession({ label: token.label }, undefined, (s) =>
      s.readData({ label: 'seal-image' }),
    );
    expect(anon).toBeUndefined();
  });
});
