import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import zhCN from '../locales/zh-CN.json';
import {
  APPLIANCE_ERROR_CODES,
  CONSUMABLE_KINDS,
  DEVICE_DETAILS,
  DEVICE_KINDS,
  IN_DOUBT_RESOLUTIONS,
  PAPER_LEVELS,
  PICKUP_STEPS,
} from './contract.ts';
import { errorSentence, reasonText, translate } from './i18n.ts';

const DEVICE_STATES = ['online', 'offline', 'busy', 'hardware-error', 'user-action-needed'];

describe('locale files', () => {
  it('have exactly the same keys in zh-CN and en', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
  });

  it('have no empty sentence', () => {
    for (const [lang, messages] of Object.entries({ 'zh-CN': zhCN, en })) {
      for (const [key, text] of Object.entries(messages)) {
        expect(text.trim(), `${lang} ${key}`).not.toBe('');
      }
    }
  });

  it('have a sentence for every appliance error code and every action, in both languages', () => {
    for (const messages of [zhCN, en] as Record<string, string>[]) {
      for (const code of APPLIANCE_ERROR_CODES) expect(messages).toHaveProperty([`error.${code}`]);
      for (const action of ['retry', 'call-staff', 'come-back-later'])
        expect(messages).toHaveProperty([`action.${action}`]);
    }
  });

  it('name every staff resolution of an in-doubt journey, with its result, in both languages', () => {
    for (const messages of [zhCN, en] as Record<string, string>[]) {
      for (const action of IN_DOUBT_RESOLUTIONS) {
        expect(messages).toHaveProperty([`staff.resolve.${action}`]);
        expect(messages).toHaveProperty([`staff.result.${action}`]);
      }
      expect(messages).not.toHaveProperty(['staff.resolve.revoke-reissue']);
    }
  });

  it('tell the holder what to do with a superseded pickup code', () => {
    expect(zhCN['error.PICKUP_CODE_SUPERSEDED']).toContain(
      '这个领取码已被新的领取码替代，请在手机上刷新后扫描最新的领取码',
    );
    expect(en['error.PICKUP_CODE_SUPERSEDED']).toMatch(/refresh/i);
  });

  it('name every journey step, device kind and device state', () => {
    const keys = Object.keys(zhCN);
    for (const step of PICKUP_STEPS) expect(keys).toContain(`step.${step}`);
    for (const kind of DEVICE_KINDS) expect(keys).toContain(`deviceKind.${kind}`);
    for (const state of DEVICE_STATES) expect(keys).toContain(`deviceState.${state}`);
  });

  it('give the maintenance screen a phrase for every device detail, consumable and paper level (facts.ts)', () => {
    for (const messages of [zhCN, en] as Record<string, string>[]) {
      for (const detail of DEVICE_DETAILS) expect(messages).toHaveProperty([`staff.detail.${detail}`]);
      for (const kind of CONSUMABLE_KINDS) expect(messages).toHaveProperty([`staff.consumable.${kind}`]);
      for (const level of PAPER_LEVELS) expect(messages).toHaveProperty([`staff.paper.${level}`]);
      for (const detail of ['paper-out', 'cover-open'])
        expect(messages).toHaveProperty([`staff.reprint.blocked.${detail}`]);
    }
    // Phrases, not the codes again.
    for (const detail of DEVICE_DETAILS) expect(en[`staff.detail.${detail}`]).not.toContain(detail);
  });

  it('use the same {placeholders} in both languages', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
    }
  });
});

describe('translate', () => {
  it('fills named parameters and leaves unknown ones visible', () => {
    expect(translate('en', 'idle.countdown', { s: 17 })).toContain('In 17 seconds');
    expect(translate('zh-CN', 'idle.countdown', { s: 17 })).toContain('17 秒后');
    expect(translate('en', 'order.years')).toBe('{years} year(s)');
  });
});

describe('errorSentence', () => {
  it('tells what happened and what to do, in the current language', () => {
    const forged = { code: 'PICKUP_CODE_FORGED', action: 'retry' } as const;
    expect(errorSentence('zh-CN', forged)).toEqual({
      what: zhCN['error.PICKUP_CODE_FORGED'],
      todo: '请再试一次。',
    });
    expect(errorSentence('en', forged)).toEqual({
      what: en['error.PICKUP_CODE_FORGED'],
      todo: 'Please try again.',
    });
  });

  it('says nothing about what to do when the action is none', () => {
    expect(errorSentence('en', { code: 'WRONG_STEP', action: 'none' }).todo).toBe('');
  });

  it('on an ended journey, turns "try again" into ending it and starting afresh (a retry cannot work)', () => {
    const superseded = { code: 'PICKUP_CODE_SUPERSEDED', action: 'retry' } as const;
    expect(errorSentence('zh-CN', superseded, { ended: true }).todo).toBe(zhCN['action.retryFromStart']);
    expect(errorSentence('en', superseded, { ended: true }).todo).toBe(en['action.retryFromStart']);
    expect(errorSentence('zh-CN', superseded).todo).toBe(zhCN['action.retry']);
    const refused = { code: 'CENTRAL_REFUSED', action: 'call-staff' } as const;
    expect(errorSentence('zh-CN', refused, { ended: true }).todo).toBe(zhCN['action.call-staff']);
  });

  it('falls back to the internal-error sentence for a code it does not know', () => {
    const unknown = { code: 'NOT_A_CODE', action: 'call-staff' } as unknown as Parameters<
      typeof errorSentence
    >[1];
    expect(errorSentence('en', unknown).what).toBe(en['error.INTERNAL']);
  });
});

describe('reasonText', () => {
  it("gives a recorded error code in the staff's language and keeps the appliance's own notes", () => {
    expect(reasonText('zh-CN', 'CENTRAL_REFUSED')).toBe(zhCN['error.CENTRAL_REFUSED']);
    expect(reasonText('en', 'TOKEN_FAILED')).toBe(en['error.TOKEN_FAILED']);
    expect(reasonText('en', 'session ended (staff) at step key-generated')).toBe(
      'session ended (staff) at step key-generated',
    );
  });
});

describe('labels defined once (config/src/facts.ts)', () => {
  it('the locale files carry exactly the certificate and business type labels of the facts', async () => {
    const facts = await import('../../../config/src/facts.ts');
    const zh = (await import('../locales/zh-CN.json')).default as Record<string, string>;
    const en = (await import('../locales/en.json')).default as Record<string, string>;
    for (const t of facts.CERTIFICATE_TYPES) {
      expect(zh[`certType.${t}`]).toBe(facts.CERTIFICATE_TYPE_LABELS[t].zh);
      expect(en[`certType.${t}`]).toBe(facts.CERTIFICATE_TYPE_LABELS[t].en);
    }
    for (const b of facts.BUSINESS_TYPES) {
      expect(zh[`business.${b}`]).toBe(facts.BUSINESS_TYPE_LABELS[b].zh);
      expect(en[`business.${b}`]).toBe(facts.BUSINESS_TYPE_LABELS[b].en);
    }
  });
});
