// Demo data: a few orders in different statuses, including an approved natural-person order whose holder
// matches the emulator's ID-card fixture (张伟, 440305198503071238). Seeds only an empty store.
import type { CreateOrderRequest, OrderAction } from '../contract/index.js';
import type { CentralContext } from './context.js';

export const DEMO_HOLDER = { name: '张伟', idNumber: '440305198503071238' } as const;

export interface SeededOrder {
  id: string;
  status: string;
  phonePath: string;
  label: string;
}

const PAID: OrderAction[] = ['request-payment', 'pay-wechat', 'request-identity', 'verify-identity'];

export function seedDemo(ctx: CentralContext, hall: string): { created: boolean; orders: SeededOrder[] } {
  const list = () =>
    ctx.orders.list().map((o) => ({
      id: o.id,
      status: o.status,
      phonePath: `/p/${ctx.orders.row(o.id).view_token}`,
      label: `${o.certificateType} · ${o.holder?.name ?? o.organisation?.name ?? ''}`,
    }));
  if (ctx.orders.list().length > 0) return { created: false, orders: list() };
  const base = { businessType: 'new', serviceYears: 1, hall, delivery: 'kiosk' } as const;
  const plan: Array<[CreateOrderRequest, OrderAction[], string?]> = [
    [
      {
        ...base,
        certificateType: 'natural-person',
        applicant: { name: DEMO_HOLDER.name, phone: '13800138000' },
        holder: { ...DEMO_HOLDER },
      },
      [...PAID, 'approve'],
    ],
    [
      {
        ...base,
        certificateType: 'organisation-individual',
        serviceYears: 2,
        applicant: { name: '李娜', phone: '13900139000' },
        organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
        holder: { name: '李娜', idNumber: '110105198503150027' },
      },
      ['request-payment', 'choose-transfer'],
    ],
    [
      {
        ...base,
        certificateType: 'organisation',
        applicant: { name: '陈强', phone: '13700137000' },
        organisation: { name: '深圳市示例科技有限公司', unifiedSocialCreditCode: '91440300MA5F2K8L3X' },
        legalRepresentative: { name: '王芳', idNumber: '310101197805200023' },
        handler: { name: '陈强', idNumber: '440305199203040012' },
      },
      PAID,
    ],
    [
      {
        ...base,
        certificateType: 'natural-person',
        applicant: { name: '刘洋', phone: '13600136000' },
        holder: { name: '刘洋', idNumber: '440106198812120019' },
      },
      [...PAID, 'reject'],
      'The scanned ID card image is unreadable; please upload it again.',
    ],
  ];
  for (const [req, actions, reason] of plan) {
    const order = ctx.orders.create(req);
    for (const action of actions)
      ctx.orders.act(order.id, { action, ...(action === 'reject' ? { reason } : {}) });
  }
  return { created: true, orders: list() };
}
