export { BENCH_RESULTS_FILE, type BenchFigures, median, recordBenchFigures } from './bench-results.js';
export {
  DEMO_OPERATOR,
  DEMO_RENEWAL_KEY_PIN,
  DEMO_SECRETS,
  SHIPPED_SECRET_VALUES,
  TEST_SECRETS,
} from './demo-secrets.js';
export {
  BUSINESS_TYPE_LABELS,
  BUSINESS_TYPES,
  type BusinessType,
  CERTIFICATE_TYPE_LABELS,
  CERTIFICATE_TYPES,
  type CertificateType,
  CONSUMABLE_KINDS,
  type ConsumableKind,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_STATES,
  type DeviceDetail,
  type DeviceKind,
  type DeviceState,
  KEY_EVIDENCE_RULE,
  type KeyEvidenceFacts,
  keyEvidenceProblems,
  type Label,
  PAPER_LEVELS,
  type PaperLevel,
} from './facts.js';
export {
  ConfigError,
  type LoadResult,
  loadConfigFile,
  loadConfigOrExit,
  loadConfigOrThrow,
  parseConfig,
  readSecret,
} from './loader.js';
export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  hasLogRecord,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  LogLevelError,
  type LogRecord,
  type LogSetup,
  logOptions,
  parseLogLevel,
  parseLogLine,
  REDACT_PATHS,
  REDACTED,
  redactUrl,
  redactUrlsInText,
} from './logging.js';
export {
  maskIdNumber,
  maskIdNumbersInText,
  maskName,
  normaliseIdNumber,
  normalisePersonName,
} from './masks.js';
export { checkPin, type PinProblem } from './pin-policy.js';
export {
  demoSecretProblems,
  FIXTURE_PICKUP_PUBLIC_KEYS_SHA256,
  isSimProfile,
  productionProblems,
} from './production-rules.js';
export { lazyRequestLogger } from './request-logger.js';
export {
  type CertkioskConfig,
  configSchema,
  type PinPolicy,
  type SecretSource,
  type TokenDeviceConfig,
} from './schema.js';
