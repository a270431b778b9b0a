// HTTP calls to the appliance: every failure comes back as an ErrorBody, never as a thrown exception.
import type { ApplianceErrorCode, ErrorBody } from './contract.ts';
import { APPLIANCE_ERROR_CODES } from './contract.ts';

export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

const ACTIONS: ReadonlyArray<ErrorBody['action']> = ['retry', 'call-staff', 'come-back-later', 'none'];

/** Accepts what the appliance sent when it is a well-formed ErrorBody; anything else becomes INTERNAL. */
export function toErrorBody(body: unknown, status: number): ErrorBody {
  if (typeof body === 'object' && body !== null) {
    const b = body as Partial<ErrorBody>;
    if (APPLIANCE_ERROR_CODES.includes(b.code as ApplianceErrorCode)) {
      return {
        code: b.code as ApplianceErrorCode,
        message: typeof b.message === 'string' ? b.message : '',
        action: ACTIONS.includes(b.action as ErrorBody['action'])
          ? (b.action as ErrorBody['action'])
          : 'call-staff',
        retryable: b.retryable === true,
        ...(b.params && typeof b.params === 'object' ? { params: b.params } : {}),
      };
    }
  }
  return { code: 'INTERNAL', message: `HTTP ${status}`, action: 'call-staff', retryable: false };
}

export const unreachable = (): ErrorBody => ({
  code: 'DEVICE_UNAVAILABLE',
  message: 'the appliance did not answer',
  action: 'call-staff',
  retryable: true,
});

export async function callApi<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  bearer?: string,
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers['authorization'] = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    return { ok: false, error: unreachable() };
  }
  const text = await res.text().catch(() => '');
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) return { ok: false, error: toErrorBody(parsed, res.status) };
  return { ok: true, data: parsed as T };
}
