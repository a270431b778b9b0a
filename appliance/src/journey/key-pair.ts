// The holder's key pair on the USB key and the request to certify it, as every issuing journey makes them
// (pickup onto a blank key, renew beside the old key pair): one key algorithm per certificate profile, a key
// pair an earlier try left under the same id read back instead of made twice, only a key pair whose
// attributes prove it was made on the token and can never leave it, and a CSR that names only the order.
import { keyEvidenceProblems } from '@certkiosk/config';
import type { CsrProfile, KeyAlgorithm, KeyPairInfo, UsbKeyDriver } from '@certkiosk/firmware-bridge';
import { parseSubject } from '@certkiosk/firmware-bridge';
import { ApplianceError } from '../errors.js';
import type { OrderSnapshot } from './record.js';

/** Key algorithm per certificate profile. */
export const PROFILE_ALGORITHM: Record<OrderSnapshot['certificateType'], KeyAlgorithm> = {
  organisation: 'rsa2048',
  'organisation-individual': 'rsa2048',
  'natural-person': 'ec-p256',
};

/**
 * Generate the key pair `keyId` under the user `pin`, its durable intent written by `intend` first. When an
 * earlier try's intent was left without its result (`retrying`), a complete key pair found under the id is
 * read back instead. Throws KEY_EVIDENCE_REFUSED for a key pair that could leave the token.
 */
export async function keyPairOnToken(
  usbKey: UsbKeyDriver,
  ref: { serial: string },
  pin: string,
  opts: { keyId: Buffer; algorithm: KeyAlgorithm; label: string; retrying: boolean },
  intend: () => Promise<void>,
): Promise<KeyPairInfo> {
  const earlier = opts.retrying
    ? await usbKey.objectsById(ref, pin, opts.keyId)
    : { privateKeys: 0, publicKeys: 0 };
  await intend();
  const kp =
    earlier.privateKeys === 1 && earlier.publicKeys === 1
      ? await usbKey.withSession(ref, pin, (s) => s.keyPair(opts.keyId))
      : await usbKey.keygen(ref, pin, { algorithm: opts.algorithm, id: opts.keyId, label: opts.label });
  // Only a key made on the token and never readable out of it is certified (central checks it again).
  const problems = keyEvidenceProblems(kp.evidence);
  if (problems.length) {
    throw new ApplianceError('KEY_EVIDENCE_REFUSED', undefined, { problems: problems.join(',') });
  }
  return kp;
}

/**
 * The CSR's profile: central writes the certificate's subject from its own order, so the request names only
 * the order (the kiosk has no full name to put there, and needs none).
 */
export function csrProfile(order: OrderSnapshot): CsrProfile {
  const name =
    order.certificateType === 'organisation' ? (order.organisationName ?? order.orderId) : order.orderId;
  return {
    subject: parseSubject(`/CN=${name.replace(/\//g, '\\/')}`),
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extKeyUsage: ['clientAuth'],
  };
}
