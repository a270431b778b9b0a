#!/usr/bin/env node
// certkiosk-token — personalise and inspect USB keys through PKCS#11.
import { readFileSync, writeFileSync } from 'node:fs';
import { type CertkioskConfig, loadConfigOrExit, type PinPolicy } from '@certkiosk/config';
import { parseSubject, splitPemCertificates, UsbKeyDriver } from '../token/index.js';
import { KEY_ALGORITHMS, type KeyAlgorithm, parseCertificate } from '../token/public-key.js';
import { parse, required, runMain, UsageError } from './run-cli.js';

const USAGE = `usage: certkiosk-token [--module PATH | --config FILE] <command> [options]
  slots [--json]
  init --slot N --label L --so-pin X --pin Y
  keygen --token-label L --pin Y --algo rsa2048|rsa3072|ec-p256 --id HEX --label K
  csr --token-label L --pin Y --id HEX --subject "/CN=…/O=…" --out FILE
  import-cert --token-label L --pin Y --id HEX --cert FILE [--chain FILE]
  set-pin --token-label L --old-pin Y --new-pin Z
  unlock --token-label L --so-pin X --new-pin Z
  info --token-label L [--pin Y] --json
The module path comes from --module, the config file's devices.token.module, or CERTKIOSK_PKCS11_MODULE.
`;

const DEFAULT_POLICY: PinPolicy = {
  minLength: 6,
  maxLength: 8,
  digitsOnly: true,
  forbidSequences: true,
  forbidRepeated: true,
};

function hexId(v: string): Buffer {
  if (!/^([0-9a-fA-F]{2})+$/.test(v))
    throw new UsageError(`--id must be hex bytes like "01" or "a1b2", got "${v}"`);
  return Buffer.from(v, 'hex');
}

function splitGlobal(argv: string[]): { globals: string[]; command: string | undefined; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('--')) {
    globals.push(argv[i]!, argv[i + 1] ?? '');
    i += 2;
  }
  return { globals, command: argv[i], rest: argv.slice(i + 1) };
}

async function main(): Promise<number> {
  const { globals, command, rest } = splitGlobal(process.argv.slice(2));
  const g = parse(globals, { module: { type: 'string' }, config: { type: 'string' } });
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config: CertkioskConfig | undefined =
    typeof g['config'] === 'string' ? loadConfigOrExit(g['config']) : undefined;
  const modulePath =
    (g['module'] as string | undefined) ??
    config?.devices.token.module ??
    process.env['CERTKIOSK_PKCS11_MODULE'];
  if (!modulePath)
    throw new UsageError('no PKCS#11 module: give --module PATH or set CERTKIOSK_PKCS11_MODULE');
  const policy = config?.pinPolicy ?? DEFAULT_POLICY;
  const driver = UsbKeyDriver.open(modulePath);
  try {
    return await dispatch(driver, command, rest, policy);
  } finally {
    driver.close();
  }
}

