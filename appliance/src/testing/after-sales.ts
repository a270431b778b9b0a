// Test support for the after-sales services: keys a holder brings to the kiosk, made as the CA's key workshop
// would (sim/held-keys.ts) and certified by the real central — a couriered key of a shipped order with its
// activation code, a key of ours whose order was never shipped, a key bound to another token, a key of
// another CA (self-signed) — their PINs locked by real wrong logins through the usbkey-sim module, a lost key
// with its approved reissue order (补办), and the holder's moves through the kiosk API.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveSoPin, deriveTransportPin } from '@certkiosk/firmware-bridge';
import * as x509 from '@peculiar/x509';
import { createApplianceClient } from '../api/client.js';
import type { ServiceView } from '../api/service-contract.js';
import type { SimDaemon } from '../sim/compose.js';
import { heldKey, makeHeldKey } from '../sim/held-keys.js';
import type { DaemonChild } from './daemon-child.js';
import { type CentralHandle, SIM_SECRETS_ENV } from './kiosk-harness.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SIM_MODULE = fileURLToPath(
  new URL('../../../firmware-bridge/dist/native/libcertkiosk-usbkey-sim.so', import.meta.url),
);
export const MASTER = Buffer.from(SIM_SECRETS_ENV.CERTKIOSK_SO_PIN_MASTER);
/** The card fixture long-term-wang-shufen. */
export const WANG_SHUFEN = { name: '王淑芬', idNumber: '110101195804020040' };
/** The card fixture mongol-batu. */
export const BATU = { name: '巴特尔', idNumber: '150102197911230011' };

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A key pair (PKCS#8 PEM) and a CSR over it, as a key workshop makes on the key. */
async function keyAndCsr(
  cn: string,
): Promise<{ keyPem: string; csrPem: string; keys: webcrypto.CryptoKeyPair }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: ALG,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const b64 = pkcs8.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`,
    csrPem: csr.toString('pem'),
    keys,
  };
}

/** An approved courier order at central (natural person). */
export async function courierOrder(
  central: CentralHandle,
  holder: { name: string; idNumber: string } = WANG_SHUFEN,
): Promise<string> {
  const order = await central.admin('POST', '/admin/v1/orders', {
    certificateType: 'natural-person',
    businessType: 'new',
    serviceYears: 1,
    hall: 'SZ-FUTIAN',
    delivery: 'courier',
    applicant: { name: holder.name, phone: '13500135000' },
    holder,
  });
  for (const action of ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'])
    await central.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action });
  return order.id as string;
}

export interface HeldCertifiedKey {
  name: string;
  orderId: string;
  tokenSerial: string;
  certificateSerial: string;
  /** The activation code (a shipped order). */
  code?: string;
}

/**
 * A key certified by central's key workshop for a courier order, with the SO-PIN and transport PIN the kiosk
 * derives from its serial, held in the tray as `name`. `ship` (default true): shipped, with its activation
 * code. `boundTo`: the token serial central records (default: the key's own; another one makes the key "not
 * ours" at central).
 */
export async function makeCourieredKey(
  central: CentralHandle,
  trayDir: string,
  name: string,
  opts: {
    holder?: { name: string; idNumber: string };
    ship?: boolean;
    boundTo?: string;
    /** The key's user PIN (default: the transport PIN the kiosk derives, as a couriered key comes). */
    userPin?: string;
  } = {},
): Promise<HeldCertifiedKey> {
  const orderId = await courierOrder(central, opts.holder);
  const builder = makeHeldKey(trayDir, name);
  const serial = builder.tokenSerial;
  const { keyPem, csrPem } = await keyAndCsr(orderId);
  const issued = await central.admin('POST', `/admin/v1/orders/${orderId}/certificates`, {
    csrPem,
    tokenSerial: opts.boundTo ?? serial,
  });
  let code: string | undefined;
  if (opts.ship !== false) {
    const shipped = await central.admin('POST', `/admin/v1/orders/${orderId}/actions`, { action: 'ship' });
    code = shipped.activationCode;
  }
  builder.load({
    keyPem,
    certPem: issued.certificatePem,
    chainPems: issued.chainPem,
    soPin: deriveSoPin(MASTER, serial),
    userPin: opts.userPin ?? deriveTransportPin(MASTER, serial),
  });
  return {
    name,
    orderId,
    tokenSerial: serial,
    certificateSerial: issued.serialNumber,
    ...(code ? { code } : {}),
  };
}

/** A renewal order (at the kiosk's hall) for a certificate of ours: paid online (default), awaiting payment at the kiosk, or submitted. */
export async function renewalOrder(
  central: CentralHandle,
  certificateSerial: string,
  /** pay: paid (default), false (submitted: not payable anywhere yet), 'at-kiosk' (awaiting payment at the kiosk). */
  opts: { pay?: boolean | 'at-kiosk'; holder?: { name: string } } = {},
): Promise<string> {
  const order = await central.admin('POST', '/admin/v1/orders', {
    certificateType: 'natural-person',
    businessType: 'renewal',
    serviceYears: 1,
    hall: 'SZ-FUTIAN',
    delivery: 'kiosk',
    applicant: { name: opts.holder?.name ?? WANG_SHUFEN.name, phone: '13500135000' },
    previousCertificateSerial: certificateSerial,
  });
  const actions =
    opts.pay === false
      ? []
      : opts.pay === 'at-kiosk'
        ? ['request-payment']
        : ['request-payment', 'pay-wechat'];
  for (const action of actions)
    await central.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action });
  return order.id as string;
}

/** A lost key (its certificate at central, the key itself gone) and the reissue order that replaces it. */
export interface LostKeyReissue {
  /** The reissue order, collected at a kiosk with its pickup code. */
  orderId: string;
  /** Its pickup code once approved ('' while it awaits payment). */
  pickupCode: string;
  /** The lost key's certificate (central's serial): revoked when the new one is issued. */
  lostSerial: string;
}

/**
 * 补办 as central sees it: `holder`'s certificate, certified by the key workshop onto a key that was shipped,
 * activated and then lost (no key is made: it is gone), and a reissue order for it, paid, reviewed and
 * approved, with its pickup code — or (`pay: 'at-kiosk'`) awaiting payment at a kiosk, before any review.
 */
export async function lostKeyReissue(
  central: CentralHandle,
  holder: { name: string; idNumber: string } = BATU,
  opts: { pay?: 'at-kiosk' } = {},
): Promise<LostKeyReissue> {
  const lostOrderId = await courierOrder(central, holder);
  const { csrPem } = await keyAndCsr(lostOrderId);
  const lost = await central.admin('POST', `/admin/v1/orders/${lostOrderId}/certificates`, {
    csrPem,
    tokenSerial: `LOST-${randomBytes(4).toString('hex')}`,
  });
  for (const action of ['ship', 'activate'])
    await central.admin('POST', `/admin/v1/orders/${lostOrderId}/actions`, { action });
  const order = await central.admin('POST', '/admin/v1/orders', {
    certificateType: 'natural-person',
    businessType: 'reissue',
    serviceYears: 1,
    hall: 'SZ-FUTIAN',
    delivery: 'kiosk',
    applicant: { name: holder.name, phone: '13400134000' },
    previousCertificateSerial: lost.serialNumber,
  });
  let pickupCode = '';
  const actions =
    opts.pay === 'at-kiosk'
      ? ['request-payment']
      : ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity', 'approve'];
  for (const action of actions)
    pickupCode =
      (await central.admin('POST', `/admin/v1/orders/${order.id}/actions`, { action })).pickupCode ?? '';
  return { orderId: order.id as string, pickupCode, lostSerial: lost.serialNumber as string };
}

/** A key carrying a self-signed certificate (another CA's, or none at all): the kiosk must refuse it. */
export async function makeForeignKey(trayDir: string, name: string): Promise<{ tokenSerial: string }> {
  const builder = makeHeldKey(trayDir, name);
  const { keyPem, keys } = await keyAndCsr('Somebody Else');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a1b2c3d4e5f',
    name: 'CN=张三, O=Another CA',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    signingAlgorithm: ALG,
    keys,
  });
  builder.load({
    keyPem,
    certPem: cert.toString('pem'),
    soPin: deriveSoPin(MASTER, builder.tokenSerial),
    userPin: deriveTransportPin(MASTER, builder.tokenSerial),
  });
  return { tokenSerial: builder.tokenSerial };
}

/**
 * Lock the user PIN of a held key (in the tray, pulled, or in the writer) by wrong logins through the
 * usbkey-sim module, whose try counters live in the kiosk's SoftHSM folder (`simDir/softhsm`), as a holder who
 * forgot it would.
 */
export function lockHeldKeyPin(simDir: string, name: string): number {
  const record = heldKey(join(simDir, 'key-tray'), name);
  if (!record) throw new Error(`no held key ${name}`);
  const where = [
    join(simDir, 'key-tray', 'held', name, 'tokens'),
    join(simDir, 'key-tray', 'pulled'),
    join(simDir, 'softhsm', 'tokens'),
  ].find((d) => existsSync(join(d, record.folder)));
  if (!where) throw new Error(`held key ${name} is nowhere`);
  // The module keeps its try counters there (the kiosk's SoftHSM folder, made now if the kiosk never ran).
  mkdirSync(join(simDir, 'softhsm'), { recursive: true });
  const confDir = mkdtempSync(join(tmpdir(), 'ck-lock-'));
  const conf = join(confDir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${where}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf, CERTKIOSK_SIM_STATE_DIR: join(simDir, 'softhsm') };
  try {
    for (let tries = 0; tries < 10; tries++) {
      try {
        execFileSync(
          'pkcs11-tool',
          ['--module', SIM_MODULE, '--token-label', record.label, '--login', '--pin', '000111', '-O'],
          { env, stdio: 'pipe' },
        );
      } catch (err) {
        const out = `${(err as { stdout?: Buffer }).stdout ?? ''}${(err as { stderr?: Buffer }).stderr ?? ''}`;
        if (out.includes('CKR_PIN_LOCKED')) return tries + 1;
      }
    }
  } finally {
    rmSync(confDir, { recursive: true, force: true });
  }
  throw new Error(`the PIN of held key ${name} did not lock`);
}

/** The kiosk's API as the holder's screen uses it for the services. */
export function serviceClient(base: string) {
  const api = createApplianceClient(base);
  const service = async (): Promise<ServiceView | null> => {
    const r = await api.state();
    if (!r.ok) throw new Error(`GET /api/state: ${r.status} ${r.error.code}`);
    return r.data.service;
  };
  return {
    api,
    service,
    /** Poll the state until `pred` holds for the service view (or fail with the last one seen). */
    async until(pred: (s: ServiceView | null) => boolean, timeoutMs = 20_000): Promise<ServiceView | null> {
      const end = Date.now() + timeoutMs;
      let last: ServiceView | null = null;
      while (Date.now() < end) {
        last = await service();
        if (pred(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out; last service state: ${JSON.stringify(last)}`);
    },
    async start(kind: ServiceView['kind']): Promise<ServiceView> {
      const r = await api.startService({ body: { kind } });
      if (!r.ok) throw new Error(`start ${kind}: ${r.status} ${JSON.stringify(r.error)}`);
      return r.data;
    },
    /** Leave whatever service is on screen (the result or error screen included). */
    async leave(): Promise<void> {
      await api.endService();
    },
  };
}

