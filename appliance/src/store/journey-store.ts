// The appliance's durable state: a snapshot (lowdb JSON via the write-temp/fsync/rename adapter) plus an
// append-only journal of what changed since. Every `write()` appends only the changed journeys and fields,
// so its cost does not grow with the number of journeys ever run; the journal is folded into a new snapshot
// every `compactEvery` records, when finished journeys beyond the newest `keepFinished` and pickup nonces whose
// code has expired are dropped. A write that fails (disk full, read-only) puts `data` back to what is durable,
// so nothing advances in memory that is not on disk; the next write after the disk recovers works again.
import { join } from 'node:path';
import { AppendLog, DurableJsonFile } from '@certkiosk/sync';
import { Low } from 'lowdb';
import type { StateStore } from '../journey/ports.js';
import { type ApplianceState, emptyState, type JourneyRecord, type UsedNonce } from '../journey/record.js';

interface Snapshot {
  /** Journal records up to and including this sequence are folded into `state`. */
  seq: number;
  state: ApplianceState;
}

/** One journal record: the journeys and top-level fields that changed, nonces added and given back. */
interface Delta {
  journeys?: JourneyRecord[];
  nonces?: Record<string, UsedNonce>;
  releasedNonces?: string[];
  fields?: Partial<Omit<ApplianceState, 'journeys' | 'usedPickupNonces'>>;
}

export interface JourneyStoreOptions {
  compactEvery?: number;
  keepFinished?: number;
  now?: () => Date;
}

export interface JourneyStore extends StateStore {
  close(): Promise<void>;
  /** Fold the journal into a new snapshot now. */
  compact(): Promise<void>;
}

const FIELDS = [
  'version',
  'activeJourneyId',
  'issuanceCounter',
  'reprints',
  'idSalt',
  'spoiledKeys',
] as const;

export async function openJourneyStore(
  dir: string,
  salt: string,
  opts: JourneyStoreOptions = {},
): Promise<JourneyStore> {
  const compactEvery = opts.compactEvery ?? 500;
  const keepFinished = opts.keepFinished ?? 50;
  const now = opts.now ?? (() => new Date());
  // The snapshot is a lowdb document on the durable adapter.
  const snapshotDb = new Low<Snapshot>(new DurableJsonFile<Snapshot>(join(dir, 'state.json')), {
    seq: 0,
    state: emptyState(salt),
  });
  await snapshotDb.read();
  const fresh = snapshotDb.data.seq === 0 && Object.keys(snapshotDb.data.state.journeys).length === 0;
  const snapshot = snapshotDb.data;
  const journal = await AppendLog.open<Delta>(join(dir, 'journal'));
  const data = snapshot.state;
  data.spoiledKeys ??= [];
  for await (const entry of journal.readFrom(snapshot.seq + 1)) apply(data, entry.data);

  // What was last made durable (JSON per journey and per field), to find what changed and to put `data`
  // back when a write fails. Nonces are journalled as operations, so a write never walks them all.
  const written = new Map<string, string>();
  const remember = () => {
    written.clear();
    for (const [id, j] of Object.entries(data.journeys)) written.set(`j:${id}`, JSON.stringify(j));
    for (const f of FIELDS) written.set(`f:${f}`, JSON.stringify(data[f]));
  };
  remember();
  let addedNonces = new Map<string, UsedNonce>();
  let releasedNonces = new Set<string>();
  let sinceSnapshot = journal.lastSeq - snapshot.seq;

  /** Put `data` back to what is durable (after a failed write). */
  const restore = () => {
    for (const id of Object.keys(data.journeys)) if (!written.has(`j:${id}`)) delete data.journeys[id];
    for (const [key, json] of written) {
      if (key.startsWith('j:')) data.journeys[key.slice(2)] = JSON.parse(json) as JourneyRecord;
    }
    const fields = data as unknown as Record<string, unknown>;
    for (const f of FIELDS) fields[f] = JSON.parse(written.get(`f:${f}`) ?? 'null');
    for (const nonce of addedNonces.keys()) delete data.usedPickupNonces[nonce];
    addedNonces = new Map();
    releasedNonces = new Set();
  };

  const compact = async () => {
    const finished = Object.values(data.journeys)
      .filter((j) => j.status !== 'active' && j.status !== 'in-doubt' && j.id !== data.activeJourneyId)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    for (const j of finished.slice(keepFinished)) delete data.journeys[j.id];
    data.reprints = data.reprints.filter((r) => r.state === 'queued');
    // A code past its expiry is refused offline anyway: its nonce need not be remembered.
    const t = now().toISOString();
    for (const [nonce, used] of Object.entries(data.usedPickupNonces)) {
      if (used.expiresAt < t) delete data.usedPickupNonces[nonce];
    }
    const seq = journal.lastSeq;
    snapshotDb.data = { seq, state: data };
    await snapshotDb.write();
    await journal.pruneBefore(seq + 1);
    sinceSnapshot = 0;
    remember();
    addedNonces = new Map();
    releasedNonces = new Set();
  };

  // A new store gets its snapshot at once, so fields set at creation (the salt) are durable.
  if (fresh && journal.lastSeq === 0) await compact();

  return {
    get data() {
      return data;
    },
    useNonce(nonce, used) {
      data.usedPickupNonces[nonce] = used;
      releasedNonces.delete(nonce);
      addedNonces.set(nonce, used);
    },
    releaseNonce(nonce) {
      delete data.usedPickupNonces[nonce];
      addedNonces.delete(nonce);
      releasedNonces.add(nonce);
    },
    async write() {
      const delta: Delta = {};
      const changed = new Map<string, string>();
      const journeys: JourneyRecord[] = [];
      for (const [id, j] of Object.entries(data.journeys)) {
        const s = JSON.stringify(j);
        if (written.get(`j:${id}`) !== s) {
          journeys.push(j);
          changed.set(`j:${id}`, s);
        }
      }
      if (journeys.length) delta.journeys = journeys;
      const fields: Record<string, unknown> = {};
      for (const f of FIELDS) {
        const s = JSON.stringify(data[f]);
        if (written.get(`f:${f}`) !== s) {
          fields[f] = data[f];
          changed.set(`f:${f}`, s);
        }
      }
      if (Object.keys(fields).length) delta.fields = fields as Delta['fields'];
      if (addedNonces.size) delta.nonces = Object.fromEntries(addedNonces);
      if (releasedNonces.size) delta.releasedNonces = [...releasedNonces];
      if (!delta.journeys && !delta.fields && !delta.nonces && !delta.releasedNonces) return;
      try {
        await journal.append(delta);
      } catch (err) {
        restore();
        throw err;
      }
      // Durable now: remember it as written.
      for (const [k, v] of changed) written.set(k, v);
      addedNonces = new Map();
      releasedNonces = new Set();
      if (++sinceSnapshot >= compactEvery) {
        // A failed compaction loses nothing: the journal still holds every record.
        await compact().catch(() => undefined);
      }
    },
    compact,
    close: () => journal.close(),
  };
}

function apply(state: ApplianceState, delta: Delta): void {
  for (const j of delta.journeys ?? []) state.journeys[j.id] = j;
  Object.assign(state.usedPickupNonces, delta.nonces ?? {});
  for (const nonce of delta.releasedNonces ?? []) delete state.usedPickupNonces[nonce];
  Object.assign(state, delta.fields ?? {});
}
