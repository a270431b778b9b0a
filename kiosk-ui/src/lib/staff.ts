// The maintenance overview as the UI reads it; tolerant of fields the contract does not pin down yet.
import type { DeviceStatusView } from './contract.ts';
import { DEVICE_KINDS } from './contract.ts';

export interface InDoubtItem {
  id: string;
  orderId?: string;
  step?: string;
  since?: string;
  /** The certificate that may have been issued (what revoke-void revokes). */
  certificateSerial?: string;
}

export interface ReprintItem {
  id: string;
  orderId?: string;
  state?: string;
}

export interface StaffOverview {
  devices: DeviceStatusView[];
  consumables: Array<{ name: string; value: string }>;
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

export function normaliseOverview(raw: unknown): StaffOverview {
  const o = isObject(raw) ? raw : {};
  const devices = Array.isArray(o['devices'])
    ? (o['devices'].filter(
        (d) => isObject(d) && DEVICE_KINDS.includes(d['kind'] as DeviceStatusView['kind']),
      ) as DeviceStatusView[])
    : [];
  const consumablesRaw = o['consumables'];
  const consumables = isObject(consumablesRaw)
    ? Object.entries(consumablesRaw).map(([name, value]) => ({
        name,
        value: isObject(value) ? JSON.stringify(value) : String(value),
      }))
    : [];
  const queue = o['queue'];
  const queueDepth =
    typeof queue === 'number'
      ? queue
      : isObject(queue) && typeof queue['depth'] === 'number'
        ? queue['depth']
        : null;
  return {
    devices,
    consumables,
    queueDepth,
    inDoubt: withId<InDoubtItem>(o['inDoubt'], (i) =>
      dropUndefined({
        orderId: str(i['orderId']),
        step: str(i['step']),
        since: str(i['since'] ?? i['updatedAt']),
        certificateSerial: str(i['certificateSerial']),
      }),
    ),
    reprints: withId<ReprintItem>(o['reprints'], (i) =>
      dropUndefined({ orderId: str(i['orderId']), state: str(i['state']) }),
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
