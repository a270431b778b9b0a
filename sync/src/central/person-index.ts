// The look-up by ID card: a keyed HMAC index of the people of every order, so central finds a person's orders
// without scanning every order's details. The key is central's alone (<data>/person-index.key, 32 random bytes,
// 0600): an ID number has too few unknown digits for any key held by a kiosk to protect it, so the kiosk sends
// the card's ID number and name inside its signed request and keeps nothing; central computes the index entry.
// A new key (the file replaced) rebuilds the index at start.
import { createHash, createHmac } from 'node:crypto';
import {
  hexEqual,
  IDENTITY_ROLE_FIELDS,
  normaliseIdNumber,
  normalisePersonName,
} from '../contract/identity.js';
import type { IdCard, IdentityRole, Person } from '../contract/schemas.js';
import { IDENTITY_ROLES } from '../contract/schemas.js';
import { loadOrCreateDataKey } from './data-keys.js';
import { lockSubject } from './sql.js';
import type { Db } from './store.js';

export const PERSON_INDEX_KEY_FILE = 'person-index.key';

/** `<dataDir>/person-index.key`, created (0600) on first start; a fresh key for an in-memory store. */
export function loadOrCreatePersonIndexKey(dataDir: string): Buffer {
  return loadOrCreateDataKey(dataDir, PERSON_INDEX_KEY_FILE);
}

type People = Partial<Record<'holder' | 'legalRepresentative' | 'handler', Person>>;

export class PersonIndex {
  private readonly keyId: string;

  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
  ) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  private hmac(kind: 'id' | 'name', value: string): string {
    return createHmac('sha256', this.key).update(`${kind}\n${value}`, 'utf8').digest('hex');
  }

  /** Index every order not indexed under the current key (all of them after a key change). */
  async ensure(peopleOf: (orderId: string) => Promise<People>): Promise<void> {
    const state = (await this.db.get('SELECT key_id FROM person_index_state WHERE id = 1')) as {
      key_id: string | null;
    };
    await this.db.transaction(async () => {
      await lockSubject(this.db, 'person-index');
      if (state.key_id !== this.keyId) {
        await this.db.run('DELETE FROM person_index');
        await this.db.run('UPDATE person_index_state SET key_id = ? WHERE id = 1', this.keyId);
      }
      const missing = (await this.db.all(
        'SELECT id FROM orders WHERE id NOT IN (SELECT DISTINCT order_id FROM person_index)',
      )) as Array<{ id: string }>;
      for (const { id } of missing) await this.index(id, await peopleOf(id));
    });
  }

  /** Index (or re-index) the people of an order. */
  async index(orderId: string, people: People): Promise<void> {
    await this.db.run('DELETE FROM person_index WHERE order_id = ?', orderId);
    for (const role of IDENTITY_ROLES) {
      const p = people[IDENTITY_ROLE_FIELDS[role]];
      if (!p) continue;
      await this.db.run(
        'INSERT INTO person_index (order_id, role, id_hmac, name_hmac) VALUES (?, ?, ?, ?)',
        orderId,
        role,
        this.hmac('id', normaliseIdNumber(p.idNumber)),
        this.hmac('name', normalisePersonName(p.name)),
      );
    }
  }

  /** The orders (and roles on them) whose person has both this card's ID number and name. */
  async find(card: IdCard): Promise<Array<{ orderId: string; role: IdentityRole }>> {
    const rows = (await this.db.all(
      'SELECT order_id, role, name_hmac FROM person_index WHERE id_hmac = ? ORDER BY order_id, role',
      this.hmac('id', normaliseIdNumber(card.idNumber)),
    )) as Array<{
      order_id: string;
      role: IdentityRole;
      name_hmac: string;
    }>;
    const name = this.hmac('name', normalisePersonName(card.name));
    return rows
      .filter((r) => hexEqual(r.name_hmac, name))
      .map((r) => ({ orderId: r.order_id, role: r.role }));
  }
}
