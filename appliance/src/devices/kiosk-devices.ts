// The engine's view of the devices, on top of the device manager: each job runs with the device marked
// busy (no status poll interleaves), and blank keys are recognised by label prefix or as uninitialised.
import type { DeviceManager, Receipt } from '@certkiosk/firmware-bridge';
import type { KioskDevices } from '../journey/ports.js';

export interface KioskDevicesOptions {
  /** Labels of vendor-initialised blank keys start with this; '' = blank keys come uninitialised. */
  blankLabelPrefix: string;
  applianceKeyTokenLabel: string;
  applianceKeyTokenSerial?: string | undefined;
}

export function kioskDevices(manager: DeviceManager, opts: KioskDevicesOptions): KioskDevices {
  return {
    readIdCard: () => manager.withDevice('idReader', (reader) => reader.read()),
    idCardPresent: () => manager.withDevice('idReader', (reader) => reader.cardPresent()),
    blankToken() {
      const slots = manager.usbKey().slots();
      for (const s of slots) {
        const t = s.token;
        if (!t || !s.tokenPresent || t.label === opts.applianceKeyTokenLabel) continue;
        if (opts.applianceKeyTokenSerial && t.serial === opts.applianceKeyTokenSerial) continue;
        const blank = opts.blankLabelPrefix
          ? t.flags.initialized && t.label.startsWith(opts.blankLabelPrefix)
          : !t.flags.initialized && t.serial !== '';
        if (blank) return { slotId: s.slotId, token: t };
      }
      return null;
    },
    keyInWriter() {
      for (const s of manager.usbKey().slots()) {
        const t = s.token;
        if (!t || !s.tokenPresent || t.label === opts.applianceKeyTokenLabel) continue;
        if (opts.applianceKeyTokenSerial && t.serial === opts.applianceKeyTokenSerial) continue;
        // An empty slot of a soft module (SoftHSM's free slot) is no key.
        if (!t.flags.initialized && t.serial === '') continue;
        return { slotId: s.slotId, token: t };
      }
      return null;
    },
    tokenPresent: (serial) => manager.usbKey().module.isPresent(serial),
    usbKey: () => manager.usbKey(),
    tokenJob: (fn) => manager.withDevice('token', () => fn()),
    printReceipt: (receipt: Receipt) => manager.withDevice('printer', (printer) => printer.print(receipt)),
  };
}
