// The maintenance overview as the UI reads it; tolerant of fields the contract does not pin down yet. Codes the
// UI has no words for (a device detail, a consumable, an error code) are dropped here, so none reaches the screen.
import type { RouteTypes } from '../../../appliance/src/api/client.ts';
import type {
  ApplianceErrorCode,
  CentralLinkView,
  ConsumableView,
  DeviceDetail,
  DeviceStatusView,
  StaffKioskFacts,
} from './contract.ts';
import { APPLIANCE_ERROR_CODES, DEVICE_DETAILS, DEVICE_KINDS, PAPER_LEVELS } from './contract.ts';
import { type BlankKeyStockItem, blankKeyStockOf, type DeviceInfoItem, deviceInfoOf } from './maintenance.ts';

export interface InDoubtItem {
  id: string;
  orderId?: string;
  step?: string;
  since?: string;
  /** The certificate that may have been issued (what revoke-void revokes). */
  certificateSerial?: string;
  /** Last durable state, key serial and central's last answer (as the appliance sends it). */
  evidence?: InDoubtEvidence;
}

export type InDoubtEvidence = NonNullable<RouteTypes['staffOverview']['ok']['inDoubt'][number]['evidence']>;

export interface ReprintItem {
  id: string;
  orderId?: string;
  /** ISO time the receipt was queued. */
  queuedAt?: string;
  /** The holder's name as the appliance masked it (the screen masks it once more). */
  holderNameMasked?: string;
}

export interface StaffOverview {
  /** Which kiosk, which hall, central reachable or not, the last successful sync; null when not reported. */
  kiosk: StaffKioskFacts | null;
  devices: DeviceStatusView[];
  consumables: ConsumableView[];
  queueDepth: number | null;
  inDoubt: InDoubtItem[];
  reprints: ReprintItem[];
  version: string;
  /** Sync events set aside after central would not take them; null when the appliance does not say. */
  parkedEvents: number | null;
  /** Blank keys that left the tray for a journey that did not finish with them; null when not reported. */
  spoiledKeys: SpoiledKey[] | null;
  /** Staff sign-ins locked now (a staff id, or '*' for every sign-in) and a store without an administrator. */
  staffAlarms: StaffAlarmItem[];
  /** Applicants' calls for staff not yet handled, oldest first. */
  staffCalls: StaffCallItem[];
  /** Each device's model, firmware and last error (maintenance.ts). */
  deviceInfo: DeviceInfoItem[];
  /** The recorded blank-key stock; null when the appliance does not record one. */
  blankKeyStock: BlankKeyStockItem | null;
}

export interface StaffCallItem {
  id: string;
  at: string;
  presses: number;
  /** The journey on screen when the applicant pressed (its reference number), if any. */
  journeyRef?: string;
  step?: string;
  need?: string;
  error?: string;
}

export type StaffAlarmItem =
  | { kind: 'staff-lockout'; staffId: string; until: string; locked: boolean; failures: number }
  | { kind: 'staff-no-administrator' };

