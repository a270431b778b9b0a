// Payment notifications (支付通知): opening one as central receives it — signature on the raw body first, then
// the JSON, then AEAD_AES_256_GCM decryption of its resource — and sealing one as the provider sends it (the
// simulator). A refusal names its reason and the HTTP status the notify endpoint answers with.
import { randomBytes } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { AEAD_ALGORITHM, decryptResource, encryptResource } from './aead.js';
import {
  checkPlatformSignature,
  type HeaderBag,
  platformSignatureHeaders,
  type SigningKey,
  type VerifyingKey,
} from './signatures.js';
import {
  type Notification,
  NotificationSchema,
  rfc3339Cst,
  TRANSACTION_SUCCESS,
  type Transaction,
  TransactionSchema,
} from './wechatpay-api.js';

export type NotificationRefusal =
  | 'missing-headers'
  | 'unknown-serial'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'malformed'
  | 'undecryptable'
  | 'wrong-merchant';

/** Why a notification is refused and how (status, and the message of the `{"code":"FAIL"}` answer). */
export class NotificationRefused extends Error {
  constructor(
    readonly reason: NotificationRefusal,
    readonly statusCode: 400 | 401,
    message: string,
  ) {
    super(message);
    this.name = 'NotificationRefused';
  }
}

export interface OpenedNotification {
  envelope: Notification;
  /** The decrypted resource of a transaction notification (original_type transaction). */
  transaction?: Transaction;
}

/**
 * Verify and open a notification. Nothing is parsed before the signature verifies on the exact body bytes; a
 * transaction resource must decrypt with the APIv3 key and name our merchant (and app, when given).
 */
export function openNotification(input: {
  rawBody: Buffer;
  headers: HeaderBag;
  platform: VerifyingKey;
  apiV3Key: Buffer;
  nowMs: number;
  merchant: { mchid: string; appid?: string };
}): OpenedNotification {
  const check = checkPlatformSignature(input.headers, input.rawBody, input.platform, input.nowMs);
  if (!check.ok) throw new NotificationRefused(check.reason, 401, check.message);
  let envelope: unknown;
  try {
    envelope = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    throw new NotificationRefused('malformed', 400, 'The notification body is not JSON.');
  }
  if (!Value.Check(NotificationSchema, envelope))
    throw new NotificationRefused('malformed', 400, 'The notification is not a WeChat Pay notification.');
  const r = envelope.resource;
  if (r.original_type !== 'transaction') return { envelope };
  if (r.algorithm !== AEAD_ALGORITHM)
    throw new NotificationRefused(
      'undecryptable',
      400,
      `The resource algorithm ${r.algorithm} is not supported.`,
    );
  let plain: string;
  try {
    plain = decryptResource(input.apiV3Key, r);
  } catch {
    throw new NotificationRefused('undecryptable', 400, 'The resource does not decrypt with the APIv3 key.');
  }
  let transaction: unknown;
  try {
    transaction = JSON.parse(plain);
  } catch {
    throw new NotificationRefused('malformed', 400, 'The decrypted resource is not JSON.');
  }
  if (!Value.Check(TransactionSchema, transaction))
    throw new NotificationRefused('malformed', 400, 'The decrypted resource is not a transaction.');
  if (transaction.mchid !== input.merchant.mchid)
    throw new NotificationRefused(
      'wrong-merchant',
      400,
      `The transaction is for merchant ${transaction.mchid}.`,
    );
  if (input.merchant.appid !== undefined && transaction.appid !== input.merchant.appid)
    throw new NotificationRefused('wrong-merchant', 400, `The transaction is for app ${transaction.appid}.`);
  return { envelope, transaction };
}

/** A notification of a transaction as the provider sends it: the body and its Wechatpay-* headers. */
export function sealTransactionNotification(input: {
  transaction: Transaction;
  platform: SigningKey;
  apiV3Key: Buffer;
  nowMs: number;
  eventType?: string;
}): { body: string; headers: Record<string, string> } {
  const success = (input.eventType ?? TRANSACTION_SUCCESS) === TRANSACTION_SUCCESS;
  const envelope: Notification = {
    id: `EV-${randomBytes(10).toString('hex')}`,
    create_time: rfc3339Cst(input.nowMs),
    resource_type: 'encrypt-resource',
    event_type: input.eventType ?? TRANSACTION_SUCCESS,
    summary: success ? '支付成功' : '支付通知',
    resource: encryptResource(input.apiV3Key, JSON.stringify(input.transaction), {
      originalType: 'transaction',
      associatedData: 'transaction',
    }),
  };
  const body = JSON.stringify(envelope);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      ...platformSignatureHeaders(input.platform, body, input.nowMs),
    },
  };
}
