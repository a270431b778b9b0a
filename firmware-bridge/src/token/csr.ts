// PKCS#10 certification requests signed by a key that never leaves the token.
// node-forge builds the subject and the extension request; the SubjectPublicKeyInfo is spliced in as DER
// because forge can only encode RSA keys, and the signature comes from a Signer (the token).
import { createHash, verify } from 'node:crypto';
import forge from 'node-forge';
import { TokenError } from './errors.js';
import { type KeyAlgorithm, spkiKey } from './public-key.js';

const { asn1 } = forge;

/** Anything that can sign: the token session implements it, tests may use a software key. */
export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** Returns an X.509-ready signature: PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC. */
  sign(data: Buffer): Promise<Buffer>;
}

export interface SubjectAttribute {
  /** Short name (CN, O, OU, C, ST, L, serialNumber, emailAddress) or a dotted OID. */
  name: string;
  value: string;
}

export interface CsrProfile {
  subject: SubjectAttribute[];
  keyUsage?: Array<
    'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement'
  >;
  extKeyUsage?: Array<'clientAuth' | 'emailProtection' | 'codeSigning' | 'serverAuth'>;
  subjectAltName?: Array<{ email?: string; dns?: string }>;
}

const SIG_ALG = {
  rsa: { oid: '1.2.840.113549.1.1.11', nullParams: true }, // sha256WithRSAEncryption
  ec: { oid: '1.2.840.10045.4.3.2', nullParams: false }, // ecdsa-with-SHA256
};

/** Parse "/CN=张伟/O=Example/C=CN" (OpenSSL style) into attributes. `\/` escapes a slash. */
export function parseSubject(text: string): SubjectAttribute[] {
  if (!text.startsWith('/')) {
    throw new TokenError(
      'TOKEN_BAD_ARGUMENT',
      `A subject looks like "/CN=name/O=organisation", got "${text}".`,
    );
  }
  const parts = text
    .slice(1)
    .split(/(?<!\\)\//)
    .filter(Boolean);
  return parts.map((p) => {
    const eq = p.indexOf('=');
    if (eq < 1) throw new TokenError('TOKEN_BAD_ARGUMENT', `Subject part "${p}" is not NAME=value.`);
    return { name: p.slice(0, eq).trim(), value: p.slice(eq + 1).replace(/\\\//g, '/') };
  });
}

function forgeAttr(a: SubjectAttribute): forge.pki.CertificateField {
  const field: Omit<forge.pki.CertificateField, 'valueTagClass'> & { valueTagClass?: number } =
    /^\d+(\.\d+)+$/.test(a.name)
      ? { type: a.name, value: a.value }
      : {
          shortName: a.name === 'serialNumber' ? undefined : a.name,
          name: a.name === 'serialNumber' ? 'serialNumber' : undefined,
          value: a.value,
        };
  if (field.shortName === undefined) delete field.shortName;
  if (field.name === undefined) delete field.name;
  // Country is PrintableString by X.520; everything else UTF8String so Chinese names survive.
  field.valueTagClass = a.name === 'C' ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8;
  return field as forge.pki.CertificateField;
}

function extensions(profile: CsrProfile): object[] {
  const exts: object[] = [];
  if (profile.keyUsage?.length) {
    exts.push({
      name: 'keyUsage',
      critical: true,
      ...Object.fromEntries(profile.keyUsage.map((k) => [k, true])),
    });
  }
  if (profile.extKeyUsage?.length) {
    exts.push({ name: 'extKeyUsage', ...Object.fromEntries(profile.extKeyUsage.map((k) => [k, true])) });
  }
  if (profile.subjectAltName?.length) {
    exts.push({
      name: 'subjectAltName',
      altNames: profile.subjectAltName.map((n) =>
        n.email ? { type: 1, value: n.email } : { type: 2, value: n.dns },
      ),
    });
  }
  return exts;
}

function bytes(der: forge.util.ByteStringBuffer | string): Buffer {
  return Buffer.from(typeof der === 'string' ? der : der.getBytes(), 'binary');
}

export interface BuiltCsr {
  pem: string;
  der: Buffer;
  /** SHA-256 of the SubjectPublicKeyInfo the CSR carries. */
  spkiSha256: string;
}

/** Build, sign (through `signer`) and self-verify a CSR for the public key `spki`. */
export async function buildCsr(spki: Buffer, profile: CsrProfile, signer: Signer): Promise<BuiltCsr> {
  if (!profile.subject.length)
    throw new TokenError('TOKEN_BAD_ARGUMENT', 'A CSR needs at least one subject attribute.');
  const csr = forge.pki.createCertificationRequest();
  // forge needs *a* key object to lay out the request; its SPKI is replaced below by the token's.
  csr.publicKey = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));
  try {
    csr.setSubject(profile.subject.map(forgeAttr));
  } catch (err) {
    throw new TokenError('TOKEN_BAD_ARGUMENT', `Bad subject: ${(err as Error).message}.`, {}, err);
  }
  const exts = extensions(profile);
  if (exts.length) csr.setAttributes([{ name: 'extensionRequest', extensions: exts }]);
  // getCertificationRequestInfo exists in forge but is missing from its typings.
  const pki = forge.pki as typeof forge.pki & {
    getCertificationRequestInfo(c: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
  };
  const cri = pki.getCertificationRequestInfo(csr);
  (cri.value as forge.asn1.Asn1[])[2] = asn1.fromDer(forge.util.createBuffer(spki.toString('binary')));
  const criDer = bytes(asn1.toDer(cri));

  const family = signer.algorithm.startsWith('rsa') ? 'rsa' : 'ec';
  const alg = SIG_ALG[family];
  const algId = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(alg.oid).getBytes()),
    ...(alg.nullParams ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : []),
  ]);
  const signature = await signer.sign(criDer);
  const request = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    cri,
    algId,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${signature.toString('binary')}`),
  ]);
  const der = bytes(asn1.toDer(request));

  // Never hand out a request the token did not really sign for this key.
  if (!verify('sha256', criDer, spkiKey(spki), signature)) {
    throw new TokenError('TOKEN_CSR_SELF_CHECK');
  }
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  return { pem, der, spkiSha256: createHash('sha256').update(spki).digest('hex') };
}

/** ECDSA r‖s (as PKCS#11 CKM_ECDSA returns it) → DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  const half = raw.length / 2;
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
