// The sim profile's devices: a private SoftHSM2 with the appliance's own token and a tray of blank keys,
// and the ID reader, printer and scanner emulators on the device side of socat PTY pairs whose host side
// is what the configuration names. The production drivers open the host side as they would real ports.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CertkioskConfig } from '@certkiosk/config';
import type { printer } from '@certkiosk/firmware-bridge';
import {
  cardFixturePaths,
  createPtyPair,
  createSoftHsmHome,
  type IdCard,
  IdCardReaderEmulator,
  loadCardFixture,
  openSerial,
  type PtyPair,
  ReceiptPrinterEmulator,
  renderReceiptPng,
  SerialScannerEmulator,
  type SoftHsmHome,
  UsbKeyDriver,
} from '@certkiosk/firmware-bridge';
import { APPLIANCE_HMAC_KEY_LABEL, APPLIANCE_KEY_ID } from '../appliance-key.js';
import { heldKey } from './held-keys.js';
import { createKeyTray, type KeyTray } from './key-tray.js';

export interface Simulation {
  softHsm: SoftHsmHome;
  tray: KeyTray;
  scan(code: string): Promise<void>;
  placeCard(fixture: string | null): Promise<IdCard | null>;
  cardFixtures(): Array<{ name: string; path: string }>;
  insertBlankKey(): string;
  /** Insert a held key by name (a couriered key made for the demo or a test: sim/held-keys.ts). */
  insertHeldKey(name: string): string;
  /**
   * The holder typed the PIN of a held key wrong until it locked: the usbkey-sim module's try counter for the
   * key is set to its limit (what the module itself counts on wrong logins). Its token serial.
   */
  lockHeldKeyPin(name: string): string;
  pullKeys(): string[];
  setPrinter(state: { paper?: 'ok' | 'near-end' | 'out'; coverOpen?: boolean }): void;
  receipts(): printer.PrintedDocument[];
  latestReceiptPng(): Promise<Buffer | null>;
  stop(): Promise<void>;
}

export interface SimulationOptions {
  config: CertkioskConfig;
  /** Folder for the SoftHSM home and the key tray. */
  dir: string;
  applianceTokenPin: string;
  blankKeySoPin: string;
  blankKeys?: number;
}

export { APPLIANCE_KEY_ID };

/** Make sure the appliance's own token (label from config) exists with its EC P-256 request-signing key. */
export async function ensureApplianceToken(modulePath: string, label: string, pin: string): Promise<string> {
  const driver = UsbKeyDriver.open(modulePath);
  try {
    const existing = driver.slots().find((s) => s.token?.label === label);
    if (!existing) {
      const free = driver.slots().find((s) => s.token && !s.token.flags.initialized);
      if (!free) throw new Error('SoftHSM offers no free slot for the appliance token');
      driver.initToken(free.slotId, { label, soPin: `${pin}-so`, userPin: pin });
    }
    await driver.withSession({ label }, pin, async (s) => {
      try {
        s.keyPair(APPLIANCE_KEY_ID);
      } catch {
        await s.generateKeyPair({
          algorithm: 'ec-p256',
          id: APPLIANCE_KEY_ID,
          label: 'certkiosk appliance key',
        });
      }
      // The HMAC secret too, now, so it is in the copy made at creation (the journal's keys derive from it).
      s.hmac(APPLIANCE_HMAC_KEY_LABEL, Buffer.from('ready'));
    });
    return (await driver.slotsAsync()).find((s) => s.token?.label === label)?.token?.serial ?? '';
  } finally {
    driver.close();
  }
}

/**
 * SoftHSM's file store rewrites a token's token.object in place at every login, so a process killed at that
 * moment (the fault tests do it on purpose) can leave the appliance token without it — a real appliance token
 * does not forget itself. The sim keeps a copy of the appliance token folder made when it was created and puts
 * it back when the token.object is gone or empty; nothing else of the sim is repaired.
 */
function restoreApplianceToken(tokenDir: string, simDir: string): void {
  const record = join(simDir, 'appliance-token.json');
  if (!existsSync(record)) return;
  const { folder } = JSON.parse(readFileSync(record, 'utf8')) as { folder: string };
  const live = join(tokenDir, folder);
  const tokenObject = join(live, 'token.object');
  if (existsSync(tokenObject) && statSync(tokenObject).size > 0) return;
  rmSync(live, { recursive: true, force: true });
  cpSync(join(simDir, 'appliance-token.backup'), live, { recursive: true });
}

