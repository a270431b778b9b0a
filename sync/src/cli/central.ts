#!/usr/bin/env node
// certkiosk-central: run the reference central service on a port with its data in one directory.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildCentral } from '../central/app.js';
import { seedDemo } from '../central/seed-demo.js';

const USAGE = `usage: certkiosk-central --port P --data DIR [--host 127.0.0.1] [--pickup-key FILE]
       [--admin-token T] [--seed-demo] [--hall SZ-FUTIAN] [--auto-approve-appliances] [--log]
  --pickup-key FILE          Ed25519 private key (PEM) for pickup codes (default: DIR/pickup-signing.key.pem, made once)
  --admin-token T            operator token (or env CERTKIOSK_CENTRAL_ADMIN_TOKEN; default: random, printed)
  --seed-demo                create demo orders in an empty store and print the phone-page URL
  --hall H                   hall of the demo orders (default SZ-FUTIAN)
  --auto-approve-appliances  demo only: approve appliances as they enrol`;

function fail(msg: string): never {
  process.stderr.write(`certkiosk-central: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'pickup-key': { type: 'string' },
        'admin-token': { type: 'string' },
        'seed-demo': { type: 'boolean', default: false },
        hall: { type: 'string', default: 'SZ-FUTIAN' },
        'auto-approve-appliances': { type: 'boolean', default: false },
        log: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!values.port || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('--port must be a number 0–65535.');
  if (!values.data) fail('--data DIR is required.');
  let pickupKeyPem: string | undefined;
  if (values['pickup-key']) {
    try {
      pickupKeyPem = readFileSync(String(values['pickup-key']), 'utf8');
    } catch (err) {
      fail(`cannot read the pickup key: ${(err as Error).message}`);
    }
  }
  const givenToken =
    (values['admin-token'] as string | undefined) ?? process.env.CERTKIOSK_CENTRAL_ADMIN_TOKEN;
  const app = await buildCentral({
    dataDir: String(values.data),
    pickupKeyPem,
    adminToken: givenToken,
    autoApproveAppliances: values['auto-approve-appliances'] === true,
    logger: values.log ? { level: 'info' } : false,
  });
  const address = await app.listen({ port, host: String(values.host) });
  const ctx = app.central;
  const out = [`certkiosk-central listening on ${address}`, `  OpenAPI:  ${address}/openapi.json`];
  out.push(`  fleet:    ${address}/fleet?token=${encodeURIComponent(ctx.adminToken)}`);
  if (!givenToken) out.push(`  admin token (generated): ${ctx.adminToken}`);
  out.push(`  pickup-code public key:\n${ctx.pickup.publicKeyPem.trimEnd()}`);
  if (values['seed-demo']) {
    const seeded = seedDemo(ctx, String(values.hall));
    out.push(seeded.created ? '  demo orders created:' : '  demo orders (already in the store):');
    for (const o of seeded.orders)
      out.push(`    ${o.id}  ${o.status.padEnd(16)} ${o.label}  ${address}${o.phonePath}`);
    const approved = seeded.orders.find((o) => o.status === 'approved');
    if (approved) out.push(`  PHONE PAGE (approved demo order): ${address}${approved.phonePath}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`certkiosk-central: ${(err as Error).message}\n`);
  process.exit(1);
});
