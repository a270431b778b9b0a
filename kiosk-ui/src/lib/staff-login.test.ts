import { describe, expect, it } from 'vitest';
import { isStaffId, loginRefusal, rememberStaffId, staffIdleDeadline, typeStaffId } from './staff-login.ts';

const typed = (keys: string) => [...keys].reduce(typeStaffId, '');

describe('typing a staff id on the pad', () => {
  it('takes 1–3 letters, then 3–8 digits', () => {
    expect(typed('S001')).toBe('S001');
    expect(typed('s001')).toBe('S001');
    expect(typed('ADMX12')).toBe('ADM12');
    expect(typed('0S1')).toBe('S1');
    expect(typed('SZ0123456789')).toBe('SZ01234567');
    expect(typed('S0A1')).toBe('S01');
    expect(typed('S-1')).toBe('S1');
  });

  it('knows a complete id', () => {
    for (const id of ['S001', 'SZ0123', 'ADM12345678']) expect(isStaffId(id), id).toBe(true);
    for (const id of ['', 'S', 'S01', 's001', '001', 'ABCD001']) expect(isStaffId(id), id).toBe(false);
  });

  it('remembers recent ids in memory, newest first, without duplicates', () => {
    expect(rememberStaffId(['S002', 'S001'], 'S001')).toEqual(['S001', 'S002']);
    expect(rememberStaffId(['A1', 'B2', 'C3', 'D4'], 'E5')).toEqual(['E5', 'A1', 'B2', 'C3']);
  });
});

describe('a refused sign-in', () => {
  it('tells attempts left, or until when the id is locked', () => {
    expect(loginRefusal({ code: 'STAFF_PIN_WRONG', params: { attemptsLeft: 2 } }, 0)).toEqual({
      kind: 'wrong',
      attemptsLeft: 2,
    });
    expect(loginRefusal({ code: 'STAFF_PIN_WRONG' }, 0)).toEqual({ kind: 'wrong', attemptsLeft: null });
    expect(loginRefusal({ code: 'STAFF_LOCKED', params: { retryAfter: 45 } }, 1000)).toEqual({
      kind: 'locked',
      until: 46_000,
    });
    expect(loginRefusal({ code: 'STAFF_ACCOUNT_DISABLED' }, 0)).toEqual({ kind: 'other' });
  });
});

describe('the staff session deadline', () => {
  it('is the idle window after the last request, never past the session end', () => {
    expect(staffIdleDeadline(1000, 300_000, 10_000_000)).toBe(301_000);
    expect(staffIdleDeadline(9_900_000, 300_000, 10_000_000)).toBe(10_000_000);
  });
});
