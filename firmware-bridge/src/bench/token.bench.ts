// make bench — USB-key personalisation on SoftHSM2: the driver, the same PKCS#11 calls made directly,
// and the usual command-line pipeline (OpenSC pkcs11-tool + openssl with the pkcs11 engine).
// Runs alternate driver / raw / pipeline pair by pair so RSA key-generation noise hits all three alike;
// the driver's own cost is also measured directly as its time outside PKCS#11 calls.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchFigures as Figures, median, recordBenchFigures as recordFigures } from '@certkiosk/config';
import pkcs11js from 'pkcs11js';
import { createThrowawayCa } from '../testing/openssl-ca.js';
import { buildCsr, parseSubject } from '../token/csr.js';
import { UsbKeyDriver } from '../token/driver.js';
import { type KeyAlgorithm, P256_PARAMS } from '../token/public-key.js';
import { tbsParts } from '../token/session.js';
import { createSoftHsmHome, SOFTHSM_MODULE } from '../token/softhsm.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 12);
const PINS = ['246813', '913572'];
const SO_PIN = 'bench-so-pin';
const SUBJECT = '/CN=张伟/O=深圳市测试科技有限公司/C=CN';

const home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-bench-')));
const ca = createThrowawayCa(join(home.dir, 'ca'));
const driver = UsbKeyDriver.open(SOFTHSM_MODULE);
const api = driver.module.api;

/** Time spent inside PKCS#11 calls (sync and async), to separate the driver's own work. */
let insidePkcs11 = 0;
const perCall = new Map<string, { n: number; ms: number }>();
const names = new Set<string>();
// pkcs11js defines the *Async variants on the instance, the rest on the prototypes.
for (let proto = api as object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
  for (const name of Object.getOwnPropertyNames(proto)) if (name.startsWith('C_')) names.add(name);
}
for (const name of names) {
  const fn = (api as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
  (api as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    const t0 = performance.now();
    const done = () => {
      const dt = performance.now() - t0;
      insidePkcs11 += dt;
      const c = perCall.get(name) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += dt;
      perCall.set(name, c);
    };
    const r = fn.apply(api, args);
    if (r instanceof Promise) return r.finally(done);
    done();
    return r;
  };
}

function freshToken(label: string): void {
  const free = driver.slots().find((s) => s.token && !s.token.flags.initialized);
  driver.initToken(free!.slotId, { label, soPin: SO_PIN, userPin: PINS[0]! });
}

interface Steps {
  keygen: number;
  csr: number;
  write: number;
  setPin: number;
  total: number;
  outside?: number;
}

async function viaDriver(label: string, alg: KeyAlgorithm, run: number): Promise<Steps> {
  const id = Buffer.from([run + 1]);
  const [oldPin, newPin] = [PINS[run % 2]!, PINS[(run + 1) % 2]!];
  let csrPem = '';
  let cert: X509Certificate | undefined;
  // The CA's work is not the driver's: issue the certificate from a first pass, then time the write.
  const steps: Partial<Steps> = {};
  insidePkcs11 = 0;
  let excluded = 0;
  const t0 = performance.now();
  await driver.withSession({ label }, oldPin, async (s) => {
    let t = performance.now();
    const kp = await s.generateKeyPair({ algorithm: alg, id, label: 'sign' });
    steps.keygen = performance.now() - t;
    t = performance.now();
    csrPem = (
      await buildCsr(
        kp.spki,
        { subject: parseSubject(SUBJECT), keyUsage: ['digitalSignature'] },
        s.signer(id),
      )
    ).pem;
    steps.csr = performance.now() - t;
    const caStart = performance.now();
    const insideBefore = insidePkcs11;
    cert = new X509Certificate(ca.sign(csrPem));
    excluded = performance.now() - caStart;
    insidePkcs11 = insideBefore;
    t = performance.now();
    s.writeCertificate(id, cert);
    steps.write = performance.now() - t;
    t = performance.now();
    s.setPin(oldPin, newPin);
    steps.setPin = performance.now() - t;
  });
  const total = performance.now() - t0 - excluded;
  return { ...(steps as Steps), total, outside: total - insidePkcs11 };
}

const CKF_RW_SERIAL = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;

/** The same PKCS#11 work with no driver: one session, the calls a minimal program must make. */
async function viaRawCalls(label: string, alg: KeyAlgorithm, run: number): Promise<Steps> {
  const id = Buffer.from([run + 1]);
  const [oldPin, newPin] = [PINS[run % 2]!, PINS[(run + 1) % 2]!];
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.startsWith(label))!;
  const rsa = alg !== 'ec-p256';
  let excluded = 0;
  const t0 = performance.now();
  const session = api.C_OpenSession(slot, CKF_RW_SERIAL);
  api.C_Login(session, pkcs11js.CKU_USER, oldPin);
  let t = performance.now();
  const keys = await api.C_GenerateKeyPairAsync(
    session,
    { mechanism: rsa ? pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN },
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_VERIFY, value: true },
      ...(rsa
        ? [
            { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
            { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          ]
        : [{ type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS }]),
    ],
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
    ],
  );
  api.C_GetAttributeValue(
    session,
    keys.publicKey,
    rsa
      ? [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]
      : [{ type: pkcs11js.CKA_EC_POINT }],
  );
  const keygen = performance.now() - t;
  t = performance.now();
  const tbs = Buffer.alloc(rsa ? 420 : 250, 7);
  api.C_SignInit(
    session,
    { mechanism: rsa ? pkcs11js.CKM_SHA256_RSA_PKCS : pkcs11js.CKM_ECDSA },
    keys.privateKey,
  );
  api.C_Sign(session, rsa ? tbs : createHash('sha256').update(tbs).digest(), Buffer.alloc(512));
  const csr = performance.now() - t;
  // A certificate of the right size (the driver's from the same run is reused; not timed).
  const c0 = performance.now();
  const value = new X509Certificate(readFileSync(join(ca.dir, 'ca.pem'), 'utf8')).raw;
  const parts = tbsParts(value);
  excluded += performance.now() - c0;
  t = performance.now();
  api.C_CreateObject(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: 'sign' },
    { type: pkcs11js.CKA_SUBJECT, value: parts.subject },
    { type: pkcs11js.CKA_ISSUER, value: parts.issuer },
    { type: pkcs11js.CKA_SERIAL_NUMBER, value: parts.serial },
    { type: pkcs11js.CKA_VALUE, value },
  ]);
  const write = performance.now() - t;
  t = performance.now();
  api.C_SetPIN(session, oldPin, newPin);
  const setPin = performance.now() - t;
  api.C_Logout(session);
  api.C_CloseSession(session);
  return { keygen, csr, write, setPin, total: performance.now() - t0 - excluded };
}

