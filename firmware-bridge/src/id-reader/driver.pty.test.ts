// The production driver against the emulator across a real socat PTY pair.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import type { IdCard } from './card.js';
import { cardFixturePaths, loadCardFixture } from './card-fixture.js';
import { validateCard } from './card-validation.js';
import { IdCardReaderDriver } from './driver.js';
import { IdCardReaderEmulator } from './emulator.js';

let pair: PtyPair;
let emulator: IdCardReaderEmulator;
let driver: IdCardReaderDriver;

const fixture = (name: string) =>
  loadCardFixture(cardFixturePaths().find((p) => p.endsWith(`/${name}.json`))!);

beforeEach(async () => {
  pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'idr-')), 'id-reader'));
  emulator = await IdCardReaderEmulator.open(pair.devicePath);
  driver = await IdCardReaderDriver.open(pair.hostPath, { timeoutMs: 400, readTimeoutMs: 3000 });
});

afterEach(async () => {
  await driver.close().catch(() => {});
  await emulator.close().catch(() => {});
  await pair.close();
});

function expectSameCard(read: IdCard, expected: IdCard) {
  const { photo, fingerprint, ...fields } = read;
  const { photo: expectedPhoto, fingerprint: _fp, ...expectedFields } = expected;
  expect(fields).toEqual(expectedFields);
  // The module always sends 1024 photo bytes: the fixture's blob, zero padded.
  expect(photo.length).toBe(1024);
  expect(photo.subarray(0, expectedPhoto.length)).toEqual(expectedPhoto);
  expect(fingerprint).toBeUndefined();
}

