import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  LOG_LEVELS,
  LogLevelError,
  parseLogLevel,
  parseLogLine,
  REDACTED,
  redactUrl,
} from './logging.js';
import { maskIdNumbersInText as maskIdNumbersIn } from './masks.js';

const ID = '440305198503071238';
const ID_MASKED = '4403**********1238';

function capture(level: Parameters<typeof createLogger>[0]['level'] = 'trace') {
  const lines: string[] = [];
  const log = createLogger({
    daemon: 'test',
    level,
    base: { applianceId: 'KIOSK-1', hall: 'SZ-FUTIAN' },
    secretPathPrefixes: ['/p/'],
    write: (l) => lines.push(l),
  });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the records', () => {
  it('are JSON with level name, ISO time, msg, the daemon and the appliance', () => {
    const { log, records } = capture('info');
    log.info({ day: '2026-11-27' }, 'reconciliation sent');
    const [r] = records();
    expect(r).toMatchObject({
      level: 'info',
      msg: 'reconciliation sent',
      daemon: 'test',
      applianceId: 'KIOSK-1',
      hall: 'SZ-FUTIAN',
      day: '2026-11-27',
    });
    expect(new Date(r!['time'] as string).toISOString()).toBe(r!['time']);
  });

  it('below the level are dropped; silent drops all', () => {
    const warn = capture('warn');
    warn.log.info('not shown');
    warn.log.debug('not shown');
    warn.log.warn('shown');
    warn.log.error('shown too');
    expect(warn.records().map((r) => r['level'])).toEqual(['warn', 'error']);
    const debug = capture('debug');
    debug.log.trace('not shown');
    debug.log.debug('shown');
    expect(debug.records().map((r) => r['msg'])).toEqual(['shown']);
    const silent = capture('silent');
    silent.log.fatal('nothing');
    expect(silent.lines).toEqual([]);
  });
});

describe('redaction', () => {
  const secrets: Array<[string, Record<string, unknown>]> = [
    ['idNumber', { idNumber: ID }],
    ['holder name', { holder: { name: '张伟' } }],
    ['name', { name: '张伟' }],
    ['applicant', { applicant: { name: '张伟', phone: '13800138000' } }],
    ['phone', { phone: '13800138000' }],
    ['pin', { pin: '385172' }],
    ['nested pin', { step: { pin: '385172' } }],
    ['newPin', { newPin: '385172' }],
    ['soPin', { soPin: '77775555' }],
    ['pickupCode', { pickupCode: 'CKPICKUPSECRETVALUE' }],
    ['activationCode', { activationCode: '246810' }],
    ['enrolmentCode', { enrolmentCode: 'ENROL-SECRET-CODE' }],
    ['token', { token: 'sessiontokenvalue' }],
    ['adminToken', { adminToken: 'admintokenvalue' }],
    ['password', { password: 'operatorpassword' }],
    ['authorization header', { req: { headers: { authorization: 'Bearer sessiontokenvalue' } } }],
    ['cookie header', { req: { headers: { cookie: 'ck_session=sessiontokenvalue' } } }],
    ['set-cookie header', { res: { headers: { 'set-cookie': 'ck_session=sessiontokenvalue' } } }],
    ['request body', { body: { pin: '385172', idNumber: ID } }],
  ];
  for (const [what, fields] of secrets) {
    it(`${what} never reaches the line`, () => {
      const { log, lines } = capture();
      // `req` and `res` as plain fields (not through the request serializers) so the headers stay in the object.
      const { req, res, ...rest } = fields as { req?: unknown; res?: unknown };
      log.info({ ...rest, ...(req ? { request: req } : {}), ...(res ? { response: res } : {}) }, 'event');
      const line = lines[0]!;
      expect(line).toContain(REDACTED);
      for (const secret of [
        ID,
        ID_MASKED,
        '张伟',
        '13800138000',
        '385172',
        '77775555',
        'SECRET',
        '246810',
        'sessiontokenvalue',
        'admintokenvalue',
        'operatorpassword',
      ])
        expect(line).not.toContain(secret);
    });
  }

  it('keeps what is not personal (serials, order ids, error codes)', () => {
    const { log, records } = capture();
    log.info(
      { orderId: 'CK123', tokenSerial: 'T-9', err: Object.assign(new Error('full'), { code: 'ENOSPC' }) },
      'x',
    );
    const [r] = records();
    expect(r).toMatchObject({
      orderId: 'CK123',
      tokenSerial: 'T-9',
      err: { code: 'ENOSPC', message: 'full' },
    });
  });
});

