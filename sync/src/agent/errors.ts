// Error codes of the sync agent's calls to central: the appliance decides what to tell the applicant by code.
export const SYNC_AGENT_ERRORS = {
  CENTRAL_UNAVAILABLE:
    'The central service cannot be reached (network down, timeout or server error); work continues offline and is retried.',
  CENTRAL_REFUSED: 'The central service refused the request; see the central error code for the reason.',
  CENTRAL_BAD_RESPONSE:
    'The central service answered with something that does not match the API contract; check the central URL and version.',
  OUTBOX_EVENT_INVALID:
    'An event does not match the contract (id, type, occurredAt, payload); it was not queued — fix the code that builds it.',
  OUTBOX_PARKED_NOT_FOUND: 'No parked event has this id: it was delivered, retried or discarded already.',
} as const;

export type SyncAgentErrorCode = keyof typeof SYNC_AGENT_ERRORS;
export type CentralClientErrorCode = 'CENTRAL_UNAVAILABLE' | 'CENTRAL_REFUSED' | 'CENTRAL_BAD_RESPONSE';

/** A failed call to central. `centralCode` keeps central's own error code on CENTRAL_REFUSED. */
export class CentralClientError extends Error {
  override readonly name = 'CentralClientError';
  constructor(
    readonly code: CentralClientErrorCode,
    message: string = SYNC_AGENT_ERRORS[code],
    readonly details: {
      method?: string;
      path?: string;
      status?: number;
      centralCode?: string;
      /** Central's own sentence on CENTRAL_REFUSED. */
      centralMessage?: string;
      /** Tries left, when central's refusal spent one (ACTIVATION_CODE_WRONG). */
      attemptsLeft?: number;
      cause?: string;
    } = {},
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get centralCode(): string | undefined {
    return this.details.centralCode;
  }
}

/** An event refused at enqueue time: queuing it would block the outbox, since central would refuse it forever. */
export class OutboxEventError extends Error {
  override readonly name = 'OutboxEventError';
  readonly code = 'OUTBOX_EVENT_INVALID' as const;
  constructor(
    readonly details: { eventId?: string; problem: string },
    message = `${SYNC_AGENT_ERRORS.OUTBOX_EVENT_INVALID} (${details.eventId ?? 'no id'}: ${details.problem})`,
  ) {
    super(message);
  }
}

/** Staff asked to retry or discard a parked event that is not (or no longer) parked. */
export class OutboxParkedError extends Error {
  override readonly name = 'OutboxParkedError';
  readonly code = 'OUTBOX_PARKED_NOT_FOUND' as const;
  constructor(
    readonly eventId: string,
    message = `${SYNC_AGENT_ERRORS.OUTBOX_PARKED_NOT_FOUND} (${eventId})`,
  ) {
    super(message);
  }
}

export function isCentralClientError(e: unknown): e is CentralClientError {
  return e instanceof CentralClientError;
}
