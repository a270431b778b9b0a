// The appliance registry: enrolment (proof of possession), operator approval, heartbeats, request nonces.
import { createPublicKey } from 'node:crypto';
import type { Appliance, EnrolRequest, HeartbeatRequest } from '../contract/schemas.js';
import { CentralError } from './errors.js';
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
}

export class ApplianceRegistry {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly autoApprove: boolean,
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  row(id: string): ApplianceRow | undefined {
    return this.db.prepare('SELECT * FROM appliances WHERE id = ?').get(id) as ApplianceRow | undefined;
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
    };
  }

  /** Register (idempotent for the same key); the caller has already checked the request is signed by that key. */
  enrol(req: EnrolRequest): Appliance {
    const key = createPublicKey(req.publicKeyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CentralError('ENROL_PROOF_INVALID', 'The appliance key must be an EC P-256 public key.');
    }
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    const existing = this.row(req.applianceId);
    if (existing) {
      if (existing.public_key_pem !== pem) throw new CentralError('ENROL_KEY_MISMATCH');
      return ApplianceRegistry.toAppliance(existing);
    }
    const at = this.iso();
    this.db
      .prepare(
        `INSERT INTO appliances (id, hall, public_key_pem, status, software_version, enrolled_at, approved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        req.applianceId,
        req.hall,
        pem,
        this.autoApprove ? 'approved' : 'pending',
        req.softwareVersion ?? null,
        at,
        this.autoApprove ? at : null,
      );
    return ApplianceRegistry.toAppliance(this.row(req.applianceId)!);
  }

  approve(id: string): Appliance {
    const r = this.row(id);
    if (!r) throw new CentralError('APPLIANCE_NOT_FOUND');
    this.db
      .prepare("UPDATE appliances SET status = 'approved', approved_at = ? WHERE id = ?")
      .run(this.iso(), id);
    return ApplianceRegistry.toAppliance(this.row(id)!);
  }

  revoke(id: string): Appliance {
    const r = this.row(id);
    if (!r) throw new CentralError('APPLIANCE_NOT_FOUND');
    this.db.prepare("UPDATE appliances SET status = 'revoked' WHERE id = ?").run(id);
    return ApplianceRegistry.toAppliance(this.row(id)!);
  }

  list(): ApplianceRow[] {
    return this.db.prepare('SELECT * FROM appliances ORDER BY hall, id').all() as ApplianceRow[];
  }

  /** Remember a nonce until it could no longer pass the timestamp check; false if it was seen already. */
  claimNonce(applianceId: string, nonce: string, keepUntilMs: number): boolean {
    this.db.prepare('DELETE FROM request_nonces WHERE expires_at < ?').run(this.now());
    const r = this.db
      .prepare('INSERT OR IGNORE INTO request_nonces (appliance_id, nonce, expires_at) VALUES (?, ?, ?)')
      .run(applianceId, nonce, keepUntilMs);
    return r.changes === 1;
  }

  recordHeartbeat(id: string, hb: HeartbeatRequest): void {
    this.db
      .prepare(
        'UPDATE appliances SET last_heartbeat_at = ?, heartbeat_json = ?, software_version = ? WHERE id = ?',
      )
      .run(this.iso(), JSON.stringify(hb), hb.softwareVersion, id);
  }
}
