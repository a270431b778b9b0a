import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_FACTS_FILE, demoFacts, readDemoFacts, writeDemoFacts } from './demo-facts.js';
import type { SeedResult } from './seed-demo.js';

const seeded: SeedResult = {
  created: true,
  orders: [
    { id: 'CK1', status: 'approved', kind: 'new', phonePath: '/p/tok1', label: 'pickup' },
    { id: 'CK2', status: 'paid', kind: 'new', phonePath: '/p/tok2', label: 'paid' },
  ],
};

describe('the demo facts file', () => {
  it('names the approved pickup order and full phone-page URLs; written 0600 and read back', () => {
    const facts = demoFacts('http://127.0.0.1:7410', seeded, { name: 'ops', password: 'pw' });
    expect(facts.phonePage).toBe('http://127.0.0.1:7410/p/tok1');
    expect(facts.orders.map((o) => o.phonePage)).toEqual([
      'http://127.0.0.1:7410/p/tok1',
      'http://127.0.0.1:7410/p/tok2',
    ]);
    expect(facts.afterSales).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'ck-demo-facts-'));
    const file = writeDemoFacts(dir, facts);
    expect(file).toBe(join(dir, DEMO_FACTS_FILE));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readDemoFacts(file)).toEqual(facts);
  });

  it('no approved new order: no phone page', () => {
    const none = demoFacts(
      'http://c',
      { created: false, orders: [seeded.orders[1]!] },
      { name: 'o', password: 'p' },
    );
    expect(none.phonePage).toBeNull();
  });
});
