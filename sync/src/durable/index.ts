// Durable local storage: atomic JSON files (lowdb adapters) and segment-file append-only logs.
export {
  AppendLog,
  type AppendLogOptions,
  type AppendLogWarning,
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
export {
  DURABLE_ERRORS,
  DURABLE_WARNINGS,
  type DurableErrorCode,
  DurableStoreError,
  type DurableWarningCode,
  isDurableStoreError,
} from './errors.js';
export { fsyncDirectory, fsyncDirectorySync } from './fsync-directory.js';
export { mountSmallDisk, type SmallDisk } from './small-disk.js';
