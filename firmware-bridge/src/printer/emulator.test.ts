import { describe, expect, it } from 'vitest';
import type { PrintedDocument } from './decoder.js';
import { ReceiptPrinterEmulator } from './emulator.js';
import { statusRequest } from './escpos.js';
import { encodeReceipt, line } from './receipt.js';

const job = (n: number) =>
  encodeReceipt({ items: Array.from({ length: n }, (_, i) => line(`第${i + 1}行`)) });

describe('receipt printer emulator (without a transport)', () => {
  it('answers DLE EOT from its condition', () => {
    const e = new ReceiptPrinterEmulator();
    expect([...e.receive(statusRequest(1))]).toEqual([0x12]);
    e.setCoverOpen(true);
    expect([...e.receive(Buffer.concat([statusRequest(1), statusRequest(2)]))]).toEqual([0x1a, 0x16]);
    e.setCoverOpen(false);
    e.setPaper('near-end');
    expect([...e.receive(statusRequest(4))]).toEqual([0x1e]);
  });

  it('finishes a document at each cut and tells listeners', () => {
    const e = new ReceiptPrinterEmulator();
    const seen: PrintedDocument[] = [];
    e.onDocument((d) => seen.push(d));
    e.receive(Buffer.concat([job(2), job(1)]));
    expect(e.documents().map((d) => d.lines.map((l) => l.text))).toEqual([['第1行', '第2行'], ['第1行']]);
    expect(seen).toEqual(e.documents());
  });

  it('prints nothing while the paper is out or the cover is open', () => {
    const e = new ReceiptPrinterEmulator({ condition: { paper: 'out' } });
    e.receive(job(3));
    e.setPaper('ok');
    e.setCoverOpen(true);
    e.receive(job(3));
    expect(e.documents()).toEqual([]);
    expect(e.current().lines).toEqual([]);
  });

  it('runs out of paper after N lines and keeps what was printed', () => {
    const e = new ReceiptPrinterEmulator();
    e.runOutOfPaperAfter(2);
    const answers = e.receive(Buffer.concat([job(5), statusRequest(4)]));
    expect(e.status.paper).toBe('out');
    expect([...answers]).toEqual([0x7e]);
    expect(e.documents()).toEqual([]);
    expect(e.current().lines.map((l) => l.text)).toEqual(['第1行', '第2行']);
  });

  it('answers nothing and prints nothing when offline', () => {
    const e = new ReceiptPrinterEmulator();
    e.setOffline(true);
    expect([...e.receive(Buffer.concat([statusRequest(1), job(1)]))]).toEqual([]);
    expect(e.documents()).toEqual([]);
    expect(e.statusRequestCount).toBe(1);
  });
});
