// Error codes of the durable store (JSON files and append-only logs): one sentence each, what to do next.
export const DURABLE_ERRORS = {
  STORE_FILE_CORRUPT:
    'A store file cannot be read as JSON (truncated or edited); restore it from backup or move it aside to start empty.',
  STORE_WRITE_FAILED: 'A store file could not be written durably; check free disk space and permissions.',
  LOG_CORRUPT:
    'An append-only log has an unreadable record before its end; it was edited or the disk is failing — keep the file for inspection.',
  LOG_WRITE_FAILED:
    'An append to the log failed (disk full or I/O error); the log refuses further appends until it is reopened.',
  LOG_CLOSED: 'The log is closed; open it again before appending.',
  LOG_RECORD_INVALID:
    'A log record must be JSON (not undefined, a function, a BigInt or a cycle); nothing was appended.',
} as const;

export type DurableErrorCode = keyof typeof DURABLE_ERRORS;

/** What opening a log may repair on its own (and tells the caller, to log): only never-acknowledged bytes. */
export const DURABLE_WARNINGS = {
  LOG_TAIL_TRUNCATED:
    'The log ended in bytes of a write that never completed (crash or power loss: a torn record, zeros or garbage); they were cut off.',
  LOG_SEGMENT_DROPPED:
    'The newest log segment held no complete record (crash while it was being started); it was removed.',
} as const;

export type DurableWarningCode = keyof typeof DURABLE_WARNINGS;

/** A durable-store failure with a stable code and the file it concerns. */
export class DurableStoreError extends Error {
  override readonly name = 'DurableStoreError';
  constructor(
    readonly code: DurableErrorCode,
    message: string = DURABLE_ERRORS[code],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isDurableStoreError(e: unknown): e is DurableStoreError {
  return e instanceof DurableStoreError;
}
