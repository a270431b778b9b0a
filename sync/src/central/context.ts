// What route plugins share: the store and the services over it.

import type { RateLimitOptions } from '@fastify/rate-limit';
import type { ActivationCodes } from './activation-codes.js';
import type { AdminSessions } from './admin-auth.js';
import type { AfterSales } from './after-sales.js';
import type { ApplianceRegistry } from './appliances.js';
import type { Alarms, AuditHeads } from './audit-heads.js';
import type { CertificateIssuer } from './ca/issuer.js';
import type { ChangeFeed } from './change-feed.js';
import type { EventInbox } from './events.js';
import type { FleetAlarms } from './fleet-alarms.js';
import type { FleetFeed } from './fleet-feed.js';
import type { HeartbeatHistory } from './heartbeat-history.js';
import type { IdentityAttempts } from './identity-attempts.js';
import type { InvoiceRequests } from './invoice-requests.js';
import type { Invoices } from './invoices/invoices.js';
import type { Operators } from './operators.js';
import type { OrderService } from './orders.js';
import type { PaymentService } from './payments/payments.js';
import type { DemoPayOutcome } from './payments/simulator.js';
import type { PersonIndex } from './person-index.js';
import type { PickupCodeSigner } from './pickup-codes.js';
import type { Reconciliations } from './reconciliation/service.js';
import type { SessionTickets } from './session-tickets.js';
import type { StatementImporter } from './statement.js';
import type { StatementQueue } from './statement-queue.js';
import type { Db } from './store.js';

export interface CentralContext {
  db: Db;
  now: () => number;
  pickup: PickupCodeSigner;
  changes: ChangeFeed;
  orders: OrderService;
  activation: ActivationCodes;
  issuer: CertificateIssuer;
  /** The keyed index of the people of every order (look-up by ID card). */
  personIndex: PersonIndex;
  /** The kiosk's after-sales journeys: certificate status, activation, renewal, unlock, order look-up. */
  afterSales: AfterSales;
  appliances: ApplianceRegistry;
  /**
   * Whether an enrolling appliance is approved at once and needs no enrolment code: the autoApproveAppliances
   * option, and only while central is not listening beyond loopback (listen refuses that anyway).
   */
  autoApproveAppliances(): boolean;
  auditHeads: AuditHeads;
  alarms: Alarms;
  /** Stale heartbeats and what heartbeats say is wrong, as alarms. */
  fleetAlarms: FleetAlarms;
  /** The console's live stream (GET /fleet/events); poke() it after a change. */
  fleetFeed: FleetFeed;
  /** Each appliance's recent heartbeats (the per-appliance chart). */
  heartbeatHistory: HeartbeatHistory;
  /** Operators' accounts and their audit. */
  operators: Operators;
  identityAttempts: IdentityAttempts;
  events: EventInbox;
  statements: StatementImporter;
  /** Bank statement lines the import left to an operator: assign to an order, or dismiss with a reason. */
  statementQueue: StatementQueue;
  /** Invoice requests made on the receipt page, the phone page or a kiosk. */
  invoices: InvoiceRequests;
  /** Kiosk payments by WeChat Pay (payments/): native orders, notifications, expiry, flagged refunds. */
  payments: PaymentService;
  /**
   * Demo only, while the WeChat Pay simulator stands in for the provider: a payer pays the order's open kiosk
   * payment (the phone page's "Pay (demo)" button). Absent with a real provider.
   */
  demoPay?: (orderId: string) => Promise<DemoPayOutcome | null>;
  /** Issued invoices: numbers, PDFs, the kiosk's requests and reads. */
  invoicing: Invoices;
  /** The daily reconciliation of kiosks, central and the provider's bill (reconciliation/). */
  reconciliations: Reconciliations;
  adminToken: string;
  /** Operator login sessions (the fleet page's cookie). */
  sessions: AdminSessions;
  /** Kiosks' request sessions: their tickets (session-tickets.ts). */
  sessionTickets: SessionTickets;
  /** Central's public base URL without a trailing slash (CRL and CA-issuer links in certificates). */
  publicBaseUrl(): string;
  /** Per-IP limit of the unauthenticated endpoints (route `config.rateLimit`), or false when off. */
  publicRateLimit: RateLimitOptions | false;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Exact request body bytes (JSON and CSV), for signature checks. */
    rawBody?: Buffer;
  }
}
