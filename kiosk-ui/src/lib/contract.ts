// The one place the UI reaches into the appliance's contract (types and constants only, no runtime deps).

export type {
  ApplianceErrorCode,
  DeviceKind,
  DeviceStatusView,
  ErrorBody,
  InDoubtResolution,
  JourneyView,
  KioskSettings,
  OrderSummary,
  PickupStep,
  ProgressView,
  ServerEvents,
  WipeReason,
} from '../../../appliance/src/api/contract.ts';
export {
  APPLIANCE_ERROR_CODES,
  DEVICE_KINDS,
  IN_DOUBT_RESOLUTIONS,
  PICKUP_STEPS,
} from '../../../appliance/src/api/contract.ts';
