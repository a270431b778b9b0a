// Demo data. The pickup demo: a few orders in different statuses, including an approved natural-person order
// whose holder matches the emulator's ID-card fixture (张伟, 440305198503071238). Seeded into an empty store.
// The after-sales demo (seeded once into a store that has no renewal or reissue order yet):
// - a couriered key: a shipped order of 王淑芬 with its certificate and the fixed activation code
//   DEMO_ACTIVATION_CODE;
// - a key due for renewal: 张伟's certificate, issued ten and a half months ago for one year (it runs out in
//   DEMO_RENEWAL_DAYS_LEFT days), and a renewal order for it awaiting payment, paid at the kiosk (WeChat Pay);
// - a lost key: 巴特尔's certificate, and an approved reissue order for it with its pickup code (phone page);
// - another lost key: 王淑芬's second certificate, and a reissue order for it awaiting payment at the kiosk: found by
//   the look-up with her card (long-term-wang-shufen) and paid there (在此支付), before the CA reviews it.
// The couriered and the renewal certificate are made for key pairs generated here: their private keys are
// written (0600) with the certificates to `tokenDir` when given, for the demo to put onto SoftHSM tokens
// (softhsm2-util --import) and bind to the token's serial (POST /admin/v1/certificates/:serial/token).

import { createHash, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BusinessType, CreateOrderRequest, OrderAction } from '../contract/index.js';
import { mapSeq } from './async-list.js';
import type { CentralContext } from './context.js';

export const DEMO_HOLDER = { name: '张伟', idNumber: '440305198503071238' } as const;
/** The emulator's long-term card fixture (long-term-wang-shufen): the couriered key's holder. */
export const DEMO_COURIER_HOLDER = { name: '王淑芬', idNumber: '110101195804020040' } as const;
/** The emulator's card fixture mongol-batu: the holder who lost his key. */
export const DEMO_REISSUE_HOLDER = { name: '巴特尔', idNumber: '150102197911230011' } as const;
/** The couriered demo key's activation code (fixed, so a restarted demo prints the same). Demo only. */
export const DEMO_ACTIVATION_CODE = '246810';
/** Days the demo certificate due for renewal has left when seeded. */
export const DEMO_RENEWAL_DAYS_LEFT = 45;
/** Token serials recorded for the seeded keys until the demo binds its SoftHSM tokens' real serials. */
export const DEMO_TOKEN_SERIALS = { courier: 'DEMO-COURIER-KEY', renewal: 'DEMO-RENEWAL-KEY' } as const;

export interface SeededOrder {
  id: string;
  status: string;
  kind: BusinessType;
  phonePath: string;
  label: string;
}

/** A seeded certificate meant for a demo USB key. */
export interface DemoKey {
  certificateSerial: string;
  orderId: string;
  /** The token serial central has for it (DEMO_TOKEN_SERIALS until bound). */
  tokenSerial: string;
  notAfter: string;
  /** In tokenDir when it was given at seeding: `<name>.key.pem` (PKCS#8) and `<name>.cert.pem`. */
  keyFile?: string;
  certFile?: string;
}

/** The after-sales demo facts (what `certkiosk-central --seed-demo` writes to demo-facts.json). */
export interface AfterSalesSeed {
  activation: DemoKey & { code: string; codeExpiresAt: string };
  /** The renewal order awaits payment at the kiosk; its phone page carries the demo's pay button. */
  renewal: DemoKey & { renewalOrderId: string; phonePath: string };
  reissue: { orderId: string; phonePath: string; lostCertificateSerial: string };
  /** A reissue awaiting payment at the kiosk: the look-up by 王淑芬's card offers 在此支付 (Pay here). */
  payAtKiosk: { orderId: string; phonePath: string; lostCertificateSerial: string; amountFen: number };
}

export interface SeedResult {
  created: boolean;
  orders: SeededOrder[];
  afterSales?: AfterSalesSeed;
}

