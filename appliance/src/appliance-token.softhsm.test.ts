// Attacks on the appliance token (issue 11 §6): a token that an applicant inserts with the appliance token's
// label, listed before it, must not be sent the appliance PIN; a token that claims the pinned serial but holds
// another key gets no PIN either. Real PKCS#11: the usbkey-sim module over SoftHSM2, which counts wrong PINs.
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsmHome, USBKEY_SIM_MODULE, UsbKeyDriver } from '@certkiosk/firmware-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIANCE_KEY_ID, applianceKeyOn } from './appliance-key.js';
import { ensureApplianceToken } from './sim/simulation.js';

const LABEL = 'certkiosk-appliance';
const PIN = '551177';
let home: ReturnType<typeof createSoftHsmHome>;
let driver: UsbKeyDriver;
let serial: string;
let impostor: string;

/** Wrong user PINs the module has seen for a token (usbkey-sim logs each one): a PIN sent to the wrong token. */
function wrongPins(tokenSerial: string): number {
  const f = join(home.dir, `usbkey-sim-${tokenSerial}.wrong-total`);
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
}

beforeAll(async () => {
  home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'ck-appliance-token-')));
  serial = await ensureApplianceToken(USBKEY_SIM_MODULE, LABEL, PIN);
  driver = UsbKeyDriver.open(USBKEY_SIM_MODULE);
  // The impostor: same label, its own key pair under the appliance key id, another PIN.
  const free = driver.slots().find((s) => s.token && !s.token.flags.initialized);
  if (!free) throw new Error('no free slot');
  impostor = driver.initToken(free.slotId, { label: LABEL, soPin: '00000000', userPin: '909090' }).serial;
  await driver.keygen({ serial: impostor }, '909090', {
    algorithm: 'ec-p256',
    id: APPLIANCE_KEY_ID,
    label: 'impostor',
  });
}, 60_000);

afterAll(() => driver?.close());

describe('the appliance token', () => {
  it('by label, the impostor listed first would be found (the attack is real)', async () => {
    const first = driver.slots().find((s) => s.token?.label === LABEL)?.token?.serial;
    expect([serial, impostor]).toContain(first);
    expect(driver.slots().filter((s) => s.token?.label === LABEL)).toHaveLength(2);
  });

  it('pinned by serial and public key: signs with the real key and never sends the PIN to the impostor', async () => {
    const realSpki = await driver.withSession({ serial }, undefined, (s) =>
      s.publicKeySha256(APPLIANCE_KEY_ID),
    );
    const before = wrongPins(impostor);
    const key = await applianceKeyOn(driver, { serial }, PIN, realSpki);
    const data = Buffer.from('heartbeat');
    const signature = await key.sign(data);
    expect(verify('sha256', data, createPublicKey(key.publicKeyPem), signature)).toBe(true);
    expect(key.spkiSha256).toBe(realSpki);
    expect(wrongPins(impostor)).toBe(before);
  });

  it('a token that answers to the pinned serial but holds another key gets no PIN (TOKEN_IDENTITY_MISMATCH)', async () => {
    const impostorSpki = await driver.withSession({ serial: impostor }, undefined, (s) =>
      s.publicKeySha256(APPLIANCE_KEY_ID),
    );
    const realSpki = await driver.withSession({ serial }, undefined, (s) =>
      s.publicKeySha256(APPLIANCE_KEY_ID),
    );
    expect(impostorSpki).not.toBe(realSpki);
    const before = wrongPins(impostor);
    // As if the impostor claimed the serial: the session reaches it, and its key is not the pinned one.
    await expect(applianceKeyOn(driver, { serial: impostor }, PIN, realSpki)).rejects.toMatchObject({
      code: 'TOKEN_IDENTITY_MISMATCH',
    });
    expect(wrongPins(impostor)).toBe(before);
  });
});
