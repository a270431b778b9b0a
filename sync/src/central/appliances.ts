// The appliance registry: operator registration with a one-time enrolment code, enrolment (proof of
// possession + code), operator approval against the key fingerprint, heartbeats, request nonces.
import { createHash, createPublicKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { groupFingerprint, normaliseFingerprint, publicKeySha256 } from '../contract/identity.js';
import type {
  Appliance,
  AuditHead,
  EnrolRequest,
  HeartbeatRequest,
  RegisterApplianceResponse,
} from '../contract/schemas.js';
import { AtMostEvery } from './at-most-every.js';
import type { CallBatcher } from './call-batcher.js';
import { CentralError } from './errors.js';
import {
  batchedApplianceRows,
  batchedHeartbeatsRenewingHeads,
  batchedHeartbeatWrites,
  batchedKnownKeyClaims,
  batchedNonceClaims,
  type HeartbeatRenewingHead,
  type HeartbeatWrite,
  type KnownKeyAnswer,
  type KnownKeyClaim,
  type NonceClaim,
  type RepeatedHeadAnswer,
} from './request-batches.js';
import type { Db } from './store.js';

export interface ApplianceRow {
  id: string;
  hall: string;
  public_key_pem: string;
  status: Appliance['status'];
  software_version: string | null;
  enrolled_at: string;
  approved_at: string | null;
  last_heartbeat_at: string | null;
  heartbeat_json: string | null;
  /** Audit heads are compared within one epoch; an operator's acknowledgement or a re-key starts the next. */
  audit_epoch: number;
}

/**
 * What a signed request's handlers know of its appliance, read with the request: the row without what the request
 * does not use (the kept heartbeat alone is about 1.5 KB, read again with every heartbeat otherwise).
 */
const REQUEST_APPLIANCE_COLUMNS = [
  'id',
  'hall',
  'public_key_pem',
  'status',
  'audit_epoch',
] as const satisfies readonly (keyof ApplianceRow)[];
export type RequestAppliance = Pick<ApplianceRow, (typeof REQUEST_APPLIANCE_COLUMNS)[number]>;
const REQUEST_APPLIANCE_BY_ID = `SELECT ${REQUEST_APPLIANCE_COLUMNS.join(', ')} FROM appliances WHERE id = ?`;

interface EnrolmentCodeRow {
  code_hash: string;
  appliance_id: string;
  hall: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_key_sha256: string | null;
  superseded_at: string | null;
}

/** An enrolment code is valid this many days unless the operator says otherwise. */
export const ENROLMENT_CODE_VALIDITY_DAYS = 7;
/** 32 characters without 0/O and 1/I: 5 bits each, 16 characters = 80 bits. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 16;

/** A new random enrolment code, `ABCD-EFGH-JKLM-NPQR` (80 bits). */
export function newEnrolmentCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  const chars = [...bytes].map((b) => CODE_ALPHABET[b & 31]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** A code as typed: case, spaces and dashes do not matter. */
export function normaliseEnrolmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** What central keeps of a code: SHA-256 (hex) of its normalised form (80 random bits: no salt needed). */
export function enrolmentCodeHash(code: string): string {
  return createHash('sha256').update(normaliseEnrolmentCode(code), 'utf8').digest('hex');
}

export interface EnrolOptions {
  /** Demo on loopback only: approve at once, and a new appliance needs no enrolment code. */
  autoApprove: boolean;
}

const NONCE_PRUNE_EVERY_MS = 1000;
/** Appliance keys a process remembers (beyond, it forgets them all and reads rows again). */
const MAX_KNOWN_KEYS = 200_000;

/** A signed request's statements gathered over concurrent requests (PostgreSQL; see request-batches.ts). */
interface RequestBatches {
  rows: CallBatcher<string, RequestAppliance | undefined>;
  nonces: CallBatcher<NonceClaim, boolean>;
  heartbeats: CallBatcher<HeartbeatWrite, number>;
  heartbeatsRenewingHeads: CallBatcher<HeartbeatRenewingHead, RepeatedHeadAnswer>;
  knownKeyClaims: CallBatcher<KnownKeyClaim, KnownKeyAnswer<RequestAppliance>>;
}

/** An appliance's key as this process last accepted it (PostgreSQL), and how to claim a request signed with it. */
export interface KnownKey {
  publicKeyPem: string;
  /**
   * Claim the nonce of a request whose signature verified with `publicKeyPem`, in one statement with the requests
   * arriving together: the appliance's current row when it is still approved with that key and the nonce is new;
   * 'replayed' when the nonce was used; 'changed' when the appliance is no longer approved with that key (nothing
   * claimed: forget the key and authenticate from a fresh read).
   */
  claim(nonce: string, keepUntilMs: number): Promise<KnownKeyAnswer<RequestAppliance>>;
}

export class ApplianceRegistry {
  private readonly noncePrune: AtMostEvery;
  private readonly batches: RequestBatches | null;
  /** Appliance id → the key of its last accepted request (PostgreSQL only; see knownKey). */
  private readonly knownKeys = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.noncePrune = new AtMostEvery(NONCE_PRUNE_EVERY_MS, now);
    this.batches =
      db.dialect === 'postgres'
        ? {
            rows: batchedApplianceRows<RequestAppliance>(db.relaxed, REQUEST_APPLIANCE_COLUMNS),
            nonces: batchedNonceClaims(db.relaxed),
            heartbeats: batchedHeartbeatWrites(db.relaxed),
            heartbeatsRenewingHeads: batchedHeartbeatsRenewingHeads(db.relaxed),
            knownKeyClaims: batchedKnownKeyClaims<RequestAppliance>(db.relaxed, REQUEST_APPLIANCE_COLUMNS),
          }
        : null;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  async row(id: string): Promise<ApplianceRow | undefined> {
    return (await this.db.get('SELECT * FROM appliances WHERE id = ?', id)) as ApplianceRow | undefined;
  }

  /**
   * The row of the appliance a signed request names, read outside any transaction: on PostgreSQL one read for
   * all the requests arriving together.
   */
  async rowOfRequest(id: string): Promise<RequestAppliance | undefined> {
    if (this.batches) return this.batches.rows.call(id);
    return (await this.db.get(REQUEST_APPLIANCE_BY_ID, id)) as RequestAppliance | undefined;
  }

  /**
   * PostgreSQL: the key of an approved appliance this process authenticated before, to check a request's
   * signature with before any read, and the claim that then checks it is still the appliance's. (Undefined on
   * SQLite, whose reads cost microseconds in the process.)
   */
  knownKey(id: string): KnownKey | undefined {
    const publicKeyPem = this.knownKeys.get(id);
    const batches = this.batches;
    if (publicKeyPem === undefined || !batches) return undefined;
    return {
      publicKeyPem,
      claim: async (nonce, keepUntilMs) => {
        await this.pruneNonces();
        return batches.knownKeyClaims.call({ applianceId: id, nonce, keepUntilMs, publicKeyPem });
      },
    };
  }

  /** Remember an approved appliance's key (PostgreSQL), once a request signed with it was accepted. */
  rememberKey(row: RequestAppliance): void {
    if (!this.batches || row.status !== 'approved') return;
    if (this.knownKeys.size >= MAX_KNOWN_KEYS && !this.knownKeys.has(row.id)) this.knownKeys.clear();
    this.knownKeys.set(row.id, row.public_key_pem);
  }

  forgetKey(id: string): void {
    this.knownKeys.delete(id);
  }

  static toAppliance(r: ApplianceRow): Appliance {
    return {
      applianceId: r.id,
      hall: r.hall,
      status: r.status,
      enrolledAt: r.enrolled_at,
      ...(r.approved_at ? { approvedAt: r.approved_at } : {}),
      ...(r.last_heartbeat_at ? { lastHeartbeatAt: r.last_heartbeat_at } : {}),
      ...(r.software_version ? { softwareVersion: r.software_version } : {}),
      keyFingerprint: groupFingerprint(publicKeySha256(r.public_key_pem)),
    };
  }

  /**
   * Operator: register an appliance id for a hall and make its one-time enrolment code (returned once; only
   * its hash is stored). Earlier unused codes of the id stop working. Registering an enrolled id again lets
   * it enrol a new key (re-keying), which then waits for approval again.
   */
  async register(
    applianceId: string,
    hall: string,
    validDays = ENROLMENT_CODE_VALIDITY_DAYS,
  ): Promise<RegisterApplianceResponse> {
    const code = newEnrolmentCode();
    const at = this.iso();
    const expiresAt = new Date(this.now() + validDays * 24 * 3600 * 1000).toISOString();
    await this.db.transaction(async () => {
      await this.db.run(
        'UPDATE enrolment_codes SET superseded_at = ? WHERE appliance_id = ? AND used_at IS NULL AND superseded_at IS NULL',
        at,
        applianceId,
      );
      await this.db.run(
        'INSERT INTO enrolment_codes (code_hash, appliance_id, hall, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        enrolmentCodeHash(code),
        applianceId,
        hall,
        at,
        expiresAt,
      );
    });
    return { applianceId, hall, enrolmentCode: code, expiresAt };
  }

  /**
   * Enrol a key; the caller has already checked the request is signed by that key. The enrolled key again:
   * idempotent, no code needed. A new appliance or a new key: needs a valid unused code registered for this
   * id and hall (unless `autoApprove`, the loopback demo); the code is then used up.
   */
  async enrol(req: EnrolRequest, opts: EnrolOptions): Promise<Appliance> {
    const key = createPublicKey(req.publicKeyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CentralError('ENROL_PROOF_INVALID', 'The appliance key must be an EC P-256 public key.');
    }
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    const keySha = publicKeySha256(key);
    return await this.db.transaction(async (): Promise<Appliance> => {
      const existing = await this.row(req.applianceId);
      if (existing && existing.public_key_pem === pem) {
        if (existing.hall !== req.hall) {
          throw new CentralError(
            'ENROLMENT_HALL_MISMATCH',
            `Appliance ${req.applianceId} is enrolled for hall ${existing.hall}, not ${req.hall}.`,
          );
        }
        return ApplianceRegistry.toAppliance(existing);
      }
      if (req.enrolmentCode === undefined) {
        if (existing) throw new CentralError('ENROL_KEY_MISMATCH');
        if (!opts.autoApprove) throw new CentralError('ENROLMENT_CODE_REQUIRED');
      } else {
        await this.useCode(req, keySha);
      }
      const at = this.iso();
      const status = opts.autoApprove ? 'approved' : 'pending';
      // New, or re-keying with a fresh code: the new key waits for approval; audit heads start a new epoch.
      await this.db.run(
        `INSERT INTO appliances (id, hall, public_key_pem, status, software_version, enrolled_at, approved_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET hall = excluded.hall, public_key_pem = excluded.public_key_pem,
             status = excluded.status, software_version = excluded.software_version,
             enrolled_at = excluded.enrolled_at, approved_at = excluded.approved_at,
             audit_epoch = appliances.audit_epoch + 1`,
        req.applianceId,
        req.hall,
        pem,
        status,
        req.softwareVersion ?? null,
        at,
        opts.autoApprove ? at : null,
      );
      return ApplianceRegistry.toAppliance((await this.row(req.applianceId))!);
    });
  }

  /** Check a presented code for this id, hall and key, and use it up; throws the refusal. */
  private async useCode(req: EnrolRequest, keySha: string): Promise<void> {
    const hash = enrolmentCodeHash(req.enrolmentCode ?? '');
    const candidates = (await this.db.all(
      'SELECT * FROM enrolment_codes WHERE appliance_id = ?',
      req.applianceId,
    )) as EnrolmentCodeRow[];
    const given = Buffer.from(hash, 'hex');
    const row = candidates.find((c) => timingSafeEqual(Buffer.from(c.code_hash, 'hex'), given));
    if (!row) throw new CentralError('ENROLMENT_CODE_INVALID');
    // (The key that used it re-enrolling is answered before any code is looked at.)
    if (row.used_at) throw new CentralError('ENROLMENT_CODE_USED');
    if (row.superseded_at) {
      throw new CentralError('ENROLMENT_CODE_INVALID', 'This enrolment code was replaced by a newer one.');
    }
    if (Date.parse(row.expires_at) <= this.now()) throw new CentralError('ENROLMENT_CODE_EXPIRED');
    if (row.hall !== req.hall) {
      throw new CentralError(
        'ENROLMENT_HALL_MISMATCH',
        `Appliance ${req.applianceId} is registered for hall ${row.hall}, not ${req.hall}.`,
      );
    }
    await this.db.run(
      'UPDATE enrolment_codes SET used_at = ?, used_key_sha256 = ? WHERE code_hash = ?',
      this.iso(),
      keySha,
      row.code_hash,
    );
  }

  /**
   * Operator approval. `confirmedFingerprint` (as read on the kiosk; any case and separators) must match the
   * enrolled key when given: APPLIANCE_FINGERPRINT_MISMATCH otherwise, and nothing changes.
   */
  async approve(id: string, confirmedFingerprint?: string): Promise<Appliance> {
    const r = await this.row(id);
    if (!r) throw new CentralError('APPLIANCE_NOT_FOUND');
    if (
      confirmedFingerprint !== undefined &&
      normaliseFingerprint(confirmedFingerprint) !== publicKeySha256(r.public_key_pem)
    ) {
      throw new CentralError('APPLIANCE_FINGERPRINT_MISMATCH');
    }
    await this.db.run(
      "UPDATE appliances SET status = 'approved', approved_at = ? WHERE id = ?",
      this.iso(),
      id,
    );
    return ApplianceRegistry.toAppliance((await this.row(id))!);
  }

  async revoke(id: string): Promise<Appliance> {
    const r = await this.row(id);
    if (!r) throw new CentralError('APPLIANCE_NOT_FOUND');
    await this.db.run("UPDATE appliances SET status = 'revoked' WHERE id = ?", id);
    return ApplianceRegistry.toAppliance((await this.row(id))!);
  }

  async list(): Promise<ApplianceRow[]> {
    return (await this.db.all('SELECT * FROM appliances ORDER BY hall, id')) as ApplianceRow[];
  }

  /**
   * Expired nonces go at most once a second (keeping one longer than needed is harmless), so thousands of
   * requests a second, and several central processes, do not all delete the same rows.
   */
  private async pruneNonces(): Promise<void> {
    if (this.noncePrune.take()) {
      await this.db.relaxed.run('DELETE FROM request_nonces WHERE expires_at < ?', this.now());
    }
  }

  /** Remember a nonce until it could no longer pass the timestamp check; false if it was seen already. */
  async claimNonce(applianceId: string, nonce: string, keepUntilMs: number): Promise<boolean> {
    // Relaxed commits (see CentralStore.relaxed): a nonce lost to a database crash lets through only a replay
    // that changes nothing.
    await this.pruneNonces();
    // On PostgreSQL the nonces of the requests arriving together are inserted in one statement.
    if (this.batches) return this.batches.nonces.call({ applianceId, nonce, keepUntilMs });
    const r = await this.db.relaxed.run(
      'INSERT INTO request_nonces (appliance_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      applianceId,
      nonce,
      keepUntilMs,
    );
    return r.changes === 1;
  }

  /**
   * PostgreSQL: the common heartbeat, whose audit head repeats the one kept, in one statement with the heartbeats
   * arriving together: the head renewed and the heartbeat kept (as recordHeartbeat), answering the open alarms;
   * else nothing is written and the caller checks the head and keeps the heartbeat apart (RepeatedHeadAnswer).
   * SQLite: always 'not-tried' (its statements cost microseconds in the process).
   */
  async recordHeartbeatRepeatingHead(
    id: string,
    hb: HeartbeatRequest & { auditHead: AuditHead },
  ): Promise<RepeatedHeadAnswer> {
    if (!this.batches) return 'not-tried';
    const { seq, hash, at, signature } = hb.auditHead;
    return this.batches.heartbeatsRenewingHeads.call({
      applianceId: id,
      at: this.iso(),
      heartbeatJson: JSON.stringify(hb),
      softwareVersion: hb.softwareVersion,
      head: { seq, hash, at, signature },
    });
  }

  /**
   * Keep the heartbeat on the appliance's row; answers how many alarms the appliance has open (read in the same
   * statement, so a healthy kiosk's heartbeat costs central no second read of its alarms). A relaxed commit:
   * the next heartbeat sends the same again.
   */
  async recordHeartbeat(id: string, hb: HeartbeatRequest): Promise<{ openAlarms: number }> {
    if (this.batches) {
      const write = {
        applianceId: id,
        at: this.iso(),
        heartbeatJson: JSON.stringify(hb),
        softwareVersion: hb.softwareVersion,
      };
      return { openAlarms: await this.batches.heartbeats.call(write) };
    }
    const r = await this.db.relaxed.get<{ open_alarms: number }>(
      `UPDATE appliances SET last_heartbeat_at = ?, heartbeat_json = ?, software_version = ? WHERE id = ?
         RETURNING (SELECT COUNT(*) FROM alarms WHERE appliance_id = appliances.id AND cleared_at IS NULL)
           AS open_alarms`,
      this.iso(),
      JSON.stringify(hb),
      hb.softwareVersion,
      id,
    );
    return { openAlarms: r?.open_alarms ?? 0 };
  }
}
