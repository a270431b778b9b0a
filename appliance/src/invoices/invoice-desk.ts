// The invoice of an order the screen on show offers (the done screen's, a renewal's, a look-up's: invoice-orders.ts
// picks it), and its slip. What the holder typed is checked here
// with the contract's own checks (the credit code's GB 32100 rule, the e-mail address) before central is asked,
// so a typing slip gets its specific code and nothing is sent; it is then sent once and kept nowhere: the e-mail
// and the title go to central only (the journey already keeps the order id, which is not personal). Central's
// answers become the done screen's InvoiceView, its refusals the appliance's codes.
import { randomUUID } from 'node:crypto';
import type { Receipt } from '@certkiosk/firmware-bridge';
import {
  INVOICE_TITLE_MAX_LENGTH,
  type InvoiceRequestBody,
  type InvoiceState,
  isCentralClientError,
  isInvoiceEmail,
  normaliseUscc,
  type UsccProblemKind,
  usccProblem,
} from '@certkiosk/sync';
import type { ApplianceErrorCode, InvoiceRequestInput, InvoiceView } from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import type { ReceiptSettings } from '../journey/receipt.js';
import type { InvoiceSlipReprint } from '../journey/record.js';
import { asApplianceError } from '../journey/translate-error.js';
import { invoiceSlipData, invoiceSlipDocument } from './invoice-slip.js';

/** What the desk needs of central (the agent's CentralClient): the order's invoice, requested and read. */
export interface InvoiceCentralPort {
  requestInvoice(orderId: string, body: InvoiceRequestBody): Promise<InvoiceState>;
  invoice(orderId: string): Promise<InvoiceState>;
}

/** A person's invoice is made out to 个人, as Chinese e-invoices for individuals are: the kiosk keeps no full name. */
export const PERSON_INVOICE_TITLE = '个人';

/** Each way a credit code can be wrong has its own code (central's names), so the screen can say which. */
const USCC_CODES: Record<UsccProblemKind, ApplianceErrorCode> = {
  length: 'USCC_WRONG_LENGTH',
  character: 'USCC_FORBIDDEN_CHARACTER',
  check: 'USCC_CHECK_MISMATCH',
  'organisation-check': 'USCC_ORGANISATION_CODE_MISMATCH',
};

/** Central's refusals of an invoice request the holder is told in their own words. */
const CENTRAL_CODES: Record<string, ApplianceErrorCode> = {
  INVOICE_NOT_AVAILABLE: 'INVOICE_NOT_AVAILABLE',
  INVOICE_REQUEST_INVALID: 'INVOICE_REQUEST_INVALID',
  USCC_WRONG_LENGTH: 'USCC_WRONG_LENGTH',
  USCC_FORBIDDEN_CHARACTER: 'USCC_FORBIDDEN_CHARACTER',
  USCC_CHECK_MISMATCH: 'USCC_CHECK_MISMATCH',
  USCC_ORGANISATION_CODE_MISMATCH: 'USCC_ORGANISATION_CODE_MISMATCH',
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
};

/**
 * The request as central takes it, or the first problem with what was typed (ApplianceError, nothing sent): the
 * organisation's name, then its credit code (normalised: spaces and hyphens dropped, capitals), then the address.
 */
export function invoiceRequestBody(input: InvoiceRequestInput): InvoiceRequestBody {
  const email = input.email.trim();
  if (input.title === 'person') {
    if (input.organisationName?.trim() || input.creditCode?.trim())
      throw new ApplianceError('BAD_REQUEST', "A person's invoice has no organisation name or credit code.");
    if (!isInvoiceEmail(email)) throw new ApplianceError('INVOICE_EMAIL_INVALID');
    return { titleType: 'person', title: PERSON_INVOICE_TITLE, email };
  }
  const name = (input.organisationName ?? '').trim();
  if (name.length === 0 || name.length > INVOICE_TITLE_MAX_LENGTH)
    throw new ApplianceError('INVOICE_ORGANISATION_NAME_INVALID', undefined, {
      max: INVOICE_TITLE_MAX_LENGTH,
    });
  const taxId = normaliseUscc(input.creditCode ?? '');
  if (!taxId) throw new ApplianceError('INVOICE_CREDIT_CODE_MISSING');
  const problem = usccProblem(taxId);
  if (problem)
    throw new ApplianceError(USCC_CODES[problem.kind], problem.message, {
      ...(problem.length !== undefined ? { length: problem.length } : {}),
      ...(problem.position !== undefined ? { position: problem.position } : {}),
      ...(problem.character !== undefined ? { character: problem.character } : {}),
    });
  if (!isInvoiceEmail(email)) throw new ApplianceError('INVOICE_EMAIL_INVALID');
  return { titleType: 'organisation', title: name, taxId, email };
}

