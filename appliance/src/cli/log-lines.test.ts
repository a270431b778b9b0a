import { describe, expect, it } from 'vitest';
import { humanLogLine } from './log-lines.js';

const record = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'info', time: '2026-11-27T04:00:00.000Z', daemon: 'appliance', pid: 7, ...fields });

describe('the demo shows a daemon record as one short line', () => {
  it('level and msg first, then the fields that say something (not time, pid, daemon, id, hall)', () => {
    const line = record({ applianceId: 'K1', hall: 'H', msg: 'listening', url: 'http://127.0.0.1:7420' });
    expect(humanLogLine(line)).toBe('INFO  listening url=http://127.0.0.1:7420');
    expect(
      humanLogLine(record({ level: 'warn', msg: 'sync failed', part: 'outbox', err: { message: 'down' } })),
    ).toBe('WARN  sync failed part=outbox err={"message":"down"}');
  });

  it('strings with spaces are quoted; long values are cut', () => {
    expect(humanLogLine(record({ msg: 'm', reason: 'the disk is full' }))).toBe(
      'INFO  m reason="the disk is full"',
    );
    const shown = humanLogLine(record({ msg: 'm', key: 'x'.repeat(500) }))!;
    expect(shown.length).toBeLessThan(140);
    expect(shown.endsWith('…')).toBe(true);
  });

  it('request records only when asked for; other lines as they are', () => {
    const req = record({ msg: 'incoming request', req: { method: 'GET', url: '/api/state' } });
    expect(humanLogLine(req)).toBeNull();
    expect(humanLogLine(req, { requests: true })).toBe(
      'INFO  incoming request req={"method":"GET","url":"/api/state"}',
    );
    expect(humanLogLine('plain text from a child')).toBe('plain text from a child');
  });
});
