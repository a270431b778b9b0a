// The real device manager against the emulators across socat PTY pairs, and against SoftHSM for the USB key.
import { mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCardFixture } from '../id-reader/card-fixture.js';
import { IdCardReaderEmulator } from '../id-reader/emulator.js';
import { ReceiptPrinterEmulator } from '../printer/emulator.js';
import { line } from '../printer/receipt.js';
import { SerialScannerEmulator } from '../scanner/emulator.js';
import { UsbKeyDriver } from '../token/driver.js';
import {
  createSoftHsmHome,
  type SoftHsmHome,
  softHsmTokenFolder,
  USBKEY_SIM_MODULE,
} from '../token/softhsm.js';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { openSerial } from '../transport/serial.js';
import { DeviceManager, type DevicesConfig } from './device-manager.js';
import type { DeviceKind, DeviceState, DeviceStatus } from './device-status.js';

const POLL_MS = 50;
const TIMING = { pollIntervalMs: POLL_MS, deviceTimeoutMs: 300, reconnectMaxMs: 200 };
const CARD = new URL('../../test/fixtures/cards/han-zhang-wei.json', import.meta.url).pathname;

let home: SoftHsmHome;
let usbKey: UsbKeyDriver;
let tokenCount = 0;

beforeAll(() => {
  home = createSoftHsmHome(mkdtempSync(join(tmpdir(), 'manager-hsm-')));
  usbKey = UsbKeyDriver.open(USBKEY_SIM_MODULE);
});
afterAll(() => usbKey?.close());

/** Three PTY pairs with an emulator on each device end, and a manager over their host ends. */
class Rig {
  readonly events: DeviceStatus[] = [];
  readonly scans: string[] = [];
  manager!: DeviceManager;
  idReader!: IdCardReaderEmulator;
  scanner!: SerialScannerEmulator;
  readonly printer = new ReceiptPrinterEmulator();

  private constructor(
    readonly pairs: { idReader: PtyPair; printer: PtyPair; scanner: PtyPair },
    readonly config: DevicesConfig,
  ) {}

  static async create(): Promise<Rig> {
    const dir = mkdtempSync(join(tmpdir(), 'manager-'));
    const [idReader, printer, scanner] = await Promise.all([
      createPtyPair(join(dir, 'id-reader')),
      createPtyPair(join(dir, 'printer')),
      createPtyPair(join(dir, 'scanner')),
    ]);
    const rig = new Rig({ idReader, printer, scanner }, devicesConfig(idReader, printer, scanner));
    await Promise.all([rig.attach('idReader'), rig.attach('printer'), rig.attach('scanner')]);
    rig.manager = new DeviceManager(rig.config, { ...TIMING, tokenRescan: true, usbKeyDriver: usbKey });
    rig.manager.on('status', (s) => rig.events.push(s));
    rig.manager.on('scan', (code) => rig.scans.push(code));
    return rig;
  }

  /** Open the emulator on a device end (again, after the pair was reopened). */
  async attach(kind: 'idReader' | 'printer' | 'scanner'): Promise<void> {
    const path = this.pairs[kind].devicePath;
    if (kind === 'idReader')
      this.idReader = await IdCardReaderEmulator.open(path, { card: await loadCardFixture(CARD) });
    else if (kind === 'printer') this.printer.attach(await openSerial(path));
    else this.scanner = await SerialScannerEmulator.open(path);
  }

  async unplug(kind: 'idReader' | 'printer' | 'scanner'): Promise<void> {
    await this.pairs[kind].close();
  }

  async plugBack(kind: 'idReader' | 'printer' | 'scanner'): Promise<void> {
    await this.pairs[kind].reopen();
    await this.attach(kind);
  }

  async close(): Promise<void> {
    await this.manager.stop();
    await Promise.all([this.idReader.close().catch(() => {}), this.scanner.close().catch(() => {})]);
    await Promise.all(Object.values(this.pairs).map((p) => p.close()));
  }
}

