// `certkiosk-devices emulate id-reader` and `certkiosk-devices id-read` end to end over a real PTY.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { run as idRead } from '../cli/devices/id-read.js';
import { createPtyPair } from '../transport/pty-pair.js';
import { cardFixturePaths } from './card-fixture.js';
import { runIdReaderEmulator } from './emulate-cli.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

const fixturePath = (name: string) => cardFixturePaths().find((p) => p.endsWith(`/${name}.json`))!;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Start the emulator CLI in-process; returns its log and the stop function. */
async function startEmulator(port: string, card?: string, input?: PassThrough) {
  const log = new Capture();
  const abort = new AbortController();
  const done = runIdReaderEmulator({
    port,
    ...(card ? { card } : {}),
    log,
    signal: abort.signal,
    ...(input ? { input } : {}),
  });
  const stop = async () => {
    abort.abort();
    await done;
  };
  cleanups.push(stop);
  for (let i = 0; i < 200 && !log.text.includes('answering on'); i++) await sleep(10);
  return { log, stop };
}

async function idReadOut(argv: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await idRead(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('id-read against `emulate id-reader`', () => {
  it('makes a PTY pair when PATH does not exist, and id-read --json prints the card', async () => {
    const port = join(mkdtempSync(join(tmpdir(), 'idr-cli-')), 'id-reader');
    const { log } = await startEmulator(port, fixturePath('middle-dot-ayguli'));
    expect(existsSync(port)).toBe(true);
    const out = await idReadOut(['--port', port, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      cardType: 'resident',
      name: '阿依古丽·买买提',
      sex: 'female',
      nation: '维吾尔',
      birthDate: '1992-08-15',
      address: '新疆维吾尔自治区乌鲁木齐市天山区解放南路88号',
      idNumber: '650102199208150025',
      authority: '乌鲁木齐市公安局天山区分局',
      validFrom: '2019-01-10',
      validTo: '2029-01-10',
      problems: [],
    });
    expect(log.text).toContain('6501**********0025');
    expect(log.text).not.toContain('650102199208150025');
  });

  it('prints a readable summary with the ID number masked, and null validTo for 长期 in JSON', async () => {
    const pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'idr-cli-')), 'id-reader'));
    cleanups.push(() => pair.close());
    await startEmulator(pair.devicePath, fixturePath('long-term-wang-shufen'));
    const text = await idReadOut(['--port', pair.hostPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('王淑芬');
    expect(text.stdout).toContain('1101**********0040');
    expect(text.stdout).not.toContain('110101195804020040');
    expect(text.stdout).toContain('长期');
    const json = await idReadOut(['--port', pair.hostPath, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ validTo: null, nation: '汉' });
  });

  it('exits non-zero with ID_READER_NO_CARD when the reader is empty, and reads once a card is placed', async () => {
    const port = join(mkdtempSync(join(tmpdir(), 'idr-cli-')), 'id-reader');
    const input = new PassThrough();
    await startEmulator(port, fixturePath('hmt-chan-tai-man'), input);
    input.write('remove\n');
    await sleep(50);
    const empty = await idReadOut(['--port', port, '--json']);
    expect(empty.code).not.toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ error: { code: 'ID_READER_NO_CARD' } });
    expect(empty.stderr).toContain('ID_READER_NO_CARD');
    input.write('place\n');
    await sleep(50);
    const read = await idReadOut(['--port', port, '--json']);
    expect(JSON.parse(read.stdout)).toMatchObject({ cardType: 'hmt-residence', passNumber: 'H12345678' });
  });

  it('exits non-zero with the error code when the frames are bad or never come', async () => {
    const port = join(mkdtempSync(join(tmpdir(), 'idr-cli-')), 'id-reader');
    const input = new PassThrough();
    await startEmulator(port, fixturePath('han-zhang-wei'), input);
    input.write('silent\n');
    await sleep(50);
    const out = await idReadOut(['--port', port, '--timeout', '800']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^ID_READER_TIMEOUT: /);
    input.write('answer\ncorrupt 20\n');
    await sleep(50);
    const bad = await idReadOut(['--port', port, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'ID_READER_CHECKSUM' } });
    input.write('answer\ncorrupt 1\n');
    await sleep(50);
    // One corrupted answer is retried away; the card still reads.
    expect((await idReadOut(['--port', port, '--json'])).code).toBe(0);
  });

  it('reports usage errors and a missing port', async () => {
    expect((await idReadOut([])).code).toBe(2);
    expect((await idReadOut(['--port', '/x', '--bogus'])).code).toBe(2);
    const missing = await idReadOut(['--port', '/nonexistent/tty-id']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ID_READER_OPEN_FAILED: /);
  });
});
