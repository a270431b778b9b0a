// No virtual USB device exists here, so only what needs no hardware is tested: a missing printer is reported clearly.
import { describe, expect, it } from 'vitest';
import { openUsbPrinter } from '../transport/usb-printer.js';
import { openReceiptPrinter } from './driver.js';

describe('USB printer-class transport without the printer attached', () => {
  it('rejects with PRINTER_NOT_FOUND naming the VID:PID', async () => {
    await expect(openUsbPrinter({ vendorId: 0xfffe, productId: 0x0001 })).rejects.toMatchObject({
      code: 'PRINTER_NOT_FOUND',
      message: expect.stringContaining('fffe:0001'),
      details: { vendorId: 0xfffe, productId: 0x0001 },
    });
  });

  it('passes PRINTER_NOT_FOUND through the driver chosen by a usb config', async () => {
    const printer = openReceiptPrinter({ transport: 'usb', vendorId: 0xfffe, productId: 0x0002 });
    await expect(printer.status()).rejects.toMatchObject({ code: 'PRINTER_NOT_FOUND' });
    await expect(printer.print({ items: [] })).rejects.toMatchObject({ code: 'PRINTER_NOT_FOUND' });
    await printer.close();
  });
});
