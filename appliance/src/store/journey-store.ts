// The appliance's durable state: a snapshot (lowdb JSON via the write-temp/fsync/rename adapter) plus an
// append-only journal of what changed since. Every `write()` appends only the changed journeys and fields,
// so its cost does not grow with the number of journeys ever run; the journal is folded into a new snapshot
// every `compactEvery` records, when finished journeys beyond the newest `keepFinished` are dropped.
import { join } from 'node:path';
import { AppendLog, DurableJsonFile } from '@certkiosk/sync';
import { Low } from 'lowdb';
import type { StateStore } from '../journey/ports.js';
import { type ApplianceState, emptyState, type JourneyRecord } from '../journey/record.js';

interface Snapshot {
  /** Journal records up to and including this sequence are folded into `state`. */
  seq: number;
  state: ApplianceState;
}

/** One journal record: the journeys and top-level fields that changed, and nonces added. */
interface Delta {
  journeys?: JourneyRecord[];
  nonces?: Record<string, string>;
  fields?: Partial<Omit<ApplianceState, 'journeys' | 'usedPickupNonces'>>;
}

export interface JourneyStoreOptions {
  compactEvery?: number;
  keepFinished?: number;
}

export interface JourneyStore extends StateStore {
  close(): Promise<void>;
  /** Fold the journal into a new snapshot now. */
  compact(): Promise<void>;
}

const FIELDS = ['version', 'activeJourneyId', 'issuanceCounter', 'reprints', 'idSalt'] as const;

export async function openJourneyStore(
  dir: string,
  salt: string,
  opts: JourneyStoreOptions = {},
): Promise<JourneyStore> {
  const compactEvery = opts.compactEvery ?? 500;
  const keepFinished = opts.keepFinished ?? 50;
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
  for await (const entry of journal.readFrom(snapshot.seq + 1)) apply(data, entry.data);

  // What was last made durable, to find what changed.
  const written = new Map<string, string>();
  const remember = () => {
    written.clear();
    for (const [id, j] of Object.entries(data.journeys)) written.set(`j:${id}`, JSON.stringify(j));
    for (const f of FIELDS) written.set(`f:${f}`, JSON.stringify(data[f]));
    written.set('nonces', String(Object.keys(data.usedPickupNonces).length));
  };
  remember();
  let knownNonces = new Set(Object.keys(data.usedPickupNonces));
  let sinceSnapshot = journal.lastSeq - snapshot.seq;

  const compact = async () => {
    const finished = Object.values(data.journeys)
      .filter((j) => j.status !== 'active' && j.status !== 'in-doubt' && j.id !== data.activeJourneyId)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    for (const j of finished.slice(keepFinished)) delete data.journeys[j.id];
    data.reprints = data.reprints.filter((r) => r.state === 'queued');
    const seq = journal.lastSeq;
    snapshotDb.data = { seq, state: data };
    await snapshotDb.write();
    await journal.pruneBefore(seq + 1);
    sinceSnapshot = 0;
    remember();
    knownNonces = new Set(Object.keys(data.usedPickupNonces));
  };

  // A new store gets its snapshot at once, so fields set at creation (the salt) are durable.
  if (fresh && journal.lastSeq === 0) await compact();

  return {
    get data() {
      return data;
    },
    async write() {
      const delta: Delta = {};
      const journeys: JourneyRecord[] = [];
      for (const [id, j] of Object.entries(data.journeys)) {
        const s = JSON.stringify(j);
        if (written.get(`j:${id}`) !== s) {
          journeys.push(j);
          written.set(`j:${id}`, s);
        }
      }
      if (journeys.length) delta.journeys = journeys;
      const fields: Record<string, unknown> = {};
      for (const f of FIELDS) {
        const s = JSON.stringify(data[f]);
        if (written.get(`f:${f}`) !== s) {
          fields[f] = data[f];
          written.set(`f:${f}`, s);
        }
      }
      if (Object.keys(fields).length) delta.fields = fields as Delta['fields'];
      const nonces: Record<string, string> = {};
      for (const [nonce, id] of Object.entries(data.usedPickupNonces)) {
        if (!knownNonces.has(nonce)) {
          nonces[nonce] = id;
          knownNonces.add(nonce);
        }
      }
      if (Object.keys(nonces).length) delta.nonces = nonces;
      if (!delta.journeys && !delta.fields && !delta.nonces) return;
      await journal.append(delta);
      if (++sinceSnapshot >= compactEvery) await compact();
    },
    compact,
    close: () => journal.close(),
  };
}

function apply(state: ApplianceState, delta: Delta): void {
  for (const j of delta.journeys ?? []) state.journeys[j.id] = j;
  Object.assign(state.usedPickupNonces, delta.nonces ?? {});
  Object.assign(state, delta.fields ?? {});
}
