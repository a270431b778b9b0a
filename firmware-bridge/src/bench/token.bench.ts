// make bench — USB-key personalisation on SoftHSM2, three ways:
//   personalise  the whole personalisation as the appliance engine runs it: one driver call (and session) per
//                step — find the blank key, prepareBlankKey (init token, SO-PIN, transport PIN), keygen, csr,
//                importCertificate (leaf + 1 CA), setPin, a test signature with the new PIN
//   raw          the bare minimum PKCS#11 calls for the same work, straight pkcs11js, in one session
//   pipeline     the usual command line (OpenSC pkcs11-tool + openssl with the pkcs11 engine) for keygen, csr,
//                write and set-pin on a prepared key
// Runs alternate personalise / raw / pipeline pair by pair so noise hits all three alike. The CA (openssl) is
// not the token's work: its time is left out. Every PKCS#11 call is timed, so the gap between personalise and
// raw is printed call by call.
import { execFileSync } from 'node:child_process';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchFigures as Figures, median, recordBenchFigures as recordFigures } from '@certkiosk/config';
import pkcs11js from 'pkcs11js';
import { createThrowawayCa } from '../testing/openssl-ca.js';
import { parseSubject } from '../token/csr.js';
import { UsbKeyDriver } from '../token/driver.js';
import { type KeyAlgorithm, P256_PARAMS } from '../token/public-key.js';
import { tbsParts } from '../token/session.js';
import { deriveSoPin, deriveTransportPin } from '../token/so-pin.js';
import { createSoftHsmHome, SOFTHSM_MODULE, softHsmTokenFolder } from '../token/softhsm.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 12);
const PINS = ['246813', '913572'];
const HOLDER_PIN = '580371';
const SO_PIN = 'bench-so-pin';
const MASTER = Buffer.from('certkiosk bench master secret, 32b');
const SUBJECT = '/CN=张伟/O=深圳市测试科技有限公司/C=CN';

const home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'token-bench-')));
const ca = createThrowawayCa(join(home.dir, 'ca'));
const caCert = new X509Certificate(ca.caPem);
const driver = UsbKeyDriver.open(SOFTHSM_MODULE);
const api = driver.module.api;

/** Time spent inside PKCS#11 calls (sync and async), per call name, to separate the driver's own work. */
let insidePkcs11 = 0;
let perCall = new Map<string, { n: number; ms: number }>();
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

/** Work left out of a timed path (the CA): its wall time and the PKCS#11 time inside it. */
async function excluded<T>(fn: () => T | Promise<T>, into: { ms: number }): Promise<T> {
  const t0 = performance.now();
  const inside = insidePkcs11;
  const calls = new Map([...perCall].map(([k, v]) => [k, { ...v }]));
  const r = await fn();
  into.ms += performance.now() - t0;
  insidePkcs11 = inside;
  perCall = calls;
  return r;
}

interface Run {
  steps: Record<string, number>;
  total: number;
  /** Time in C_GenerateKeyPair (for RSA a random prime search: the noisiest part by far). */
  keyGeneration: number;
  /** Wall time outside PKCS#11 calls. */
  outside: number;
  calls: Map<string, { n: number; ms: number }>;
}

function blankSlot(): string {
  const free = driver.slots().find((s) => s.token && !s.token.flags.initialized);
  if (!free) throw new Error('SoftHSM offers no free slot');
  return free.slotId;
}

