// Staff's control of the kiosk: out of service or in service (kept in one small durable file, so a restart or
// a kill -9 keeps the kiosk out of service), and who may restart the daemon. While out of service no applicant
// session starts (KIOSK_OUT_OF_SERVICE), the applicant screen shows the out-of-service page, and the heartbeat
// carries an `out-of-service` alarm.
import { EventEmitter } from 'node:events';
import { DurableJsonFile } from '@certkiosk/sync';
import type { KioskServiceState } from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import type { StaffRole } from './staff-store.js';

interface ServiceFile {
  version: 1;
  outOfService: boolean;
  since?: string;
  by?: string;
}

/** The exit code of a daemon that stopped to be restarted (EX_TEMPFAIL): its supervisor starts it again. */
export const RESTART_EXIT_CODE = 75;

/** Roles that may restart the daemon (any staff may take the kiosk out of service and back). */
export const RESTART_ROLES: readonly StaffRole[] = ['administrator'];

function validate(v: unknown): ServiceFile {
  const o = v as Partial<ServiceFile> | null;
  if (o?.version !== 1 || typeof o.outOfService !== 'boolean') throw new Error('not a kiosk service file');
  return o as ServiceFile;
}

export interface KioskControlEvents {
  change: [KioskServiceState];
}

export class KioskControl extends EventEmitter<KioskControlEvents> {
  private constructor(
    private data: ServiceFile,
    private readonly file: DurableJsonFile<ServiceFile> | null,
    private readonly hallName: string | undefined,
  ) {
    super();
  }

  /** Kept in `file` (created on the first change); without a file, in memory only (tests, a bare API). */
  static async open(opts: { file?: string; hallName?: string } = {}): Promise<KioskControl> {
    const file = opts.file ? new DurableJsonFile<ServiceFile>(opts.file, { validate }) : null;
    const data = (await file?.read()) ?? { version: 1 as const, outOfService: false };
    return new KioskControl(data, file, opts.hallName);
  }

  get outOfService(): boolean {
    return this.data.outOfService;
  }

  state(): KioskServiceState {
    return {
      outOfService: this.data.outOfService,
      ...(this.data.outOfService && this.data.since ? { since: this.data.since } : {}),
      ...(this.hallName ? { hallName: this.hallName } : {}),
    };
  }

  /** Out of service since when (for the heartbeat's alarm), or null. */
  since(): string | null {
    return this.data.outOfService ? (this.data.since ?? null) : null;
  }

  /** Durable before it answers; the same state again changes nothing (and keeps `since`). */
  async set(outOfService: boolean, by: string, now = new Date()): Promise<KioskServiceState> {
    if (outOfService === this.data.outOfService) return this.state();
    const next: ServiceFile = outOfService
      ? { version: 1, outOfService: true, since: now.toISOString(), by }
      : { version: 1, outOfService: false };
    await this.file?.write(next);
    this.data = next;
    const s = this.state();
    this.emit('change', s);
    return s;
  }

  /** Throws KIOSK_OUT_OF_SERVICE while out of service (before an applicant session starts). */
  assertInService(): void {
    if (this.data.outOfService) throw new ApplianceError('KIOSK_OUT_OF_SERVICE');
  }
}
