// The reports kept at central: one row per run, its lines, and the records kiosks submitted per day. Runs are never
// rewritten: a later run of the same day is a new report, and the newest one is what operators and kiosks see.
import type { Db } from '../store.js';
import type {
  KioskRecord,
  LineKind,
  ProviderBillState,
  ReconciliationLine,
  ReconciliationReport,
  ReconciliationRun,
  ReconciliationSide,
  ReconciliationSubject,
  ReconciliationTrigger,
} from './schemas.js';

interface RunRow {
  id: number;
  day: string;
  started_by: ReconciliationTrigger;
  appliance_id: string | null;
  provider_bill: ProviderBillState;
  provider_note: string | null;
  started_at: string;
  finished_at: string;
  line_count: number;
}

interface LineRow {
  kind: LineKind;
  side: ReconciliationSide | null;
  subject: ReconciliationSubject;
  appliance_id: string | null;
  order_id: string | null;
  out_trade_no: string | null;
  certificate_serial: string | null;
  invoice_number: string | null;
  kiosk: string | null;
  central: string | null;
  provider: string | null;
  message: string;
}

const LINE_COLUMNS = [
  'kind',
  'side',
  'subject',
  'appliance_id',
  'order_id',
  'out_trade_no',
  'certificate_serial',
  'invoice_number',
  'kiosk',
  'central',
  'provider',
  'message',
] as const;

function toRun(r: RunRow): ReconciliationRun {
  return {
    id: r.id,
    day: r.day,
    trigger: r.started_by,
    ...(r.appliance_id ? { applianceId: r.appliance_id } : {}),
    providerBill: r.provider_bill,
    ...(r.provider_note ? { providerNote: r.provider_note } : {}),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    lineCount: r.line_count,
  };
}

function toLine(r: LineRow): ReconciliationLine {
  const opt = <K extends string>(k: K, v: string | null) =>
    v === null ? {} : ({ [k]: v } as Record<K, string>);
  const rest = {
    subject: r.subject,
    ...opt('applianceId', r.appliance_id),
    ...opt('orderId', r.order_id),
    ...opt('outTradeNo', r.out_trade_no),
    ...opt('certificateSerial', r.certificate_serial),
    ...opt('invoiceNumber', r.invoice_number),
    ...opt('kiosk', r.kiosk),
    ...opt('central', r.central),
    ...opt('provider', r.provider),
    message: r.message,
  };
  return r.kind === 'missing-on-a-side'
    ? { kind: r.kind, side: r.side ?? 'central', ...rest }
    : { kind: r.kind, ...rest };
}

export interface NewRun {
  day: string;
  trigger: ReconciliationTrigger;
  /** A kiosk's own run: only its lines are kept. */
  applianceId?: string;
  providerBill: ProviderBillState;
  providerNote?: string;
  startedAt: string;
  finishedAt: string;
}

export class ReconciliationRuns {
  constructor(private readonly db: Db) {}

