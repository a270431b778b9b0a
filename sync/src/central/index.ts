// The reference central service (Fastify + SQLite). Not for the appliance: it imports `contract/` only.

export {
  ADMIN_SESSION_COOKIE,
  adminTokenBits,
  adminTokenProblem,
  autoApproveProblem,
  isLoopbackHost,
  MIN_ADMIN_TOKEN_BITS,
} from './admin-auth.js';
export { buildCentral, type CentralOptions, DEFAULT_PUBLIC_RATE_LIMIT } from './app.js';
export { ENROLMENT_CODE_VALIDITY_DAYS, normaliseEnrolmentCode } from './appliances.js';
export type { CentralContext } from './context.js';
export { DEMO_FACTS_FILE, type DemoFacts, demoFacts, readDemoFacts, writeDemoFacts } from './demo-facts.js';
export { CentralError } from './errors.js';
export { idCheckCharacter, isValidIdNumber, maskIdNumber } from './id-number.js';
export { PRICE_TABLE, priceFen } from './pricing.js';
export {
  type AfterSalesSeed,
  DEMO_ACTIVATION_CODE,
  DEMO_COURIER_HOLDER,
  DEMO_HOLDER,
  DEMO_REISSUE_HOLDER,
  DEMO_RENEWAL_DAYS_LEFT,
  DEMO_TOKEN_SERIALS,
  type DemoKey,
  seedDemo,
} from './seed-demo.js';
export { DIALECT } from './sql.js';
export { matchStatement, parseStatementCsv } from './statement.js';
