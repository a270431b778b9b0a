import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Low, LowSync } from 'lowdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableJsonFile, DurableJsonFileSync, tempPathFor } from './durable-json-file.js';
import { DurableStoreError } from './errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-durable-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface State {
  journeys: Record<string, { step: string }>;
}

describe('DurableJsonFile (lowdb adapter)', () => {
  it('keeps the data across a reopen and leaves no temp file behind', async () => {
    const file = join(dir, 'state.json');
    const db = new Low<State>(new DurableJsonFile(file), { journeys: {} });
    await db.read();
    db.data.journeys['j1'] = { step: 'scanned' };
    await db.write();
    db.data.journeys['j1'] = { step: 'order-verified' };
    await db.write();

    const again = new Low<State>(new DurableJsonFile(file), { journeys: {} });
    await again.read();
    expect(again.data.journeys['j1']).toEqual({ step: 'order-verified' });
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a missing file reads as null, so lowdb uses the default data', async () => {
    expect(await new DurableJsonFile(join(dir, 'none.json')).read()).toBeNull();
  });

  it('a crash between the temp write and the rename leaves the old file intact, and the stray temp is removed', async () => {
    const file = join(dir, 'state.json');
    const adapter = new DurableJsonFile<State>(file);
    await adapter.write({ journeys: { j1: { step: 'scanned' } } });
    // What a crash after "write temp + fsync" but before "rename" leaves on disk.
    writeFileSync(tempPathFor(file), '{"journeys":{"j1":{"step":"key-gen');

    const reopened = new DurableJsonFile<State>(file);
    expect(await reopened.read()).toEqual({ journeys: { j1: { step: 'scanned' } } });
    expect(existsSync(tempPathFor(file))).toBe(false);
  });

  it('concurrent writes land in call order (the last one wins)', async () => {
    const file = join(dir, 'state.json');
    const adapter = new DurableJsonFile<{ n: number }>(file);
    await Promise.all(Array.from({ length: 20 }, (_, n) => adapter.write({ n })));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ n: 19 });
  });

  it.each([
    ['truncated', '{"journeys":{"j1":'],
    ['empty', ''],
    ['not JSON', 'hello'],
  ])('a %s file is a STORE_FILE_CORRUPT error naming the file, never empty data', async (_kind, text) => {
    const file = join(dir, 'state.json');
    writeFileSync(file, text);
    const err = await new DurableJsonFile(file).read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DurableStoreError);
    expect(err).toMatchObject({ code: 'STORE_FILE_CORRUPT', details: { path: file } });
    expect((err as Error).message).toContain(file);
    // and the damaged file is left as it was, for inspection
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a validator refusing the shape is also STORE_FILE_CORRUPT', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, '[1,2]');
    const adapter = new DurableJsonFile<State>(file, {
      validate: (v) => {
        if (Array.isArray(v) || typeof v !== 'object' || v === null) throw new Error('expected an object');
        return v as State;
      },
    });
    await expect(adapter.read()).rejects.toMatchObject({ code: 'STORE_FILE_CORRUPT' });
  });

  it('a write into a missing directory is STORE_WRITE_FAILED', async () => {
    const adapter = new DurableJsonFile(join(dir, 'missing', 'state.json'));
    await expect(adapter.write({ a: 1 })).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
  });
});

describe('DurableJsonFileSync (LowSync adapter)', () => {
  it('writes atomically and reads back; a stray temp file is ignored and removed', () => {
    const file = join(dir, 'small.json');
    const db = new LowSync<{ counter: number }>(new DurableJsonFileSync(file), { counter: 0 });
    db.read();
    db.data.counter = 7;
    db.write();
    writeFileSync(tempPathFor(file), '{"counter": 99');
    const again = new LowSync<{ counter: number }>(new DurableJsonFileSync(file), { counter: 0 });
    again.read();
    expect(again.data.counter).toBe(7);
    expect(readdirSync(dir)).toEqual(['small.json']);
  });

  it('a corrupt file throws STORE_FILE_CORRUPT', () => {
    const file = join(dir, 'small.json');
    writeFileSync(file, '{');
    expect(() => new DurableJsonFileSync(file).read()).toThrow(DurableStoreError);
  });
});
