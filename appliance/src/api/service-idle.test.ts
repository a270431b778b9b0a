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
