// What route plugins share: the store and the services over it.
import type { ActivationCodes } from './activation-codes.js';
import type { ApplianceRegistry } from './appliances.js';
import type { CertificateIssuer } from './ca/issuer.js';
import type { ChangeFeed } from './change-feed.js';
import type { EventInbox } from './events.js';
import type { OrderService } from './orders.js';
import type { PickupCodeSigner } from './pickup-codes.js';
import type { StatementImporter } from './statement.js';
import type { Db } from './store.js';

export interface CentralContext {
  db: Db;
  now: () => number;
  pickup: PickupCodeSigner;
  changes: ChangeFeed;
  orders: OrderService;
  activation: ActivationCodes;
  issuer: CertificateIssuer;
  appliances: ApplianceRegistry;
  events: EventInbox;
  statements: StatementImporter;
  adminToken: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Exact request body bytes (JSON and CSV), for signature checks. */
    rawBody?: Buffer;
  }
}
