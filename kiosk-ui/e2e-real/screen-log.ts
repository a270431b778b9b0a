// A log, kept in the page, of every screen the kiosk showed and of the step list while it worked: the real
// engine may pass the progress screen faster than a polling assertion could catch it.
import type { Page } from '@playwright/test';

interface ScreenLog {
  screens: string[];
  /** `step=state` pairs seen on the progress screen's step list. */
  progress: string[];
}

export async function recordScreens(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: ScreenLog = { screens: [], progress: [] };
    (window as unknown as { __screenLog: ScreenLog }).__screenLog = log;
    const note = () => {
      const screen = document.querySelector('.kiosk')?.getAttribute('data-screen');
      if (!screen) return;
      if (log.screens.at(-1) !== screen) log.screens.push(screen);
      if (screen !== 'progress') return;
      for (const li of document.querySelectorAll<HTMLElement>('[data-testid="steps"] [data-step]')) {
        const pair = `${li.dataset['step']}=${li.dataset['state']}`;
        if (!log.progress.includes(pair)) log.progress.push(pair);
      }
    };
    new MutationObserver(note).observe(document, { subtree: true, childList: true, attributes: true });
  });
}

export function screenLog(page: Page): Promise<ScreenLog> {
  return page.evaluate(() => (window as unknown as { __screenLog: ScreenLog }).__screenLog);
}
