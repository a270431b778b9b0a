import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from './logging.js';
import { lazyRequestLogger } from './request-logger.js';

function parent(level: 'info' | 'warn' | 'debug' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ daemon: 'test', level, write: (l) => lines.push(l) });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}
const withoutTime = (r: Record<string, unknown>) => ({ ...r, time: undefined });

describe("a request's logger", () => {
  it('writes what pino’s own child writes, bindings and all', () => {
    const lazy = parent();
    const own = parent();
    for (const { log, make } of [
      { log: lazy.log, make: (l: Logger) => lazyRequestLogger(l, { reqId: 'req-7' }, {}) },
      { log: own.log, make: (l: Logger) => l.child({ reqId: 'req-7' }, {}) },
    ]) {
      const r = make(log);
      r.info({ res: { statusCode: 200 } }, 'request completed');
      r.warn('slow');
      r.debug('not at info');
      r.error(new Error('boom'));
    }
    expect(lazy.records().map(withoutTime)).toEqual(own.records().map(withoutTime));
    expect(lazy.records().map((r) => [r['level'], r['reqId']])).toEqual([
      ['info', 'req-7'],
      ['warn', 'req-7'],
      ['error', 'req-7'],
    ]);
  });

  it('makes no pino child for a request that logs nothing its level lets through', () => {
    const { log, records } = parent();
    const child = vi.spyOn(log, 'child');
    const r = lazyRequestLogger(log, { reqId: 'req-1' }, { level: 'warn' });
    r.info({ req: {} }, 'incoming request');
    r.debug('detail');
    expect(r.isLevelEnabled('info')).toBe(false);
    expect(r.isLevelEnabled('error')).toBe(true);
    expect(r.level).toBe('warn');
    expect(child).not.toHaveBeenCalled();
    expect(records()).toEqual([]);
    r.warn('kept');
    expect(child).toHaveBeenCalledTimes(1);
    r.error('kept too');
    expect(child).toHaveBeenCalledTimes(1);
    expect(records().map((x) => [x['level'], x['msg'], x['reqId']])).toEqual([
      ['warn', 'kept', 'req-1'],
      ['error', 'kept too', 'req-1'],
    ]);
  });

  it('follows a level set on it, and makes children of its own child', () => {
    const { log, records } = parent('warn');
    const r = lazyRequestLogger(log, { reqId: 'req-2' }, {});
    r.info('dropped');
    r.level = 'debug';
    r.debug('now kept');
    r.child({ step: 'sign' }).info('from a grandchild');
    r.level = 'silent';
    r.error('silent now');
    expect(records().map((x) => [x['msg'], x['reqId'], x['step']])).toEqual([
      ['now kept', 'req-2', undefined],
      ['from a grandchild', 'req-2', 'sign'],
    ]);
  });
});
