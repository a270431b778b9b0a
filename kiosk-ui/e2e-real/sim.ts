// The emulated devices of the real appliance, driven through its /sim routes. Unlike the fake's helper, a
// refusal quotes the appliance's answer: on the real daemon that text is the only clue to what went wrong.
import { type APIRequestContext, expect } from '@playwright/test';

export class Sim {
  constructor(private readonly request: APIRequestContext) {}

  async #post(path: string, data: unknown): Promise<unknown> {
    const res = await this.request.post(path, { data });
    expect(res.ok(), `${path} answered ${res.status()}: ${await res.text()}`).toBe(true);
    return res.json();
  }

  /** The scanner reads this text (followed by CR LF, as the scanner sends it). */
  scan(code: string) {
    return this.#post('/sim/scan', { code });
  }
  /** The scanner reads the QR code shown on the applicant's phone page. */
  scanPhonePage(phonePageUrl: string) {
    return this.#post('/sim/scan', { phonePageUrl });
  }
  /** Put a card fixture on the reader (null lifts it). */
  idCard(fixture: string | null) {
    return this.#post('/sim/id-card', { fixture });
  }
  token(action: 'insert' | 'pull') {
    return this.#post('/sim/token', { action });
  }
  /** Insert one of the demo's held keys: central's couriered key (王淑芬) or 张伟's key due for renewal. */
  heldKey(key: 'couriered' | 'renewal') {
    return this.#post('/sim/token', { action: 'insert', key });
  }
  /** Lock a held key's user PIN (as wrong PINs typed elsewhere would). */
  lockPin(key: 'couriered' | 'renewal') {
    return this.#post('/sim/token', { action: 'lock-pin', key });
  }
  printer(paper: 'ok' | 'near-end' | 'out', coverOpen = false) {
    return this.#post('/sim/printer', { paper, coverOpen });
  }
  async receiptCount(): Promise<number> {
    const res = await this.request.get('/sim/receipts');
    expect(res.ok(), `/sim/receipts answered ${res.status()}`).toBe(true);
    return ((await res.json()) as { count: number }).count;
  }
}
