// What the issuance engine needs to survive a crash at any step, on the usbkey-sim module (SoftHSM2 plus PIN
// lockout), with this file's own SOFTHSM2_CONF: a certificate write that can be repeated without ever
// leaving a second leaf, a read-back of what is under a key id, and a user-PIN reset with the SO-PIN that
// spends no user-PIN try.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayCa, type ThrowawayCa } from '../testing/openssl-ca.js';
import { parseSubject } from './csr.js';
import { type TokenRef, UsbKeyDriver } from './driver.js';
import { createSoftHsmHome, USBKEY_SIM_MODULE } from './softhsm.js';

const POLICY = { minLength: 6, maxLength: 8, digitsOnly: true, forbidSequences: true, forbidRepeated: true };
const SO_PIN = 'so-pin-8421';
const PIN = '246813';
const ID = Buffer.from('5eed0001', 'hex');

let driver: UsbKeyDriver;
let ca: ThrowawayCa;
let caCert: X509Certificate;
let n = 0;

beforeAll(() => {
  const home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-recovery-')));
  process.env['CERTKIOSK_SIM_MAX_TRIES'] = '3';
  driver = UsbKeyDriver.open(USBKEY_SIM_MODULE);
  ca = createThrowawayCa(join(home.dir, 'ca'));
  caCert = new X509Certificate(ca.caPem);
});
afterAll(() => driver?.close());

async function newToken(prefix: string): Promise<{ serial: string }> {
  const free = (await driver.slotsAsync()).find((s) => s.token && !s.token.flags.initialized);
  if (!free) throw new Error('SoftHSM offers no free slot');
  const t = await driver.initTokenAsync(free.slotId, {
    label: `${prefix}-${++n}`,
    soPin: SO_PIN,
    userPin: PIN,
  });
  return { serial: t.serial };
}

/** Key pair + CSR on the token, certificate from the CA: what the engine holds before the write step. */
async function keyWithCertificate(ref: TokenRef): Promise<{ cert: X509Certificate; csrPem: string }> {
  await driver.keygen(ref, PIN, { algorithm: 'ec-p256', id: ID, label: 'signing key' });
  const csr = await driver.csr(ref, PIN, ID, { subject: parseSubject('/CN=张伟/O=certkiosk') });
  return { cert: new X509Certificate(ca.sign(csr.pem)), csrPem: csr.pem };
}

/** The token flags as the module reports them now (the sim adds the user-PIN try flags). */
async function flags(ref: { serial: string }) {
  const slots = await driver.module.listSlotsAsync(true);
  return slots.find((s) => s.token?.serial === ref.serial)!.token!.flags;
}

