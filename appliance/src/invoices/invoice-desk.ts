// The invoice of the order just collected, asked for on the done screen. What the holder typed is checked here
// with the contract's own checks (the credit code's GB 32100 rule, the e-mail address) before central is asked,
// so a typing slip gets its specific code and nothing is sent; it is then sent once and kept nowhere: the e-mail
// and the title go to central only (the journey already keeps the order id, which is not personal). Central's
// answers become the done screen's InvoiceView, its refusals the appliance's codes.
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
import type { JourneyRecord } from '../journey/record.js';
import { asApplianceError } from '../journey/translate-error.js';

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
  };
  if (s.state === 'requested') return { state: 'requested', ...requested };
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

/**
 * The order of the done screen on show: a completed pickup still on screen (the journey knows its order until
 * the done screen is left). NO_ACTIVE_JOURNEY without one, WRONG_STEP before it is completed or when it failed.
 */
export function doneScreenOrder(journey: JourneyRecord | null): string {
  if (!journey) throw new ApplianceError('NO_ACTIVE_JOURNEY');
  const orderId = journey.order?.orderId;
  if (journey.status !== 'completed' || !orderId)
    throw new ApplianceError(
      'WRONG_STEP',
      'An invoice is asked for on the done screen of a completed pickup.',
    );
  return orderId;
}

export class InvoiceDesk {
  constructor(private readonly central: InvoiceCentralPort) {}

  /** Request (or replace, until issued) the invoice of the done screen's order; checked before central is asked. */
  async request(journey: JourneyRecord | null, input: InvoiceRequestInput): Promise<InvoiceView> {
    const orderId = doneScreenOrder(journey);
    const body = invoiceRequestBody(input);
    try {
      return invoiceView(await this.central.requestInvoice(orderId, body));
    } catch (err) {
      throw invoiceError(err);
    }
  }

  /** The invoice of the done screen's order: none asked for yet, requested, or issued with its link. */
  async state(journey: JourneyRecord | null): Promise<InvoiceView> {
    const orderId = doneScreenOrder(journey);
    try {
      return invoiceView(await this.central.invoice(orderId));
    } catch (err) {
      if (isCentralClientError(err) && err.centralCode === 'INVOICE_NOT_REQUESTED') return { state: 'none' };
      throw invoiceError(err);
    }
  }
}