function devicesConfig(idReader: PtyPair, printer: PtyPair, scanner: PtyPair): DevicesConfig {
  return {
    token: {
      transport: 'pkcs11',
      module: USBKEY_SIM_MODULE,
      allowedModels: [],
      blankLabelPrefix: '',
      applianceKeyTokenLabel: 'certkiosk-appliance',
      pollIntervalMs: POLL_MS,
    },
    idReader: { transport: 'serial', port: idReader.hostPath, baudRate: 115200 },
    printer: { transport: 'serial', port: printer.hostPath, baudRate: 115200 },
    scanner: { transport: 'serial', port: scanner.hostPath, baudRate: 9600 },
  };
}

/** Resolves when the device shows this state (and detail, when given); fails with what it showed instead. */
async function until(
  manager: DeviceManager,
  kind: DeviceKind,
  state: DeviceState,
  detail?: string | null,
  timeoutMs = 5000,
): Promise<DeviceStatus> {
  const fits = (s: DeviceStatus) => s.state === state && (detail === undefined || s.detail === detail);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = manager.statusOf(kind);
    if (fits(s)) return s;
    if (Date.now() > deadline) {
      throw new Error(`${kind} stayed ${s.state}/${s.detail}, expected ${state}/${detail ?? '*'}`);
    }
    await sleep(10);
  }
}