  /** Store a run and its lines in one transaction. */
  async save(run: NewRun, lines: ReconciliationLine[]): Promise<ReconciliationReport> {
    const id = await this.db.transaction(async (): Promise<number> => {
      const r = await this.db.get<{ id: number }>(
        `INSERT INTO reconciliation_runs (day, started_by, appliance_id, provider_bill, provider_note, started_at,
             finished_at, line_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        run.day,
        run.trigger,
        run.applianceId ?? null,
        run.providerBill,
        run.providerNote ?? null,
        run.startedAt,
        run.finishedAt,
        lines.length,
      );
      const runId = Number(r!.id);
      for (const [seq, l] of lines.entries()) {
        await this.db.run(
          `INSERT INTO reconciliation_lines (run_id, seq, ${LINE_COLUMNS.join(', ')})
           VALUES (?, ?, ${LINE_COLUMNS.map(() => '?').join(', ')})`,
          runId,
          seq,
          l.kind,
          l.kind === 'missing-on-a-side' ? l.side : null,
          l.subject,
          l.applianceId ?? null,
          l.orderId ?? null,
          l.outTradeNo ?? null,
          l.certificateSerial ?? null,
          l.invoiceNumber ?? null,
          l.kiosk ?? null,
          l.central ?? null,
          l.provider ?? null,
          l.message,
        );
      }
      return runId;
    });
    return (await this.report(id))!;
  }

  private async report(runId: number, applianceId?: string): Promise<ReconciliationReport | undefined> {
    const run = (await this.db.get('SELECT * FROM reconciliation_runs WHERE id = ?', runId)) as
      | RunRow
      | undefined;
    if (!run) return undefined;
    const lines = (
      applianceId === undefined
        ? await this.db.all(
            `SELECT ${LINE_COLUMNS.join(', ')} FROM reconciliation_lines WHERE run_id = ? ORDER BY seq`,
            runId,
          )
        : await this.db.all(
            `SELECT ${LINE_COLUMNS.join(', ')} FROM reconciliation_lines WHERE run_id = ? AND appliance_id = ?
               ORDER BY seq`,
            runId,
            applianceId,
          )
    ) as LineRow[];
    return { run: toRun(run), lines: lines.map(toLine) };
  }

  /** The newest run of the day over the fleet (operators' view). */
  async latestForFleet(day: string): Promise<ReconciliationReport | undefined> {
    const r = (await this.db.get(
      'SELECT id FROM reconciliation_runs WHERE day = ? AND appliance_id IS NULL ORDER BY id DESC LIMIT 1',
      day,
    )) as { id: number } | undefined;
    return r ? await this.report(r.id) : undefined;
  }

  /** The newest run of the day that covered this kiosk (a fleet run or its own), with its lines only. */
  async latestForAppliance(day: string, applianceId: string): Promise<ReconciliationReport | undefined> {
    const r = (await this.db.get(
      `SELECT id FROM reconciliation_runs WHERE day = ? AND (appliance_id IS NULL OR appliance_id = ?)
         ORDER BY id DESC LIMIT 1`,
      day,
      applianceId,
    )) as { id: number } | undefined;
    if (!r) return undefined;
    const report = (await this.report(r.id, applianceId))!;
    // A fleet run's count is the fleet's; the kiosk is told how many lines are its own.
    return { run: { ...report.run, lineCount: report.lines.length }, lines: report.lines };
  }

  /** The daily timer's runs of a day, newest first. */
  async scheduled(day: string): Promise<ReconciliationRun[]> {
    return (
      (await this.db.all(
        "SELECT * FROM reconciliation_runs WHERE day = ? AND started_by = 'schedule' ORDER BY id DESC",
        day,
      )) as RunRow[]
    ).map(toRun);
  }

  /** The newest fleet runs, one per day, newest day first (the ops page's list). */
  async recentDays(limit: number): Promise<ReconciliationRun[]> {
    return (
      (await this.db.all(
        `SELECT * FROM reconciliation_runs WHERE id IN (
             SELECT MAX(id) FROM reconciliation_runs WHERE appliance_id IS NULL GROUP BY day)
           ORDER BY day DESC LIMIT ?`,
        limit,
      )) as RunRow[]
    ).map(toRun);
  }

  /** A kiosk's records of a day; a later submission replaces the earlier one. */
  async keepKioskRecords(
    applianceId: string,
    day: string,
    records: KioskRecord[],
    at: string,
  ): Promise<void> {
    await this.db.run(
      `INSERT INTO reconciliation_kiosk_records (appliance_id, day, records_json, submitted_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (appliance_id, day) DO UPDATE SET records_json = excluded.records_json,
           submitted_at = excluded.submitted_at`,
      applianceId,
      day,
      JSON.stringify(records),
      at,
    );
  }

  async count(): Promise<number> {
    return ((await this.db.get('SELECT COUNT(*) AS n FROM reconciliation_runs')) as { n: number }).n;
  }
}
