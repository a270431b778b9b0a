// Every screen fits (issue 12): each applicant screen of the pickup journey, its dialogs, the after-sales services
// (issue 13: activate, unlock, my certificates, look-up, renew, the replace guide), the done screen's invoice
// (issue 14: the form on the on-screen keyboard, a refused credit code, submitted, its slip printed, issued; the
// invoice of a look-up's order, the renewal result's 申请发票) and the staff sign-in, in
// Chinese and English, normal and easy mode, on a portrait 1080×1920 and a landscape 1920×1080 screen. On each:
// nothing is wider than the screen; the screen's main button, and what the applicant must see with it (the keypad,
// the PIN rules, "take your key"…), are wholly on screen without scrolling, the button not covered; no title is cut
// (ellipsis, line clamp) or hidden; every button is a 64 px touch target. All problems of one combination are
// collected and reported together, each naming the screen, language, mode, orientation and the element.
import { expect, test } from '@playwright/test';
import en from '../src/locales/en.json' with { type: 'json' };
import zh from '../src/locales/zh-CN.json' with { type: 'json' };
import {
  ACTIVATION_CODE,
  DEMO_CODE,
  Devices,
  longPressCorner,
  MATCHING_CARD,
  PIN,
  REISSUE_CODE,
  RENEWAL_KEY_PIN,
  screen,
  shot,
  start,
  typeOnKeypad,
  WRONG_KEY_PIN,
} from './kiosk.ts';

const LANGS = ['zh-CN', 'en'] as const;
const MODES = ['normal', 'easy'] as const;
const VIEWS = {
  portrait: { width: 1080, height: 1920 },
  landscape: { width: 1920, height: 1080 },
} as const;
type View = keyof typeof VIEWS;

/** A second PIN that passes the policy but differs from PIN: the two entries do not match. */
const OTHER_PIN = '492816';
/** How long the fake takes per machine step: short, the screens in between are held with `devices.slow`. */
const STEP_MS = 60;
/** How long a held step lasts: time enough for a screenshot and the measurements. */
const HOLD_MS = 1500;
/** A touch target (README: every button ≥ 64 px). */
const TOUCH_PX = 64;

interface Expect {
  /** data-testid of the button that must be fully on screen without scrolling (the screen's or dialog's main one). */
  primary?: string;
  /** data-testids of further elements that must be fully on screen (the PIN keypad…). */
  see?: string[];
}

interface Measured {
  screen: string | null;
  problems: string[];
}

/** The applicant sees a screen from its top: undo any scrolling (Playwright's clicks scroll to their target). */
function scrollToTop(): void {
  for (const el of [document.documentElement, document.body, ...document.querySelectorAll('*')]) {
    if (el.scrollTop !== 0) el.scrollTop = 0;
    if (el.scrollLeft !== 0) el.scrollLeft = 0;
  }
}

/**
 * Measures the page as it is (scrolled to the top: scrollToTop).
 * Runs in the browser; returns the screen name and the problems found, each naming the element and its box.
 */
