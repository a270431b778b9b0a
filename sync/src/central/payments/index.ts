// Wiring: the payment service over the real provider (options checked at start) or, without one, the simulator
// mounted at WECHATPAY_SIM_PREFIX with keys made on first use in <dataDir>/wechatpay-sim; routes; the sweep.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { isAdminRequest } from '../admin-auth.js';
import type { Leases } from '../leases.js';
import type { OrderService } from '../orders.js';
import type { Db } from '../store.js';
import { WechatPayClient } from './client.js';
import {
  DEFAULT_SWEEP_INTERVAL_MS,
  type PaymentOptions,
  type WechatPayConfig,
  wechatPayConfig,
} from './config.js';
import { PaymentService } from './payments.js';
import { registerPaymentRoutes } from './routes.js';
import { loadOrCreateSimulatorKeys, type SimulatorKeys } from './sim-keys.js';
import {
  type DemoPayOutcome,
  type SimulatorHandle,
  WECHATPAY_SIM_PREFIX,
  wechatpaySimulator,
} from './simulator.js';

export { NOTIFY_PATH, type PaymentOptions, type WechatPayOptions } from './config.js';
export { PaymentService } from './payments.js';
export { type DemoPayOutcome, WECHATPAY_SIM_PREFIX } from './simulator.js';

const once = <T>(make: () => T): (() => T) => {
  let made: { v: T } | null = null;
  return () => {
    made ??= { v: make() };
    return made.v;
  };
};

/** Central's own address as a URL (loopback for a wildcard): how it reaches the simulator it mounts. */
function ownBaseUrl(address: AddressInfo | string | null, fallback: string): string {
  if (!address || typeof address === 'string') return fallback;
  const host =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export interface Payments {
  service: PaymentService;
  /** True when no provider is configured and the simulator stands in. */
  simulated: boolean;
  /** The simulator's keys (made on first call), for the demo's printout. */
  simulatorKeys?: () => SimulatorKeys;
  /**
   * Demo only (the simulator is on): the payer pays the open attempt of an order, as a phone would; null when the
   * order has no open attempt. Absent with a real provider.
   */
  demoPay?: (orderId: string) => Promise<DemoPayOutcome | null>;
  /** Fastify plugin: the routes, the simulator when simulated, the periodic sweep. */
  plugin: (app: FastifyInstance) => Promise<void>;
}

export function setupPayments(input: {
  db: Db;
  now: () => number;
  orders: OrderService;
  dataDir: string;
  /** Several central processes on one database: one of them sweeps at a time. */
  leases: Leases;
  options?: PaymentOptions;
  publicBaseUrl: () => string;
  /** The server central listens on (its address is known after listen). */
  server: () => { address(): AddressInfo | string | null };
}): Payments {
  const { now, options } = input;
  const local = () => ownBaseUrl(input.server().address(), input.publicBaseUrl());
  const simulatorKeys = options?.wechatpay ? undefined : once(() => loadOrCreateSimulatorKeys(input.dataDir));
  // A real provider's settings are checked now, so a mistake stops central at start.
  const real = options?.wechatpay ? wechatPayConfig(options.wechatpay, input.publicBaseUrl) : null;
  const config = once((): WechatPayConfig => {
    if (real) return real;
    const keys = simulatorKeys!();
    return {
      ...wechatPayConfig(keys, input.publicBaseUrl),
      baseUrl: () => `${local()}${WECHATPAY_SIM_PREFIX}`,
      notifyUrl: () => `${local()}/v1/payments/wechatpay/notify`,
    };
  });
  const provider = once(() => {
    const c = config();
    return { config: c, client: new WechatPayClient(c, now) };
  });
  const service = new PaymentService(
    input.db,
    now,
    input.orders,
    provider,
    input.leases,
    options?.validityMs,
  );
  const interval = options?.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  let simulator: SimulatorHandle | null = null;

  return {
    service,
    simulated: !real,
    ...(simulatorKeys
      ? {
          simulatorKeys,
          demoPay: async (orderId: string) => {
            const open = await service.openAttempt(orderId);
            if (!open || !simulator) return null;
            return simulator.demoPay({ out_trade_no: open });
          },
        }
      : {}),
    async plugin(app) {
      await registerPaymentRoutes(app);
      if (simulatorKeys)
        await app.register(wechatpaySimulator, {
          prefix: WECHATPAY_SIM_PREFIX,
          keys: simulatorKeys,
          now,
          authorizeDemo: async (req) => isAdminRequest(req, app.central),
          expose: (handle) => {
            simulator = handle;
          },
        });
      if (interval !== false) {
        const timer = setInterval(() => {
          void service.sweep().catch(() => {});
        }, interval);
        timer.unref();
        app.addHook('onClose', async () => clearInterval(timer));
      }
    },
  };
}
