// The appliance's durable state: a snapshot (lowdb JSON via the write-temp/fsync/rename adapter) plus an
// append-only journal of what changed since. Every `write()` appends only the changed journeys and fields,
// so its cost does not grow with the number of journeys ever run; the journal is folded into a new snapshot
// every `compactEvery` records, when finished journeys beyond the newest `keepFinished` and pickup nonces whose
// code has expired are dropped. A write that fails (disk full, read-only) puts `data` back to what is durable,
// so nothing advances in memory that is not on disk; the next write after the disk recovers works again.
// An open journey (active or in doubt) carries personal data: it is written sealed under its own key (see
// journey-keys.ts); once it is closed and purged it is written in clear and its key is destroyed, so every
// earlier sealed copy, in the journal or an old snapshot, can no longer be read. The after-sales service
// journeys (ApplianceState.services) are kept the same way, each under its own key.
import { join } from 'node:path';
import { AppendLog, DurableJsonFile } from '@certkiosk/sync';
import { Low } from 'lowdb';
import type { StateStore } from '../journey/ports.js';
import { type ApplianceState, emptyState, type JourneyRecord, type UsedNonce } from '../journey/record.js';
import { isOpenService, type ServiceRecord } from '../services/service-record.js';
import type { JourneyKeyring, Sealed } from './journey-keys.js';

/** A journey as written: in clear once closed (purged), sealed under its own key while open. */
type StoredJourney = JourneyRecord | { id: string; sealed: Sealed };

/** A service journey as written: the same rule. */
type StoredService = ServiceRecord | { id: string; sealed: Sealed };

type StoredState = Omit<ApplianceState, 'journeys' | 'services'> & {
  journeys: Record<string, StoredJourney>;
  /** Absent in a store written before the after-sales services. */
  services?: Record<string, StoredService>;
};

interface Snapshot {
  /** Journal records up to and including this sequence are folded into `state`. */
  seq: number;
  state: StoredState;
}

/** One journal record: the journeys and top-level fields that changed, nonces added and given back. */
interface Delta {
  journeys?: StoredJourney[];
  services?: StoredService[];
  nonces?: Record<string, UsedNonce>;
  releasedNonces?: string[];
  fields?: Partial<Omit<ApplianceState, 'journeys' | 'services' | 'usedPickupNonces'>>;
}

export interface JourneyStoreOptions {
  /** Per-journey keys: open journeys are written sealed, and a closed journey's key is destroyed. */
  keyring: JourneyKeyring;
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
  'activeServiceId',
  'issuanceCounter',
  'reprints',
  'spoiledKeys',
] as const;

const isOpen = (j: JourneyRecord) => j.status === 'active' || j.status === 'in-doubt';

