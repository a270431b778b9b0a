// The sync agent (appliance side): signed central client, outbox, inbox, heartbeat, and the agent tying them.
export { Backoff, type BackoffOptions } from './backoff.js';
export { CentralClient, type CentralClientOptions } from './central-client.js';
export { type CentralContact, CentralContactTracker } from './central-contact.js';
export {
  CentralClientError,
  type CentralClientErrorCode,
  isCentralClientError,
  OutboxEventError,
  OutboxParkedError,
  SYNC_AGENT_ERRORS,
  type SyncAgentErrorCode,
} from './errors.js';
export { Heartbeat, type HeartbeatOptions, type HeartbeatStats, type HeartbeatStatus } from './heartbeat.js';
export { type ChangeHandler, Inbox, type InboxOptions, type InboxState, type InboxStats } from './inbox.js';
export {
  type DeliveryResult,
  MAX_EVENT_BATCH,
  Outbox,
  type OutboxCursor,
  type OutboxOptions,
  type OutboxStats,
} from './outbox.js';
export type { EventRefusal, ParkedEvent } from './parked-events.js';
export { SyncAgent, type SyncAgentOptions, type SyncAgentStatus } from './sync-agent.js';