describe('certificate write: read-back, never a second leaf', () => {
  it('after personalisation the key id holds one private key, one public key, one leaf and its CA', async () => {
    const ref = await newToken('readback');
    const { cert } = await keyWithCertificate(ref);
    await expect(driver.importCertificate(ref, PIN, ID, cert, [caCert])).resolves.toEqual({
      leafWritten: true,
      chainWritten: 1,
    });

    const objects = await driver.objectsById(ref, PIN, ID);
    expect(objects.privateKeys).toBe(1);
    expect(objects.publicKeys).toBe(1);
    expect(objects.certificates).toEqual([
      { id: ID.toString('hex'), der: cert.raw, isLeaf: true },
      { id: expect.stringMatching(/^[0-9a-f]{40}$/), der: caCert.raw, isLeaf: false },
    ]);
  });

  it('importing the same certificate twice writes it once, and the chain once', async () => {
    const ref = await newToken('twice');
    const { cert } = await keyWithCertificate(ref);
    await driver.importCertificate(ref, PIN, ID, cert, [caCert]);
    // The engine crashed after the write but before recording it: the step runs again.
    await expect(driver.importCertificate(ref, PIN, ID, cert, [caCert])).resolves.toEqual({
      leafWritten: false,
      chainWritten: 0,
    });

    const objects = await driver.objectsById(ref, PIN, ID);
    expect(objects.certificates.filter((c) => c.isLeaf)).toHaveLength(1);
    expect(objects.certificates.filter((c) => !c.isLeaf)).toHaveLength(1);
    expect((await driver.info(ref, PIN)).certificates).toHaveLength(2);
  });

  it('a write cut short after the leaf completes the chain on the retry', async () => {
    const ref = await newToken('half');
    const { cert } = await keyWithCertificate(ref);
    await driver.importCertificate(ref, PIN, ID, cert); // leaf only, as if the crash came before the chain
    await expect(driver.importCertificate(ref, PIN, ID, cert, [caCert, caCert])).resolves.toEqual({
      leafWritten: false,
      chainWritten: 1,
    });
    const objects = await driver.objectsById(ref, PIN, ID);
    expect(objects.certificates.map((c) => c.isLeaf)).toEqual([true, false]);
  });

  it('refuses a different certificate under the same key id and writes nothing', async () => {
    const ref = await newToken('other');
    const { cert, csrPem } = await keyWithCertificate(ref);
    await driver.importCertificate(ref, PIN, ID, cert, [caCert]);
    const second = new X509Certificate(ca.sign(csrPem)); // same key, another serial: a second leaf
    expect(second.raw.equals(cert.raw)).toBe(false);

    await expect(driver.importCertificate(ref, PIN, ID, second, [caCert])).rejects.toMatchObject({
      code: 'TOKEN_CERT_EXISTS',
      details: { id: ID.toString('hex') },
    });
    const objects = await driver.objectsById(ref, PIN, ID);
    expect(objects.certificates.map((c) => c.der)).toEqual([cert.raw, caCert.raw]);
  });

  it('reads back an empty key id as nothing', async () => {
    const ref = await newToken('empty');
    await expect(driver.objectsById(ref, PIN, ID)).resolves.toEqual({
      privateKeys: 0,
      publicKeys: 0,
      certificates: [],
    });
  });
});

describe('user PIN reset with the SO-PIN', () => {
  it('sets a new PIN when the current one is unknown (not locked), without spending a user-PIN try', async () => {
    const ref = await newToken('reset');
    // The holder's PIN is set, then lost: a crash during C_SetPIN leaves the kiosk not knowing which is in force.
    await driver.setPin(ref, PIN, '902417', POLICY);
    const before = await flags(ref);
    expect(before).toMatchObject({ userPinInitialized: true, userPinCountLow: false, userPinLocked: false });

    await driver.resetUserPin(ref, SO_PIN, '580371', POLICY);
    expect(await flags(ref)).toMatchObject({
      userPinCountLow: false,
      userPinFinalTry: false,
      userPinLocked: false,
    });

    await expect(driver.info(ref, '580371')).resolves.toMatchObject({ token: { serial: ref.serial } });
    expect(await flags(ref)).toMatchObject({ userPinCountLow: false, userPinFinalTry: false });
    // Neither PIN from before works any more (and trying one does count).
    await expect(driver.info(ref, '902417')).rejects.toMatchObject({ code: 'TOKEN_PIN_INCORRECT' });
    expect(await flags(ref)).toMatchObject({ userPinCountLow: true });
  });

  it('a wrong SO-PIN changes nothing and touches no user-PIN try', async () => {
    const ref = await newToken('reset-wrong-so');
    await expect(driver.resetUserPin(ref, 'not-the-so-pin', '580371', POLICY)).rejects.toMatchObject({
      code: 'TOKEN_SO_PIN_INCORRECT',
    });
    expect(await flags(ref)).toMatchObject({ userPinCountLow: false, userPinLocked: false });
    await expect(driver.info(ref, PIN)).resolves.toBeTruthy();
  });

  it('refuses a new PIN that breaks the policy before touching the key', async () => {
    const ref = await newToken('reset-policy');
    await expect(driver.resetUserPin(ref, SO_PIN, '123456', POLICY)).rejects.toMatchObject({
      code: 'TOKEN_PIN_POLICY',
    });
    await expect(driver.info(ref, PIN)).resolves.toBeTruthy();
  });
});