/** Central's invoice of the order as the done screen shows it (a person's masked title is not shown). */
export function invoiceView(s: InvoiceState): InvoiceView {
  const requested = {
    title: s.titleType,
    ...(s.titleType === 'organisation' ? { organisationName: s.title } : {}),
    requestedAt: s.requestedAt,
    ...(s.link ? { link: s.link } : {}),
  };
  if (s.state === 'requested')
    return {
      state: 'requested',
      ...requested,
      ...(s.amountFen !== undefined ? { amountFen: s.amountFen } : {}),
    };
  return {
    state: 'issued',
    ...requested,
    number: s.number,
    amountFen: s.amountFen,
    issuedAt: s.issuedAt,
    url: s.url,
  };
}

/** A failed call to central, as the appliance's code: central's invoice refusals by name, the rest as usual. */
export function invoiceError(err: unknown): ApplianceError {
  if (isCentralClientError(err) && err.code === 'CENTRAL_REFUSED') {
    const mapped = err.centralCode ? CENTRAL_CODES[err.centralCode] : undefined;
    if (mapped) return new ApplianceError(mapped, err.details.centralMessage, undefined, { cause: err });
  }
  return asApplianceError(err);
}

export interface InvoiceSlipPrinter {
  /** The kiosk's facts the slip prints (hall, kiosk id, time zone, hotline). */
  kiosk: ReceiptSettings;
  /** Print through the receipt printer (what the receipt takes). */
  print(slip: Receipt): Promise<void>;
  /** Keep a slip the printer could not print in the reprint queue (staff print it again). */
  queue(item: InvoiceSlipReprint): Promise<void>;
  now?: () => Date;
}

/** Printed, or kept in the reprint queue because the printer could not (out of paper, cover open, gone). */
export interface InvoiceSlipOutcome {
  state: 'printed' | 'queued-for-reprint';
}

/**
 * The invoice of an order the screen on show lets the holder ask about (journey/invoice-orders.ts picks it: the
 * done screen's order, a renewal's order, a look-up's listed order): requested, read, printed on a slip.
 */
export class InvoiceDesk {
  constructor(
    private readonly central: InvoiceCentralPort,
    private readonly printer?: InvoiceSlipPrinter,
  ) {}

  /** Request (or replace, until issued) the order's invoice; checked before central is asked. */
  async request(orderId: string, input: InvoiceRequestInput): Promise<InvoiceView> {
    const body = invoiceRequestBody(input);
    try {
      return invoiceView(await this.central.requestInvoice(orderId, body));
    } catch (err) {
      throw invoiceError(err);
    }
  }

  /** The order's invoice as central has it now: none asked for yet, requested, or issued with its link. */
  async state(orderId: string): Promise<InvoiceView> {
    try {
      return invoiceView(await this.central.invoice(orderId));
    } catch (err) {
      if (isCentralClientError(err) && err.centralCode === 'INVOICE_NOT_REQUESTED') return { state: 'none' };
      throw invoiceError(err);
    }
  }

  /**
   * Print the slip of the order's invoice as central has it now (asked for: requested or issued). A printer that
   * cannot print queues the slip for reprint instead (as receipts are); `journeyId` names the journey it was for.
   */
  async printSlip(orderId: string, journeyId: string): Promise<InvoiceSlipOutcome> {
    const printer = this.printer;
    if (!printer) throw new ApplianceError('PRINTER_UNAVAILABLE', 'This kiosk prints no invoice slips.');
    const invoice = await this.state(orderId);
    if (invoice.state === 'none')
      throw new ApplianceError('INVOICE_NOT_AVAILABLE', 'Ask for the invoice before printing its slip.');
    const now = printer.now?.() ?? new Date();
    const slip = invoiceSlipData(orderId, invoice, printer.kiosk, now);
    try {
      await printer.print(invoiceSlipDocument(slip));
      return { state: 'printed' };
    } catch {
      await printer.queue({
        kind: 'invoice-slip',
        id: randomUUID(),
        journeyId,
        queuedAt: now.toISOString(),
        slip,
        state: 'queued',
      });
      return { state: 'queued-for-reprint' };
    }
  }
}
