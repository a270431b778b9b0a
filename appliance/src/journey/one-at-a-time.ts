// One writer of the appliance store at a time: the pickup engine and the service engine run their actions
// through one shared queue, in arrival order (an action that arrives mid-step waits for it). So no record is
// written half-changed by the other engine, and a failed write (which puts the store back to what is durable)
// never lands in the middle of the other's step.

export class OneAtATime {
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;

  /** An action is running (the machine is working: the autopilot and the idle wipe wait for it). */
  get busy(): boolean {
    return this.running;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.running = true;
      try {
        return await fn();
      } finally {
        this.running = false;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