const PAID: OrderAction[] = ['request-payment', 'pay-wechat'];
const APPROVED: OrderAction[] = [...PAID, 'request-identity', 'verify-identity', 'approve'];
const DAY_MS = 24 * 3600 * 1000;

export async function seedDemo(
  ctx: CentralContext,
  hall: string,
  opts: { tokenDir?: string } = {},
): Promise<SeedResult> {
  const list = async () =>
    mapSeq(await ctx.orders.list(), async (o) => ({
      id: o.id,
      status: o.status,
      kind: o.businessType,
      phonePath: `/p/${(await ctx.orders.row(o.id)).view_token}`,
      label: `${o.businessType === 'new' ? '' : `${o.businessType} · `}${o.certificateType} · ${o.holder?.name ?? o.organisation?.name ?? ''}`,
    }));
  let created = false;
  if ((await ctx.orders.list()).length === 0) {
    await seedPickup(ctx, hall);
    created = true;
  }
  const hasAfterSales = (await ctx.orders.list()).some(
    (o) => o.businessType === 'renewal' || o.businessType === 'reissue',
  );
  if (!hasAfterSales) {
    await seedAfterSales(ctx, hall, opts.tokenDir);
    created = true;
  }
  if (!(await payAtKioskOrder(ctx))) {
    await seedPayAtKiosk(ctx, hall);
    created = true;
  }
  const afterSales = await afterSalesFacts(ctx, opts.tokenDir);
  return { created, orders: await list(), ...(afterSales ? { afterSales } : {}) };
}

async function seedPickup(ctx: CentralContext, hall: string): Promise<void> {
  const base = { businessType: 'new', serviceYears: 1, hall, delivery: 'kiosk' } as const;
  const plan: Array<[CreateOrderRequest, OrderAction[], string?]> = [
    [
      {
        ...base,
        certificateType: 'natural-person',
        applicant: { name: DEMO_HOLDER.name, phone: '13800138000' },
        holder: { ...DEMO_HOLDER },
      },
      APPROVED,
    ],
    [
      {
        ...base,
        certificateType: 'organisation-individual',
        serviceYears: 2,
        applicant: { name: '李娜', phone: '13900139000' },
        organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
        holder: { name: '李娜', idNumber: '110105198503150027' },
      },
      ['request-payment', 'choose-transfer'],
    ],
    [
      {
        ...base,
        certificateType: 'organisation',
        applicant: { name: '陈强', phone: '13700137000' },
        organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
        legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
        handler: { name: '陈强', idNumber: '440305199203040012' },
      },
      APPROVED.slice(0, -1),
    ],
    [
      {
        ...base,
        certificateType: 'natural-person',
        applicant: { name: '刘洋', phone: '13600136000' },
        holder: { name: '刘洋', idNumber: '440106198812120019' },
      },
      [...APPROVED.slice(0, -1), 'reject'],
      'The scanned ID card image is unreadable; please upload it again.',
    ],
  ];
  for (const [req, actions, reason] of plan)
    await walk(ctx, (await ctx.orders.create(req)).id, actions, reason);
}

async function walk(ctx: CentralContext, id: string, actions: OrderAction[], reason?: string): Promise<void> {
  for (const action of actions)
    await ctx.orders.act(id, { action, ...(action === 'reject' && reason ? { reason } : {}) });
}