export async function openJourneyStore(dir: string, opts: JourneyStoreOptions): Promise<JourneyStore> {
  const { keyring } = opts;
  const compactEvery = opts.compactEvery ?? 500;
  const keepFinished = opts.keepFinished ?? 50;
  const now = opts.now ?? (() => new Date());
  // The snapshot is a lowdb document on the durable adapter.
  const snapshotDb = new Low<Snapshot>(new DurableJsonFile<Snapshot>(join(dir, 'state.json')), {
    seq: 0,
    state: emptyState(),
  });
  await snapshotDb.read();
  const fresh = snapshotDb.data.seq === 0 && Object.keys(snapshotDb.data.state.journeys).length === 0;
  const snapshot = snapshotDb.data;
  const journal = await AppendLog.open<Delta>(join(dir, 'journal'));

  /** A stored journey as it is in memory; undefined for a sealed copy whose key was destroyed. */
  const unseal = (s: StoredJourney): JourneyRecord | undefined => {
    if (!('sealed' in s)) return s;
    const text = keyring.open(s.id, s.sealed);
    return text === undefined ? undefined : (JSON.parse(text) as JourneyRecord);
  };
  const seal = (j: JourneyRecord): StoredJourney =>
    isOpen(j) ? { id: j.id, sealed: keyring.seal(j.id, JSON.stringify(j)) } : j;
  const unsealService = (s: StoredService): ServiceRecord | undefined => {
    if (!('sealed' in s)) return s;
    const text = keyring.open(s.id, s.sealed);
    return text === undefined ? undefined : (JSON.parse(text) as ServiceRecord);
  };
  const sealService = (j: ServiceRecord): StoredService =>
    isOpenService(j) ? { id: j.id, sealed: keyring.seal(j.id, JSON.stringify(j)) } : j;

  const { journeys: storedJourneys, services: storedServices, ...fields } = snapshot.state;
  const data: ApplianceState = { ...emptyState(), ...fields, journeys: {}, services: {} };
  // A sealed copy whose key is gone was superseded by its clear (purged) record, later in the journal.
  const apply = (delta: Delta) => {
    for (const s of delta.journeys ?? []) {
      const j = unseal(s);
      if (j) data.journeys[j.id] = j;
      else delete data.journeys[s.id];
    }
    for (const s of delta.services ?? []) {
      const j = unsealService(s);
      if (j) data.services[j.id] = j;
      else delete data.services[s.id];
    }
    Object.assign(data.usedPickupNonces, delta.nonces ?? {});
    for (const nonce of delta.releasedNonces ?? []) delete data.usedPickupNonces[nonce];
    Object.assign(data, delta.fields ?? {});
  };
  apply({ journeys: Object.values(storedJourneys), services: Object.values(storedServices ?? {}) });
  for await (const entry of journal.readFrom(snapshot.seq + 1)) apply(entry.data);
  // Keys of journeys no longer open (closed before a crash could destroy the key, or dropped) go now.
  const shred = async () => {
    const stale = keyring.ids().filter((id) => {
      const j = data.journeys[id];
      const s = data.services[id];
      return !(j && isOpen(j)) && !(s && isOpenService(s));
    });
    await keyring.destroy(stale);
  };
  await shred();

  // What was last made durable (JSON per journey and per field), to find what changed and to put `data`
  // back when a write fails. Nonces are journalled as operations, so a write never walks them all.
  const written = new Map<string, string>();
  const remember = () => {
    written.clear();
    for (const [id, j] of Object.entries(data.journeys)) written.set(`j:${id}`, JSON.stringify(j));
    for (const [id, j] of Object.entries(data.services)) written.set(`s:${id}`, JSON.stringify(j));
    for (const f of FIELDS) written.set(`f:${f}`, JSON.stringify(data[f]));
  };
  remember();
  let addedNonces = new Map<string, UsedNonce>();
  let releasedNonces = new Set<string>();
  let sinceSnapshot = journal.lastSeq - snapshot.seq;

  /** Put `data` back to what is durable (after a failed write). */
  const restore = () => {
    for (const id of Object.keys(data.journeys)) if (!written.has(`j:${id}`)) delete data.journeys[id];
    for (const id of Object.keys(data.services)) if (!written.has(`s:${id}`)) delete data.services[id];
    for (const [key, json] of written) {
      if (key.startsWith('j:')) data.journeys[key.slice(2)] = JSON.parse(json) as JourneyRecord;
      if (key.startsWith('s:')) data.services[key.slice(2)] = JSON.parse(json) as ServiceRecord;
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
    const finishedServices = Object.values(data.services)
      .filter((j) => !isOpenService(j) && j.id !== data.activeServiceId)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    for (const j of finishedServices.slice(keepFinished)) delete data.services[j.id];
    data.reprints = data.reprints.filter((r) => r.state === 'queued');
    // A code past its expiry is refused offline anyway: its nonce and its ID-card tries need not be remembered.
    const t = now().toISOString();
    for (const [orderId, f] of Object.entries(data.idFailures))
      if (f.expiresAt < t) delete data.idFailures[orderId];
    for (const [nonce, used] of Object.entries(data.usedPickupNonces)) {
      if (used.expiresAt < t) delete data.usedPickupNonces[nonce];
    }
    const seq = journal.lastSeq;
    const journeys: Record<string, StoredJourney> = {};
    for (const j of Object.values(data.journeys)) journeys[j.id] = seal(j);
    const services: Record<string, StoredService> = {};
    for (const j of Object.values(data.services)) services[j.id] = sealService(j);
    snapshotDb.data = { seq, state: { ...data, journeys, services } };
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
      const services: ServiceRecord[] = [];
      for (const [id, j] of Object.entries(data.services)) {
        const s = JSON.stringify(j);
        if (written.get(`s:${id}`) !== s) {
          services.push(j);
          changed.set(`s:${id}`, s);
        }
      }
      if (journeys.length || services.length) {
        try {
          // Keys first, durably: a sealed record must never be on disk without its key.
          await keyring.ensure([
            ...journeys.filter(isOpen).map((j) => j.id),
            ...services.filter(isOpenService).map((j) => j.id),
          ]);
        } catch (err) {
          restore();
          throw err;
        }
        if (journeys.length) delta.journeys = journeys.map(seal);
        if (services.length) delta.services = services.map(sealService);
      }
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
      if (!delta.journeys && !delta.services && !delta.fields && !delta.nonces && !delta.releasedNonces)
        return;
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
      // A journey written closed (purged) no longer needs its key: every sealed copy becomes unreadable. If
      // this fails, the key goes at the next write or start; the clear record is already durable.
      await shred().catch(() => undefined);
      if (++sinceSnapshot >= compactEvery) {
        // A failed compaction loses nothing: the journal still holds every record.
        await compact().catch(() => undefined);
      }
    },
    compact,
    close: () => journal.close(),
  };
}
