// Whether the sync agent is in touch with central: every exchange of the outbox (events acknowledged or
// parked), the heartbeat (accepted) and the inbox (a change page read) counts as contact; a failed call to
// central (CentralClientError) as a failure. Local failures (a disk error, the appliance's change handler)
// say nothing about central and are not counted. In memory: after a restart it is unknown until the first
// exchange (the heartbeat starts at once).
import { type CentralClientErrorCode, isCentralClientError } from './errors.js';

export interface CentralContact {
  /** true: the last exchange with central worked; false: it failed; null: none since the agent opened. */
  reachable: boolean | null;
  /** ISO time `reachable` took its current value (absent while null). */
  since?: string;
  /** ISO time of the last exchange that worked: the last successful sync. */
  lastOkAt?: string;
  /** ISO time of the last failed call, and the client's code for it. */
  lastFailureAt?: string;
  lastErrorCode?: CentralClientErrorCode;
}

export class CentralContactTracker {
  private state: CentralContact = { reachable: null };

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Central answered (accepted, acknowledged, or refused an event that was then parked). */
  ok(): void {
    const at = this.now().toISOString();
    if (this.state.reachable !== true) this.state = { ...this.state, reachable: true, since: at };
    this.state.lastOkAt = at;
  }

  /** A call failed; counted only when it is a call to central that failed. */
  failed(e: unknown): void {
    if (!isCentralClientError(e)) return;
    const at = this.now().toISOString();
    if (this.state.reachable !== false) this.state = { ...this.state, reachable: false, since: at };
    this.state.lastFailureAt = at;
    this.state.lastErrorCode = e.code;
  }

  snapshot(): CentralContact {
    return { ...this.state };
  }
}
