// Schema as plain SQL in SQLite's dialect, applied in order once each; PostgreSQL takes the same list through
// migrationSql (types and the few functions that differ), or a migration's own `postgres` text.
import type { Dialect } from './sql.js';

export interface Migration {
  id: string;
  sql: string;
  /** PostgreSQL's text when the translation of `sql` does not fit. */
  postgres?: string;
}

export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    id: '001-initial',
    sql: `
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  certificate_type TEXT NOT NULL,
  business_type TEXT NOT NULL,
  service_years INTEGER NOT NULL,
  hall TEXT NOT NULL,
  delivery TEXT NOT NULL,
  price_fen INTEGER NOT NULL,
  payment_method TEXT,
  remittance_code TEXT,
  transfer_declared_at TEXT,
  details_json TEXT NOT NULL,
  holder_verified_online INTEGER NOT NULL DEFAULT 0,
  reject_reason TEXT,
  view_token TEXT NOT NULL UNIQUE,
  pickup_nonce TEXT,
  pickup_exp INTEGER,
  created_at TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX orders_status_submitted ON orders (status, submitted_at);
CREATE INDEX orders_remittance ON orders (remittance_code);

CREATE TABLE order_history (
  order_id TEXT NOT NULL REFERENCES orders(id),
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  action TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  note TEXT,
  at TEXT NOT NULL
);

CREATE TABLE activation_codes (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  code_hash TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  wrong_attempts INTEGER NOT NULL DEFAULT 0,
  used_at TEXT
);

CREATE TABLE certificates (
  serial TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  idempotency_key TEXT NOT NULL UNIQUE,
  appliance_id TEXT,
  profile TEXT NOT NULL,
  public_key_sha256 TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  key_evidence_json TEXT,
  revoked_at TEXT,
  revocation_reason TEXT
);
CREATE INDEX certificates_order ON certificates (order_id);

CREATE TABLE appliances (
  id TEXT PRIMARY KEY,
  hall TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  status TEXT NOT NULL,
  software_version TEXT,
  enrolled_at TEXT NOT NULL,
  approved_at TEXT,
  last_heartbeat_at TEXT,
  heartbeat_json TEXT
);

CREATE TABLE request_nonces (
  appliance_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (appliance_id, nonce)
);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  appliance_id TEXT NOT NULL,
  type TEXT NOT NULL,
  order_id TEXT,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  payload_json TEXT NOT NULL
);

CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  hall TEXT,
  type TEXT NOT NULL,
  order_id TEXT,
  payload_json TEXT NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE statement_lines (
  line_hash TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  remark TEXT NOT NULL,
  imported_at TEXT NOT NULL
);
`,
  },
  {
    // A voided kiosk issuance: the certificate is revoked and the order went back to approved.
    id: '002-certificate-void',
    sql: `
ALTER TABLE certificates ADD COLUMN voided_at TEXT;
ALTER TABLE certificates ADD COLUMN void_journey_id TEXT;
ALTER TABLE certificates ADD COLUMN void_reason TEXT;
`,
  },
  {
    // The CRL is cached: re-signed after a revocation (revocations counts them) or near its nextUpdate; each
    // signing takes the next cRLNumber. built_from = the revocations count the cached CRL lists.
    id: '003-crl-state',
    sql: `
CREATE TABLE crl_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  crl_number INTEGER NOT NULL DEFAULT 0,
  revocations INTEGER NOT NULL DEFAULT 0,
  built_from INTEGER,
  der BLOB,
  this_update TEXT,
  next_update TEXT
);
INSERT INTO crl_state (id) VALUES (1);
`,
  },
  {
    // Appliance trust: one-time enrolment codes (hash only), per-order identity salt (PersonMatch HMACs), the
    // signed identity statement kept with each issuance, signed audit heads per appliance, and alarms.
    id: '004-appliance-trust',
    sql: `
ALTER TABLE orders ADD COLUMN identity_salt BLOB;
UPDATE orders SET identity_salt = randomblob(32) WHERE identity_salt IS NULL;
ALTER TABLE certificates ADD COLUMN identity_statement_json TEXT;
ALTER TABLE certificates ADD COLUMN identity_signature TEXT;
ALTER TABLE appliances ADD COLUMN audit_epoch INTEGER NOT NULL DEFAULT 0;

CREATE TABLE enrolment_codes (
  code_hash TEXT PRIMARY KEY,
  appliance_id TEXT NOT NULL,
  hall TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  used_key_sha256 TEXT,
  superseded_at TEXT
);
CREATE INDEX enrolment_codes_appliance ON enrolment_codes (appliance_id);

CREATE TABLE audit_heads (
  appliance_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at TEXT NOT NULL,
  signature TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (appliance_id, epoch, seq, hash)
);

CREATE TABLE alarms (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  appliance_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  details_json TEXT NOT NULL,
  raised_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 1,
  acknowledged_at TEXT
);
CREATE INDEX alarms_open ON alarms (appliance_id, kind, acknowledged_at);
`,
  },
  {
    // Wrong ID cards tried per order (central counts them, so a new scan or another kiosk gives no fresh tries).
    id: '005-identity-attempts',
    sql: `
CREATE TABLE identity_attempts (
  order_id TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_appliance TEXT,
  last_reason TEXT,
  last_at TEXT NOT NULL
);
`,
  },
  {
    // The receipt's QR code: a random token per order opens its receipt page (masked status, invoice
    // request); invoice requests made there, one per order (a new one replaces the details until invoiced).
    id: '006-receipt-token-invoice-requests',
    sql: `
ALTER TABLE orders ADD COLUMN receipt_token TEXT;
UPDATE orders SET receipt_token = lower(hex(randomblob(16))) WHERE receipt_token IS NULL;
CREATE UNIQUE INDEX orders_receipt_token ON orders (receipt_token);

CREATE TABLE invoice_requests (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  title TEXT NOT NULL,
  tax_id TEXT,
  email TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
  },
  {
    // After-sales at the kiosk. Renewal and reissue orders name the certificate they renew or replace; each
    // certificate records the key (token serial) it is on, which a kiosk must name to ask about it; activation
    // codes record the appliance that used them (an idempotent retry); a keyed HMAC index of the people of each
    // order (key central-only, in <data>/person-index.key) for the look-up by ID card; unlocks (audit and daily
    // count per key); and the audit of look-ups.
    id: '007-after-sales',
    sql: `
ALTER TABLE orders ADD COLUMN previous_certificate_serial TEXT;
CREATE INDEX orders_previous_certificate ON orders (previous_certificate_serial);
ALTER TABLE certificates ADD COLUMN token_serial TEXT;
UPDATE certificates SET token_serial = json_extract(key_evidence_json, '$.tokenSerial')
  WHERE key_evidence_json IS NOT NULL;
ALTER TABLE activation_codes ADD COLUMN used_by_appliance TEXT;

CREATE TABLE person_index (
  order_id TEXT NOT NULL REFERENCES orders(id),
  role TEXT NOT NULL,
  id_hmac TEXT NOT NULL,
  name_hmac TEXT NOT NULL,
  PRIMARY KEY (order_id, role)
);
CREATE INDEX person_index_id ON person_index (id_hmac);
CREATE TABLE person_index_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_id TEXT
);
INSERT INTO person_index_state (id) VALUES (1);

