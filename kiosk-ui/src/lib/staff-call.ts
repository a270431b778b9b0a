// A maintenance panel's call to a staff route with the signed-in token. A refused sign-in (the session ended by
// idle or sign-out) is handed to the overview, whose refusal signs the screen out; other refusals come back.
import type { ApiResult } from './api.ts';
import type { ErrorBody } from './contract.ts';
import { kiosk } from './kiosk.svelte.ts';

export async function staffCall<T>(
  run: (token: string) => Promise<ApiResult<T>>,
): Promise<{ ok: true; data: T } | { ok: false; error: ErrorBody | null }> {
  const token = kiosk.staff?.token;
  if (!token) return { ok: false, error: null };
  const r = await run(token);
  if (r.ok) return { ok: true, data: r.data };
  if (r.error.code === 'STAFF_AUTH_REQUIRED') {
    void kiosk.loadOverview();
    return { ok: false, error: null };
  }
  return { ok: false, error: r.error };
}
