// An interruptible sleep: loops wait for a timer or for someone to wake them (new work, stop()).
export class WakeSignal {
  private waiter: (() => void) | null = null;
  private woken = false;

  /** Resolves after `ms` or at the next wake(), whichever comes first. A wake() with no waiter is kept. */
  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.waiter === done) self.waiter = null;
        resolve();
      }
      this.waiter = done;
    });
  }

  wake(): void {
    if (this.waiter) this.waiter();
    else this.woken = true;
  }
}
