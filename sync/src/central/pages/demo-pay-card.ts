// The demo's payer on the applicant's phone page: while the WeChat Pay simulator stands in for the provider and
// the order's kiosk payment (the QR code on the kiosk) is open, a button pays it as a phone scanning the code
// would (the simulator sends central its signed notification). Never shown with a real provider.
import { esc } from './html.js';

export interface DemoPayCardInput {
  /** Where the button posts. */
  action: string;
  /** A refused press (no open kiosk payment, or the simulator said no): the message shown. */
  refused?: string;
}

export const DEMO_PAY_LABEL = '模拟微信支付 (演示) / Pay (demo)';

/** Why the demo pay button did nothing. */
export const DEMO_PAY_NOTHING_OPEN =
  '此订单没有待支付的自助终端二维码。There is no open kiosk payment for this order.';

export function renderDemoPayCard(input: DemoPayCardInput, open: boolean): string {
  const refused = input.refused
    ? `<div class="card bad" data-demo-pay-refused><p>${esc(input.refused)}</p></div>`
    : '';
  if (!open) return refused;
  return `${refused}<div class="card" data-demo-pay>
<p>自助终端正在显示微信支付二维码。演示中，点此代替手机扫码付款。<br>
<span class="muted">The kiosk shows a WeChat Pay QR code. In the demo, press this instead of scanning it with a phone.</span></p>
<form method="post" action="${esc(input.action)}" data-demo-pay-form><p><button type="submit">${esc(DEMO_PAY_LABEL)}</button></p></form></div>`;
}
