// Calls gathered and run as one: what many requests ask of the database at about the same moment (a nonce to
// claim, a heartbeat to keep) becomes one statement for all of them instead of one each, the way a database
// commits a group. Calls made while the event loop turns once go together (or within `gatherMs` of the first,
// as a database's commit delay); while `maxInFlight` batches are already running, new calls wait and the next
// batch takes all of them, so batches grow with the load and an idle central answers after one turn of the loop
// (or gatherMs). Each caller is answered only once its batch has finished
// (committed), with its own result, or with the batch's error.

export interface CallBatcherOptions {
  /** Items in one batch at most (a statement's parameters stay bounded). */
  maxBatch: number;
  /** Batches running at once at most. */
  maxInFlight: number;
  /**
   * How long a batch waits for more calls after its first (0, the default: one turn of the event loop). When
   * each statement is quicker than the gap between calls, batches otherwise hold one or two calls and the
   * database runs a statement per call; a few milliseconds' wait makes them several times larger.
   */
  gatherMs?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
  /** When the call was made (performance.now()). */
  since: number;
}

export class CallBatcher<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** The gatherMs wait of the next batch, while it runs. */
  private gathering: ReturnType<typeof setTimeout> | undefined;
  /** Batches run so far (tests and metrics). */
  batches = 0;

  /** `runBatch(items)` answers one result per item, in the items' order. */
  constructor(
    private readonly runBatch: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly opts: CallBatcherOptions,
  ) {}

  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject, since: performance.now() });
      if (this.gathering && this.waiting.length >= this.opts.maxBatch) {
        // A full batch does not wait out gatherMs.
        clearTimeout(this.gathering);
        this.gathering = undefined;
        this.scheduled = false;
      }
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.gathering = undefined;
      this.flush();
    };
    const oldest = this.waiting[0]?.since ?? performance.now();
    const wait = (this.opts.gatherMs ?? 0) - (performance.now() - oldest);
    if (wait > 0 && this.waiting.length < this.opts.maxBatch) this.gathering = setTimeout(run, wait);
    else setImmediate(run);
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
