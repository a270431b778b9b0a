// Central's data-directory keys: made once (0600), the same key for every process after, and a file too short
// to be a key is refused rather than used.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateDataKey } from './data-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-data-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data-directory keys', () => {
  it('makes a 32-byte key once, readable by its owner only, and returns the same key after', () => {
    const first = loadOrCreateDataKey(dir, 'a.key');
    expect(first.length).toBe(32);
    expect(statSync(join(dir, 'a.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDataKey(dir, 'a.key').equals(first)).toBe(true);
    expect(loadOrCreateDataKey(dir, 'b.key').equals(first)).toBe(false);
    expect(readFileSync(join(dir, 'a.key'), 'utf8').trim()).toBe(first.toString('base64'));
    // Nothing written aside is left behind.
    expect(readdirSync(dir).sort()).toEqual(['a.key', 'b.key']);
  });

  it('refuses a key file too short to be a key', () => {
    writeFileSync(join(dir, 'short.key'), Buffer.alloc(8).toString('base64'));
    expect(() => loadOrCreateDataKey(dir, 'short.key')).toThrow(/at least 32 random bytes/);
  });
});
