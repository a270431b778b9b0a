// The real HID drivers against the HID emulator, which plugs in at the HidTransport seam (no virtual HID here).
import type { CertkioskConfig } from '@certkiosk/config';
import { describe, expect, it } from 'vitest';
import type { DeviceError } from '../errors.js';
import { openHid } from '../transport/hid.js';
import { HidQrScanner, openScanner } from './driver.js';
import { HidScannerEmulator } from './emulator.js';

type ScannerConfigSection = CertkioskConfig['devices']['scanner'];

function collect(scanner: HidQrScanner) {
  const codes: string[] = [];
  const errors: string[] = [];
  scanner.onScan((c) => codes.push(c));
  scanner.onError((e) => errors.push(e.code));
  return { codes, errors };
}

describe.each(['keyboard', 'hid-pos'] as const)(
  'HidQrScanner in %s mode against the HID emulator',
  (mode) => {
    it('reports each scanned code, drops a repeat within the window, passes a different code', async () => {
      let now = 0;
      const device = new HidScannerEmulator({ mode });
      const scanner = new HidQrScanner(device, { mode, dedupeWindowMs: 1500, now: () => now });
      const { codes, errors } = collect(scanner);
      await device.scan('CK1.eyJvIjoiMTIzIn0.sig-_~');
      now = 300;
      await device.scan('CK1.eyJvIjoiMTIzIn0.sig-_~');
      now = 600;
      await device.scan('https://ca.example.cn/o?id=42&h=SZ');
      now = 5000;
      await device.scan('https://ca.example.cn/o?id=42&h=SZ');
      expect(codes).toEqual([
        'CK1.eyJvIjoiMTIzIn0.sig-_~',
        'https://ca.example.cn/o?id=42&h=SZ',
        'https://ca.example.cn/o?id=42&h=SZ',
      ]);
      expect(errors).toEqual([]);
      await scanner.close();
    });

    it('reports unplugging as SCANNER_DISCONNECTED, once', async () => {
      const device = new HidScannerEmulator({ mode });
      const scanner = new HidQrScanner(device, { mode });
      const closes: (DeviceError | undefined)[] = [];
      scanner.onClose((e) => closes.push(e));
      device.unplug();
      device.unplug();
      expect(closes.map((e) => e?.code)).toEqual(['SCANNER_DISCONNECTED']);
      expect(scanner.isOpen).toBe(false);
    });

    it('closes without an error when the kiosk closes it', async () => {
      const device = new HidScannerEmulator({ mode });
      const scanner = new HidQrScanner(device, { mode });
      const closes: (DeviceError | undefined)[] = [];
      scanner.onClose((e) => closes.push(e));
      await scanner.close();
      expect(closes).toEqual([undefined]);
      expect(device.isOpen).toBe(false);
    });
  },
);

describe('HidQrScanner error reporting', () => {
  it('reports malformed reports and keeps scanning', async () => {
    const device = new HidScannerEmulator({ mode: 'keyboard' });
    const scanner = new HidQrScanner(device, { mode: 'keyboard' });
    const { codes, errors } = collect(scanner);
    await device.sendReports([Buffer.alloc(3)]);
    await device.scan('after');
    expect(errors).toEqual(['SCANNER_BAD_REPORT']);
    expect(codes).toEqual(['after']);
    await scanner.close();
  });

  it('reads codes in HID-POS mode that keyboard mode cannot carry (non-ASCII, long)', async () => {
    const device = new HidScannerEmulator({ mode: 'hid-pos' });
    const scanner = new HidQrScanner(device, { mode: 'hid-pos' });
    const { codes } = collect(scanner);
    const code = `深圳市福田区政务服务大厅·${'x'.repeat(200)}`;
    await device.scan(code);
    expect(codes).toEqual([code]);
    await scanner.close();
  });
});

describe('opening real devices that are not there', () => {
  it('openHid rejects with SCANNER_NOT_FOUND when no such HID device exists', async () => {
    await expect(openHid({ vendorId: 0xfffe, productId: 0xfffd })).rejects.toMatchObject({
      code: 'SCANNER_NOT_FOUND',
      details: { vendorId: '0xfffe', productId: '0xfffd' },
    });
  });

  it("openScanner takes the config's scanner section, picks the transport, reports a missing device", async () => {
    // Typed with the config schema's own type, so a schema change that the driver cannot take fails to compile.
    const hid: ScannerConfigSection = {
      transport: 'hid',
      vendorId: 0xfffe,
      productId: 0xfffd,
      mode: 'hid-pos',
    };
    const serial: ScannerConfigSection = {
      transport: 'serial',
      port: '/dev/certkiosk-no-such-scanner',
      baudRate: 9600,
    };
    await expect(openScanner(hid)).rejects.toMatchObject({ code: 'SCANNER_NOT_FOUND' });
    await expect(openScanner(serial)).rejects.toMatchObject({
      code: 'SCANNER_OPEN_FAILED',
      details: { path: '/dev/certkiosk-no-such-scanner' },
    });
  });
});
