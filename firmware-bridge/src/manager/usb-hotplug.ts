// USB attach/detach of one device through the `usb` package, so a USB printer or HID scanner is looked at as
// soon as it is plugged or pulled. Where libusb cannot start (containers without /dev/bus/usb) this
// quietly does nothing and the supervisor's polling alone finds the device.
import { type Device, usb } from 'usb';
import type { UsbIds } from './device-link.js';

/** Calls `onChange` when a USB device with these ids is attached or detached; returns the unsubscribe. */
export function watchUsbDevice(ids: UsbIds, onChange: (event: 'attach' | 'detach') => void): () => void {
  const matches = (device: Device) =>
    device.deviceDescriptor?.idVendor === ids.vendorId && device.deviceDescriptor.idProduct === ids.productId;
  const attach = (device: Device) => matches(device) && onChange('attach');
  const detach = (device: Device) => matches(device) && onChange('detach');
  const off = () => {
    usb.off('attach', attach);
    usb.off('detach', detach);
  };
  // The package's polling fallback would throw from a timer if libusb failed to initialise: do not start it.
  if ((usb as unknown as { INIT_ERROR?: boolean }).INIT_ERROR) return () => {};
  try {
    usb.on('attach', attach);
    usb.on('detach', detach);
  } catch {
    off();
    return () => {};
  }
  return off;
}
