import { describe, expect, it } from 'vitest';
import { normaliseOverview } from './staff.ts';

describe('normaliseOverview', () => {
  it('reads devices, queue depth, in-doubt and reprint lists', () => {
    const o = normaliseOverview({
      devices: [
        { kind: 'printer', state: 'user-action-needed', detail: 'paper-out', since: 'x' },
        { kind: 'toaster' },
      ],
      consumables: { paper: 'out', blankKeys: 12 },
      queue: { depth: 3 },
      inDoubt: [{ id: 'J9', orderId: 'O9', step: 'certificate-issued' }, { nope: true }],
      reprints: [{ id: 'R1', orderId: 'O1' }],
      version: '0.1.0',
    });
    expect(o.devices.map((d) => d.kind)).toEqual(['printer']);
    expect(o.consumables).toEqual([
      { name: 'paper', value: 'out' },
      { name: 'blankKeys', value: '12' },
    ]);
    expect(o.queueDepth).toBe(3);
    expect(o.inDoubt).toEqual([{ id: 'J9', orderId: 'O9', step: 'certificate-issued' }]);
    expect(o.reprints).toEqual([{ id: 'R1', orderId: 'O1' }]);
    expect(o.version).toBe('0.1.0');
  });

  it('survives an empty or odd answer', () => {
    expect(normaliseOverview(null)).toEqual({
      devices: [],
      consumables: [],
      queueDepth: null,
      inDoubt: [],
      reprints: [],
      version: '?',
    });
  });
});
