// The one place the UI reaches into the appliance's contract (types and constants only, no runtime deps).

export type {
  ApplianceErrorCode,
  CentralLinkView,
  ConsumableView,
  DeviceDetail,
  DeviceKind,
  DeviceState,
  DeviceStatusView,
  ErrorBody,
  IdentityView,
  InDoubtResolution,
  InvoiceRequestInput,
  InvoiceTitle,
  InvoiceView,
  JourneyView,
  KioskSettings,
  OrderSummary,
  PaperLevel,
  PickupStep,
  ProgressView,
  ReprintView,
  ServerEvents,
  StaffKioskFacts,
  WipeReason,
} from '../../../appliance/src/api/contract.ts';
export {
  APPLIANCE_ERROR_CODES,
  CONSUMABLE_KINDS,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  DEVICE_STATES,
  IN_DOUBT_RESOLUTIONS,
  PAPER_LEVELS,
  PICKUP_STEPS,
} from '../../../appliance/src/api/contract.ts';

export type {
  ActivationView,
  HomeService,
  KeyCertificateView,
  LookupOrderView,
  RenewalNotice,
  RenewalView,
  ServiceKind,
  ServiceNeed,
  ServiceStep,
  ServiceView,
} from '../../../appliance/src/api/service-contract.ts';
export {
  HOME_SERVICES,
  SERVICE_KINDS,
  SERVICE_STEPS,
} from '../../../appliance/src/api/service-contract.ts';
/** The reconciliation's day (a Beijing calendar day), as central and the appliance count it (no runtime deps). */
export { beijingDay, previousDay } from '../../../sync/src/contract/reconciliation-day.ts';