function newToken(label: string) {
  const free = usbKey.slots().find((s) => s.token && !s.token.flags.initialized);
  if (!free) throw new Error('SoftHSM offers no free slot');
  return usbKey.initToken(free.slotId, { label, soPin: 'so-pin-8421', userPin: '246813' });
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('DeviceManager over PTY pairs and SoftHSM', () => {
  it('brings all four devices online and reports them once per change', async () => {
    rig = await Rig.create();
    const { manager } = rig;
    expect(manager.status().map((s) => s.state)).toEqual(['offline', 'offline', 'offline', 'offline']);
    manager.start();
    await Promise.all([
      until(manager, 'token', 'online'),
      until(manager, 'idReader', 'online', null),
      until(manager, 'printer', 'online', null),
      until(manager, 'scanner', 'online', null),
    ]);
    const statuses = manager.status();
    expect(statuses.map((s) => s.kind)).toEqual(['token', 'idReader', 'printer', 'scanner']);
    for (const s of statuses) {
      expect(Object.keys(s).sort()).toEqual(['detail', 'kind', 'since', 'state']);
      expect(new Date(s.since).toISOString()).toBe(s.since);
    }
    expect(manager.printer()).toBeDefined();
    expect(manager.idReader()).toBeDefined();
    expect(manager.scanner().isOpen).toBe(true);
    expect(manager.usbKey()).toBe(usbKey);

    // Steady devices polled many times over: no further events.
    const seen = rig.events.length;
    const asked = rig.printer.statusRequestCount;
    await sleep(POLL_MS * 10);
    expect(rig.printer.statusRequestCount).toBeGreaterThanOrEqual(asked + 2 * 4); // two checks or more
    expect(rig.events.length).toBe(seen);
    // The reader really was asked (its answer is read from the card fixture side).
    await expect(manager.idReader().read()).resolves.toMatchObject({ state: 'card' });
  });

  it('reflects paper out, paper near end and an open cover, and clears them', async () => {
    rig = await Rig.create();
    const { manager, printer } = rig;
    manager.start();
    await until(manager, 'printer', 'online', null);

    printer.setPaper('near-end');
    await until(manager, 'printer', 'online', 'paper-near-end');
    printer.setPaper('out');
    await until(manager, 'printer', 'user-action-needed', 'paper-out');
    await expect(manager.printer().print({ items: [line('x')] })).rejects.toMatchObject({
      code: 'PRINTER_PAPER_OUT',
    });
    printer.setPaper('ok');
    await until(manager, 'printer', 'online', null);
    printer.setCoverOpen(true);
    await until(manager, 'printer', 'user-action-needed', 'cover-open');
    printer.setCoverOpen(false);
    await until(manager, 'printer', 'online', null);

    const printerEvents = rig.events.filter((e) => e.kind === 'printer').map((e) => `${e.state}/${e.detail}`);
    expect(printerEvents).toEqual([
      'online/null',
      'online/paper-near-end',
      'user-action-needed/paper-out',
      'online/null',
      'user-action-needed/cover-open',
      'online/null',
    ]);
  });

  it('shows a printer that stops answering as not responding, and an ID reader failing its self-check', async () => {
    rig = await Rig.create();
    const { manager, printer } = rig;
    manager.start();
    await Promise.all([until(manager, 'printer', 'online'), until(manager, 'idReader', 'online')]);

    printer.setOffline(true);
    await until(manager, 'printer', 'offline', 'not-responding');
    expect(() => manager.printer()).toThrow(expect.objectContaining({ code: 'DEVICE_UNAVAILABLE' }));
    printer.setOffline(false);
    await until(manager, 'printer', 'online', null);

    rig.idReader.failNext('moduleStatus', 0x60);
    await until(manager, 'idReader', 'hardware-error', 'self-check-failed');
    expect(() => manager.idReader()).toThrow(
      expect.objectContaining({
        code: 'DEVICE_UNAVAILABLE',
        details: { kind: 'idReader', state: 'hardware-error', detail: 'self-check-failed' },
      }),
    );
    await until(manager, 'idReader', 'online', null);
  });

  it('follows devices unplugged and plugged back without restarting', async () => {
    rig = await Rig.create();
    const { manager } = rig;
    manager.start();
    await Promise.all([until(manager, 'printer', 'online'), until(manager, 'idReader', 'online')]);

    await Promise.all([rig.unplug('printer'), rig.unplug('idReader')]);
    await until(manager, 'printer', 'offline', 'disconnected');
    await until(manager, 'idReader', 'offline', 'disconnected');
    expect(() => manager.printer()).toThrow(
      expect.objectContaining({
        code: 'DEVICE_UNAVAILABLE',
        details: { kind: 'printer', state: 'offline', detail: 'disconnected' },
      }),
    );
    await expect(manager.withDevice('idReader', (r) => r.read())).rejects.toMatchObject({
      code: 'DEVICE_UNAVAILABLE',
    });
    // Left unplugged a while: reconnect attempts back off but keep going.
    await sleep(400);

    await Promise.all([rig.plugBack('printer'), rig.plugBack('idReader')]);
    await until(manager, 'printer', 'online', null);
    await until(manager, 'idReader', 'online', null);
    await manager.printer().print({ items: [line('after the cable came back')], cut: 'full' });
    expect(
      rig.printer
        .documents()
        .at(-1)
        ?.lines.map((l) => l.text),
    ).toContain('after the cable came back');
    await expect(manager.idReader().read()).resolves.toMatchObject({ state: 'card' });
  });

  it('delivers scans across a scanner reconnect', async () => {
    rig = await Rig.create();
    const { manager } = rig;
    manager.start();
    await until(manager, 'scanner', 'online');
    await rig.scanner.scan('PICKUP-1');
    await expect.poll(() => rig?.scans).toEqual(['PICKUP-1']);

    await rig.scanner.close();
    await rig.unplug('scanner');
    await until(manager, 'scanner', 'offline', 'disconnected');
    await rig.plugBack('scanner');
    await until(manager, 'scanner', 'online', null);
    await rig.scanner.scan('PICKUP-2', { chunked: true });
    await expect.poll(() => rig?.scans).toEqual(['PICKUP-1', 'PICKUP-2']);
  });

  it('marks a device busy while a job runs, with no status poll in between', async () => {
    rig = await Rig.create();
    const { manager, printer } = rig;
    manager.start();
    await until(manager, 'printer', 'online', null);
    rig.events.length = 0;

    const result = await manager.withDevice('printer', async (p) => {
      expect(p).toBe(manager.printer());
      expect(manager.statusOf('printer').state).toBe('busy');
      const asked = printer.statusRequestCount;
      await sleep(POLL_MS * 6);
      expect(printer.statusRequestCount).toBe(asked);
      await p.print({ items: [line('during the job')] });
      return 'printed';
    });
    expect(result).toBe('printed');
    await until(manager, 'printer', 'online', null);
    expect(rig.events.map((e) => `${e.kind} ${e.state}`)).toEqual(['printer busy', 'printer online']);
  });

  it('restores the status after a failed job and sees what the job left behind', async () => {
    rig = await Rig.create();
    const { manager, printer } = rig;
    manager.start();
    await until(manager, 'printer', 'online', null);
    printer.runOutOfPaperAfter(1);
    await expect(
      manager.withDevice('printer', (p) => p.print({ items: [line('one'), line('two'), line('three')] })),
    ).rejects.toMatchObject({ code: 'PRINTER_JOB_FAILED' });
    await until(manager, 'printer', 'user-action-needed', 'paper-out');
  });

  it('sees a USB key pulled and put back, ignoring the appliance key', async () => {
    rig = await Rig.create();
    const { manager } = rig;
    newToken('certkiosk-appliance'); // the appliance's own key slot is not "a key in the writer"
    manager.start();
    await until(manager, 'token', 'online', 'token-absent');

    const token = newToken(`user-key-${++tokenCount}`);
    await until(manager, 'token', 'online', 'token-present');
    const folder = softHsmTokenFolder(home, token.serial);
    const pulled = join(home.dir, `pulled-${token.serial}`);
    renameSync(folder, pulled);
    await until(manager, 'token', 'online', 'token-absent');
    renameSync(pulled, folder);
    await until(manager, 'token', 'online', 'token-present');
    expect(
      manager
        .usbKey()
        .slots()
        .some((s) => s.token?.serial === token.serial),
    ).toBe(true);
  });
});

describe('DeviceManager without devices', () => {
  it('reports missing ports as disconnected and an unloadable module as a hardware error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manager-none-'));
    const manager = new DeviceManager(
      {
        token: {
          transport: 'pkcs11',
          module: join(dir, 'missing-pkcs11.so'),
          allowedModels: [],
          blankLabelPrefix: '',
          applianceKeyTokenLabel: 'certkiosk-appliance',
          pollIntervalMs: POLL_MS,
        },
        idReader: { transport: 'serial', port: join(dir, 'id-reader'), baudRate: 115200 },
        printer: { transport: 'serial', port: join(dir, 'printer'), baudRate: 115200 },
        scanner: { transport: 'serial', port: join(dir, 'scanner'), baudRate: 9600 },
      },
      TIMING,
    );
    try {
      manager.start();
      const statuses = await manager.settled();
      expect(statuses.map((s) => [s.kind, s.state, s.detail])).toEqual([
        ['token', 'hardware-error', 'module-unavailable'],
        ['idReader', 'offline', 'disconnected'],
        ['printer', 'offline', 'disconnected'],
        ['scanner', 'offline', 'disconnected'],
      ]);
      expect(() => manager.usbKey()).toThrow(expect.objectContaining({ code: 'DEVICE_UNAVAILABLE' }));

      // A port that appears later is picked up by the running manager.
      const pair = await createPtyPair(join(dir, 'printer'));
      const printer = new ReceiptPrinterEmulator();
      const end = await openSerial(pair.devicePath);
      printer.attach(end);
      try {
        await until(manager, 'printer', 'online', null);
      } finally {
        await end.close();
        await pair.close();
      }
    } finally {
      await manager.stop();
    }
    expect(manager.status().every((s) => s.state === 'offline' && s.detail === 'stopped')).toBe(true);
  });
});