describe('IdCardReaderDriver ↔ emulator over a PTY', () => {
  it('reads every fixture card completely', async () => {
    for (const path of cardFixturePaths()) {
      const card = await loadCardFixture(path);
      emulator.placeCard(card);
      const result = await driver.read();
      expect(result.state, path).toBe('card');
      if (result.state === 'card') expectSameCard(result.card, card);
    }
  });

  it('reads the fingerprint with command 30 10', async () => {
    const card = await fixture('long-term-wang-shufen');
    emulator.placeCard(card);
    const result = await driver.read({ withFingerprint: true });
    expect(result.state).toBe('card');
    if (result.state !== 'card') return;
    expect(result.card.fingerprint?.length).toBe(1024);
    expect(result.card.fingerprint?.subarray(0, card.fingerprint!.length)).toEqual(card.fingerprint);
    expect(emulator.exchanges.at(-1)?.command).toBe('readBaseWithFingerprint');
  });

  it('reports "no card" as a state', async () => {
    await expect(driver.read()).resolves.toEqual({ state: 'no-card' });
  });

  it('tells whether a card lies on the reader with one "find card", reading nothing', async () => {
    await expect(driver.cardPresent()).resolves.toBe(false);
    emulator.placeCard(await fixture('han-zhang-wei'));
    const before = emulator.exchanges.length;
    await expect(driver.cardPresent()).resolves.toBe(true);
    expect(emulator.exchanges.slice(before).map((e) => e.command)).toEqual(['findCard']);
    // After a full read the card is still there until it is lifted.
    expect((await driver.read()).state).toBe('card');
    await expect(driver.cardPresent()).resolves.toBe(true);
    emulator.placeCard(null);
    await expect(driver.cardPresent()).resolves.toBe(false);
  });

  it('reads an expired card and leaves the verdict to validateCard', async () => {
    emulator.placeCard(await fixture('expired-li-na'));
    const result = await driver.read();
    expect(result.state).toBe('card');
    if (result.state === 'card') expect(validateCard(result.card).map((p) => p.kind)).toEqual(['expired']);
  });

  it('answers status, module id and reset', async () => {
    await expect(driver.status()).resolves.toBe('ok');
    await expect(driver.moduleId()).resolves.toMatch(/^\d{2}\.\d{2}-\d{8}-\d{10}-\d{10}$/);
    await expect(driver.reset()).resolves.toBeUndefined();
    emulator.failNext('moduleStatus', 0x60);
    await expect(driver.status()).rejects.toMatchObject({ code: 'ID_READER_SELF_TEST_FAILED' });
  });

  it('skips garbage before a frame and reassembles frames split into small delayed chunks', async () => {
    const card = await fixture('middle-dot-ayguli');
    emulator.placeCard(card);
    emulator.garbageBeforeNext();
    emulator.splitResponses({ chunkSize: 61, delayMs: 3 });
    const result = await driver.read({ timeoutMs: 5000 });
    expect(result.state).toBe('card');
    if (result.state === 'card') expect(result.card.name).toBe('阿依古丽·买买提');
    expect(emulator.exchanges.map((e) => e.command)).toEqual(['findCard', 'selectCard', 'readBase']);
  });

  it('retries after a checksum error and fails with ID_READER_CHECKSUM when retries are used up', async () => {
    emulator.placeCard(await fixture('han-zhang-wei'));
    emulator.corruptNextChecksum();
    await expect(driver.read()).resolves.toMatchObject({ state: 'card' });
    expect(emulator.exchanges.map((e) => e.command)).toEqual([
      'findCard',
      'findCard',
      'selectCard',
      'readBase',
    ]);

    await driver.close();
    const strict = await IdCardReaderDriver.open(pair.hostPath, { retries: 0, timeoutMs: 400 });
    emulator.corruptNextChecksum();
    await expect(strict.read()).rejects.toMatchObject({ code: 'ID_READER_CHECKSUM' });
    await strict.close();
  });

  it('does not take a late answer to a timed-out command for the answer to the next one', async () => {
    emulator.delayNextAnswer(550);
    await expect(driver.status()).rejects.toMatchObject({ code: 'ID_READER_TIMEOUT' });
    // The late status answer (no data) lands while the driver waits for the 16-byte module id.
    emulator.stopAnswering();
    await expect(driver.moduleId()).rejects.toMatchObject({ code: 'ID_READER_UNEXPECTED_RESPONSE' });
    expect(driver.strayFrames).toBe(1);
    emulator.stopAnswering(false);
    await expect(driver.moduleId()).resolves.toMatch(/^\d{2}\.\d{2}-/);
  });

  it('reports no card when the card is lifted between find and select', async () => {
    emulator.placeCard(await fixture('han-zhang-wei'));
    emulator.removeCardAfter('find');
    await expect(driver.read()).resolves.toEqual({ state: 'no-card' });
    expect(emulator.exchanges).toEqual([
      { command: 'findCard', sw3: 0x9f },
      { command: 'selectCard', sw3: 0x81 },
      { command: 'findCard', sw3: 0x80 },
    ]);
  });

  it('reports no card when the card is lifted between select and read', async () => {
    emulator.placeCard(await fixture('han-zhang-wei'));
    emulator.removeCardAfter('select');
    await expect(driver.read()).resolves.toEqual({ state: 'no-card' });
    expect(emulator.exchanges.map((e) => [e.command, e.sw3])).toEqual([
      ['findCard', 0x9f],
      ['selectCard', 0x90],
      ['readBase', 0x41],
      ['findCard', 0x80],
    ]);
  });

  it('times out cleanly when the module stops answering, then works again', async () => {
    emulator.placeCard(await fixture('han-zhang-wei'));
    emulator.stopAnswering();
    const started = Date.now();
    await expect(driver.read({ timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ID_READER_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1800);
    emulator.stopAnswering(false);
    await expect(driver.read()).resolves.toMatchObject({ state: 'card' });
  });

  it('reports the port closed when the cable is pulled, and reads again after reopening', async () => {
    const card = await fixture('mongol-batu');
    emulator.placeCard(card);
    const closed = new Promise<void>((resolve) => driver.onClose(() => resolve()));
    await pair.close();
    await closed;
    expect(driver.isOpen).toBe(false);
    await expect(driver.read()).rejects.toMatchObject({ code: 'ID_READER_CLOSED' });

    await emulator.close();
    await pair.reopen();
    emulator = await IdCardReaderEmulator.open(pair.devicePath, { card });
    await driver.reopen();
    const result = await driver.read();
    expect(result).toMatchObject({ state: 'card', card: { name: '巴特尔', nation: '蒙古' } });
  });

  it('fails to open a port that does not exist with ID_READER_OPEN_FAILED', async () => {
    await expect(IdCardReaderDriver.open('/nonexistent/tty-id-reader')).rejects.toMatchObject({
      code: 'ID_READER_OPEN_FAILED',
    });
  });
});
