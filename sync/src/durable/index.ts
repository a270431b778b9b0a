// Durable local storage: atomic JSON files (lowdb adapters) and segment-file append-only logs.
export {
  AppendLog,
  type AppendLogOptions,
  type LogEntry,
  listSegments,
  parseLogLine,
  readRawLines,
  segmentFileName,
} from './append-log.js';
export {
  DurableJsonFile,
  type DurableJsonFileOptions,
  DurableJsonFileSync,
  tempPathFor,
} from './durable-json-file.js';
export { DURABLE_ERRORS, type DurableErrorCode, DurableStoreError, isDurableStoreError } from './errors.js';
export { fsyncDirectory, fsyncDirectorySync } from './fsync-directory.js';