CREATE TABLE unlocks (
  unlock_id TEXT PRIMARY KEY,
  appliance_id TEXT NOT NULL,
  certificate_serial TEXT NOT NULL,
  token_serial TEXT NOT NULL,
  day TEXT NOT NULL,
  outcome TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX unlocks_key_day ON unlocks (token_serial, day);

CREATE TABLE lookup_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  appliance_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  orders_found INTEGER NOT NULL,
  at TEXT NOT NULL
);
`,
  },
  {
    // Kiosk payments by WeChat Pay (payments/): one row per provider order (out_trade_no), written before the
    // provider is called; its state, why it was closed, what was paid and, for money not taken for the order,
    // why it is flagged for a refund (order_id NULL: a payment for no order of ours). Notifications are kept by
    // the provider's id, so a repeat changes nothing.
    id: '008-payments',
    sql: `
CREATE TABLE payments (
  out_trade_no TEXT PRIMARY KEY,
  order_id TEXT REFERENCES orders(id),
  provider TEXT NOT NULL,
  appliance_id TEXT,
  amount_fen INTEGER NOT NULL,
  code_url TEXT,
  expires_at TEXT NOT NULL,
  state TEXT NOT NULL,
  close_reason TEXT,
  provider_closed_at TEXT,
  transaction_id TEXT,
  paid_fen INTEGER,
  paid_at TEXT,
  flag_reason TEXT,
  flag_detail TEXT,
  flagged_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX payments_order ON payments (order_id, created_at);
CREATE INDEX payments_due ON payments (state, expires_at);
CREATE INDEX payments_flagged ON payments (flagged_at) WHERE flag_reason IS NOT NULL;

CREATE TABLE payment_notifications (
  id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  out_trade_no TEXT,
  transaction_id TEXT,
  trade_state TEXT,
  amount_fen INTEGER,
  outcome TEXT NOT NULL,
  received_at TEXT NOT NULL
);
`,
  },
  // ---- 009-invoices (issue 14 §3): keep this the last entry; 008-payments comes before it ----
  {
    // Issued invoices, one per order: the number (year of issue in Beijing time and its sequence in that year),
    // what was invoiced as it was printed (an invoice never changes: a wrong one is cancelled, not edited), the
    // random token of its public PDF link, and the PDF itself once rendered (kept, so it is served as issued).
    id: '009-invoices',
    sql: `
CREATE TABLE invoices (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  number TEXT NOT NULL UNIQUE,
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  title TEXT NOT NULL,
  tax_id TEXT,
  email TEXT NOT NULL,
  item TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  fetch_token TEXT NOT NULL UNIQUE,
  issued_at TEXT NOT NULL,
  pdf BLOB,
  UNIQUE (year, seq)
);
`,
  },
  // ---- 010-reconciliation (issue 14 §4, central/reconciliation/) ----
  {
    // The daily reconciliation: each run of a Beijing day (by the timer, an operator, or a kiosk keeping only its own
    // lines) with its lines, one per difference; the records a kiosk submitted for a day; and indexes for reading a
    // day's events, history, certificates and payments.
    id: '010-reconciliation',
    sql: `
CREATE TABLE reconciliation_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  day TEXT NOT NULL,
  started_by TEXT NOT NULL,
  appliance_id TEXT,
  provider_bill TEXT NOT NULL,
  provider_note TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  line_count INTEGER NOT NULL
);
CREATE INDEX reconciliation_runs_day ON reconciliation_runs (day, appliance_id, id);

