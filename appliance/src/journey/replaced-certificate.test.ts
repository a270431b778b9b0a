// 补办 (reissue) on screen: the order keeps the lost key's certificate masked only, the view says it will be
// replaced before issuance and revoked once the new certificate is issued, and the done screen (after the
// personal data is purged) still says so.
import { execFileSync } from 'node:child_process';
import type { ApplianceOrder } from '@certkiosk/sync';
import { describe, expect, it } from 'vitest';
import { orderSnapshot, purgePersonalData } from './personal-data.js';
import type { JourneyRecord } from './record.js';
import { maskCertificateSerial, replacedCertificate } from './replaced-certificate.js';
import { journeyView } from './view.js';

/** The lost key's certificate, as a kiosk may read a serial (DER sign byte, upper case). */
const LOST = '007E41C09B55D2A8F3E6B1C04D9A2F7B3E';

const ORDER: ApplianceOrder = {
  id: 'CK20260301A1B2C3D4',
  status: 'approved',
  delivery: 'kiosk',
  certificateType: 'natural-person',
  businessType: 'reissue',
  serviceYears: 1,
  holderVerifiedOnline: false,
  hall: 'SZ-FUTIAN',
  identitySalt: Buffer.alloc(32, 7).toString('base64'),
  holder: {
    nameMasked: '巴*尔',
    idNumberMasked: '1501**********0011',
    idHmac: 'a'.repeat(64),
    nameHmac: 'b'.repeat(64),
  },
  previousCertificateSerial: LOST,
};

function journey(order: ApplianceOrder = ORDER): JourneyRecord {
  return {
    id: 'J-1',
    kind: 'pickup',
    step: 'order-verified',
    status: 'active',
    startedAt: '2026-03-01T11:30:00.000Z',
    updatedAt: '2026-03-01T11:30:00.000Z',
    awaiting: 'confirm-order',
    attempt: 1,
    pickupCode: 'code',
    pickupNonce: 'nonce',
    pickupExpiresAt: '2026-03-31T00:00:00.000Z',
    order: orderSnapshot(order),
  };
}

/** What central's answer puts into the journey (a real certificate: the purge reads its fingerprint). */
const ISSUED = {
  serialNumber: '5f3a9c0e1b2d4f6a8c0e1b2d4f6a8c0e',
  pem: execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=x',
    ],
    { encoding: 'utf8', stdio: 'pipe' },
  ),
  chainPem: [],
  notBefore: '2026-03-01T11:35:00.000Z',
  notAfter: '2027-03-01T11:35:00.000Z',
  subjectCommonName: '巴特尔',
  publicKeySha256: 'cd',
};

describe('the certificate a reissue replaces', () => {
  it('is masked to the last 8 hex digits of the serial as central stores it (no sign byte, lower case)', () => {
    expect(maskCertificateSerial(LOST)).toBe('…9a2f7b3e');
    expect(maskCertificateSerial('ABC')).toBe('…abc');
  });

  it('is kept masked only: the full serial is in neither the record nor the view', () => {
    const j = journey();
    expect(j.order?.previousCertificateMasked).toBe('…9a2f7b3e');
    for (const text of [JSON.stringify(j), JSON.stringify(journeyView(j))])
      expect(text.toLowerCase()).not.toContain(LOST.slice(2, 26).toLowerCase());
  });

  it('shows on the order screen as to be replaced, not yet revoked', () => {
    expect(journeyView(journey()).order?.replacesCertificate).toEqual({
      serialMasked: '…9a2f7b3e',
      revoked: false,
    });
  });

  it('is revoked once central issued the new certificate, and the done screen says so after the purge', () => {
    const j = journey();
    j.step = 'certificate-issued';
    j.certificate = { ...ISSUED };
    expect(replacedCertificate(j)).toEqual({ serialMasked: '…9a2f7b3e', revoked: true });
    j.status = 'completed';
    j.step = 'completed';
    purgePersonalData(j);
    expect(journeyView(j)).toMatchObject({
      need: 'take-items',
      order: { businessType: 'reissue', replacesCertificate: { serialMasked: '…9a2f7b3e', revoked: true } },
    });
  });

  it('is absent for an order that replaces nothing', () => {
    const { previousCertificateSerial: _, ...order } = ORDER;
    const j = journey({ ...order, businessType: 'new' });
    j.certificate = { ...ISSUED };
    expect(replacedCertificate(j)).toBeUndefined();
    expect(journeyView(j).order).not.toHaveProperty('replacesCertificate');
  });
});
