// What the maintenance screen shows of each device beside its live status: the last time it was not fine (state,
// detail, when: remembered from the device manager's status events since the daemon started), its model and its
// firmware as far as the driver reports them. The serial devices (reader, printer, scanner) report neither over
// their protocols: their model is how the config connects them, their firmware null; the USB-key writer reports
// the inserted key's manufacturer and model over PKCS#11 (slot and token info only).
import type { DeviceKind, DeviceState } from '@certkiosk/config/facts';
import type { DeviceStatusView } from '../api/contract.js';

export interface DeviceInfoView {
  kind: DeviceKind;
  /** e.g. "serial /dev/ttyUSB0", "usb 0416:5011", "SoftHSM project SoftHSM v2"; null when unknown. */
  model: string | null;
  /** The firmware version the device reports; null when its driver has no way to ask. */
  firmware: string | null;
  lastError: { state: DeviceState; detail: string | null; at: string } | null;
}

const FINE: ReadonlySet<DeviceState> = new Set(['online', 'busy']);

/** Remembers, per device, its last status that was not fine. */
export class DeviceErrorHistory {
  private readonly last = new Map<DeviceKind, DeviceInfoView['lastError']>();

  /** Feed every status the device manager reports (and the statuses at start). */
  note(s: DeviceStatusView): void {
    if (FINE.has(s.state) && s.detail !== 'paper-out' && s.detail !== 'cover-open') return;
    if (s.detail === 'token-absent') return; // an empty writer is its normal state
    this.last.set(s.kind, { state: s.state, detail: s.detail, at: s.since });
  }

  of(kind: DeviceKind): DeviceInfoView['lastError'] {
    return this.last.get(kind) ?? null;
  }
}

type Connection =
  | { transport: 'serial'; port: string }
  | { transport: 'usb' | 'hid'; vendorId: number | string; productId: number | string }
  | { transport: string };

/** How the config connects a device, as a model line (the serial protocols carry no model). */
export function connectionModel(c: Connection): string {
  const hex = (v: number | string) => (typeof v === 'number' ? v.toString(16).padStart(4, '0') : v);
  if ('port' in c) return `${c.transport} ${c.port}`;
  if ('vendorId' in c) return `${c.transport} ${hex(c.vendorId)}:${hex(c.productId)}`;
  return c.transport;
}
