// The central API contract: everything the appliance and the sync agent share with central, and nothing else.
export * from './after-sales.js';
export * from './error-codes.js';
export * from './identity.js';
export * from './invoice-fields.js';
export * from './invoices.js';
export * from './order-status.js';
export * from './payments.js';
export * from './pickup-code.js';
export * from './reconciliation.js';
export * from './reconciliation-day.js';
export * from './request-sessions.js';
export * from './request-signing.js';
export * from './schemas.js';
export * from './uscc.js';
