// The appliance's audit log: hash-chained, sequence-numbered, append-only; and its verifier.
export {
  AUDIT_ERRORS,
  AUDIT_GENESIS_HASH,
  type AuditActor,
  AuditError,
  AuditLog,
  type AuditLogOptions,
  type AuditProblem,
  type AuditRecord,
  type AuditVerification,
  hashAuditRecord,
  verifyAuditLog,
} from './audit-log.js';
export { maskIdNumber, maskIdNumbersInText, REDACTED, redactAuditDetails } from './redact.js';
