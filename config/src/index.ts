export { BENCH_RESULTS_FILE, type BenchFigures, median, recordBenchFigures } from './bench-results.js';
export {
  ConfigError,
  type LoadResult,
  loadConfigFile,
  loadConfigOrExit,
  loadConfigOrThrow,
  parseConfig,
  readSecret,
} from './loader.js';
export { maskIdNumber, maskName } from './masks.js';
export { checkPin, type PinProblem } from './pin-policy.js';
export {
  type CertkioskConfig,
  configSchema,
  DEVICE_KINDS,
  type PinPolicy,
  type SecretSource,
  type TokenDeviceConfig,
} from './schema.js';
