// USB-key jobs within a time limit, for every engine. A PKCS#11 call cannot be cancelled: past the limit the
// caller stops waiting (TOKEN_NOT_RESPONDING) and the job is disowned — if its call ever returns, its next
// answer from the key, record or event throws instead of landing in a journey that moved on.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UsbKeyDriver } from '@certkiosk/firmware-bridge';
import { ApplianceError } from '../errors.js';
import type { KioskDevices } from './ports.js';

export class TokenJobs {
  /** The USB-key job a continuation belongs to; one given up on (timed out) may record nothing more. */
  private readonly current = new AsyncLocalStorage<number>();
  private live = 0;

  constructor(
    private readonly devices: KioskDevices,
    private readonly limitMs: number,
  ) {}

  /**
   * Run `fn` as one device job (no status polls or module rescans in between) within the limit. Past it,
   * TOKEN_NOT_RESPONDING is thrown to the caller and the job is disowned.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const run = ++this.live;
    const limit = this.limitMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (this.live === run) this.live++;
        reject(new ApplianceError('TOKEN_NOT_RESPONDING', `no answer from the USB key within ${limit} ms`));
      }, limit);
    });
    try {
      return await Promise.race([this.current.run(run, () => this.devices.tokenJob(fn)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The USB-key driver as a job sees it: a job given up on gets no answer from the key (it throws instead). */
  usbKey(): UsbKeyDriver {
    const driver = this.devices.usbKey();
    return new Proxy(driver, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.then((answer) => {
            this.assertLive();
            return answer;
          });
        };
      },
    });
  }

  /** Throws when called from a job that was given up on (it may record nothing more). */
  assertLive(): void {
    const run = this.current.getStore();
    if (run !== undefined && run !== this.live) {
      throw new ApplianceError('TOKEN_NOT_RESPONDING', 'a USB-key job that was given up on tried to record');
    }
  }
}
