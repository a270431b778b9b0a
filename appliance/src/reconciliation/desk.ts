// The maintenance screen's reconciliation: the day is checked here first (a wrong day is refused with
// RECONCILIATION_DAY_INVALID and nothing is sent), then the kiosk's records of the day go to central, which runs the
// day and answers this kiosk's lines; or central's newest report of a day is read. Central's refusals and its absence
// become the appliance's codes (CENTRAL_UNAVAILABLE when it cannot be reached).
import {
  beijingDay,
  type KioskRecord,
  previousDay,
  type ReconciliationReport,
  reconciliationDayProblem,
} from '@certkiosk/sync';
import type { ApplianceErrorCode } from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import { asApplianceError } from '../journey/translate-error.js';

/** What the desk needs of central (the agent's CentralClient). */
export interface ReconciliationCentralPort {
  runReconciliation(day: string, records?: KioskRecord[]): Promise<ReconciliationReport>;
  reconciliation(day: string): Promise<ReconciliationReport>;
}

/** Central's refusals of a reconciliation the maintenance screen explains in its own words. */
const CENTRAL_CODES: Record<string, ApplianceErrorCode> = {
  RECONCILIATION_DAY_INVALID: 'RECONCILIATION_DAY_INVALID',
  RECONCILIATION_NOT_FOUND: 'RECONCILIATION_NOT_FOUND',
};

function translate(err: unknown): ApplianceError {
  const e = err as { code?: string; centralCode?: string };
  const central = e?.code === 'CENTRAL_REFUSED' ? e.centralCode : undefined;
  const mapped = central ? CENTRAL_CODES[central] : undefined;
  return mapped ? new ApplianceError(mapped, undefined, undefined, { cause: err }) : asApplianceError(err);
}

export interface ReconciliationDeskOptions {
  central: ReconciliationCentralPort;
  /** The kiosk's records of a day (kiosk-records.ts). */
  records(day: string): Promise<KioskRecord[]>;
  now?: () => number;
}

export class ReconciliationDesk {
  private readonly now: () => number;

  constructor(private readonly opts: ReconciliationDeskOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Yesterday in Beijing: the day the daily run and the screen start from. */
  yesterday(): string {
    return previousDay(beijingDay(this.now()));
  }

  /** The day asked for (yesterday when none), or RECONCILIATION_DAY_INVALID saying what is wrong with it. */
  day(raw?: string): string {
    const day = raw ?? this.yesterday();
    const checked = reconciliationDayProblem(day, this.now());
    if (checked.problem !== null)
      throw new ApplianceError('RECONCILIATION_DAY_INVALID', checked.problem, { day: day.slice(0, 32) });
    return day;
  }

  /** Send the day's records and run the day at central: this kiosk's lines. */
  async run(raw?: string): Promise<ReconciliationReport> {
    const day = this.day(raw);
    const records = await this.opts.records(day);
    try {
      return await this.opts.central.runReconciliation(day, records);
    } catch (err) {
      throw translate(err);
    }
  }

  /** Central's newest report of the day that covered this kiosk (RECONCILIATION_NOT_FOUND before any). */
  async report(raw?: string): Promise<ReconciliationReport> {
    const day = this.day(raw);
    try {
      return await this.opts.central.reconciliation(day);
    } catch (err) {
      throw translate(err);
    }
  }
}
