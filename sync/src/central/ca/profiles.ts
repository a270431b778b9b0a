// Certificate profiles per certificate type: subject from the order, key usage, extended key usage.
import type { RenewalRule } from '../../contract/after-sales.js';
import type { CertificateType, Order } from '../../contract/schemas.js';
import { maskIdNumber } from '../id-number.js';
import { x509 } from './x509.js';

const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
const OID_ORGANIZATION_IDENTIFIER = '2.5.4.97';
const OID_SERIAL_NUMBER = '2.5.4.5';

export interface CertificateProfile {
  keyUsage: number;
  extendedKeyUsage: string[];
  /**
   * Renewal: the kiosk revokes the renewed certificate (superseded) once the new one is verified on the key,
   * or it is left to run out (e.g. so documents signed near the switch still verify against a good certificate).
   */
  renewal: RenewalRule;
  /** The subject distinguished name for an order (the ID number is masked; the full number never enters a certificate). */
  subject(order: Order): x509.JsonName;
}

const rdn = (type: string, value: string): Record<string, string[]> => ({ [type]: [value] });
const SIGNING = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation;

export const PROFILES: Readonly<Record<CertificateType, CertificateProfile>> = {
  // One organisation, one signing certificate: the renewed one goes.
  organisation: {
    renewal: 'revoke-previous',
    keyUsage: SIGNING,
    extendedKeyUsage: [EKU_CLIENT_AUTH, EKU_DOCUMENT_SIGNING],
    subject: (o) => [
      rdn('C', 'CN'),
      rdn('O', o.organisation!.name),
      rdn(OID_ORGANIZATION_IDENTIFIER, o.organisation!.unifiedSocialCreditCode),
      rdn('CN', o.organisation!.name),
    ],
  },
  // Staff sign with it day to day: the old one runs out on its own.
  'organisation-individual': {
    renewal: 'let-expire',
    keyUsage: SIGNING,
    extendedKeyUsage: [EKU_CLIENT_AUTH, EKU_EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING],
    subject: (o) => [
      rdn('C', 'CN'),
      rdn('O', o.organisation!.name),
      rdn(OID_ORGANIZATION_IDENTIFIER, o.organisation!.unifiedSocialCreditCode),
      rdn(OID_SERIAL_NUMBER, maskIdNumber(o.holder!.idNumber)),
      rdn('CN', o.holder!.name),
    ],
  },
  'natural-person': {
    renewal: 'revoke-previous',
    keyUsage: SIGNING,
    extendedKeyUsage: [EKU_CLIENT_AUTH, EKU_EMAIL_PROTECTION],
    subject: (o) => [
      rdn('C', 'CN'),
      rdn(OID_SERIAL_NUMBER, maskIdNumber(o.holder!.idNumber)),
      rdn('CN', o.holder!.name),
    ],
  },
};