describe('the ID-number guard', () => {
  it('masks an ID number anywhere in a line: message, error, unnamed field', () => {
    const { log, lines } = capture();
    log.error(new Error(`card ${ID} refused`), `lookup of ${ID} failed`);
    log.info({ note: `holder 44030519850307123X said hello` }, 'free text');
    expect(lines.join('\n')).not.toMatch(/[0-9]{17}[0-9X]/);
    expect(lines[0]).toContain(`lookup of ${ID_MASKED} failed`);
    expect(lines[1]).toContain('4403**********123X');
  });

  it('leaves longer digit runs and hex fingerprints alone', () => {
    expect(maskIdNumbersIn('a1234567890123456789b and 12345678901234567890')).toBe(
      'a1234567890123456789b and 12345678901234567890',
    );
    expect(maskIdNumbersIn(`"${ID}"`)).toBe(`"${ID_MASKED}"`);
  });

  it('request URLs lose query values and the phone page token', () => {
    expect(redactUrl('/api/lookup?idNumber=1&x=2')).toBe(`/api/lookup?idNumber=${REDACTED}&x=${REDACTED}`);
    expect(redactUrl('/p/abcdefTOKEN/pay', ['/p/'])).toBe(`/p/${REDACTED}/pay`);
    expect(redactUrl('/p/abcdefTOKEN', ['/p/'])).toBe(`/p/${REDACTED}`);
    expect(redactUrl('/api/state', ['/p/'])).toBe('/api/state');
    const { log, lines } = capture();
    log.info(
      { req: { method: 'GET', url: '/p/abcdefTOKEN?x=1', headers: { authorization: 'Bearer t' } } },
      'in',
    );
    expect(JSON.parse(lines[0]!).req).toEqual({ method: 'GET', url: `/p/${REDACTED}?x=${REDACTED}` });
  });

  it("a message quoting a URL (Fastify's 404) loses its query values and token", () => {
    const { log, lines } = capture();
    log.info(`Route POST:/v1/lookup?idNumber=${ID}&pin=385172 not found`);
    log.info('Route GET:/p/abcdefTOKEN/pay not found');
    expect(JSON.parse(lines[0]!).msg).toBe(
      `Route POST:/v1/lookup?idNumber=${REDACTED}&pin=${REDACTED} not found`,
    );
    expect(JSON.parse(lines[1]!).msg).toBe(`Route GET:/p/${REDACTED}/pay not found`);
  });
});

describe('--log-level', () => {
  it('takes each level, defaults to info, refuses anything else with a typed error', () => {
    for (const l of LOG_LEVELS) expect(parseLogLevel(l)).toBe(l);
    expect(parseLogLevel(undefined)).toBe('info');
    for (const bad of ['verbose', 'INFO', '', '30']) {
      expect(() => parseLogLevel(bad)).toThrow(LogLevelError);
      expect(() => parseLogLevel(bad)).toThrow(
        `--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "${bad}")`,
      );
    }
  });
});

describe('on stdout', () => {
  it('one JSON object per line on fd 1, nothing on stderr', () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/logging.js', import.meta.url)))});
      const log = createLogger({ daemon: 'child', level: 'debug' });
      log.info({ idNumber: '${ID}' }, 'first');
      log.debug('second ${ID}');
      log.trace('not shown');
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    const records = lines.slice(0, -1).map((l) => parseLogLine(l));
    expect(records.map((x) => x?.msg)).toEqual(['first', `second ${ID_MASKED}`]);
    expect(records.every((x) => x?.daemon === 'child' && typeof x.time === 'string')).toBe(true);
    expect(r.stdout).not.toContain(ID);
  });
});

describe('onLine', () => {
  it('is handed each line as written: redacted, masked, only at the level', () => {
    const seen: string[] = [];
    const log = createLogger({ daemon: 'test', level: 'info', write: () => {}, onLine: (l) => seen.push(l) });
    log.debug('below the level');
    log.info({ pin: '385172' }, `card ${ID}`);
    expect(seen).toHaveLength(1);
    expect(parseLogLine(seen[0]!)).toMatchObject({ msg: `card ${ID_MASKED}`, pin: REDACTED });
  });
});

describe('parseLogLine', () => {
  it('a record, or null for plain text and JSON that is not a record', () => {
    expect(parseLogLine('{"level":"info","time":"t","msg":"m"}')?.msg).toBe('m');
    expect(parseLogLine('plain text')).toBeNull();
    expect(parseLogLine('{"a":1}')).toBeNull();
    expect(parseLogLine('{broken')).toBeNull();
  });
});
