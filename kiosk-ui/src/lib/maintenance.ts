// The maintenance overview's device facts and blank-key stock as the UI reads them (tolerant: a field the
// appliance does not send is left out, a device kind or state the UI has no words for is dropped).
import type { DeviceDetail, DeviceKind, DeviceState } from './contract.ts';
import { DEVICE_DETAILS, DEVICE_KINDS, DEVICE_STATES } from './contract.ts';

export interface DeviceInfoItem {
  kind: DeviceKind;
  model: string | null;
  firmware: string | null;
  lastError: { state: DeviceState; detail: DeviceDetail | null; at: string } | null;
}

export interface BlankKeyStockItem {
  count: number;
  lowThreshold: number;
  low: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function deviceInfoOf(raw: unknown): DeviceInfoItem[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).flatMap((d): DeviceInfoItem[] => {
    const kind = d['kind'] as DeviceKind;
    if (!DEVICE_KINDS.includes(kind)) return [];
    const e = d['lastError'];
    const lastError =
      isObject(e) && DEVICE_STATES.includes(e['state'] as DeviceState) && typeof e['at'] === 'string'
        ? {
            state: e['state'] as DeviceState,
            detail: DEVICE_DETAILS.includes(e['detail'] as DeviceDetail)
              ? (e['detail'] as DeviceDetail)
              : null,
            at: e['at'],
          }
        : null;
    return [{ kind, model: strOrNull(d['model']), firmware: strOrNull(d['firmware']), lastError }];
  });
}

export function blankKeyStockOf(raw: unknown): BlankKeyStockItem | null {
  if (!isObject(raw)) return null;
  const { count, lowThreshold } = raw;
  if (typeof count !== 'number' || typeof lowThreshold !== 'number') return null;
  return { count, lowThreshold, low: raw['low'] === true };
}
