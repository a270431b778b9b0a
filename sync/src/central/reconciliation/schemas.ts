// The reconciliation's vocabulary and its API (TypeBox, validated by Fastify and published as OpenAPI). The kinds of
// difference, sides, subjects, a run, a report and a kiosk's records are the contract's (contract/reconciliation.ts,
// re-exported here, shared with the kiosk); central's labels and its operator requests are defined here. The rules
// (reconcile.ts), the table (runs.ts), the CSV, the ops page and the routes all read these lists.
import { type Static, Type } from '@sinclair/typebox';
import {
  type LineKind,
  ReconciliationDaySchema,
  type ReconciliationSide,
} from '../../contract/reconciliation.js';

export * from '../../contract/reconciliation.js';

/** Each kind as finance reads it (the CSV and the ops page) and in English. */
export const LINE_KIND_LABELS = {
  'missing-on-a-side': { zh: '一方缺失', en: 'recorded on one side, missing on another' },
  'amount-differs': { zh: '金额不符', en: 'amounts differ' },
  'state-differs': { zh: '状态不符', en: 'states differ' },
  'payment-without-order': { zh: '有款无单', en: 'money received for no order of ours' },
  'refund-pending': { zh: '待退款', en: 'money kept for a refund' },
  'activation-differs': { zh: '激活不符', en: 'activated on one side only' },
} as const satisfies Record<LineKind, { zh: string; en: string }>;

/** Each side as finance reads it. */
export const SIDE_LABELS = {
  kiosk: { zh: '终端', en: 'kiosk' },
  central: { zh: '中心', en: 'central' },
  provider: { zh: '微信支付', en: 'WeChat Pay' },
} as const satisfies Record<ReconciliationSide, { zh: string; en: string }>;

export const RunRequestSchema = Type.Object(
  { day: ReconciliationDaySchema },
  { additionalProperties: false },
);
export type RunRequest = Static<typeof RunRequestSchema>;
export const DayParamsSchema = Type.Object({ day: ReconciliationDaySchema });
export const PageQuerySchema = Type.Object({ day: Type.Optional(ReconciliationDaySchema) });
