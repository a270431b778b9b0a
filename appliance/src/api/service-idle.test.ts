// The after-sales services follow the kiosk's session rules like pickup: the idle timer wipes an open service
// (and closes a result screen), the event stream carries the service view, and "more time" works for it.
import { afterEach, describe, expect, it } from 'vitest';
import { createApplianceClient } from './client.js';
import { SETTINGS, startTestApi, type TestApi } from './testing-fakes.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const waitUntil = async (pred: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return pred();
};

describe('the session rules for the services', () => {
  it('an idle service is wiped (idle) and the stream says so; "more time" keeps it', async () => {
    api = await startTestApi({ settings: { ...SETTINGS, idleWarningMs: 150, idleWipeMs: 150 } });
    const c = createApplianceClient(api.url);
    const res = await fetch(c.url('events'));
    const reader = res.body!.getReader();
    try {
      await idleWipe(api, c, reader);
    } finally {
      await reader.cancel();
    }
  });

  it('a QR code being paid is not idle: the service stays until the code expires, then the idle wipe comes', async () => {
    api = await startTestApi({ settings: { ...SETTINGS, idleWarningMs: 100, idleWipeMs: 100 } });
    const c = createApplianceClient(api.url);
    const started = await c.startService({ body: { kind: 'renew' } });
    expect(started.ok).toBe(true);
    const view = api.services.services.view()!;
    const expiresAt = Date.now() + 900;
    api.services.show({
      ...view,
      step: 'identity-verified',
      need: 'payment',
      payment: {
        state: 'pending',
        amountFen: 20000,
        codeUrl: 'weixin://wxpay/bizpayurl?pr=abc',
        expiresAt: new Date(expiresAt).toISOString(),
      },
    });
    await new Promise((r) => setTimeout(r, 600)); // three idle periods: still paying
    expect(api.services.calls).not.toContain('wipe:idle');
    expect(await waitUntil(() => api!.services.calls.includes('wipe:idle'), 3_000)).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  });

  it('an expired QR code does not hold the session: idle wipes it as any other screen', async () => {
    api = await startTestApi({ settings: { ...SETTINGS, idleWarningMs: 100, idleWipeMs: 100 } });
    const c = createApplianceClient(api.url);
    expect((await c.startService({ body: { kind: 'renew' } })).ok).toBe(true);
    const view = api.services.services.view()!;
    api.services.show({
      ...view,
      need: 'payment',
      payment: { state: 'expired', amountFen: 20000, expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    expect(await waitUntil(() => api!.services.calls.includes('wipe:idle'), 1_000)).toBe(true);
  });
});

async function idleWipe(
  api: TestApi,
  c: ReturnType<typeof createApplianceClient>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<void> {
  let text = '';
  const read = async () => {
    const { value } = await reader.read();
    text += Buffer.from(value ?? new Uint8Array()).toString('utf8');
  };
  await read();
  while (!text.includes('event: service')) await read();
  expect(text).toContain('event: service\ndata: null');

  expect((await c.startService({ body: { kind: 'unlock' } })).ok).toBe(true);
  // "More time" is a service's too.
  const touched = await c.touch();
  expect(touched.ok).toBe(true);
  expect(await waitUntil(() => api.services.calls.includes('wipe:idle'))).toBe(true);
  while (!text.includes('"reason":"idle"')) await read();
  expect(text).toMatch(/event: service\ndata: \{[^\n]*"kind":"unlock"/);
  expect(text).toContain('event: idle-warning');
}
