// The admin-token strength rule: beyond loopback central refuses to start with a token under 128 bits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenBits, adminTokenProblem, isLoopbackHost, MIN_ADMIN_TOKEN_BITS } from './admin-auth.js';
import { buildCentral } from './app.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-admin-auth-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEX_128 = 'a3f1'.repeat(8); // 32 hex characters
const B64URL_132 = 'Zx9_-Qa2LmP0rT7uVw3yBc'; // 22 base64url characters

describe('admin token strength', () => {
  it('counts bits from length and alphabet: hex 4, base64url 6, digits log2(10) per character; anything else 0', () => {
    expect(adminTokenBits(HEX_128)).toBe(128);
    expect(adminTokenBits(HEX_128.slice(1))).toBe(124);
    expect(adminTokenBits(HEX_128.toUpperCase())).toBe(128);
    expect(adminTokenBits(B64URL_132)).toBe(132);
    expect(adminTokenBits(B64URL_132.slice(1))).toBe(126);
    expect(adminTokenBits('dGhpcyBpcyAxNiBieXRlcyE=')).toBe(23 * 6); // base64 padding counts for nothing
    expect(adminTokenBits('1'.repeat(39))).toBeGreaterThan(128);
    expect(adminTokenBits('1'.repeat(38))).toBeLessThan(128);
    expect(adminTokenBits('correct horse battery staple, twice over!')).toBe(0);
    expect(adminTokenBits('dev')).toBe(18);
    expect(adminTokenBits('')).toBe(0);
  });

  it('knows loopback from everything else', () => {
    for (const h of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      '203.0.113.7',
      '::ffff:10.0.0.1',
      'central.example',
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('central bound to a non-loopback address with a short token refuses to start (option check)', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'central.example']) {
      const problem = adminTokenProblem(host, 'dev');
      expect(problem, host).toMatch(
        new RegExp(`^refusing to listen on ${host.replace(/\./g, '\\.')} .*18-bit`),
      );
      expect(problem).not.toContain('\n');
      expect(adminTokenProblem(host, HEX_128.slice(1))).toContain(`at least ${MIN_ADMIN_TOKEN_BITS} bits`);
      expect(adminTokenProblem(host, HEX_128), host).toBeNull();
      expect(adminTokenProblem(host, B64URL_132), host).toBeNull();
    }
    // the loopback demo keeps its short fixed tokens
    expect(adminTokenProblem('127.0.0.1', 'dev')).toBeNull();
    expect(adminTokenProblem('::1', 'loopback-admin')).toBeNull();
  });

  it('listen() on a non-loopback address with a short token fails before binding; loopback still listens', async () => {
    const app = await buildCentral({ dataDir: join(dir, 'weak'), adminToken: 'dev' });
    try {
      await expect(app.listen({ host: '0.0.0.0', port: 0 })).rejects.toThrow(
        /refusing to listen on 0\.0\.0\.0 \(not loopback\) with a 18-bit admin token/,
      );
      expect(app.server.listening).toBe(false);
    } finally {
      await app.close();
    }
    const local = await buildCentral({ dataDir: join(dir, 'weak'), adminToken: 'dev' });
    try {
      const url = await local.listen({ host: '127.0.0.1', port: 0 });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('reads the token from a file (whitespace trimmed), and refuses both a token and a file', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `  ${HEX_128}\n`, { mode: 0o600 });
    const app = await buildCentral({ dataDir: join(dir, 'file'), adminTokenFile: file });
    try {
      expect(app.central.adminToken).toBe(HEX_128);
      const r = await app.inject({
        url: '/admin/v1/orders',
        headers: { authorization: `Bearer ${HEX_128}` },
      });
      expect(r.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    await expect(
      buildCentral({ dataDir: join(dir, 'both'), adminToken: HEX_128, adminTokenFile: file }),
    ).rejects.toThrow(/not both/);
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(
      buildCentral({ dataDir: join(dir, 'empty-d'), adminTokenFile: join(dir, 'empty') }),
    ).rejects.toThrow(/empty/);
  });

  it('a generated token is strong enough for any address', async () => {
    const app = await buildCentral({ dataDir: join(dir, 'gen') });
    try {
      expect(adminTokenBits(app.central.adminToken)).toBeGreaterThanOrEqual(256);
    } finally {
      await app.close();
    }
  });
});
