// The CA's own keys and certificates: a root and an issuing CA, created on first start under <data>/ca/
// (private keys PKCS#8 PEM, mode 0600) and loaded from there afterwards. Central processes sharing a data
// directory share one CA: each makes its CA in a folder aside and renames it into place; the first rename wins,
// the others load the winner's, and no process ever sees a half-written CA or keys of two CAs mixed.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CA_KEY_ALGORITHM, CA_SIGNING_ALGORITHM, subtle, x509 } from './x509.js';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

export interface CaKeys {
  rootCert: x509.X509Certificate;
  issuingCert: x509.X509Certificate;
  issuingKey: CryptoKey;
}

/** A positive 128-bit random serial, hex (a leading 00 keeps the DER integer positive). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  return ((b[0] ?? 0) & 0x80 ? '00' : '') + b.toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return subtle.importKey('pkcs8', der, CA_KEY_ALGORITHM, false, ['sign']);
}

async function create(dir: string, now: number): Promise<void> {
  const notBefore = new Date(now - 60_000);
  const rootKeys = (await subtle.generateKey(CA_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ C: ['CN'] }, { O: ['CertKiosk Reference CA'] }, { CN: ['CertKiosk Reference Root CA'] }],
    notBefore,
    notAfter: new Date(now + 20 * YEAR_MS),
    signingAlgorithm: CA_SIGNING_ALGORITHM,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const issuingKeys = (await subtle.generateKey(CA_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ C: ['CN'] }, { O: ['CertKiosk Reference CA'] }, { CN: ['CertKiosk Reference Issuing CA'] }],
    issuer: root.subjectName,
    notBefore,
    notAfter: new Date(now + 10 * YEAR_MS),
    signingAlgorithm: CA_SIGNING_ALGORITHM,
    publicKey: issuingKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(issuingKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  writeSecret(
    join(dir, 'root.key.pem'),
    toPem(await subtle.exportKey('pkcs8', rootKeys.privateKey), 'PRIVATE KEY'),
  );
  writeSecret(
    join(dir, 'issuing.key.pem'),
    toPem(await subtle.exportKey('pkcs8', issuingKeys.privateKey), 'PRIVATE KEY'),
  );
  writeFileSync(join(dir, 'root.cert.pem'), root.toString('pem'));
  writeFileSync(join(dir, 'issuing.cert.pem'), issuing.toString('pem'));
}

/** Load the CA from <dataDir>/ca, creating it on first start. */
export async function openAuthority(dataDir: string, now: number): Promise<CaKeys> {
  const dir = join(dataDir, 'ca');
  if (!existsSync(join(dir, 'issuing.cert.pem'))) await createInPlaceOf(dir, now);
  return {
    rootCert: new x509.X509Certificate(readFileSync(join(dir, 'root.cert.pem'), 'utf8')),
    issuingCert: new x509.X509Certificate(readFileSync(join(dir, 'issuing.cert.pem'), 'utf8')),
    issuingKey: await importKey(readFileSync(join(dir, 'issuing.key.pem'), 'utf8')),
  };
}

/** A new CA made aside and renamed to `dir` (over a missing or empty folder); a CA already there is kept. */
async function createInPlaceOf(dir: string, now: number): Promise<void> {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  const aside = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(aside, { mode: 0o700 });
  try {
    await create(aside, now);
    renameSync(aside, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}