function backUpApplianceToken(tokenDir: string, simDir: string, serial: string): string | undefined {
  const folder = readdirSync(tokenDir).find((d) => serial && d.replace(/-/g, '').endsWith(serial));
  if (!folder) return undefined;
  const record = join(simDir, 'appliance-token.json');
  if (
    !existsSync(record) ||
    (JSON.parse(readFileSync(record, 'utf8')) as { folder: string }).folder !== folder
  ) {
    cpSync(join(tokenDir, folder), join(simDir, 'appliance-token.backup'), { recursive: true });
    writeFileSync(record, JSON.stringify({ folder }));
  }
  return folder;
}

export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const { config } = opts;
  mkdirSync(opts.dir, { recursive: true });
  const softHsm = createSoftHsmHome(join(opts.dir, 'softhsm'));
  restoreApplianceToken(softHsm.tokenDir, opts.dir);
  const applianceSerial = await ensureApplianceToken(
    config.devices.token.module,
    config.devices.token.applianceKeyTokenLabel,
    opts.applianceTokenPin,
  );
  const applianceFolder = backUpApplianceToken(softHsm.tokenDir, opts.dir, applianceSerial);
  // Only the appliance's own token stays in the writer when keys are pulled (not a holder's key left in it).
  const applianceFolders = new Set(applianceFolder ? [applianceFolder] : readdirSync(softHsm.tokenDir));
  const tray = createKeyTray({
    softHsmTokenDir: softHsm.tokenDir,
    trayDir: join(opts.dir, 'key-tray'),
    factorySoPin: opts.blankKeySoPin,
    // The appliance's own token never leaves the writer.
    keepInWriter: (folder) => applianceFolders.has(folder),
  });
  if (tray.blanksLeft() < (opts.blankKeys ?? 5)) tray.restock((opts.blankKeys ?? 5) - tray.blanksLeft());

  const pairs: PtyPair[] = [];
  const serialPort = (d: { transport: string; port?: string }, what: string) => {
    if (d.transport !== 'serial' || !d.port) throw new Error(`the sim profile needs a serial ${what}`);
    return d.port;
  };
  const pair = async (hostPath: string) => {
    const p = await createPtyPair(hostPath);
    pairs.push(p);
    return p;
  };

  const idPair = await pair(serialPort(config.devices.idReader, 'ID reader'));
  const idReader = await IdCardReaderEmulator.open(idPair.devicePath, { log: () => {} });
  const printerPair = await pair(serialPort(config.devices.printer, 'printer'));
  const printerEmulator = new ReceiptPrinterEmulator();
  const printerTransport = await openSerial(printerPair.devicePath);
  printerEmulator.attach(printerTransport);
  const scannerPair = await pair(serialPort(config.devices.scanner, 'scanner'));
  const scanner = await SerialScannerEmulator.open(scannerPair.devicePath);

  const fixtures = () =>
    cardFixturePaths().map((path) => ({ name: path.replace(/^.*\//, '').replace(/\.json$/, ''), path }));

  return {
    softHsm,
    tray,
    scan: (code) => scanner.scan(code, { suffix: '\r\n' }),
    async placeCard(fixture) {
      if (fixture === null) {
        idReader.placeCard(null);
        return null;
      }
      const found = fixtures().find((f) => f.name === fixture || f.path === fixture);
      if (!found) throw new Error(`no card fixture "${fixture}"`);
      const card = await loadCardFixture(found.path);
      idReader.placeCard(card);
      return card;
    },
    cardFixtures: fixtures,
    insertBlankKey: () => {
      if (tray.blanksLeft() === 0) tray.restock(3);
      return tray.insertBlank();
    },
    insertHeldKey: (name) => tray.insertHeld(name),
    lockHeldKeyPin(name) {
      const record = heldKey(join(opts.dir, 'key-tray'), name);
      if (!record) throw new Error(`no held key "${name}" in the tray`);
      const max = Number(process.env['CERTKIOSK_SIM_MAX_TRIES']) || 6;
      writeFileSync(join(softHsm.dir, `usbkey-sim-${record.tokenSerial}.tries`), `${max}\n`);
      return record.tokenSerial;
    },
    pullKeys: () => tray.pull(),
    setPrinter(state) {
      if (state.paper) printerEmulator.setPaper(state.paper);
      if (state.coverOpen !== undefined) printerEmulator.setCoverOpen(state.coverOpen);
    },
    receipts: () => printerEmulator.documents(),
    async latestReceiptPng() {
      const docs = printerEmulator.documents();
      const last = docs[docs.length - 1];
      return last ? renderReceiptPng(last) : null;
    },
    async stop() {
      await idReader.close();
      await printerTransport.close();
      await scanner.close();
      for (const p of pairs) await p.close();
    },
  };
}
