// The production driver against the emulator across a real socat PTY pair.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import type { PrintedDocument } from './decoder.js';
import { openReceiptPrinter, type ReceiptPrinterDriver } from './driver.js';
import { ReceiptPrinterEmulator } from './emulator.js';
import { line, qrCode, type Receipt } from './receipt.js';

let pair: PtyPair;
let deviceSide: ByteTransport;
let emulator: ReceiptPrinterEmulator;
let driver: ReceiptPrinterDriver;

beforeEach(async () => {
  pair = await createPtyPair(join(mkdtempSync(join(tmpdir(), 'printer-')), 'printer'));
  deviceSide = await openSerial(pair.devicePath);
  emulator = new ReceiptPrinterEmulator();
  emulator.attach(deviceSide);
  driver = openReceiptPrinter(
    { transport: 'serial', port: pair.hostPath },
    { statusTimeoutMs: 300, chunkSize: 128 },
  );
});

afterEach(async () => {
  await driver.close().catch(() => {});
  await deviceSide.close().catch(() => {});
  await pair.close();
});

const receipt: Receipt = {
  items: [
    line('数字证书领取凭证', { align: 'center', bold: true, doubleWidth: true, doubleHeight: true }),
    line('证书持有人: 龚䶮 𠀀', { bold: true }),
    line('身份证号: 4403**********123X'),
    line('金额: ¥ 300.00', { align: 'right' }),
    qrCode('https://ca.example.cn/orders/2024-000123?lang=zh', { moduleSize: 6, errorCorrection: 'M' }),
    line('谢谢惠顾', { align: 'center' }),
  ],
};

const expected: Omit<PrintedDocument, 'skippedBytes'> = {
  lines: [
    { text: '数字证书领取凭证', align: 'center', bold: true, doubleWidth: true, doubleHeight: true },
    { text: '证书持有人: 龚䶮 𠀀', align: 'left', bold: true, doubleWidth: false, doubleHeight: false },
    {
      text: '身份证号: 4403**********123X',
      align: 'left',
      bold: false,
      doubleWidth: false,
      doubleHeight: false,
    },
    { text: '金额: ¥ 300.00', align: 'right', bold: false, doubleWidth: false, doubleHeight: false },
    { text: '谢谢惠顾', align: 'center', bold: false, doubleWidth: false, doubleHeight: false },
  ],
  qrCodes: [
    {
      payload: 'https://ca.example.cn/orders/2024-000123?lang=zh',
      lineIndex: 4,
      align: 'center',
      moduleSize: 6,
      errorCorrection: 'M',
    },
  ],
  cuts: [{ lineIndex: 5, partial: false }],
};

describe('receipt printer driver ↔ emulator over a PTY', () => {
  it('prints a receipt with Chinese text and a QR code that decodes exactly', async () => {
    const cut = new Promise<PrintedDocument>((r) => emulator.onDocument(r));
    expect((await driver.status()).state).toBe('ready');
    await driver.print(receipt);
    expect(await cut).toEqual({ ...expected, skippedBytes: 0 });
    expect(emulator.documents()).toHaveLength(1);
  });

  it('reports paper near end but still prints', async () => {
    emulator.setPaper('near-end');
    expect((await driver.status()).state).toBe('paper-near-end');
    await driver.print(receipt);
    expect(emulator.documents()).toHaveLength(1);
  });

  it('refuses to start with PRINTER_PAPER_OUT when the paper is out, and prints nothing', async () => {
    emulator.setPaper('out');
    await expect(driver.print(receipt)).rejects.toMatchObject({
      code: 'PRINTER_PAPER_OUT',
      details: { phase: 'before-job' },
    });
    expect(emulator.documents()).toEqual([]);
    expect(emulator.current().lines).toEqual([]);
  });

  it('reports the job failed when the paper runs out mid-job, and a reprint after reloading comes out whole', async () => {
    emulator.runOutOfPaperAfter(2);
    const long: Receipt = {
      items: [...receipt.items, ...Array.from({ length: 30 }, (_, i) => line(`明细 ${i}`))],
    };
    await expect(driver.print(long)).rejects.toMatchObject({
      code: 'PRINTER_JOB_FAILED',
      details: { state: 'paper-out', cause: 'PRINTER_PAPER_OUT' },
    });
    expect(emulator.documents()).toEqual([]);
    expect(emulator.current().lines).toHaveLength(2);
    expect((await driver.status()).state).toBe('paper-out');

    emulator.setPaper('ok');
    emulator.clearDocuments(); // staff tears off the half-printed piece
    await driver.print(receipt);
    expect(emulator.documents()).toEqual([{ ...expected, skippedBytes: 0 }]);
  });

  it('refuses with PRINTER_COVER_OPEN while the cover is open', async () => {
    emulator.setCoverOpen(true);
    expect((await driver.status()).state).toBe('cover-open');
    await expect(driver.print(receipt)).rejects.toMatchObject({ code: 'PRINTER_COVER_OPEN' });
    expect(emulator.documents()).toEqual([]);
  });

  it('refuses with PRINTER_HARDWARE_ERROR on a cutter fault', async () => {
    emulator.setFault('auto-cutter');
    await expect(driver.print(receipt)).rejects.toMatchObject({ code: 'PRINTER_HARDWARE_ERROR' });
  });

  it('throws PRINTER_TIMEOUT when the printer stops answering, and recovers when it answers again', async () => {
    emulator.setOffline(true);
    const started = Date.now();
    await expect(driver.status()).rejects.toMatchObject({ code: 'PRINTER_TIMEOUT' });
    await expect(driver.print(receipt)).rejects.toMatchObject({ code: 'PRINTER_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(emulator.documents()).toEqual([]);
    emulator.setOffline(false);
    await driver.print(receipt);
    expect(emulator.documents()).toHaveLength(1);
  });

  it('reports PRINTER_DISCONNECTED when the cable is pulled and prints again once it is plugged back', async () => {
    await driver.print(receipt);
    await pair.close();
    await expect(driver.status()).rejects.toMatchObject({ code: 'PRINTER_DISCONNECTED' });
    await expect(driver.print(receipt)).rejects.toMatchObject({ code: 'PRINTER_DISCONNECTED' });

    await pair.reopen();
    await deviceSide.close().catch(() => {});
    deviceSide = await openSerial(pair.devicePath);
    emulator.attach(deviceSide);
    await driver.print(receipt);
    expect(emulator.documents()).toHaveLength(2);
  });

  it('lets status requests wait for a running job instead of interleaving with it', async () => {
    const [, status] = await Promise.all([driver.print(receipt), driver.status()]);
    expect(status.state).toBe('ready');
    expect(emulator.documents()).toEqual([{ ...expected, skippedBytes: 0 }]);
  });

  it('refuses a bad receipt before anything is sent', async () => {
    await expect(driver.print({ items: [line('a\tb')] })).rejects.toMatchObject({
      code: 'PRINTER_BAD_RECEIPT',
    });
    expect(emulator.statusRequestCount).toBe(0);
  });
});
