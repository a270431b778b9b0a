// Invoices on the wire: what a kiosk sends to request one for an order and what it reads back (requested, or
// issued with its number, amount and the PDF's address for a QR code), and the operator's view. The credit
// code's checks are uscc.ts; the error codes are error-codes.ts.
import { type Static, Type } from '@sinclair/typebox';
import type { OrderStatus } from './order-status.js';

/** Statuses in which the order was paid and delivered, so an invoice may be asked for (a kiosk offers it then). */
export const INVOICEABLE_STATUSES: readonly OrderStatus[] = ['issued', 'activated', 'shipped'];

/** Whom the invoice is made out to (发票抬头): a person, or an organisation with its credit code. */
export const INVOICE_TITLE_TYPES = ['person', 'organisation'] as const;
export type InvoiceTitleType = (typeof INVOICE_TITLE_TYPES)[number];
const TitleTypeSchema = Type.Union(INVOICE_TITLE_TYPES.map((t) => Type.Literal(t)));

/** An invoice number: the year of issue (Beijing time) and its sequence in that year, e.g. 2026-000123. */
export const INVOICE_NUMBER_PATTERN = '^[0-9]{4}-[0-9]{6,9}$';
const IsoTime = Type.String({ format: 'date-time' });

/**
 * `POST /v1/orders/:orderId/invoice-request`. Loose limits only: the title, the credit code (checked by
 * uscc.ts, so a refusal says which check failed) and the address are checked by central with specific errors.
 */
export const InvoiceRequestBodySchema = Type.Object(
  {
    titleType: TitleTypeSchema,
    /** The person's or organisation's name as it is to appear on the invoice. */
    title: Type.String({ maxLength: 200 }),
    /** Organisation: its unified social credit code (纳税人识别号); a person gives none. */
    taxId: Type.Optional(Type.String({ maxLength: 64 })),
    /** Where the electronic invoice is sent. */
    email: Type.String({ maxLength: 320 }),
  },
  { additionalProperties: false },
);
export type InvoiceRequestBody = Static<typeof InvoiceRequestBodySchema>;

const Requested = {
  orderId: Type.String(),
  titleType: TitleTypeSchema,
  /** An organisation's name in full; a person's masked (张*), as on the receipt. */
  title: Type.String(),
  requestedAt: IsoTime,
  /**
   * The order's invoice link (`<public URL>/lookup/<order id>/<receipt token>/invoice`): the PDF once issued, the
   * order's receipt page until then — what a kiosk prints on an invoice slip. Absent without a public URL.
   */
  link: Type.Optional(Type.String({ maxLength: 512 })),
};

/** The invoice of an order as a kiosk sees it, by phase: requested (details still replaceable) or issued. */
export const InvoiceStateSchema = Type.Union([
  Type.Object({
    state: Type.Literal('requested'),
    ...Requested,
    /** The order's paid amount, in fen: what the invoice will say. */
    amountFen: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  Type.Object({
    state: Type.Literal('issued'),
    ...Requested,
    number: Type.String({ pattern: INVOICE_NUMBER_PATTERN }),
    /** The order's paid amount, in fen (shown in yuan). */
    amountFen: Type.Integer({ minimum: 0 }),
    issuedAt: IsoTime,
    /** The PDF, behind an unguessable token (`<public URL>/v1/invoices/<number>/<token>.pdf`): show it as a QR code. */
    url: Type.String({ maxLength: 512 }),
  }),
]);
export type InvoiceState = Static<typeof InvoiceStateSchema>;

/** An issued invoice as the operator sees it: everything on it, and where it was sent. */
export const AdminInvoiceSchema = Type.Object({
  orderId: Type.String(),
  number: Type.String({ pattern: INVOICE_NUMBER_PATTERN }),
  titleType: TitleTypeSchema,
  title: Type.String(),
  taxId: Type.Optional(Type.String()),
  email: Type.String(),
  amountFen: Type.Integer({ minimum: 0 }),
  issuedAt: IsoTime,
  url: Type.String(),
});
export type AdminInvoice = Static<typeof AdminInvoiceSchema>;

/** `GET /admin/v1/invoice-requests`: requests not invoiced yet, oldest first, and whether each can be now. */
export const InvoiceRequestListResponseSchema = Type.Object({
  requests: Type.Array(
    Type.Object({
      orderId: Type.String(),
      titleType: TitleTypeSchema,
      title: Type.String(),
      taxId: Type.Optional(Type.String()),
      email: Type.String(),
      requestedAt: IsoTime,
      amountFen: Type.Integer({ minimum: 0 }),
      /** The order may be invoiced now (its life cycle allows the `invoice` action). */
      issuable: Type.Boolean(),
    }),
  ),
});
export type InvoiceRequestListResponse = Static<typeof InvoiceRequestListResponseSchema>;
