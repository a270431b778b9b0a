import { describe, expect, it } from 'vitest';
import { api, toErrorBody } from './api.ts';

describe('toErrorBody', () => {
  it('keeps a well-formed appliance error', () => {
    const body = {
      code: 'ID_MISMATCH_PERSON',
      message: 'x',
      action: 'retry',
      retryable: true,
      params: { n: 2 },
    };
    expect(toErrorBody(body, 409)).toEqual(body);
  });

  it('turns anything else into INTERNAL with call-staff', () => {
    expect(toErrorBody('<html>', 502)).toMatchObject({
      code: 'INTERNAL',
      action: 'call-staff',
      retryable: false,
    });
    expect(toErrorBody({ code: 'SOMETHING_NEW' }, 500).code).toBe('INTERNAL');
  });

  it('asks for staff when the action is missing or unknown', () => {
    expect(toErrorBody({ code: 'TOKEN_FAILED', action: 'dance' }, 500)).toMatchObject({
      code: 'TOKEN_FAILED',
      action: 'call-staff',
    });
  });

  it('knows the request refusals of the appliance (body too large, wrong media type, host, origin)', () => {
    for (const code of [
      'BODY_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'HOST_NOT_ALLOWED',
      'ORIGIN_NOT_ALLOWED',
    ]) {
      expect(toErrorBody({ code, action: 'none' }, 400).code).toBe(code);
    }
  });
});

describe('api', () => {
  it('calls the page origin, every state change as JSON ({} when bodiless), never throwing', async () => {
    const sent: Array<{ url: string; init: RequestInit | undefined }> = [];
    const real = globalThis.fetch;
    globalThis.fetch = (async (url: string, init?: RequestInit) => {
      sent.push({ url, init });
      if (url.endsWith('/touch')) throw new TypeError('network down');
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    try {
      expect(await api.endJourney()).toEqual({ ok: true, status: 204, data: undefined });
      expect(await api.touch()).toMatchObject({ ok: false, error: { code: 'DEVICE_UNAVAILABLE' } });
      expect(api.url('events')).toBe('/api/events');
    } finally {
      globalThis.fetch = real;
    }
    expect(sent[0]).toMatchObject({
      url: '/api/journeys/current',
      init: { method: 'DELETE', body: '{}', headers: { 'content-type': 'application/json' } },
    });
  });
});
