// The reconciliation service (ctx.reconciliations): run a day (day checked before anything is read or kept), keep
// the report, answer the newest report to operators (whole fleet) and to a kiosk (its own lines only), keep a kiosk's
// records of a day, and run the day the timer finds due.
import { CentralError } from '../errors.js';
import type { Leases } from '../leases.js';
import type { TradeBill } from '../payments/trade-bill.js';
import type { Db } from '../store.js';
import { reportCsv } from './csv.js';
import { beijingDay, checkDay, previousDay } from './day.js';
import { reconcile } from './reconcile.js';
import { ReconciliationRuns } from './runs.js';
import { dueDay } from './schedule.js';
import type {
  KioskRecord,
  ReconciliationReport,
  ReconciliationRun,
  ReconciliationTrigger,
} from './schemas.js';
import { DaySourceReader, type ProviderBillView } from './sources.js';

/** The provider's trade bill of a Beijing day, fetched and parsed (PaymentService.tradeBill). */
export type TradeBillSource = (day: string) => Promise<TradeBill>;

/** WeChat Pay's answer when it took no payment that day: its record of the day is empty, not missing. */
const NO_BILL_FOR_DAY = 'NO_STATEMENT_EXIST';

/** The daily run's lease: longer than any run (a holder killed while running delays the day by at most this). */
const DAILY_RUN_LEASE = 'reconciliation-daily';
const DAILY_RUN_LEASE_MS = 30 * 60_000;

export class Reconciliations {
  private readonly runs: ReconciliationRuns;
  private readonly reader: DaySourceReader;
  private runningDue: Promise<ReconciliationReport | null> | null = null;

  constructor(
    db: Db,
    private readonly now: () => number,
    private readonly tradeBill: TradeBillSource,
    /** Minutes after Beijing midnight when the previous day is due (schedule.ts). */
    private readonly dailyAtMinutes: number,
    /** Central processes sharing the database: the day is reconciled by the one holding the lease. */
    private readonly leases: Leases,
  ) {
    this.runs = new ReconciliationRuns(db);
    this.reader = new DaySourceReader(db);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** The day's bill as a source: complete, incomplete (never reported as missing from), or unavailable. */
  private async providerBill(day: string): Promise<ProviderBillView> {
    let bill: TradeBill;
    try {
      bill = await this.tradeBill(day);
    } catch (err) {
      if (err instanceof CentralError && err.details.providerCode === NO_BILL_FOR_DAY)
        return { state: 'complete', rows: [], note: 'The provider took no payment that day (no bill).' };
      return { state: 'unavailable', rows: [], note: (err as Error).message };
    }
    if (bill.complete && bill.unreadable.length === 0) return { state: 'complete', rows: bill.rows };
    const unreadable = bill.unreadable.map((u) => `line ${u.line}: ${u.reason}`).join(' ');
    return {
      state: 'incomplete',
      rows: bill.rows,
      note: `The bill counts ${bill.summary.count} trades; ${bill.rows.length} were read. ${unreadable}`.trim(),
    };
  }

  /**
   * Reconcile a day and keep the report. A kiosk's run (`applianceId`) keeps only the kiosk's own lines. Throws
   * RECONCILIATION_DAY_INVALID before anything is read or stored.
   */
  async run(
    day: string,
    by:
      | { trigger: Exclude<ReconciliationTrigger, 'appliance'> }
      | { trigger: 'appliance'; applianceId: string },
  ): Promise<ReconciliationReport> {
    const w = checkDay(day, this.now());
    const startedAt = this.iso();
    const bill = await this.providerBill(w.day);
    const lines = reconcile(await this.reader.read(w, bill));
    const applianceId = by.trigger === 'appliance' ? by.applianceId : undefined;
    return this.runs.save(
      {
        day: w.day,
        trigger: by.trigger,
        ...(applianceId ? { applianceId } : {}),
        providerBill: bill.state,
        ...(bill.note ? { providerNote: bill.note } : {}),
        startedAt,
        finishedAt: this.iso(),
      },
      applianceId ? lines.filter((l) => l.applianceId === applianceId) : lines,
    );
  }

  /** A kiosk's run of a day, with its own records of the day kept first when it sends them. */
  async runForAppliance(
    day: string,
    applianceId: string,
    records?: KioskRecord[],
  ): Promise<ReconciliationReport> {
    const w = checkDay(day, this.now());
    if (records) await this.runs.keepKioskRecords(applianceId, w.day, records, this.iso());
    return this.run(w.day, { trigger: 'appliance', applianceId });
  }

  /** The newest report of a day: the fleet's, or a kiosk's own lines. RECONCILIATION_NOT_FOUND when none. */
  async report(day: string, applianceId?: string): Promise<ReconciliationReport> {
    const w = checkDay(day, this.now());
    const r =
      applianceId === undefined
        ? await this.runs.latestForFleet(w.day)
        : await this.runs.latestForAppliance(w.day, applianceId);
    if (!r) throw new CentralError('RECONCILIATION_NOT_FOUND', `No reconciliation of ${w.day} was run yet.`);
    return r;
  }

  /** The fleet's newest report of a day as CSV. */
  async csv(day: string): Promise<string> {
    return reportCsv(await this.report(day));
  }

  /** The newest fleet run of each recent day (the ops page). */
  async recent(limit = 14): Promise<ReconciliationRun[]> {
    return this.runs.recentDays(limit);
  }

  /**
   * Run the day the timer finds due (one at a time in this process, and under a lease among central processes on
   * one database: the due day is looked up once the lease is held); null when none is, or another process runs.
   */
  runDue(): Promise<ReconciliationReport | null> {
    this.runningDue ??= this.leases
      .runHeld(DAILY_RUN_LEASE, DAILY_RUN_LEASE_MS, async () => {
        const now = this.now();
        const runs = await this.runs.scheduled(previousDay(beijingDay(now)));
        const day = dueDay(now, this.dailyAtMinutes, () => runs);
        return day === null ? null : await this.run(day, { trigger: 'schedule' });
      })
      .finally(() => {
        this.runningDue = null;
      });
    return this.runningDue;
  }

  async runCount(): Promise<number> {
    return this.runs.count();
  }
}