/** The whole personalisation as the appliance engine makes it: one driver call per step. */
async function personalise(alg: KeyAlgorithm, run: number): Promise<Run & { serial: string; leaf: Buffer }> {
  const label = `drv-${alg}-${run}`;
  const id = Buffer.from([run + 1, 0xd0]);
  const steps: Record<string, number> = {};
  const ca$ = { ms: 0 };
  insidePkcs11 = 0;
  perCall = new Map();
  const t0 = performance.now();
  let t = t0;
  const lap = (step: string) => {
    const now = performance.now();
    steps[step] = (steps[step] ?? 0) + now - t;
    t = now;
  };

  // token-ready: a blank key (SoftHSM's gets its serial, which the transport PIN derives from, at init).
  const blank = blankSlot();
  const prepared = await driver.prepareBlankKeyAsync(blank, {
    label,
    masterSecret: MASTER,
    transportPin: (serial) => deriveTransportPin(MASTER, serial),
  });
  const ref = { serial: prepared.serial };
  const pin = deriveTransportPin(MASTER, prepared.serial);
  lap('prepare');
  const kp = await driver.keygen(ref, pin, { algorithm: alg, id, label: 'signing key' });
  lap('keygen');
  const csr = await driver.csr(ref, pin, id, {
    subject: parseSubject(SUBJECT),
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extKeyUsage: ['clientAuth'],
  });
  lap('csr');
  const cert = await excluded(() => new X509Certificate(ca.sign(csr.pem)), ca$);
  t += ca$.ms;
  await driver.importCertificate(ref, pin, id, cert, [caCert]);
  lap('write');
  await driver.setPin(ref, pin, HOLDER_PIN);
  lap('setPin');
  const data = Buffer.from(`certkiosk verification ${run}`);
  const signature = await driver.withSession(ref, HOLDER_PIN, (s) => s.signer(id).sign(data));
  if (!verify('sha256', data, cert.publicKey, signature)) throw new Error('test signature does not verify');
  lap('testSign');
  const total = performance.now() - t0 - ca$.ms;
  if (kp.spkiSha256 !== createHash('sha256').update(kp.spki).digest('hex')) throw new Error('bad SPKI');
  const keyGeneration = perCall.get('C_GenerateKeyPairAsync')?.ms ?? 0;
  return {
    steps,
    total,
    keyGeneration,
    outside: total - insidePkcs11,
    calls: new Map(perCall),
    serial: prepared.serial,
    leaf: cert.raw,
  };
}

const CKF_RW_SERIAL = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
const blankTrim = (s: string) => s.replace(/[\s\0]+$/, '');

/** The same PKCS#11 work with no driver: the calls a minimal program must make, in one session. */
async function rawCalls(alg: KeyAlgorithm, run: number, leaf: Buffer): Promise<Run & { serial: string }> {
  const label = `raw-${alg}-${run}`;
  const id = Buffer.from([run + 1, 0xa0]);
  const rsa = alg !== 'ec-p256';
  // Certificate values of the right size (the driver's leaf from the same pair), parsed beforehand.
  const leafParts = tbsParts(leaf);
  const caParts = tbsParts(caCert.raw);
  const cri = Buffer.alloc(rsa ? 420 : 250, 7); // a CertificationRequestInfo's worth of bytes to sign
  const steps: Record<string, number> = {};
  insidePkcs11 = 0;
  perCall = new Map();
  const t0 = performance.now();
  let t = t0;
  const lap = (step: string) => {
    const now = performance.now();
    steps[step] = (steps[step] ?? 0) + now - t;
    t = now;
  };
  // Raw calls too take the module's turn (nothing else runs here; it costs a promise).
  const serial = await driver.module.exclusive(async () => {
    const blank = api
      .C_GetSlotList(true)
      .find((s) => !(api.C_GetTokenInfo(s).flags & pkcs11js.CKF_TOKEN_INITIALIZED))!;
    const padded = Buffer.alloc(32, ' ');
    padded.write(label, 'utf8');
    api.C_InitToken(blank, SO_PIN, padded.toString('utf8'));
    // SoftHSM moves the new token to another slot and gives it its serial only now.
    let slot: Buffer | undefined;
    let serial = '';
    for (const s of api.C_GetSlotList(true)) {
      const info = api.C_GetTokenInfo(s);
      if (blankTrim(info.label) === label) {
        slot = s;
        serial = blankTrim(info.serialNumber);
        break;
      }
    }
    const session = api.C_OpenSession(slot!, CKF_RW_SERIAL);
    api.C_Login(session, pkcs11js.CKU_SO, SO_PIN);
    api.C_SetPIN(session, SO_PIN, deriveSoPin(MASTER, serial));
    const pin = deriveTransportPin(MASTER, serial);
    api.C_InitPIN(session, pin);
    api.C_Logout(session);
    api.C_Login(session, pkcs11js.CKU_USER, pin);
    lap('prepare');
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
    lap('keygen');
    const mechanism = { mechanism: rsa ? pkcs11js.CKM_SHA256_RSA_PKCS : pkcs11js.CKM_ECDSA };
    const sign = (data: Buffer, key = keys.privateKey) => {
      api.C_SignInit(session, mechanism, key);
      return api.C_Sign(session, rsa ? data : createHash('sha256').update(data).digest(), Buffer.alloc(512));
    };
    sign(cri);
    lap('csr');
    const writeCert = (value: Buffer, parts: ReturnType<typeof tbsParts>, certId: Buffer) =>
      api.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
        { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: certId },
        { type: pkcs11js.CKA_LABEL, value: 'sign' },
        { type: pkcs11js.CKA_SUBJECT, value: parts.subject },
        { type: pkcs11js.CKA_ISSUER, value: parts.issuer },
        { type: pkcs11js.CKA_SERIAL_NUMBER, value: parts.serial },
        { type: pkcs11js.CKA_VALUE, value },
      ]);
    writeCert(leaf, leafParts, id);
    writeCert(caCert.raw, caParts, Buffer.from('ca'));
    lap('write');
    api.C_SetPIN(session, pin, HOLDER_PIN);
    lap('setPin');
    // The test signature proves the new PIN: log in with it (private-key handles do not survive a logout).
    api.C_Logout(session);
    api.C_Login(session, pkcs11js.CKU_USER, HOLDER_PIN);
    api.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    const [key] = api.C_FindObjects(session, 1);
    api.C_FindObjectsFinal(session);
    sign(Buffer.from(`certkiosk verification ${run}`), key);
    api.C_Logout(session);
    api.C_CloseSession(session);
    lap('testSign');
    return serial;
  });
  const total = performance.now() - t0;
  const keyGeneration = perCall.get('C_GenerateKeyPairAsync')?.ms ?? 0;
  return { steps, total, keyGeneration, outside: total - insidePkcs11, calls: new Map(perCall), serial };
}