/** What the holder answers in a service journey played by `playServiceInChild`. */
export interface ServiceAnswers {
  /** The held key inserted when a key is asked for. */
  key: string;
  /** The activation code, typed when asked for. */
  code?: string;
  /** The card fixture placed when a card is asked for. */
  card: string;
  /** The PIN typed when a new PIN (activate, unlock) or the key's current PIN (renew) is asked for. */
  pin: string;
}

/**
 * Play the holder of a sim daemon in a child process from wherever its service stands until the service ends or
 * the process dies (a kill injected at a fault point): start it, insert the key, type the code, place the
 * card, type the PIN, retry what may be retried. The last view (null when the process died before any).
 */
export async function playServiceInChild(
  child: DaemonChild,
  kind: ServiceView['kind'],
  answers: ServiceAnswers,
  timeoutMs = 40_000,
): Promise<ServiceView | null> {
  const api = createApplianceClient(child.base);
  const alive = () => child.proc.exitCode === null && child.proc.signalCode === null;
  const deadline = Date.now() + timeoutMs;
  let acted = '';
  let last: ServiceView | null = null;
  while (Date.now() < deadline) {
    if (!alive()) return last;
    const state = await api.state();
    if (!state.ok) {
      if (state.status === 0) return last;
      throw new Error(`state: ${state.status}`);
    }
    const v = state.data.service;
    last = v;
    if (v && v.status !== 'active') return v;
    // Act once per need, step and error (an answer lost to the kill is acted on again).
    const what = v ? `${v.need}:${v.error?.code ?? ''}:${v.step}` : 'start';
    if (what !== acted) {
      acted = what;
      try {
        if (!v) await api.startService({ body: { kind } });
        else if (v.need === 'token') await api.simToken({ body: { action: 'insert', key: answers.key } });
        else if (v.need === 'activation-code') await api.serviceCode({ body: { code: answers.code! } });
        else if (v.need === 'id-card') {
          await api.simIdCard({ body: { fixture: null } });
          await api.simIdCard({ body: { fixture: answers.card } });
        } else if (v.need === 'pin' || v.need === 'current-pin')
          await api.servicePin({ body: { pin: answers.pin } });
        else if (v.error?.retryable) await api.serviceRetry({ body: {} });
        else acted = ''; // waiting: look again
      } catch {
        return last;
      }
    }
    await new Promise((r) => setTimeout(r, 60));
  }
  throw new Error(
    `the service did not finish; last ${JSON.stringify(last)}\n${child.output.slice(-30).join('\n')}`,
  );
}

/**
 * Between the tests of a sim kiosk's services: central reachable again, the open service ended (by staff, as
 * nothing else may end one mid effect) or the last one's screen left, keys pulled, the card taken.
 */
export async function clearServiceKiosk(
  k: { proxy?: { set(rules: never[]): void }; daemon: SimDaemon },
  s: ReturnType<typeof serviceClient>,
): Promise<void> {
  k.proxy?.set([]);
  const open = await s.service();
  if (open?.status === 'active') await k.daemon.services.wipe('staff');
  else await s.leave();
  k.daemon.sim.pullKeys();
  await k.daemon.sim.placeCard(null);
}