export interface SpoiledKey {
  serial: string;
  at?: string;
  reason?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

function withId<T extends { id: string }>(
  items: unknown,
  pick: (o: Record<string, unknown>) => Omit<T, 'id'>,
): T[] {
  if (!Array.isArray(items)) return [];
  return items.filter(isObject).flatMap((o) => {
    const id = str(o['id']);
    return id ? [{ id, ...pick(o) } as T] : [];
  });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const isErrorCode = (v: unknown): v is ApplianceErrorCode =>
  typeof v === 'string' && (APPLIANCE_ERROR_CODES as readonly string[]).includes(v);
export const isDeviceDetail = (v: unknown): v is DeviceDetail =>
  typeof v === 'string' && (DEVICE_DETAILS as readonly string[]).includes(v);

function centralOf(raw: unknown): CentralLinkView {
  const c = isObject(raw) ? raw : {};
  const state = c['state'] === 'reachable' || c['state'] === 'unreachable' ? c['state'] : 'unknown';
  return dropUndefined({
    state,
    since: str(c['since']),
    lastError: isErrorCode(c['lastError']) ? c['lastError'] : undefined,
    lastErrorAt: str(c['lastErrorAt']),
  });
}

function kioskOf(raw: unknown): StaffKioskFacts | null {
  if (!isObject(raw)) return null;
  const applianceId = str(raw['applianceId']);
  const hall = str(raw['hall']);
  if (!applianceId || !hall) return null;
  return {
    applianceId,
    hall,
    hallName: str(raw['hallName']) ?? hall,
    timeZone: str(raw['timeZone']) ?? '',
    central: centralOf(raw['central']),
    lastSyncAt: str(raw['lastSyncAt']) ?? null,
  };
}

function consumablesOf(raw: unknown): ConsumableView[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).flatMap((c): ConsumableView[] => {
    if (c['kind'] === 'blankKeys') {
      const n = c['count'];
      return [{ kind: 'blankKeys', count: typeof n === 'number' && Number.isFinite(n) ? n : null }];
    }
    if (c['kind'] === 'paper') {
      const level = (PAPER_LEVELS as readonly unknown[]).includes(c['level'])
        ? (c['level'] as (typeof PAPER_LEVELS)[number])
        : 'unknown';
      return [{ kind: 'paper', level }];
    }
    return [];
  });
}

export function normaliseOverview(raw: unknown): StaffOverview {
  const o = isObject(raw) ? raw : {};
  const devices = Array.isArray(o['devices'])
    ? (
        o['devices'].filter(
          (d) => isObject(d) && DEVICE_KINDS.includes(d['kind'] as DeviceStatusView['kind']),
        ) as DeviceStatusView[]
      ).map((d) => ({ ...d, detail: isDeviceDetail(d.detail) ? d.detail : null }))
    : [];
  const consumables = consumablesOf(o['consumables']);
  const queue = o['queue'];
  const queueDepth =
    typeof queue === 'number'
      ? queue
      : isObject(queue) && typeof queue['depth'] === 'number'
        ? queue['depth']
        : null;
  return {
    kiosk: kioskOf(o['kiosk']),
    devices,
    consumables,
    queueDepth,
    inDoubt: withId<InDoubtItem>(o['inDoubt'], (i) =>
      dropUndefined({
        orderId: str(i['orderId']),
        step: str(i['step']),
        since: str(i['since'] ?? i['updatedAt']),
        certificateSerial: str(i['certificateSerial']),
        evidence:
          isObject(i['evidence']) && isObject(i['evidence']['central'])
            ? (i['evidence'] as InDoubtEvidence)
            : undefined,
      }),
    ),
    reprints: withId<ReprintItem>(o['reprints'], (i) =>
      dropUndefined({
        orderId: str(i['orderId']),
        queuedAt: str(i['queuedAt']),
        holderNameMasked: str(i['holderNameMasked']),
      }),
    ),
    version: str(o['version']) ?? '?',
    parkedEvents:
      typeof o['parkedEvents'] === 'number' && Number.isFinite(o['parkedEvents']) ? o['parkedEvents'] : null,
    spoiledKeys: Array.isArray(o['spoiledKeys'])
      ? o['spoiledKeys'].filter(isObject).flatMap((k) => {
          const serial = str(k['serial']);
          return serial ? [dropUndefined({ serial, at: str(k['at']), reason: str(k['reason']) })] : [];
        })
      : null,
    deviceInfo: deviceInfoOf(o['deviceInfo']),
    blankKeyStock: blankKeyStockOf(o['blankKeyStock']),
    staffCalls: Array.isArray(o['staffCalls'])
      ? o['staffCalls'].filter(isObject).flatMap((c): StaffCallItem[] => {
          const id = str(c['id']);
          const at = str(c['at']);
          if (!id || !at) return [];
          return [
            dropUndefined({
              id,
              at,
              presses: typeof c['presses'] === 'number' ? c['presses'] : 1,
              journeyRef: str(c['journeyRef']),
              step: str(c['step']),
              need: str(c['need']),
              error: str(c['error']),
            }),
          ];
        })
      : [],
    staffAlarms: Array.isArray(o['staffAlarms'])
      ? o['staffAlarms'].filter(isObject).flatMap((a): StaffAlarmItem[] => {
          if (a['kind'] === 'staff-no-administrator') return [{ kind: 'staff-no-administrator' }];
          const staffId = str(a['staffId']);
          const until = str(a['until']);
          if (a['kind'] !== 'staff-lockout' || !staffId || !until) return [];
          return [
            {
              kind: 'staff-lockout',
              staffId,
              until,
              locked: a['locked'] === true,
              failures: typeof a['failures'] === 'number' ? a['failures'] : 0,
            },
          ];
        })
      : [],
  };
}