/** A key pair made here for a demo key: the public key to certify, the private key (PKCS#8 PEM) for the token. */
async function demoKeyPair() {
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  const b64 = pkcs8.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    publicKey: pair.publicKey,
    publicKeySha256: createHash('sha256').update(spki).digest('hex'),
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`,
  };
}

/** An order of `holder`, walked to approved, with a certificate the CA issued (notBefore `daysAgo` days ago). */
async function certified(
  ctx: CentralContext,
  hall: string,
  holder: { name: string; idNumber: string },
  delivery: 'kiosk' | 'courier',
  serviceYears: number,
  daysAgo: number,
  tokenSerial: string,
) {
  const order = await ctx.orders.create({
    certificateType: 'natural-person',
    businessType: 'new',
    serviceYears,
    hall,
    delivery,
    applicant: { name: holder.name, phone: '13500135000' },
    holder: { ...holder },
  });
  await walk(ctx, order.id, APPROVED);
  const key = await demoKeyPair();
  const cert = await ctx.issuer.issueAtCa(
    order.id,
    { publicKey: key.publicKey, publicKeySha256: key.publicKeySha256, tokenSerial },
    new Date(ctx.now() - daysAgo * DAY_MS),
  );
  return { orderId: order.id, cert, privateKeyPem: key.privateKeyPem };
}

const SEED_NOTE = 'demo seed: certificate issued by the CA';

async function seedAfterSales(ctx: CentralContext, hall: string, tokenDir?: string): Promise<void> {
  // The couriered key: certified at the CA's key workshop, shipped, waiting for its code.
  const courier = await certified(
    ctx,
    hall,
    DEMO_COURIER_HOLDER,
    'courier',
    1,
    2,
    DEMO_TOKEN_SERIALS.courier,
  );
  await ctx.orders.act(courier.orderId, { action: 'ship' });
  await ctx.activation.create(courier.orderId, DEMO_ACTIVATION_CODE);

  // The key due for renewal: one year, issued (and activated) so that DEMO_RENEWAL_DAYS_LEFT days remain; its
  // renewal is paid at the kiosk during the renewal (WeChat Pay Native; the simulator's payer on the phone page).
  const due = await withFollowUp(
    ctx,
    hall,
    DEMO_HOLDER,
    { years: 1, daysAgo: 365 - DEMO_RENEWAL_DAYS_LEFT, tokenSerial: DEMO_TOKEN_SERIALS.renewal },
    { businessType: 'renewal', serviceYears: 1, phone: '13800138000', actions: ['request-payment'] },
  );

  // The lost key: its certificate (two years, issued 100 days ago), and an approved reissue order for it.
  await withFollowUp(
    ctx,
    hall,
    DEMO_REISSUE_HOLDER,
    { years: 2, daysAgo: 100, tokenSerial: 'DEMO-LOST-KEY' },
    { businessType: 'reissue', serviceYears: 2, phone: '13400134000', actions: APPROVED },
  );

  if (tokenDir) {
    mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
    for (const [name, k] of [
      ['courier', courier],
      ['renewal', due],
    ] as const) {
      const keyFile = join(tokenDir, `${name}.key.pem`);
      writeFileSync(keyFile, k.privateKeyPem, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
      writeFileSync(join(tokenDir, `${name}.cert.pem`), k.cert.certificatePem);
    }
  }
}

/**
 * `holder`'s certificate issued at a kiosk of the hall `daysAgo` days ago and activated, and the order that follows
 * it (a renewal, a reissue of the key lost) walked through `actions`.
 */
async function withFollowUp(
  ctx: CentralContext,
  hall: string,
  holder: { name: string; idNumber: string },
  cert: { years: number; daysAgo: number; tokenSerial: string },
  next: { businessType: 'renewal' | 'reissue'; serviceYears: number; phone: string; actions: OrderAction[] },
) {
  const issued = await certified(ctx, hall, holder, 'kiosk', cert.years, cert.daysAgo, cert.tokenSerial);
  await ctx.orders.act(issued.orderId, { action: 'issue-at-kiosk', reason: SEED_NOTE });
  await ctx.orders.act(issued.orderId, { action: 'activate' });
  const order = await ctx.orders.create({
    certificateType: 'natural-person',
    businessType: next.businessType,
    serviceYears: next.serviceYears,
    hall,
    delivery: 'kiosk',
    applicant: { name: holder.name, phone: next.phone },
    previousCertificateSerial: issued.cert.serialNumber,
  });
  await walk(ctx, order.id, next.actions);
  return issued;
}

/**
 * Another lost key: 王淑芬's second certificate (issued 200 days ago) and its reissue, paid at the kiosk through the
 * look-up (WeChat Pay Native; the simulator's payer on the phone page) before the CA reviews it.
 */
async function seedPayAtKiosk(ctx: CentralContext, hall: string): Promise<void> {
  await withFollowUp(
    ctx,
    hall,
    DEMO_COURIER_HOLDER,
    { years: 1, daysAgo: 200, tokenSerial: 'DEMO-LOST-KEY-2' },
    { businessType: 'reissue', serviceYears: 1, phone: '13500135000', actions: ['request-payment'] },
  );
}

/** 王淑芬's reissue order (the one paid at the kiosk), whatever became of it since. */
async function payAtKioskOrder(ctx: CentralContext) {
  return (await ctx.orders.list()).find(
    (o) => o.businessType === 'reissue' && o.holder?.idNumber === DEMO_COURIER_HOLDER.idNumber,
  );
}

/** The after-sales demo facts from the store (seeded now or by an earlier run). */
async function afterSalesFacts(ctx: CentralContext, tokenDir?: string): Promise<AfterSalesSeed | undefined> {
  const orders = await ctx.orders.list();
  const renewal = orders.find(
    (o) => o.businessType === 'renewal' && o.holder?.idNumber === DEMO_HOLDER.idNumber,
  );
  const reissue = orders.find(
    (o) => o.businessType === 'reissue' && o.holder?.idNumber === DEMO_REISSUE_HOLDER.idNumber,
  );
  const courier = orders.find(
    (o) =>
      o.delivery === 'courier' && o.holder?.idNumber === DEMO_COURIER_HOLDER.idNumber && o.certificateSerial,
  );
  const toPay = await payAtKioskOrder(ctx);
  if (
    !renewal?.previousCertificateSerial ||
    !reissue?.previousCertificateSerial ||
    !toPay?.previousCertificateSerial ||
    !courier?.certificateSerial
  )
    return undefined;
  const keyOf = (c: Awaited<ReturnType<typeof ctx.issuer.adminCertificate>>): DemoKey => ({
    certificateSerial: c.serialNumber,
    orderId: c.orderId,
    tokenSerial: c.tokenSerial ?? '',
    notAfter: c.notAfter,
  });
  const key = async (name: 'courier' | 'renewal', serial: string): Promise<DemoKey> => {
    const c = await ctx.issuer.adminCertificate(serial);
    const files =
      tokenDir && existsSync(join(tokenDir, `${name}.key.pem`))
        ? { keyFile: join(tokenDir, `${name}.key.pem`), certFile: join(tokenDir, `${name}.cert.pem`) }
        : {};
    // A file left by another store (the demo folder reset only in part) is not this certificate's.
    if (files.certFile && readFileSync(files.certFile, 'utf8') !== c.certificatePem) return keyOf(c);
    return { ...keyOf(c), ...files };
  };
  const code = await ctx.activation.state(courier.id);
  return {
    activation: {
      ...(await key('courier', courier.certificateSerial)),
      code: DEMO_ACTIVATION_CODE,
      codeExpiresAt: code?.expiresAt ?? '',
    },
    renewal: {
      ...(await key('renewal', renewal.previousCertificateSerial)),
      renewalOrderId: renewal.id,
      phonePath: `/p/${(await ctx.orders.row(renewal.id)).view_token}`,
    },
    reissue: {
      orderId: reissue.id,
      phonePath: `/p/${(await ctx.orders.row(reissue.id)).view_token}`,
      lostCertificateSerial: reissue.previousCertificateSerial,
    },
    payAtKiosk: {
      orderId: toPay.id,
      phonePath: `/p/${(await ctx.orders.row(toPay.id)).view_token}`,
      lostCertificateSerial: toPay.previousCertificateSerial,
      amountFen: toPay.priceFen,
    },
  };
}