CREATE TABLE reconciliation_lines (
  run_id INTEGER NOT NULL REFERENCES reconciliation_runs(id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  side TEXT,
  subject TEXT NOT NULL,
  appliance_id TEXT,
  order_id TEXT,
  out_trade_no TEXT,
  certificate_serial TEXT,
  invoice_number TEXT,
  kiosk TEXT,
  central TEXT,
  provider TEXT,
  message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE reconciliation_kiosk_records (
  appliance_id TEXT NOT NULL,
  day TEXT NOT NULL,
  records_json TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  PRIMARY KEY (appliance_id, day)
);

CREATE INDEX reconciliation_events_occurred ON events (occurred_at);
CREATE INDEX reconciliation_events_order ON events (order_id);
CREATE INDEX reconciliation_events_serial ON events (json_extract(payload_json, '$.serialNumber'));
CREATE INDEX reconciliation_history_action ON order_history (action, at);
CREATE INDEX reconciliation_certificates_issued ON certificates (issued_at);
CREATE INDEX reconciliation_payments_paid ON payments (paid_at);
`,
  },
  // ---- end of 010-reconciliation ----
  // ---- 011-bank-transfer (issue 14 §2): keep it after 010 ----
  {
    // The operator queue of bank statement lines the import could not match on its own (several orders fit,
    // several lines pay one order, or none fits), with the matcher's reason, until an operator assigns the line
    // to an order (then it is also in statement_lines, as a matched line is) or dismisses it with a reason.
    // line_key is the line's idempotency key (statement.ts lineKeys), so a re-uploaded line is never queued twice.
    id: '011-bank-transfer',
    sql: `
CREATE TABLE statement_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  line_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('ambiguous', 'unmatched')),
  reason TEXT NOT NULL,
  candidates_json TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  date TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  payer TEXT NOT NULL,
  remark TEXT NOT NULL,
  reference TEXT NOT NULL,
  queued_at TEXT NOT NULL,
  resolution TEXT CHECK (resolution IN ('assigned', 'dismissed')),
  order_id TEXT REFERENCES orders(id),
  resolved_by TEXT,
  resolution_note TEXT,
  resolved_at TEXT
);
CREATE INDEX statement_queue_open ON statement_queue (resolution, id);
`,
  },
  {
    // Condition alarms (fleet-alarms.ts: stale heartbeat, device error, paper out, low stock, in doubt, parked
    // events) end by themselves when a heartbeat no longer shows the condition: cleared, not acknowledged.
    id: '012-alarm-cleared',
    sql: `
ALTER TABLE alarms ADD COLUMN cleared_at TEXT;
`,
  },
  {
    // Operators' own accounts (operators.ts: scrypt password hashes, lock after wrong passwords), their login
    // sessions (kept here, not in one process's memory: every central process on the store honours them; keyed by
    // the SHA-256 of the cookie's random id) and the operator audit (who acknowledged which alarm …).
    id: '013-operators',
    sql: `
CREATE TABLE operators (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  disabled_at TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT
);
CREATE TABLE admin_sessions (
  id_hash TEXT PRIMARY KEY,
  actor TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX admin_sessions_actor ON admin_sessions (actor);
CREATE TABLE operator_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details_json TEXT NOT NULL
);
`,
  },
  {
    // The stale-heartbeat sweep (fleet-alarms.ts) finds approved appliances by their last heartbeat without
    // reading every appliance of the fleet.
    id: '014-appliance-heartbeat-index',
    sql: `
