// The reference central service (Fastify + SQLite). Not for the appliance: it imports `contract/` only.
export { buildCentral, type CentralOptions } from './app.js';
export type { CentralContext } from './context.js';
export { CentralError } from './errors.js';
export { idCheckCharacter, isValidIdNumber, maskIdNumber } from './id-number.js';
export { PRICE_TABLE, priceFen } from './pricing.js';
export { DEMO_HOLDER, seedDemo } from './seed-demo.js';
export { matchStatement, parseStatementCsv } from './statement.js';
