// One status per device, in the CEN/XFS style the appliance shows to staff and the UI. The shapes match
// `DeviceStatusView` of the appliance API contract one to one, so the appliance maps them without translation.

import type { DeviceDetail, DeviceKind, DeviceState } from '@certkiosk/config';

export {
  DEVICE_KINDS,
  DEVICE_STATES,
  type DeviceDetail,
  type DeviceKind,
  type DeviceState,
} from '@certkiosk/config';

/** What each detail code the manager sets means (the codes are defined once, config's DEVICE_DETAILS, which
 *  the UI keys its phrases by). */
export const DEVICE_DETAILS = {
  'not-started': 'The device manager has not checked the device yet.',
  stopped: 'The device manager was stopped.',
  disconnected: 'The device is not connected (its port or USB device is missing, or its cable was pulled).',
  'open-failed': 'The device is there but could not be opened (permissions, or another program holds it).',
  'not-responding': 'The device is connected but does not answer.',
  'paper-out': 'The receipt printer is out of paper.',
  'paper-near-end': 'The receipt printer paper roll is nearly used up.',
  'cover-open': 'The receipt printer cover is open.',
  'printer-error': 'The receipt printer reports a hardware error (cutter jam, head fault).',
  'printer-offline': 'The receipt printer reports itself offline.',
  'bad-status': 'The receipt printer answers status requests with bytes that are not ESC/POS status.',
  'self-check-failed': 'The ID-card reader security module failed its self-check.',
  'module-error': 'The device module reports an error.',
  'bad-frames': 'The ID-card reader answers with damaged frames (cable or baud rate).',
  'token-present': 'A USB key is in the writer.',
  'token-absent': 'The USB-key writer works; no key is in it.',
  'module-unavailable': 'The PKCS#11 module of the USB-key writer cannot be loaded.',
} as const satisfies Readonly<Record<DeviceDetail, string>>;

export interface DeviceStatus {
  kind: DeviceKind;
  state: DeviceState;
  /** One of DEVICE_DETAILS, or null when there is nothing to add. */
  detail: DeviceDetail | null;
  /** ISO time the state or detail last changed. */
  since: string;
}

/** What a check of a device found: the status without its kind and time. */
export interface DeviceReading {
  state: DeviceState;
  detail: DeviceDetail | null;
}

/** Names people read in messages and the CLI. */
export const DEVICE_NAMES: Readonly<Record<DeviceKind, string>> = {
  token: 'USB-key writer',
  idReader: 'ID-card reader',
  printer: 'receipt printer',
  scanner: 'QR scanner',
};