async function dispatch(
  driver: UsbKeyDriver,
  command: string,
  argv: string[],
  policy: PinPolicy,
): Promise<number> {
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  switch (command) {
    case 'slots': {
      const v = parse(argv, { json: { type: 'boolean' } });
      const slots = driver.slots();
      if (v['json']) {
        out(JSON.stringify(slots, null, 2));
        return 0;
      }
      for (const s of slots) {
        const t = s.token;
        out(
          t
            ? `slot ${s.slotId}: ${t.flags.initialized ? `"${t.label}" serial ${t.serial}` : '(blank, not initialised)'} — ${t.manufacturer} ${t.model}${
                t.flags.userPinLocked
                  ? ' [PIN LOCKED]'
                  : t.flags.userPinFinalTry
                    ? ' [PIN final try]'
                    : t.flags.userPinCountLow
                      ? ' [PIN count low]'
                      : ''
              }`
            : `slot ${s.slotId}: no token`,
        );
      }
      return 0;
    }
    case 'init': {
      const v = parse(argv, {
        slot: { type: 'string' },
        label: { type: 'string' },
        'so-pin': { type: 'string' },
        pin: { type: 'string' },
      });
      const t = driver.initToken(required(v, 'slot'), {
        label: required(v, 'label'),
        soPin: required(v, 'so-pin'),
        userPin: required(v, 'pin'),
      });
      out(`initialised "${t.label}" serial ${t.serial}`);
      return 0;
    }
    case 'keygen': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        pin: { type: 'string' },
        algo: { type: 'string' },
        id: { type: 'string' },
        label: { type: 'string' },
      });
      const algo = required(v, 'algo');
      if (!KEY_ALGORITHMS.includes(algo as KeyAlgorithm))
        throw new UsageError(`--algo must be one of ${KEY_ALGORITHMS.join(', ')}`);
      const kp = await driver.keygen({ label: required(v, 'token-label') }, required(v, 'pin'), {
        algorithm: algo as KeyAlgorithm,
        id: hexId(required(v, 'id')),
        label: required(v, 'label'),
      });
      out(
        `generated ${kp.algorithm} key id ${kp.id} "${kp.label}" on the token; public key SHA-256 ${kp.spkiSha256}`,
      );
      out(
        `evidence: CKA_LOCAL=${kp.evidence.local} CKA_NEVER_EXTRACTABLE=${kp.evidence.neverExtractable} CKA_ALWAYS_SENSITIVE=${kp.evidence.alwaysSensitive}`,
      );
      return 0;
    }
    case 'csr': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        pin: { type: 'string' },
        id: { type: 'string' },
        subject: { type: 'string' },
        out: { type: 'string' },
      });
      const csr = await driver.csr(
        { label: required(v, 'token-label') },
        required(v, 'pin'),
        hexId(required(v, 'id')),
        {
          subject: parseSubject(required(v, 'subject')),
          keyUsage: ['digitalSignature', 'nonRepudiation'],
          extKeyUsage: ['clientAuth'],
        },
      );
      writeFileSync(required(v, 'out'), csr.pem);
      out(`wrote ${v['out']} (signature verified; public key SHA-256 ${csr.spkiSha256})`);
      return 0;
    }
    case 'import-cert': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        pin: { type: 'string' },
        id: { type: 'string' },
        cert: { type: 'string' },
        chain: { type: 'string' },
      });
      const cert = parseCertificate(readFileSync(required(v, 'cert')));
      const chain =
        typeof v['chain'] === 'string' ? splitPemCertificates(readFileSync(v['chain'], 'utf8')) : [];
      await driver.importCertificate(
        { label: required(v, 'token-label') },
        required(v, 'pin'),
        hexId(required(v, 'id')),
        cert,
        chain,
      );
      out(
        `wrote certificate ${cert.serialNumber} for key ${v['id']}${chain.length ? ` and ${chain.length} chain certificate(s)` : ''}`,
      );
      return 0;
    }
    case 'set-pin': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        'old-pin': { type: 'string' },
        'new-pin': { type: 'string' },
      });
      await driver.setPin(
        { label: required(v, 'token-label') },
        required(v, 'old-pin'),
        required(v, 'new-pin'),
        policy,
      );
      out('PIN changed');
      return 0;
    }
    case 'unlock': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        'so-pin': { type: 'string' },
        'new-pin': { type: 'string' },
      });
      await driver.unlock(
        { label: required(v, 'token-label') },
        required(v, 'so-pin'),
        required(v, 'new-pin'),
        policy,
      );
      out('PIN unlocked and set');
      return 0;
    }
    case 'info': {
      const v = parse(argv, {
        'token-label': { type: 'string' },
        pin: { type: 'string' },
        json: { type: 'boolean' },
      });
      const report = await driver.info({ label: required(v, 'token-label') }, v['pin'] as string | undefined);
      if (v['json']) {
        out(JSON.stringify(report, null, 2));
        return 0;
      }
      out(
        `"${report.token.label}" serial ${report.token.serial} — ${report.token.manufacturer} ${report.token.model}`,
      );
      for (const o of report.objects) out(`  ${o.class.padEnd(12)} id ${o.id || '-'}  "${o.label}"`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

await runMain(USAGE, main);
