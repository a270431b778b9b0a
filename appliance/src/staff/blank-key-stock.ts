// The blank-key stock staff keep in the kiosk: a count in a durable file (temp → fsync → rename), refilled by
// staff (audited by the API with the staff id) and lowered by one for each key written for a pickup or a
// replacement. A key is counted by its journey id, kept in the same write as the count: a journey resumed after
// a crash (or a status event seen twice) never counts its key again, and a kill -9 between the key's write and
// the count is caught up from the journey store on the next start (`countWritten`).
import { DurableJsonFile } from '@certkiosk/sync';
import { PICKUP_STEPS, type PickupStep } from '../api/contract.js';
import { ApplianceError } from '../errors.js';

/** The most a refill may add at once (a typo such as 2000 instead of 20 is refused, not stocked). */
export const BLANK_KEY_REFILL_MAX = 1000;
/** Below this many keys the screen and the heartbeat warn (config kiosk.blankKeysLowThreshold overrides it). */
export const DEFAULT_BLANK_KEYS_LOW_THRESHOLD = 20;
/** How many counted journey ids the file remembers (a journey older than these is long finished). */
const COUNTED_KEPT = 2000;

interface StockFile {
  count: number;
  /** Journey ids whose written key is counted, oldest first. */
  counted: string[];
  updatedAt: string;
  /** When the count last fell below the threshold (absent while it is not low): the heartbeat alarm's since. */
  lowSince?: string;
}

export interface BlankKeyStockView {
  count: number;
  lowThreshold: number;
  low: boolean;
  updatedAt: string;
}

/** A journey as far as the count needs it: its key is written from step certificate-written on. */
export interface WrittenKeyJourney {
  id: string;
  step: string;
}

const WRITTEN_FROM = PICKUP_STEPS.indexOf('certificate-written');
export const keyWritten = (j: WrittenKeyJourney): boolean =>
  PICKUP_STEPS.indexOf(j.step as PickupStep) >= WRITTEN_FROM;

/**
 * Every blank key taken from the tray so far, each under a stable id: a journey's written key (by the journey's
 * id) and each key spoiled by a failed write (by its serial: a journey that spoiled one key and wrote another
 * took two).
 */
export function keysTaken(state: {
  journeys: Record<string, WrittenKeyJourney>;
  spoiledKeys: readonly { serial: string }[];
}): WrittenKeyJourney[] {
  const spoiled = state.spoiledKeys.map((k) => ({ id: `spoiled:${k.serial}`, step: 'certificate-written' }));
  return [...Object.values(state.journeys), ...spoiled];
}

/** A refill's count: a whole number from 1 to BLANK_KEY_REFILL_MAX, else BLANK_KEY_COUNT_INVALID. */
export function checkRefillCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > BLANK_KEY_REFILL_MAX)
    throw new ApplianceError('BLANK_KEY_COUNT_INVALID', undefined, { max: BLANK_KEY_REFILL_MAX });
  return value;
}

export class BlankKeyStock {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: DurableJsonFile<StockFile>,
    private data: StockFile,
    readonly lowThreshold: number,
  ) {}

  /**
   * Open the stock file. On the very first start it is created with `seed` keys (0 on a real kiosk: staff record
   * what they load; the sim: its tray) and every journey already past the key's write counted, so history is
   * not subtracted again.
   */
  static async open(opts: {
    file: string;
    seed?: number;
    lowThreshold?: number;
    journeys?: () => Iterable<WrittenKeyJourney>;
  }): Promise<BlankKeyStock> {
    const file = new DurableJsonFile<StockFile>(opts.file);
    let data = await file.read();
    if (!data) {
      const counted = [...(opts.journeys?.() ?? [])].filter(keyWritten).map((j) => j.id);
      data = {
        count: opts.seed ?? 0,
        counted: counted.slice(-COUNTED_KEPT),
        updatedAt: new Date().toISOString(),
      };
      await file.write(data);
    }
    return new BlankKeyStock(file, data, opts.lowThreshold ?? DEFAULT_BLANK_KEYS_LOW_THRESHOLD);
  }

  /** The stock file. */
  get path(): string {
    return this.file.path;
  }

  count(): number {
    return this.data.count;
  }

  low(): boolean {
    return this.data.count < this.lowThreshold;
  }

  /** Since when the stock is low (kept across restarts), or null when it is not. */
  lowSince(): string | null {
    if (!this.low()) return null;
    return this.data.lowSince ?? this.data.updatedAt;
  }

  view(): BlankKeyStockView {
    return {
      count: this.data.count,
      lowThreshold: this.lowThreshold,
      low: this.low(),
      updatedAt: this.data.updatedAt,
    };
  }

  /** Staff loaded `added` keys (checked first: nothing changes on a bad count). Answers the new stock. */
  refill(added: unknown): Promise<BlankKeyStockView> {
    const n = checkRefillCount(added);
    return this.serial(async () => {
      await this.save({ ...this.data, count: this.data.count + n });
      return this.view();
    });
  }

  /** Count the written key of each journey given that is not counted yet; answers how many were counted now. */
  countWritten(journeys: Iterable<WrittenKeyJourney>): Promise<number> {
    const fresh = [...journeys].filter((j) => keyWritten(j) && !this.data.counted.includes(j.id));
    if (fresh.length === 0) return Promise.resolve(0);
    return this.serial(async () => {
      const ids = [...new Set(fresh.map((j) => j.id))].filter((id) => !this.data.counted.includes(id));
      if (ids.length === 0) return 0;
      await this.save({
        count: Math.max(0, this.data.count - ids.length),
        counted: [...this.data.counted, ...ids].slice(-COUNTED_KEPT),
        updatedAt: this.data.updatedAt,
      });
      return ids.length;
    });
  }

  private async save(next: StockFile): Promise<void> {
    const at = new Date().toISOString();
    const { lowSince: _was, ...rest } = next;
    const lowSince = next.count < this.lowThreshold ? (this.lowSince() ?? at) : undefined;
    const data: StockFile = { ...rest, updatedAt: at, ...(lowSince ? { lowSince } : {}) };
    await this.file.write(data);
    this.data = data;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
