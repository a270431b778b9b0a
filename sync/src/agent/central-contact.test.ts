import { describe, expect, it } from 'vitest';
import { CentralContactTracker } from './central-contact.js';
import { CentralClientError } from './errors.js';

describe('CentralContactTracker', () => {
  it('knows nothing before the first exchange, then tracks since when central is (un)reachable', () => {
    let t = Date.parse('2025-03-03T08:00:00.000Z');
    const at = (ms: number) => new Date(ms).toISOString();
    const tracker = new CentralContactTracker(() => new Date(t));
    expect(tracker.snapshot()).toEqual({ reachable: null });

    tracker.failed(new CentralClientError('CENTRAL_UNAVAILABLE'));
    const downAt = t;
    t += 1000;
    tracker.failed(new CentralClientError('CENTRAL_REFUSED'));
    expect(tracker.snapshot()).toEqual({
      reachable: false,
      since: at(downAt),
      lastFailureAt: at(t),
      lastErrorCode: 'CENTRAL_REFUSED',
    });

    t += 1000;
    const upAt = t;
    tracker.ok();
    t += 1000;
    tracker.ok();
    expect(tracker.snapshot()).toEqual({
      reachable: true,
      since: at(upAt),
      lastOkAt: at(t),
      lastFailureAt: at(downAt + 1000),
      lastErrorCode: 'CENTRAL_REFUSED',
    });
  });

  it('does not count a failure that is not a call to central (a disk error, the change handler)', () => {
    const tracker = new CentralContactTracker();
    tracker.ok();
    tracker.failed(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }));
    expect(tracker.snapshot()).toMatchObject({ reachable: true });
    expect(tracker.snapshot().lastErrorCode).toBeUndefined();
  });
});
