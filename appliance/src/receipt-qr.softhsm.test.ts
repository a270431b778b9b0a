import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDaemon as Daemon } from './sim/compose.js';
import { type applianceClient, type CentralHandle, ZHANG_WEI } from './testing/kiosk-harness.js';
import { readQr } from './testing/read-qr.js';
import { startSimKiosk } from './testing/sim-kiosk.js';

let central: CentralHandle;
let daemon: Daemon;
let api: ReturnType<typeof applianceClient>;

beforeAll(async () => {
  ({ central, daemon, api } = await startSimKiosk('receipt-qr'));
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await central?.stop();
});

describe('receipt QR code', () => {
  it('opens the order’s receipt page on central: masked status and invoice request; another token gets 404', async () => {
    const { orderId, pickupCode } = await central.createApprovedOrder();
    await daemon.sim.scan(pickupCode);
    await api.until((j) => j?.need === 'confirm-order');
    await api.call('POST', '/api/journeys/current/confirm', {});
    await daemon.sim.placeCard('han-zhang-wei');
    await api.until((j) => j?.need === 'token');
    daemon.sim.insertBlankKey();
    await api.until((j) => j?.need === 'pin', 30_000);
    const done = await api.call('POST', '/api/journeys/current/pin', { pin: '385172' });
    expect(done.body).toMatchObject({ status: 'completed', receipt: { state: 'printed' } });

    // What the paper says (as the emulator decoded it): local time, hall, price paid.
    const printed = daemon.sim.receipts().at(-1)!;
    const lines = printed.lines.map((l) => l.text);
    // The hall's name once the daemon passes config kiosk.hallName; its code until then.
    expect(lines.find((l) => l.startsWith('办理大厅 Hall: '))).toBeTruthy();
    expect(lines).toContain('支付金额 Paid: ¥100.00');
    expect(lines.find((l) => l.startsWith('办理时间 Time: '))).toMatch(/ UTC\+8$/);

    // The receipt as an image, from the sim page's own route; the QR code read from its pixels.
    const res = await fetch(`${daemon.url}/sim/receipts/latest.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const url = await readQr(Buffer.from(await res.arrayBuffer()));
    expect(url).not.toBeNull();
    expect(url).toBe(printed.qrCodes[0]?.payload);
    const prefix = `${central.url}/lookup/${orderId}/`;
    expect(url!.startsWith(prefix), url!).toBe(true);
    const token = url!.slice(prefix.length);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // Central, once the kiosk's events are in: the order's status, masked — nothing that names the holder.
    await daemon.agent.drain(15_000);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(orderId);
    expect(html).toContain('data-status="activated"');
    expect(html).toContain('已领取');
    expect(html).toContain('自然人证书');
    expect(html).toContain('<span data-holder>张*</span>');
    for (const personal of [ZHANG_WEI.idNumber, ZHANG_WEI.name, '13800138000', pickupCode])
      expect(html).not.toContain(personal);
    expect(html).toContain('data-invoice-form');

    // The same URL with another token: nothing.
    const wrong = `${prefix}${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const refused = await fetch(wrong);
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain(orderId);
    expect((await fetch(`${central.url}/lookup/${orderId}`)).status).toBe(404);

    // The invoice request from the page's form: recorded, and the page says submitted.
    const form = await fetch(`${url}/invoice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ title: '张伟', email: 'zw@example.cn' }).toString(),
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    const after = await (await fetch(url!)).text();
    expect(after).toContain('data-invoice-state="submitted"');
    expect(after).toContain('发票申请已提交');
    expect(
      (
        await fetch(`${wrong}/invoice`, {
          method: 'POST',
          body: 'title=x&email=a%40b.cn',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(404);
  }, 90_000);
});
