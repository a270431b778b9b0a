// What `certkiosk-central --seed-demo` seeded, for the person playing the demo and for certkiosk-demo: the phone
// page URLs (capability URLs), the couriered key's activation code, the demo operator. They are not logged
// (the log carries no code and no phone-page token); central writes them to `<data>/demo-facts.json` (0600)
// and logs `demo orders seeded` with the file's path.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeedResult } from './seed-demo.js';

export const DEMO_FACTS_FILE = 'demo-facts.json';

export interface DemoFacts {
  centralUrl: string;
  /** Whether this start created the orders (false: they were in the store already). */
  created: boolean;
  operator: { name: string; password: string };
  orders: Array<{ id: string; status: string; kind: string; label: string; phonePage: string }>;
  /** The phone page of the approved new-certificate order (the pickup demo), when there is one. */
  phonePage: string | null;
  afterSales: {
    activation: { orderId: string; code: string; codeExpiresAt: string; certificateSerial: string };
    renewal: { orderId: string; certificateSerial: string; notAfter: string; phonePage: string };
    reissue: { orderId: string; lostCertificateSerial: string; phonePage: string };
    payAtKiosk: { orderId: string; amountFen: number; phonePage: string };
  } | null;
}

export function demoFacts(
  centralUrl: string,
  seeded: SeedResult,
  operator: { name: string; password: string },
): DemoFacts {
  const url = (path: string) => `${centralUrl}${path}`;
  const approved = seeded.orders.find((o) => o.status === 'approved' && o.kind === 'new');
  const a = seeded.afterSales;
  return {
    centralUrl,
    created: seeded.created,
    operator,
    orders: seeded.orders.map((o) => ({
      id: o.id,
      status: o.status,
      kind: o.kind,
      label: o.label,
      phonePage: url(o.phonePath),
    })),
    phonePage: approved ? url(approved.phonePath) : null,
    afterSales: a
      ? {
          activation: {
            orderId: a.activation.orderId,
            code: a.activation.code,
            codeExpiresAt: a.activation.codeExpiresAt,
            certificateSerial: a.activation.certificateSerial,
          },
          renewal: {
            orderId: a.renewal.renewalOrderId,
            certificateSerial: a.renewal.certificateSerial,
            notAfter: a.renewal.notAfter,
            phonePage: url(a.renewal.phonePath),
          },
          reissue: {
            orderId: a.reissue.orderId,
            lostCertificateSerial: a.reissue.lostCertificateSerial,
            phonePage: url(a.reissue.phonePath),
          },
          payAtKiosk: {
            orderId: a.payAtKiosk.orderId,
            amountFen: a.payAtKiosk.amountFen,
            phonePage: url(a.payAtKiosk.phonePath),
          },
        }
      : null,
  };
}

/** Write the facts to `<dataDir>/demo-facts.json` (0600: it holds the demo's codes); returns its path. */
export function writeDemoFacts(dataDir: string, facts: DemoFacts): string {
  const file = join(dataDir, DEMO_FACTS_FILE);
  writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function readDemoFacts(file: string): DemoFacts {
  return JSON.parse(readFileSync(file, 'utf8')) as DemoFacts;
}