/** The usual shell pipeline: pkcs11-tool keygen, openssl req through the pkcs11 engine, pkcs11-tool writes. */
function viaPipeline(label: string, alg: KeyAlgorithm, run: number): Steps {
  const idHex = (run + 1).toString(16).padStart(2, '0');
  const [oldPin, newPin] = [PINS[run % 2]!, PINS[(run + 1) % 2]!];
  const env = { ...home.env, OPENSSL_CONF: engineConf };
  const tool = (...args: string[]) =>
    execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, ...args], {
      env,
      stdio: 'pipe',
    });
  let t = performance.now();
  tool(
    '--login',
    '--pin',
    oldPin,
    '--keypairgen',
    '--key-type',
    alg === 'ec-p256' ? 'EC:prime256v1' : 'rsa:2048',
    '--id',
    idHex,
    '--label',
    'sign',
  );
  const keygen = performance.now() - t;
  const csrFile = join(home.dir, `pipe-${label}-${run}.csr`);
  t = performance.now();
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-engine',
      'pkcs11',
      '-keyform',
      'engine',
      '-key',
      `pkcs11:token=${label};id=%${idHex};type=private;pin-value=${oldPin}`,
      '-subj',
      SUBJECT,
      '-utf8',
      '-out',
      csrFile,
    ],
    { env, stdio: 'pipe' },
  );
  const csr = performance.now() - t;
  const certPem = ca.sign(readFileSync(csrFile, 'utf8'));
  const derFile = join(home.dir, `pipe-${label}-${run}.der`);
  writeFileSync(derFile, new X509Certificate(certPem).raw);
  t = performance.now();
  tool(
    '--login',
    '--pin',
    oldPin,
    '--write-object',
    derFile,
    '--type',
    'cert',
    '--id',
    idHex,
    '--label',
    'sign',
  );
  const write = performance.now() - t;
  t = performance.now();
  tool('--login', '--pin', oldPin, '--change-pin', '--new-pin', newPin);
  const setPin = performance.now() - t;
  return { keygen, csr, write, setPin, total: keygen + csr + write + setPin };
}

