// Central's one error type: a stable code from the contract table, its HTTP status, a plain sentence.
import { CENTRAL_ERRORS, type CentralErrorCode } from '../contract/error-codes.js';

export class CentralError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: CentralErrorCode,
    message?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message ?? CENTRAL_ERRORS[code][1]);
    this.name = 'CentralError';
    this.statusCode = CENTRAL_ERRORS[code][0];
  }
}
