// The day (a Beijing calendar day, checked the same for every entry point), the timer's due day, and the CSV cells.
import { describe, expect, it } from 'vitest';
import { CentralError } from '../errors.js';
import { reportCsv } from './csv.js';
import { beijingDay, beijingMinuteOfDay, checkDay, previousDay } from './day.js';
import { dailyAtMinutes, dueDay } from './schedule.js';
import type { ReconciliationReport, ReconciliationRun } from './schemas.js';

const NOW = Date.parse('2026-03-02T03:00:00Z'); // 11:00 in Beijing on 2 March

describe('checkDay', () => {
  it('gives the Beijing day as a UTC window (UTC+8: midnight in Beijing is 16:00 UTC the day before)', () => {
    expect(checkDay('2026-03-01', NOW)).toEqual({
      day: '2026-03-01',
      startMs: Date.parse('2026-02-28T16:00:00Z'),
      endMs: Date.parse('2026-03-01T16:00:00Z'),
    });
    expect(checkDay('2026-03-02', NOW).day).toBe('2026-03-02'); // today: a partial day
    expect(beijingDay(Date.parse('2026-02-28T16:00:00Z'))).toBe('2026-03-01');
    expect(beijingMinuteOfDay(NOW)).toBe(11 * 60);
    expect(previousDay('2026-03-01')).toBe('2026-02-28');
    expect(previousDay('2028-03-01')).toBe('2028-02-29');
  });

  it.each([
    ['2026-3-1', 'is not a day written YYYY-MM-DD'],
    ['20260301', 'is not a day written YYYY-MM-DD'],
    ['2026-03-01T00:00', 'is not a day written YYYY-MM-DD'],
    ['', 'is not a day written YYYY-MM-DD'],
    ['2026-02-30', 'is not a day of the calendar'],
    ['2026-13-01', 'is not a day of the calendar'],
    ['2026-03-03', 'has not begun yet in Beijing'],
  ])('refuses %j with RECONCILIATION_DAY_INVALID (%s)', (day, why) => {
    const err = (() => {
      try {
        checkDay(day, NOW);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CentralError);
    expect(err).toMatchObject({ code: 'RECONCILIATION_DAY_INVALID', statusCode: 400 });
    expect((err as Error).message).toContain(why);
  });
});

describe('the daily timer', () => {
  const run = (providerBill: ReconciliationRun['providerBill'], startedAt: string): ReconciliationRun => ({
    id: 1,
    day: '2026-03-01',
    trigger: 'schedule',
    providerBill,
    startedAt,
    finishedAt: startedAt,
    lineCount: 0,
  });
  const at = (beijing: string) => Date.parse(`${beijing}+08:00`);

  it('runs the previous day from its time on, until a run had the bill; retries hourly while it had none', () => {
    const none = () => [];
    expect(dailyAtMinutes('02:00')).toBe(120);
    expect(() => dailyAtMinutes('2:00')).toThrow(/HH:mm/);
    expect(dueDay(at('2026-03-02T01:59:00'), 120, none)).toBeNull();
    expect(dueDay(at('2026-03-02T02:00:00'), 120, none)).toBe('2026-03-01');
    const early = [run('unavailable', new Date(at('2026-03-02T02:00:00')).toISOString())];
    expect(dueDay(at('2026-03-02T02:30:00'), 120, () => early)).toBeNull();
    expect(dueDay(at('2026-03-02T03:00:00'), 120, () => early)).toBe('2026-03-01');
    const done = [run('complete', new Date(at('2026-03-02T10:00:00')).toISOString()), ...early];
    expect(dueDay(at('2026-03-02T23:00:00'), 120, () => done)).toBeNull();
  });
});

describe('CSV cells', () => {
  it('quotes commas, quotes and newlines, and defuses a leading formula character', () => {
    const report: ReconciliationReport = {
      run: {
        id: 1,
        day: '2026-03-01',
        trigger: 'operator',
        providerBill: 'complete',
        startedAt: '2026-03-01T00:00:00.000Z',
        finishedAt: '2026-03-01T00:00:00.000Z',
        lineCount: 1,
      },
      lines: [
        {
          kind: 'payment-without-order',
          subject: 'payment',
          outTradeNo: '=HYPERLINK("x")',
          provider: 'SUCCESS 1.00 元, "微信"\nline two',
          message: '付款无对应订单',
        },
      ],
    };
    const csv = reportCsv(report);
    expect(csv.startsWith('\uFEFF对账日,差异类型,差异说明,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(csv).toContain('"SUCCESS 1.00 元, ""微信""\nline two"');
  });
});
