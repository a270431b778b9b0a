// A throwaway CA driven by the real `openssl` command, for tests and the benchmark: a peer no one here wrote.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ThrowawayCa {
  dir: string;
  caPem: string;
  /** Sign a CSR (PEM) and return the certificate PEM. */
  sign(csrPem: string, days?: number): string;
}

export function createThrowawayCa(dir: string): ThrowawayCa {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.pem');
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    key,
  ]);
  execFileSync('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    '/CN=certkiosk test CA/O=certkiosk',
    '-days',
    '30',
    '-out',
    cert,
  ]);
  const ext = join(dir, 'leaf.ext');
  writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=clientAuth\n',
  );
  let n = 0;
  return {
    dir,
    caPem: readFileSync(cert, 'utf8'),
    sign(csrPem, days = 365) {
      n++;
      const csr = join(dir, `req-${n}.csr`);
      const out = join(dir, `leaf-${n}.pem`);
      writeFileSync(csr, csrPem);
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          cert,
          '-CAkey',
          key,
          '-CAcreateserial',
          '-days',
          String(days),
          '-extfile',
          ext,
          '-out',
          out,
        ],
        {
          stdio: 'pipe',
        },
      );
      return readFileSync(out, 'utf8');
    },
  };
}