CREATE INDEX appliances_last_heartbeat ON appliances (status, last_heartbeat_at);
`,
  },
  {
    // Heartbeat history for the per-appliance console page (heartbeat-history.ts): one row per heartbeat, the
    // few numbers charted, kept for HEARTBEAT_HISTORY_DAYS (pruned by age, see 020).
    id: '015-heartbeat-history',
    sql: `
CREATE TABLE heartbeat_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  appliance_id TEXT NOT NULL,
  at TEXT NOT NULL,
  uptime_s INTEGER,
  queue_depth INTEGER NOT NULL,
  parked_events INTEGER NOT NULL,
  in_doubt INTEGER,
  blank_keys INTEGER
);
CREATE INDEX heartbeat_history_appliance_at ON heartbeat_history (appliance_id, at);
`,
  },
  {
    // Every signed request deletes the expired nonces: by their expiry, not a scan of the 10 minutes of nonces a
    // fleet's heartbeats leave (about a million rows at 50,000 kiosks).
    id: '016-nonce-expiry-index',
    sql: `
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);
`,
  },
  {
    // Queries break ties by insertion order with SQLite's rowid (payments, events); PostgreSQL gets a column
    // of that name, so the same SQL serves both.
    id: '017-insertion-order',
    sql: 'SELECT 1;',
    postgres: `
ALTER TABLE payments ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE events ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
`,
  },
  {
    // The public rate limit's fixed windows (rate-limit-store.ts): in the store, so every central process
    // sharing a database counts a client together. bucket = route and client address.
    id: '018-rate-limits',
    sql: `
CREATE TABLE rate_limits (
  bucket TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
`,
  },
  {
    // Leases (leases.ts): a timed job that must run in one central process at a time (the daily reconciliation,
    // the payment-expiry sweep) is taken by one holder until it ends or its lease runs out.
    id: '019-leases',
    sql: `
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
  {
    // What every heartbeat reads or prunes, by index rather than a scan that grows with the fleet's history:
    // heartbeat history by age (heartbeat-history.ts), and a hall's newest change (ChangeFeed.latest).
    id: '020-heartbeat-scale-indexes',
    sql: `
CREATE INDEX heartbeat_history_at ON heartbeat_history (at);
CREATE INDEX changes_hall_seq ON changes (hall, seq);
`,
  },
  {
    // The fleet console's issuances today, for the whole fleet or a few rows (fleet-console.ts): a range of one
    // event type's receipt times, carrying the appliance, instead of a scan of every event ever received.
    id: '021-events-by-type-received',
    sql: `
CREATE INDEX events_type_received ON events (type, received_at, appliance_id);
`,
  },
  {
    // PostgreSQL: every heartbeat rewrites its appliance's row and renews its audit head's row. An index on a
    // column it changes (014's last_heartbeat_at) makes each rewrite a new row version in every index of the
    // table; without one, and with room left in each page, PostgreSQL writes the new version beside the old
    // (a heap-only tuple) and no index at all. The stale sweep and the live view's stale range then read the
    // appliances table once each (every 30 s; tens of milliseconds at 50,000 kiosks) instead of every heartbeat
    // paying. (Room in existing pages comes with their next rewrite; VACUUM FULL makes it at once.) SQLite keeps
    // the index: the one entry it moves costs microseconds inside the process.
    id: '022-heartbeat-rewrites-in-place',
    sql: 'SELECT 1;',
    postgres: `
DROP INDEX appliances_last_heartbeat;
ALTER TABLE appliances SET (fillfactor = 50);
ALTER TABLE audit_heads SET (fillfactor = 70);
`,
  },
];

/**
 * A migration's statements for a dialect. For PostgreSQL: INTEGER PRIMARY KEY AUTOINCREMENT becomes an identity
 * column, INTEGER BIGINT (SQLite's integers are 64-bit: millisecond times fit), REAL DOUBLE PRECISION, BLOB BYTEA,
 * json_extract(col, '$.key') the jsonb text of that key, randomblob random UUID bytes (their UPDATEs find no rows
 * in a new database, but the function must exist).
 */
export function migrationSql(m: Migration, dialect: Dialect): string {
  if (dialect === 'sqlite') return m.sql;
  if (m.postgres !== undefined) return m.postgres;
  return m.sql
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/lower\(hex\(randomblob\(16\)\)\)/g, "replace(gen_random_uuid()::text, '-', '')")
    .replace(
      /randomblob\(32\)/g,
      "decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')",
    )
    .replace(/json_extract\((\w+), '\$\.(\w+)'\)/g, "($1::jsonb ->> '$2')");
}