function measure(args: { primary: string | null; see: string[]; touchPx: number }): Measured {
  // Measured at rest: every animation at its start (the pointer's nudge moves the arrow down by 1.2rem), then on.
  const animations = document.getAnimations();
  for (const a of animations) {
    a.pause();
    a.currentTime = 0;
  }
  const W = window.innerWidth;
  const H = window.innerHeight;
  const problems: string[] = [];
  const px = (n: number) => Math.round(n);
  const box = (r: DOMRect) =>
    `left ${px(r.left)} top ${px(r.top)} right ${px(r.right)} bottom ${px(r.bottom)} (${px(r.width)}×${px(r.height)})`;
  const name = (el: Element) => {
    const testid = el.getAttribute('data-testid');
    const cls = el.getAttribute('class');
    const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${testid ? ` data-testid="${testid}"` : ''}${cls ? ` class="${cls}"` : ''}>${text ? ` "${text}"` : ''}`;
  };
  const shown = (el: Element) => {
    const r = el.getBoundingClientRect();
    return (
      r.width > 0 &&
      r.height > 0 &&
      el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })
    );
  };
  /** Clipped on purpose by an ancestor below <body> (overflow hidden/clip, clip-path): that ancestor is checked. */
  const clippedByAncestor = (el: Element) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (['hidden', 'clip'].includes(s.overflowX) || s.clipPath !== 'none') return true;
    }
    return false;
  };

  // 1. Nothing wider than the screen.
  for (const el of [document.documentElement, document.body]) {
    if (el.scrollWidth > W)
      problems.push(
        `the page is ${el.scrollWidth} px wide (scrollWidth of <${el.tagName.toLowerCase()}>), wider than the screen (${W})`,
      );
  }
  const all = [...document.body.querySelectorAll('*')].filter(shown);
  /** The elements whose box passes an edge (the outermost of each: its children go with it). */
  const outside = (past: (r: DOMRect) => boolean) => {
    const found = new Set(all.filter((el) => past(el.getBoundingClientRect()) && !clippedByAncestor(el)));
    return [...found].filter((el) => !(el.parentElement && found.has(el.parentElement)));
  };
  for (const el of outside((r) => r.left < -0.5 || r.right > W + 0.5)) {
    problems.push(
      `sticks out sideways (screen ${W} px wide): ${name(el)} ${box(el.getBoundingClientRect())}`,
    );
  }
  for (const el of all) {
    const s = getComputedStyle(el);
    if (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`scrolls sideways (content ${el.scrollWidth} px in ${el.clientWidth} px): ${name(el)}`);
    }
  }

  // 2. The main button (and what else must be seen) fully on screen without scrolling, not covered by anything.
  const inView = (el: Element, what: string) => {
    const r = el.getBoundingClientRect();
    if (r.top < -0.5 || r.left < -0.5 || r.bottom > H + 0.5 || r.right > W + 0.5) {
      problems.push(`${what} is not fully on the ${W}×${H} screen without scrolling: ${name(el)} ${box(r)}`);
      return false;
    }
    // A box squeezed smaller than what it holds (its content spills out below it, maybe off screen).
    if (el.scrollHeight > el.clientHeight + 2) {
      problems.push(
        `${what} is too short for its content (${el.scrollHeight} px in ${el.clientHeight} px): ${name(el)} ${box(r)}`,
      );
      return false;
    }
    return true;
  };
  const byTestid = (id: string) => [...document.querySelectorAll(`[data-testid="${id}"]`)].filter(shown);
  if (args.primary) {
    const found = byTestid(args.primary);
    if (found.length === 0) problems.push(`the main button [data-testid="${args.primary}"] is not shown`);
    for (const el of found) {
      if (!inView(el, 'the main button')) continue;
      const r = el.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!top || !(el === top || el.contains(top))) {
        problems.push(`the main button is covered by ${top ? name(top) : 'nothing'}: ${name(el)} ${box(r)}`);
      }
    }
  }
  for (const id of args.see) {
    const found = byTestid(id);
    if (found.length === 0) problems.push(`[data-testid="${id}"] is not shown`);
    for (const el of found) inView(el, `[data-testid="${id}"]`);
  }
  for (const el of all.filter((e) => e.matches('.btn.primary'))) inView(el, 'a main (.btn.primary) button');

  // 3. No title cut or hidden: the header's title and the screen's headings whole; nothing clipped by an ellipsis
  //    or a line clamp.
  const topbar = document.querySelector('.topbar');
  if (topbar) {
    const brand = topbar.querySelector('.brand');
    if (!brand || !shown(brand) || brand.getBoundingClientRect().width < 2 || clippedByAncestor(brand)) {
      problems.push(`the header title (.brand) is hidden${brand ? `: ${name(brand)}` : ''}`);
    }
  }
  const h1 = [...document.querySelectorAll('h1')].filter(shown);
  if (h1.length === 0) problems.push('the screen has no visible title (h1)');
  const titles = new Set<Element>(
    [...document.querySelectorAll('h1, h2, .brand, .topbar .title')].filter(shown),
  );
  for (const el of all) {
    const s = getComputedStyle(el);
    if (s.textOverflow === 'ellipsis' || (s.webkitLineClamp !== 'none' && s.webkitLineClamp !== ''))
      titles.add(el);
  }
  for (const el of titles) {
    // Sideways: text wider than its box is cut (ellipsis, overflow) or sticks out. Downwards only where the box
    // clips (line clamp, overflow): by at least half a line, not the ink of tall glyphs past a tight line height.
    const s = getComputedStyle(el);
    const clamps =
      (s.webkitLineClamp !== 'none' && s.webkitLineClamp !== '') || ['hidden', 'clip'].includes(s.overflowY);
    const line = Number.parseFloat(s.lineHeight) || Number.parseFloat(s.fontSize) * 1.2;
    if (el.scrollWidth > el.clientWidth + 1 || (clamps && el.scrollHeight > el.clientHeight + line / 2)) {
      problems.push(
        `is cut (content ${el.scrollWidth}×${el.scrollHeight} px in ${el.clientWidth}×${el.clientHeight} px): ${name(el)} ${box(el.getBoundingClientRect())}`,
      );
    }
  }

  // 4. Every button shown is a touch target.
  for (const el of all.filter((e) => e.matches('button, [role="button"]'))) {
    const r = el.getBoundingClientRect();
    if (r.height < args.touchPx - 0.5 || r.width < args.touchPx - 0.5) {
      problems.push(`is smaller than a ${args.touchPx} px touch target: ${name(el)} ${box(r)}`);
    }
  }

  for (const a of animations) a.play();
  return { screen: document.querySelector('.kiosk')?.getAttribute('data-screen') ?? null, problems };
}

for (const view of Object.keys(VIEWS) as View[]) {
  test.describe(`${view} ${VIEWS[view].width}×${VIEWS[view].height}`, () => {
    test.use({ viewport: VIEWS[view] });
    for (const lang of LANGS) {
      for (const mode of MODES) {
        test(`every screen fits: ${lang}, ${mode} mode, ${view}`, async ({ page, request }) => {
          const devices = new Devices(request);
          const t = lang === 'en' ? en : zh;
          const found: string[] = [];

          /** Screenshot, then measure; the state must still be the one named (a held step must not have moved on). */
          const check = async (name: string, kiosk: string, want: Expect = {}) => {
            await page.evaluate(scrollToTop);
            await shot(page, `layout/${name}-${lang}-${mode}-${view}`);
            const m = await page.evaluate(measure, {
              primary: want.primary ?? null,
              see: want.see ?? [],
              touchPx: TOUCH_PX,
            });
            expect(m.screen, `${name}: still on the screen measured`).toBe(kiosk);
            for (const p of m.problems) found.push(`[${name} ${lang} ${mode} ${view}] ${p}`);
          };

          /** On the attract screen: this combination's language and mode (both reset after every journey). */
          const look = async () => {
            await screen(page, 'attract');
            if (lang !== 'zh-CN') await page.getByTestId(`lang-${lang}`).click();
            await expect(page.locator('html')).toHaveAttribute('lang', lang);
            if (mode === 'easy') await page.getByTestId('elderly-toggle').click();
            if (mode === 'easy') await expect(page.locator('html')).toHaveClass(/\belderly\b/);
            else await expect(page.locator('html')).not.toHaveClass(/\belderly\b/);
          };

          const confirmOrder = async (code = DEMO_CODE) => {
            await devices.scan(code);
            await screen(page, 'order');
            await page.getByTestId('confirm-order').click();
            await screen(page, 'id-card');
          };

          const setPinTwice = async () => {
            await typeOnKeypad(page, PIN);
            await page.getByTestId('pin-submit').click();
            await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
            await typeOnKeypad(page, PIN);
            await page.getByTestId('pin-submit').click();
          };

          await devices.reset({}, STEP_MS);
          await page.goto('/');

          // ---- The start screen and the staff sign-in (the corner gesture).
          await look();
          await check('attract', 'attract', { primary: 'start', see: ['elderly-toggle', 'home-tiles'] });
          await longPressCorner(page, 3100);
          await screen(page, 'staff');
          await check('staff-login', 'staff', { primary: 'staff-next', see: ['keypad', 'staff-letters'] });
          await page.getByTestId('staff-login-close').click();

          // ---- Journey 1: the whole pickup, its dialogs, a wrong card, a PIN mismatch, the done screen.
          await start(page);
          await check('scan', 'scan', { see: ['pointer-hint'] });
          await devices.scan(DEMO_CODE);
          await screen(page, 'order');
          await check('order', 'order', { primary: 'confirm-order', see: ['order-summary'] });
          await page.getByTestId('cancel').click();
          await expect(page.getByTestId('cancel-dialog')).toBeVisible();
          await check('cancel-dialog', 'order', { primary: 'cancel-no', see: ['cancel-yes'] });
          await page.getByTestId('cancel-no').click();
          await page.getByTestId('call-staff').click();
          await expect(page.getByTestId('help-dialog')).toContainText(t['help.called']);
          await check('help-dialog', 'order', { primary: 'help-ok' });
          await page.getByTestId('help-ok').click();
          await page.getByTestId('confirm-order').click();
          await screen(page, 'id-card');
          await check('id-card-waiting', 'id-card', { see: ['id-state', 'pointer-hint'] });
          await devices.idCard('mongol-batu');
          await expect(page.getByTestId('id-attempts')).toHaveText(t['id.attemptsLeft'].replace('{n}', '2'));
          await check('id-card-mismatch', 'id-card', { see: ['id-state', 'id-attempts', 'pointer-hint'] });
          await devices.idCard(null);
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'token');
          await check('token', 'token', { see: ['pointer-hint'] });

          // The machine steps: one held without a problem, then central not answering (retry and cancel shown).
          await devices.slow('key-generated', HOLD_MS);
          await devices.central('pending', { retryMs: 60_000 });
          await devices.token('insert');
          await screen(page, 'progress');
          await expect(page.locator('[data-step="key-generated"]')).toHaveAttribute('data-state', 'running');
          await check('progress', 'progress', { see: ['steps'] });
          await expect(page.getByTestId('wait-panel')).toHaveAttribute('data-kind', 'waiting', {
            timeout: 5000,
          });
          await check('progress-waiting', 'progress', { primary: 'try-now', see: ['wait-cancel', 'steps'] });
          await devices.central('ok');
          await page.getByTestId('try-now').click();

          // The PIN: first entry, second entry, and after a mismatch (the case seen by hand in easy mode).
          await screen(page, 'pin');
          await check('pin-first', 'pin', {
            primary: 'pin-submit',
            see: ['keypad', 'pin-dots', 'pin-rules'],
          });
          await typeOnKeypad(page, PIN);
          await page.getByTestId('pin-submit').click();
          await expect(page.getByTestId('pin-screen')).toHaveAttribute('data-phase', 'second');
          await typeOnKeypad(page, PIN.slice(0, 3));
          await check('pin-second', 'pin', {
            primary: 'pin-submit',
            see: ['keypad', 'pin-dots', 'pin-rules'],
          });
          await page.getByTestId('key-clear').click();
          await typeOnKeypad(page, OTHER_PIN);
          await page.getByTestId('pin-submit').click();
          await expect(page.getByTestId('pin-mismatch')).toHaveText(t['pin.mismatch']);
          await check('pin-mismatch', 'pin', {
            primary: 'pin-submit',
            see: ['keypad', 'pin-dots', 'pin-mismatch', 'pin-rules'],
          });
          await devices.slow('verified', HOLD_MS);
          await setPinTwice();
          await screen(page, 'verify');
          await check('verify', 'verify', { see: ['steps'] });

          // Done: the key still in the writer, then taken (receipt printed).
          await screen(page, 'done');
          await expect(page.getByTestId('take-key')).toBeVisible();
          await expect(page.getByTestId('old-revoked')).toHaveCount(0);
          await check('done-key-in', 'done', { primary: 'finish', see: ['take-key', 'receipt-state'] });
          await devices.token('pull');
          await expect(page.getByTestId('key-taken')).toBeVisible();
          await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'printed');
          await check('done-printed', 'done', {
            primary: 'finish',
            see: ['key-taken', 'receipt-state', 'invoice-open'],
          });

          // The invoice (开发票): the organisation's form on the on-screen keyboard, a wrong credit code refused,
          // submitted, a person's form (the address keys), and the issued invoice's QR code.
          const keys = async (text: string[]) => {
            for (const k of text) {
              if (/^[0-9]$/.test(k)) await page.locator(`[data-testid="keypad"] [data-digit="${k}"]`).click();
              else await page.locator(`[data-testid="keyboard-letters"] [data-letter="${k}"]`).click();
            }
          };
          await page.getByTestId('invoice-open').click();
          await screen(page, 'invoice');
          await check('invoice-form', 'invoice', {
            primary: 'invoice-submit',
            see: [
              'keyboard',
              'invoice-field-name',
              'invoice-field-code',
              'invoice-field-email',
              'invoice-back',
            ],
          });
          await keys([...'91440300708461136X']);
          await page.getByTestId('invoice-field-email').click();
          await keys([...'finance', '@', ...'example', '.cn']);
          await page.getByTestId('invoice-submit').click();
          await expect(page.getByTestId('invoice-error')).toHaveAttribute('data-code', 'USCC_CHECK_MISMATCH');
          await check('invoice-wrong-code', 'invoice', {
            primary: 'invoice-submit',
            see: ['keyboard', 'invoice-error', 'invoice-field-code', 'invoice-field-email'],
          });
          await page.getByTestId('key-delete').click();
          await keys(['T']);
          await page.getByTestId('invoice-submit').click();
          await expect(page.getByTestId('invoice-submitted')).toHaveText(t['invoice.submitted']);
          await check('invoice-submitted', 'invoice', {
            primary: 'invoice-back',
            see: ['invoice-change', 'invoice-slip-print'],
          });
          // The invoice slip (打印发票凭条): printed, and the screen says so.
          await page.getByTestId('invoice-slip-print').click();
          await expect(page.getByTestId('invoice-slip-state')).toHaveAttribute('data-state', 'printed');
          await check('invoice-slip-printed', 'invoice', {
            primary: 'invoice-back',
            see: ['invoice-slip-print', 'invoice-slip-state'],
          });
          await page.getByTestId('invoice-change').click();
          await page.getByTestId('invoice-title-person').click();
          await expect(page.getByTestId('invoice-person-note')).toBeVisible();
          await check('invoice-person', 'invoice', {
            primary: 'invoice-submit',
            see: ['keyboard', 'invoice-field-email', 'invoice-person-note'],
          });
          await page.getByTestId('invoice-submit').click();
          await expect(page.getByTestId('invoice-submitted')).toBeVisible();
          expect((await request.post('/__test/invoice', { data: {} })).status()).toBe(204);
          await expect(page.getByTestId('invoice-qr')).toBeVisible({ timeout: 10_000 });
          await check('invoice-issued', 'invoice', {
            primary: 'invoice-back',
            see: ['invoice-qr', 'invoice-number', 'invoice-amount'],
          });
          await page.getByTestId('invoice-back').click();
          await screen(page, 'done');
          await page.getByTestId('finish').click();

          // ---- Journey 2: the replace (补办) guide, where a scanned code starts the pickup — first a refused one (the
          //      error notice) —, then the reissue order with paper out: its done screen says the old certificate
          //      was revoked.
          await look();
          await devices.printer('out');
          await page.getByTestId('tile-replace').click();
          await screen(page, 'guide-replace');
          await check('guide-replace', 'guide-replace', { see: ['guide-back', 'pointer-hint'] });
          await devices.scan('CK1-FORGED');
          await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'PICKUP_CODE_FORGED');
          await check('error-notice', 'scan', { primary: 'notice-ok', see: ['error-notice'] });
          await page.getByTestId('notice-ok').click();
          await confirmOrder(REISSUE_CODE);
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'token');
          await devices.token('insert');
          await screen(page, 'pin');
          // The printer's banner above the PIN screen pushes it down: the keypad and its button still fit.
          await expect(page.getByTestId('alert-paper-out')).toHaveText(t['device.paperOut']);
          await check('pin-paper-out', 'pin', {
            primary: 'pin-submit',
            see: ['keypad', 'pin-dots', 'pin-rules', 'alert-paper-out'],
          });
          await setPinTwice();
          await screen(page, 'done');
          await expect(page.getByTestId('receipt-state')).toHaveAttribute('data-state', 'queued-for-reprint');
          await expect(page.getByTestId('old-revoked')).toHaveText(t['done.reissue.oldRevoked']);
          await check('done-paper-out', 'done', {
            primary: 'finish',
            see: ['take-key', 'receipt-state', 'old-revoked'],
          });
          await devices.token('pull');
          await devices.printer('ok');
          await page.getByTestId('finish').click();

          // ---- Journey 3: central refuses the issuance; the journey ends on the error screen.
          await look();
          await devices.central('refuse', { code: 'CENTRAL_REFUSED', action: 'call-staff' });
          await start(page);
          await confirmOrder();
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'token');
          await devices.token('insert');
          await screen(page, 'error');
          await expect(page.getByTestId('error-what')).toHaveText(t['error.CENTRAL_REFUSED']);
          await check('error', 'error', { primary: 'end', see: ['error-what', 'error-todo', 'error-ref'] });
          await page.getByTestId('end').click();
          await screen(page, 'attract');

          // ---- The after-sales services: every screen of each (service-contract.ts). No key, no card left.
          await devices.token('pull');
          await devices.idCard(null);
          const finishService = async () => {
            await devices.token('pull');
            await page.getByTestId('finish').click();
            await screen(page, 'attract');
          };
          // Activation: the key, the code (a wrong one: the notice, then the tries left), the PIN, the wait, done.
          await look();
          await page.getByTestId('tile-activate').click();
          await screen(page, 'service-token');
          await check('service-token', 'service-token', { see: ['pointer-hint'] });
          await devices.token('insert', 'couriered');
          await screen(page, 'service-code');
          await check('service-code', 'service-code', {
            primary: 'code-submit',
            see: ['keypad', 'pin-dots', 'activation-order', 'code-tries'],
          });
          await typeOnKeypad(page, '135790');
          await page.getByTestId('code-submit').click();
          await expect(page.getByTestId('error-notice')).toHaveAttribute(
            'data-code',
            'ACTIVATION_CODE_WRONG',
          );
          await check('service-code-notice', 'service-code', { primary: 'notice-ok', see: ['error-notice'] });
          await page.getByTestId('notice-ok').click();
          await expect(page.getByTestId('code-tries')).toHaveAttribute('data-tries', '4');
          await check('service-code-wrong', 'service-code', {
            primary: 'code-submit',
            see: ['keypad', 'pin-dots', 'code-tries'],
          });
          await typeOnKeypad(page, ACTIVATION_CODE);
          await page.getByTestId('code-submit').click();
          await screen(page, 'service-pin');
          await check('service-pin', 'service-pin', {
            primary: 'pin-submit',
            see: ['keypad', 'pin-dots', 'pin-rules'],
          });
          await devices.keyCertificate({ pinMs: HOLD_MS });
          await setPinTwice();
          await screen(page, 'service-wait');
          await check('service-wait', 'service-wait');
          await screen(page, 'service-result');
          await check('service-activated', 'service-result', { primary: 'finish', see: ['take-key'] });
          await finishService();

          // Unlock: the holder's card (a wrong one first), then the new PIN; unlocked.
          await look();
          await devices.keyCertificate({});
          await devices.lockPin('holder');
          await page.getByTestId('tile-unlock').click();
          await devices.token('insert', 'holder');
          await screen(page, 'service-id-card');
          await check('service-id-card', 'service-id-card', { see: ['id-state', 'pointer-hint'] });
          await devices.idCard('mongol-batu');
          await expect(page.getByTestId('id-state')).toHaveAttribute('data-state', 'mismatched');
          await check('service-id-card-mismatch', 'service-id-card', { see: ['id-state', 'id-reason'] });
          await devices.idCard(null);
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'service-pin');
          await setPinTwice();
          await screen(page, 'service-result');
          await check('service-unlocked', 'service-result', {
            primary: 'finish',
            see: ['unlocks-left', 'take-key'],
          });
          await devices.idCard(null);
          await finishService();

          // My certificates: 20 days left (the urgent renewal banner).
          await look();
          await devices.keyCertificate({ daysLeft: 20 });
          await page.getByTestId('tile-certificates').click();
          await devices.token('insert', 'holder');
          await screen(page, 'service-result');
          await check('service-certificates', 'service-result', {
            primary: 'finish',
            see: ['renewal-banner', 'take-key'],
          });
          await finishService();

          // Look-up: the waiting screen, then the orders found by the order code.
          await look();
          await page.getByTestId('tile-lookup').click();
          await screen(page, 'service-lookup');
          await check('service-lookup', 'service-lookup', { see: ['lookup-state', 'pointer-hint'] });
          await devices.scan(DEMO_CODE);
          await screen(page, 'service-result');
          await check('service-lookup-orders', 'service-result', {
            primary: 'finish',
            see: ['reject-reason'],
          });
          // A collected order's 申请发票: the invoice screen over the look-up's result.
          await page.getByTestId('order-invoice').click();
          await screen(page, 'invoice');
          await check('service-lookup-invoice', 'invoice', {
            primary: 'invoice-submit',
            see: ['keyboard', 'invoice-field-email', 'invoice-back'],
          });
          await page.getByTestId('invoice-back').click();
          await screen(page, 'service-result');
          await page.getByTestId('finish').click();

          // Renew: the key, its order and the holder's card, paying at the kiosk (the QR code, expired, shown
          // again, paid), the current PIN (a wrong one: tries are few), the steps (held on the new key pair), the
          // result.
          await look();
          await devices.keyCertificate({ pinMs: HOLD_MS, payFen: 12800, payMs: 5000 });
          await page.getByTestId('tile-renew').click();
          await screen(page, 'service-token');
          await check('renew-token', 'service-token', { see: ['pointer-hint'] });
          await devices.token('insert', 'renewal');
          await screen(page, 'service-id-card');
          await check('renew-id-card', 'service-id-card', {
            see: ['renewal-order', 'id-state', 'pointer-hint'],
          });
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'service-payment');
          await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'showing');
          await check('renew-payment', 'service-payment', {
            see: ['payment-qr', 'payment-amount', 'payment-countdown', 'payment-waiting'],
          });
          await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'expired', {
            timeout: 10_000,
          });
          await check('renew-payment-expired', 'service-payment', {
            primary: 'payment-again',
            see: ['payment-amount', 'payment-expired', 'payment-cancel'],
          });
          await page.getByTestId('payment-again').click();
          await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'showing');
          await devices.pay();
          await screen(page, 'service-current-pin');
          await check('renew-current-pin', 'service-current-pin', {
            primary: 'current-pin-submit',
            see: ['keypad', 'pin-dots', 'current-pin-forgot'],
          });
          await typeOnKeypad(page, WRONG_KEY_PIN);
          await page.getByTestId('current-pin-submit').click();
          await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'CURRENT_PIN_WRONG');
          await page.getByTestId('notice-ok').click();
          await expect(page.getByTestId('current-pin-warning')).toHaveText(t['service.currentPin.wrong']);
          await check('renew-current-pin-wrong', 'service-current-pin', {
            primary: 'current-pin-submit',
            see: ['keypad', 'pin-dots', 'current-pin-warning'],
          });
          await typeOnKeypad(page, RENEWAL_KEY_PIN);
          await page.getByTestId('current-pin-submit').click();
          await screen(page, 'service-wait');
          await expect(page.locator('[data-step="key-generated"]')).toHaveAttribute('data-state', 'running');
          await check('renew-progress', 'service-wait', { see: ['steps'] });
          await screen(page, 'service-result');
          await check('renew-result', 'service-result', {
            primary: 'finish',
            see: ['take-key', 'new-certificate', 'old-certificate', 'invoice-open'],
          });
          await devices.idCard(null);
          await finishService();

          // Look-up by the holder's card: a reissue awaiting payment at the kiosk (在此支付), its payment screen.
          await look();
          await page.getByTestId('tile-lookup').click();
          await screen(page, 'service-lookup');
          await devices.idCard(MATCHING_CARD);
          await screen(page, 'service-result');
          await check('service-lookup-pay-here', 'service-result', { primary: 'finish', see: ['order-pay'] });
          await page.getByTestId('order-pay').click();
          await screen(page, 'service-payment');
          await expect(page.getByTestId('payment-screen')).toHaveAttribute('data-phase', 'showing');
          await check('lookup-payment', 'service-payment', {
            see: ['payment-qr', 'payment-amount', 'payment-countdown', 'payment-back'],
          });
          await page.getByTestId('payment-back').click();
          await screen(page, 'service-result');
          await devices.idCard(null);
          await page.getByTestId('finish').click();

          // A service that cannot be done ends on the error screen (its PIN is no longer locked).
          await look();
          await page.getByTestId('tile-unlock').click();
          await devices.token('insert', 'holder');
          await screen(page, 'service-error');
          await check('service-error', 'service-error', { primary: 'end', see: ['error-what', 'error-ref'] });
          await page.getByTestId('end').click();
          await screen(page, 'attract');
          await devices.token('pull');

          expect(found, `${found.length} layout problem(s):\n${found.join('\n')}`).toEqual([]);
        });
      }
    }
  });
}