/** Take a personalised key out of the writer: its SoftHSM folder goes, the module rescans (not timed). */
async function pull(serial: string): Promise<void> {
  rmSync(softHsmTokenFolder(home, serial), { recursive: true, force: true });
  await driver.module.rescanAsync();
}

interface PipeSteps {
  keygen: number;
  csr: number;
  write: number;
  setPin: number;
  total: number;
}

/** The usual shell pipeline: pkcs11-tool keygen, openssl req through the pkcs11 engine, pkcs11-tool writes. */
function viaPipeline(label: string, alg: KeyAlgorithm, run: number): PipeSteps {
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

const STEPS = ['prepare', 'keygen', 'csr', 'write', 'setPin', 'testSign'] as const;
const fmt = (x: number, w = 8) => x.toFixed(1).padStart(w);
const figures: Figures = {};
console.log(`USB-key personalisation on SoftHSM2, median of ${RUNS} runs (ms); CA signing excluded`);
console.log(
  `${'algorithm'.padEnd(10)} ${'path'.padEnd(12)} ${STEPS.map((s) => s.padStart(8)).join(' ')} ${'total'.padStart(8)}`,
);
for (const alg of ['rsa2048', 'ec-p256'] as const) {
  const pipeLabel = `pipe-${alg}`;
  driver.initToken(blankSlot(), { label: pipeLabel, soPin: SO_PIN, userPin: PINS[0]! });
  const results = { personalise: [] as Run[], raw: [] as Run[], pipe: [] as PipeSteps[] };
  // Run 0 warms up (first-call costs of the module and the JIT are not per-key costs) and is not recorded.
  for (let run = 0; run <= RUNS; run++) {
    const d = await personalise(alg, run);
    const r = await rawCalls(alg, run, d.leaf);
    const p = viaPipeline(pipeLabel, alg, run);
    // A kiosk has one key in the writer: the finished ones leave, so slot listings stay kiosk-sized.
    await pull(d.serial);
    await pull(r.serial);
    if (run === 0) continue;
    results.personalise.push(d);
    results.raw.push(r);
    results.pipe.push(p);
  }
  const med = (runs: Run[], f: (r: Run) => number) => median(runs.map(f));
  for (const path of ['personalise', 'raw'] as const) {
    const runs = results[path];
    console.log(
      `${alg.padEnd(10)} ${path.padEnd(12)} ${STEPS.map((s) => fmt(med(runs, (r) => r.steps[s] ?? 0))).join(' ')} ${fmt(med(runs, (r) => r.total))}`,
    );
  }
  const pm = (k: keyof PipeSteps) => median(results.pipe.map((p) => p[k]));
  console.log(
    `${alg.padEnd(10)} ${'pipeline'.padEnd(12)} ${'-'.padStart(8)} ${fmt(pm('keygen'))} ${fmt(pm('csr'))} ${fmt(pm('write'))} ${fmt(pm('setPin'))} ${'-'.padStart(8)} ${fmt(pm('total'))}`,
  );

  // The gap, pair by pair, with the key generation (a random prime search for RSA, the same work on both
  // paths) taken as the raw run's on both sides so it does not drown the rest.
  const pairs = results.personalise.map((d, i) => ({ d, r: results.raw[i]! }));
  const ratio = median(pairs.map(({ d, r }) => (d.total - d.keyGeneration + r.keyGeneration) / r.total));
  const plainRatio = med(results.personalise, (r) => r.total) / med(results.raw, (r) => r.total);
  const outsideShare = median(results.personalise.map((d) => d.outside / (d.total - d.outside)));
  const sameStepsDriver = median(
    results.personalise.map(
      (d) => d.steps['keygen']! + d.steps['csr']! + d.steps['write']! + d.steps['setPin']!,
    ),
  );
  const vsPipe = pm('total') / sameStepsDriver;
  console.log(
    `${alg.padEnd(10)} personalise/raw ${ratio.toFixed(3)} (key generation alike; plain medians ${plainRatio.toFixed(3)}); driver's own work ${(outsideShare * 100).toFixed(1)} % of its PKCS#11 time; pipeline/driver (keygen..set-pin) ${vsPipe.toFixed(2)}×`,
  );

  // Call by call: where the personalise path spends more than the raw one (per personalisation).
  const perRun = (runs: Run[]) => {
    const sum = new Map<string, { n: number; ms: number }>();
    for (const r of runs)
      for (const [k, v] of r.calls) {
        const c = sum.get(k) ?? { n: 0, ms: 0 };
        c.n += v.n / runs.length;
        c.ms += v.ms / runs.length;
        sum.set(k, c);
      }
    return sum;
  };
  const dCalls = perRun(results.personalise);
  const rCalls = perRun(results.raw);
  const rows = [...new Set([...dCalls.keys(), ...rCalls.keys()])]
    .filter((k) => k !== 'C_GenerateKeyPairAsync')
    .map((k) => {
      const d = dCalls.get(k) ?? { n: 0, ms: 0 };
      const r = rCalls.get(k) ?? { n: 0, ms: 0 };
      return { k, d, r, gap: d.ms - r.ms };
    })
    .sort((a, b) => b.gap - a.gap);
  const outside = (runs: Run[]) => runs.reduce((a, r) => a + r.outside, 0) / runs.length;
  rows.push({
    k: '(outside PKCS#11)',
    d: { n: 0, ms: outside(results.personalise) },
    r: { n: 0, ms: outside(results.raw) },
    gap: outside(results.personalise) - outside(results.raw),
  });
  console.log(`${alg} gap by call (mean per personalisation; key generation left out):`);
  console.log(
    `  ${'call'.padEnd(24)} ${'n drv'.padStart(6)} ${'ms drv'.padStart(7)} ${'n raw'.padStart(6)} ${'ms raw'.padStart(7)} ${'gap ms'.padStart(7)}`,
  );
  for (const { k, d, r, gap } of rows) {
    if (Math.abs(gap) < 0.05 && d.n === r.n) continue;
    console.log(
      `  ${k.padEnd(24)} ${d.n.toFixed(0).padStart(6)} ${fmt(d.ms, 7)} ${r.n.toFixed(0).padStart(6)} ${fmt(r.ms, 7)} ${fmt(gap, 7)}`,
    );
  }

  figures[`token.personalise.${alg}.ms`] = {
    value: +med(results.personalise, (r) => r.total).toFixed(2),
    unit: 'ms',
  };
  figures[`token.raw_ops.${alg}.ms`] = { value: +med(results.raw, (r) => r.total).toFixed(2), unit: 'ms' };
  figures[`token.personalise_vs_raw.${alg}.ratio`] = { value: +ratio.toFixed(3), unit: 'ratio' };
  figures[`token.pipeline.${alg}.ms`] = { value: +pm('total').toFixed(2), unit: 'ms' };
  figures[`token.driver_overhead.${alg}.ratio`] = { value: +outsideShare.toFixed(4), unit: 'ratio' };
  figures[`token.pipeline_over_driver.${alg}.ratio`] = { value: +vsPipe.toFixed(2), unit: 'ratio' };
}
driver.close();
recordFigures(figures);
console.log('wrote bench-results.json');
