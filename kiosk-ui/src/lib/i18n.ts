// Locale lookup: every user-visible sentence comes from src/locales/*.json, keyed the same in each language.

import en from '../locales/en.json';
import zhCN from '../locales/zh-CN.json';
import type { ApplianceErrorCode, ErrorBody } from './contract.ts';
import { APPLIANCE_ERROR_CODES } from './contract.ts';

export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'zh-CN';

export type MessageKey = keyof typeof zhCN;
export type Messages = Record<MessageKey, string>;
export type MessageParams = Record<string, string | number>;

// English must have every Chinese key (the compiler checks it here; a unit test checks there are no extras).
export const MESSAGES: Record<Lang, Messages> = { 'zh-CN': zhCN, en };

// Compile-time proof that every appliance error code has a sentence.
const errorKeys: Record<`error.${ApplianceErrorCode}`, string> = zhCN;
void errorKeys;

export function translate(lang: Lang, key: MessageKey, params?: MessageParams): string {
  const template = MESSAGES[lang][key] ?? MESSAGES[DEFAULT_LANG][key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export interface ErrorSentence {
  /** What happened, in plain words. */
  what: string;
  /** What the applicant can do about it (empty when nothing is needed). */
  todo: string;
}

/**
 * `ended`: the journey is over (failed or handed to staff), so "try again" can only mean starting afresh
 * after ending this one, never retrying the step.
 */
export function errorSentence(
  lang: Lang,
  error: Pick<ErrorBody, 'code' | 'action' | 'params'>,
  opts: { ended?: boolean } = {},
): ErrorSentence {
  const key = `error.${error.code}` as const;
  const what = translate(lang, key in MESSAGES[lang] ? key : 'error.INTERNAL', error.params);
  const todo =
    error.action === 'none'
      ? ''
      : error.action === 'retry' && opts.ended
        ? translate(lang, 'action.retryFromStart')
        : translate(lang, `action.${error.action}`);
  return { what, todo };
}

/** A reason the appliance recorded (an error code, or its own note): the locale's words for a code. */
export function reasonText(lang: Lang, reason: string): string {
  return (APPLIANCE_ERROR_CODES as readonly string[]).includes(reason)
    ? translate(lang, `error.${reason as ApplianceErrorCode}`)
    : reason;
}
