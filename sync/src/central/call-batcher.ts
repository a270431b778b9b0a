// Calls gathered and run as one: what many requests ask of the database at about the same moment (a nonce to
// claim, a heartbeat to keep) becomes one statement for all of them instead of one each, the way a database
// commits a group. Calls made while the event loop turns once go together; while `maxInFlight` batches are
// already running, new calls wait and the next batch takes all of them, so batches grow with the load and an
// idle central answers after one turn of the loop. Each caller is answered only once its batch has finished
// (committed), with its own result, or with the batch's error.

export interface CallBatcherOptions {
  /** Items in one batch at most (a statement's parameters stay bounded). */
  maxBatch: number;
  /** Batches running at once at most. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export class CallBatcher<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** Batches run so far (tests and metrics). */
  batches = 0;

  /** `runBatch(items)` answers one result per item, in the items' order. */
  constructor(
    private readonly runBatch: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly opts: CallBatcherOptions,
  ) {}

  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.inFlight < this.opts.maxInFlight) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.inFlight += 1;
      this.batches += 1;
      void this.runOne(batch);
    }
  }

  private async runOne(batch: Array<Waiting<I, O>>): Promise<void> {
    let out: readonly O[] = [];
    let failure: { err: unknown } | null = null;
    try {
      out = await this.runBatch(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${out.length}`);
    } catch (err) {
      failure = { err };
    }
    // The next batch is on its way before these callers go on.
    this.inFlight -= 1;
    if (this.waiting.length > 0) this.schedule();
    batch.forEach((w, i) => {
      if (failure) w.reject(failure.err);
      else w.resolve(out[i] as O);
    });
  }
}