const engineConf = join(home.dir, 'openssl-pkcs11.cnf');
writeFileSync(
  engineConf,
  `openssl_conf = openssl_init\n[openssl_init]\nengines = engine_section\n[engine_section]\npkcs11 = pkcs11_section\n[pkcs11_section]\nengine_id = pkcs11\nMODULE_PATH = ${SOFTHSM_MODULE}\ninit = 0\n`,
);

const fmt = (x: number) => x.toFixed(1).padStart(8);
const figures: Figures = {};
console.log(`USB-key personalisation on SoftHSM2, median of ${RUNS} runs (ms); CA signing excluded`);
console.log(
  `${'algorithm'.padEnd(10)} ${'path'.padEnd(9)} ${'keygen'.padStart(8)} ${'csr'.padStart(8)} ${'write'.padStart(8)} ${'set-pin'.padStart(8)} ${'total'.padStart(8)}`,
);
for (const alg of ['rsa2048', 'ec-p256'] as const) {
  const labels = { driver: `drv-${alg}`, raw: `raw-${alg}`, pipe: `pipe-${alg}` };
  for (const l of Object.values(labels)) freshToken(l);
  const results: Record<'driver' | 'raw' | 'pipe', Steps[]> = { driver: [], raw: [], pipe: [] };
  // Run 0 warms up (first-call costs of the module and the JIT are not per-key costs) and is not recorded.
  for (let run = 0; run <= RUNS; run++) {
    const d = await viaDriver(labels.driver, alg, run);
    const r = await viaRawCalls(labels.raw, alg, run);
    const p = viaPipeline(labels.pipe, alg, run);
    if (process.env['BENCH_PROFILE'] && run === 1) {
      console.log([...perCall].map(([k, v]) => `${k} ${v.n}× ${v.ms.toFixed(1)}ms`).join('\n'));
    }
    perCall.clear();
    if (run === 0) continue;
    results.driver.push(d);
    results.raw.push(r);
    results.pipe.push(p);
  }
  const m = (path: keyof typeof results, k: keyof Steps) => median(results[path].map((s) => s[k] ?? 0));
  for (const path of ['driver', 'raw', 'pipe'] as const) {
    console.log(
      `${alg.padEnd(10)} ${path.padEnd(9)} ${fmt(m(path, 'keygen'))} ${fmt(m(path, 'csr'))} ${fmt(m(path, 'write'))} ${fmt(m(path, 'setPin'))} ${fmt(m(path, 'total'))}`,
    );
  }
  const pairRatio = median(results.driver.map((d, i) => d.total / results.raw[i]!.total));
  const outsideShare = median(results.driver.map((d) => d.outside! / (d.total - d.outside!)));
  const vsPipe = m('pipe', 'total') / m('driver', 'total');
  console.log(
    `${alg.padEnd(10)} driver/raw per pair ${pairRatio.toFixed(3)}; driver's own work ${(outsideShare * 100).toFixed(1)} % of its PKCS#11 time; pipeline/driver ${vsPipe.toFixed(2)}×`,
  );
  figures[`token.personalise.${alg}.ms`] = { value: +m('driver', 'total').toFixed(2), unit: 'ms' };
  figures[`token.raw_ops.${alg}.ms`] = { value: +m('raw', 'total').toFixed(2), unit: 'ms' };
  figures[`token.pipeline.${alg}.ms`] = { value: +m('pipe', 'total').toFixed(2), unit: 'ms' };
  figures[`token.driver_overhead.${alg}.ratio`] = { value: +outsideShare.toFixed(4), unit: 'ratio' };
  figures[`token.pipeline_over_driver.${alg}.ratio`] = { value: +vsPipe.toFixed(2), unit: 'ratio' };
}
driver.close();
recordFigures(figures);
console.log('wrote bench-results.json');
