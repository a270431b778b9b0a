// The recorded blank-key stock: refills checked before anything changes, one key off per written key counted by
// journey id (durably, across reopening the file), history not subtracted on the first start, the low warning.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplianceError } from '../errors.js';
import { BlankKeyStock, checkRefillCount, keysTaken } from './blank-key-stock.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'ck-stock-')), 'blank-keys.json');
const onDisk = (path: string) =>
  JSON.parse(readFileSync(path, 'utf8')) as { count: number; counted: string[] };

describe('blank-key stock', () => {
  it('a refill adds its count, durably; a bad count is BLANK_KEY_COUNT_INVALID and changes nothing', async () => {
    const path = file();
    const stock = await BlankKeyStock.open({ file: path, seed: 3 });
    expect(await stock.refill(25)).toMatchObject({ count: 28, low: false, lowThreshold: 20 });
    const before = readFileSync(path, 'utf8');
    for (const bad of [0, -1, 1.5, 1001, Number.NaN, Number.POSITIVE_INFINITY, '10', null, undefined, {}]) {
      expect(() => stock.refill(bad), String(bad)).toThrowError(ApplianceError);
      try {
        checkRefillCount(bad);
      } catch (err) {
        expect((err as ApplianceError).code).toBe('BLANK_KEY_COUNT_INVALID');
      }
    }
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect((await BlankKeyStock.open({ file: path, seed: 99 })).count()).toBe(28);
  });

  it('each written key is counted once by its journey, also after reopening; unwritten ones not at all', async () => {
    const path = file();
    const stock = await BlankKeyStock.open({ file: path, seed: 10 });
    const journeys = [
      { id: 'J-1', step: 'certificate-written' },
      { id: 'J-2', step: 'token-ready' },
      { id: 'J-3', step: 'completed' },
    ];
    expect(await stock.countWritten(journeys)).toBe(2);
    expect(await stock.countWritten(journeys)).toBe(0);
    expect(await Promise.all([stock.countWritten(journeys), stock.countWritten(journeys)])).toEqual([0, 0]);
    expect(onDisk(path)).toMatchObject({ count: 8, counted: ['J-1', 'J-3'] });
    // After a restart (a kill -9): the same journeys again, J-2 now written too.
    const again = await BlankKeyStock.open({ file: path, seed: 10 });
    expect(await again.countWritten([...journeys, { id: 'J-2', step: 'pin-set' }])).toBe(1);
    expect(onDisk(path).count).toBe(7);
  });

  it('on the first start, keys written before the stock existed are not subtracted', async () => {
    const path = file();
    const stock = await BlankKeyStock.open({
      file: path,
      seed: 5,
      journeys: () => [{ id: 'OLD-1', step: 'completed' }],
    });
    expect(await stock.countWritten([{ id: 'OLD-1', step: 'completed' }])).toBe(0);
    expect(stock.count()).toBe(5);
  });

  it('warns below the threshold, not at it', async () => {
    const stock = await BlankKeyStock.open({ file: file(), seed: 20, lowThreshold: 20 });
    expect(stock.low()).toBe(false);
    await stock.countWritten([{ id: 'J-1', step: 'completed' }]);
    expect(stock.view()).toMatchObject({ count: 19, low: true });
  });

  it('low since the key that took it below the threshold: kept while low, across reopening; cleared by a refill', async () => {
    const path = file();
    const stock = await BlankKeyStock.open({ file: path, seed: 21, lowThreshold: 20 });
    expect(stock.lowSince()).toBeNull();
    await stock.countWritten([{ id: 'J-1', step: 'completed' }]);
    expect(stock.lowSince()).toBeNull();
    const before = Date.now();
    await stock.countWritten([{ id: 'J-2', step: 'completed' }]);
    const since = stock.lowSince();
    expect(since).not.toBeNull();
    expect(Date.parse(since!)).toBeGreaterThanOrEqual(before - 1);
    await new Promise((r) => setTimeout(r, 5));
    await stock.countWritten([{ id: 'J-3', step: 'completed' }]);
    expect(stock.lowSince()).toBe(since);
    const reopened = await BlankKeyStock.open({ file: path, seed: 99, lowThreshold: 20 });
    expect(reopened.lowSince()).toBe(since);
    await reopened.refill(30);
    expect(reopened.lowSince()).toBeNull();
    expect(readFileSync(path, 'utf8')).not.toContain('lowSince');
  });

  it('a key spoiled by a failed write is taken too, once, beside the key its journey then wrote', async () => {
    const stock = await BlankKeyStock.open({ file: file(), seed: 10 });
    const state = {
      journeys: { 'J-1': { id: 'J-1', step: 'completed' } },
      spoiledKeys: [{ serial: 'SIM-000042' }],
    };
    expect(await stock.countWritten(keysTaken(state))).toBe(2);
    expect(await stock.countWritten(keysTaken(state))).toBe(0);
    expect(stock.count()).toBe(8);
  });
});
