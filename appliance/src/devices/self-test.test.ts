// The self-tests over stand-in ports (the real drivers run against the emulators in maintenance.softhsm.test.ts):
// a card shown masked only, a bounded scanner wait, the scan handed to the test and not to the journeys.
import { DeviceError } from '@certkiosk/firmware-bridge';
import { describe, expect, it } from 'vitest';
import { runSelfTest, ScanCatcher, type SelfTestPorts, scannedKind } from './self-test.js';

const ports = (over: Partial<SelfTestPorts> = {}): SelfTestPorts => ({
  printTestPage: async () => undefined,
  readIdCard: async () => ({ state: 'no-card' }),
  slots: () => [],
  keyInWriter: () => null,
  nextScan: async () => null,
  ...over,
});

describe('device self-tests', () => {
  it('the ID reader answers the masks only', async () => {
    const card = { name: '李小娜', idNumber: '440305199001011234' } as never;
    const r = await runSelfTest('idReader', ports({ readIdCard: async () => ({ state: 'card', card }) }), {
      applianceId: 'K',
    });
    expect(r).toEqual({
      device: 'idReader',
      ok: true,
      card: { nameMasked: '李*娜', idNumberMasked: '4403**********1234' },
    });
    await expect(runSelfTest('idReader', ports(), { applianceId: 'K' })).rejects.toMatchObject({
      code: 'ID_CARD_NOT_PRESENT',
    });
  });

  it("the printer's paper-out answers PRINTER_OUT_OF_PAPER", async () => {
    const p = ports({
      printTestPage: async () => {
        throw new DeviceError('PRINTER_PAPER_OUT', 'no paper');
      },
    });
    await expect(runSelfTest('printer', p, { applianceId: 'K' })).rejects.toMatchObject({
      code: 'PRINTER_OUT_OF_PAPER',
    });
  });

  it('the scanner waits a bounded time: nothing scanned is SELF_TEST_NOTHING_SCANNED', async () => {
    const scans = new ScanCatcher();
    const started = Date.now();
    await expect(
      runSelfTest('scanner', ports({ nextScan: (ms) => scans.next(ms) }), {
        applianceId: 'K',
        scanWaitMs: 50,
      }),
    ).rejects.toMatchObject({ code: 'SELF_TEST_NOTHING_SCANNED' });
    expect(Date.now() - started).toBeLessThan(1000);
    // No test waiting: the code goes to the journeys.
    expect(scans.offer('CK1-DEMO-0001')).toBe(false);
  });

  it('a waiting scanner test takes the next code, once', async () => {
    const scans = new ScanCatcher();
    const pending = runSelfTest('scanner', ports({ nextScan: (ms) => scans.next(ms) }), { applianceId: 'K' });
    expect(scans.offer('https://example.cn/x')).toBe(true);
    expect(scans.offer('second')).toBe(false);
    expect(await pending).toEqual({ device: 'scanner', ok: true, scanned: { length: 20, kind: 'url' } });
    expect([scannedKind('eyJhbGciOi.abc_-1'), scannedKind('123456'), scannedKind('hello')]).toEqual([
      'pickup-code',
      'digits',
      'text',
    ]);
  });
});
