// Outbox events central refused: kept whole in one durable JSON file (`parked.json`), one record per event id,
// so they survive restarts and log pruning. Nothing here sends them again; staff retry or discard them.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Low } from 'lowdb';
import { EventSchema, type SyncEvent } from '../contract/schemas.js';
import { DurableJsonFile } from '../durable/durable-json-file.js';
import { registerContractFormats } from './contract-formats.js';

registerContractFormats();

const RefusalSchema = Type.Object({
  /** HTTP status central answered (4xx). */
  status: Type.Integer(),
  /** Central's error code. */
  code: Type.String(),
  message: Type.String(),
});
/** Why central refused an event. */
export type EventRefusal = Static<typeof RefusalSchema>;

const ParkedRecordSchema = Type.Object({
  event: EventSchema,
  refusal: RefusalSchema,
  parkedAt: Type.String(),
});
type ParkedRecord = Static<typeof ParkedRecordSchema>;
const ParkedFileSchema = Type.Object({ version: Type.Literal(1), parked: Type.Array(ParkedRecordSchema) });
type ParkedFile = Static<typeof ParkedFileSchema>;

/** A refused event as staff see it (the payload stays in the file). */
export interface ParkedEvent {
  /** The event id. */
  id: string;
  type: string;
  orderId?: string;
  occurredAt: string;
  refusal: EventRefusal;
  parkedAt: string;
}

function validate(v: unknown): ParkedFile {
  if (Value.Check(ParkedFileSchema, v)) return v;
  const first = Value.Errors(ParkedFileSchema, v).First();
  throw new Error(first ? `${first.path || '/'} ${first.message}` : 'not a parked-events file');
}

export class ParkedEvents {
  private readonly byId: Map<string, ParkedRecord>;

  private constructor(private readonly file: Low<ParkedFile>) {
    this.byId = new Map(file.data.parked.map((r) => [r.event.id, r]));
  }

  static async open(path: string): Promise<ParkedEvents> {
    const file = new Low<ParkedFile>(new DurableJsonFile(path, { validate }), { version: 1, parked: [] });
    await file.read();
    return new ParkedEvents(file);
  }

  get count(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  event(id: string): SyncEvent | undefined {
    return this.byId.get(id)?.event;
  }

  /** The events themselves, oldest parked first. */
  events(): SyncEvent[] {
    return [...this.byId.values()].map((r) => r.event);
  }

  /** Oldest parked first. */
  list(): ParkedEvent[] {
    return [...this.byId.values()].map(({ event: e, refusal, parkedAt }) => ({
      id: e.id,
      type: e.type,
      ...(e.orderId ? { orderId: e.orderId } : {}),
      occurredAt: e.occurredAt,
      refusal,
      parkedAt,
    }));
  }

  /** Park an event durably (a later refusal of the same id replaces the record). */
  async put(event: SyncEvent, refusal: EventRefusal, parkedAt: string): Promise<void> {
    const before = this.byId.get(event.id);
    this.byId.delete(event.id);
    this.byId.set(event.id, { event, refusal, parkedAt });
    await this.persist(() => {
      this.byId.delete(event.id);
      if (before) this.byId.set(event.id, before);
    });
  }

  /** Forget a parked event durably; false when none had this id. */
  async remove(id: string): Promise<boolean> {
    const before = this.byId.get(id);
    if (!before) return false;
    this.byId.delete(id);
    await this.persist(() => this.byId.set(id, before));
    return true;
  }

  /** Write the current set; on failure undo the in-memory change, so memory never claims what disk lacks. */
  private async persist(undo: () => void): Promise<void> {
    this.file.data = { version: 1, parked: [...this.byId.values()] };
    try {
      await this.file.write();
    } catch (e) {
      undo();
      this.file.data = { version: 1, parked: [...this.byId.values()] };
      throw e;
    }
  }
}
