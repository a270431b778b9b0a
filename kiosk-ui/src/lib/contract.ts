// The one place the UI reaches into the appliance's contract (types and constants only, no runtime deps).

export type {
  ApplianceErrorCode,
  DeviceKind,
  DeviceStatusView,
  ErrorBody,
  JourneyView,
  KioskSettings,
  OrderSummary,
  PickupStep,
  ProgressView,
  ServerEvents,
} from '../../../appliance/src/api/contract.ts';
export {
  APPLIANCE_ERROR_CODES,
  DEVICE_KINDS,
  PICKUP_STEPS,
} from '../../../appliance/src/api/contract.ts';
