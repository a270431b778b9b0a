// Per-journey data keys, for crypto-shredding. A journey's record carries personal data while it is open
// (names, ID-number HMACs, the certificate whose subject names the holder); the store writes it sealed with
// AES-256-GCM under that journey's own key. The keys live in one small file, rewritten whole (temp, fsync,
// rename), each wrapped under a key-encryption key that is derived on the appliance token and never written
// anywhere. Destroying a journey's key at purge makes every sealed copy of its record unreadable, in whatever
// append-only segment or snapshot it still lies; the disk alone (without the token) opens none of them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DurableJsonFile } from '@certkiosk/sync';
import { Low } from 'lowdb';

/** A record sealed under its journey's key. */
export interface Sealed {
  /** base64: 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag. */
  box: string;
}

interface KeyFile {
  version: 1;
  /** Journey id → its data key, wrapped under the key-encryption key (base64 IV ‖ ciphertext ‖ tag). */
  keys: Record<string, string>;
}

export interface JourneyKeyring {
  /** Make sure `journeyId` has a key, durably, before anything is sealed under it. */
  ensure(journeyIds: readonly string[]): Promise<void>;
  has(journeyId: string): boolean;
  ids(): string[];
  seal(journeyId: string, plaintext: string): Sealed;
  /** The plaintext, or undefined when the journey's key was destroyed. */
  open(journeyId: string, sealed: Sealed): string | undefined;
  /** Destroy the keys, durably: what was sealed under them can no longer be read. */
  destroy(journeyIds: readonly string[]): Promise<void>;
}

const IV = 12;
const TAG = 16;

function encrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
}

function decrypt(key: Buffer, box: string, aad: string): Buffer {
  const raw = Buffer.from(box, 'base64');
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(raw.subarray(raw.length - TAG));
  return Buffer.concat([d.update(raw.subarray(IV, raw.length - TAG)), d.final()]);
}

export class KeyringError extends Error {}

/**
 * Open the keyring in `dir` with the key-encryption key `kek` (32 bytes, derived on the appliance token). A
 * key that does not unwrap under `kek` (another token, a tampered file) stops the start with a clear error.
 */
export async function openJourneyKeyring(dir: string, kek: Buffer): Promise<JourneyKeyring> {
  if (kek.length !== 32) throw new KeyringError('The journal key-encryption key must be 32 bytes.');
  const db = new Low<KeyFile>(new DurableJsonFile<KeyFile>(join(dir, 'journey-keys.json')), {
    version: 1,
    keys: {},
  });
  await db.read();
  const keys = new Map<string, Buffer>();
  for (const [id, wrapped] of Object.entries(db.data.keys)) {
    try {
      keys.set(id, decrypt(kek, wrapped, `journey-key:${id}`));
    } catch {
      throw new KeyringError(
        `The journey keys in ${dir} do not open with this kiosk's appliance token (another token, or the file was altered).`,
      );
    }
  }
  const save = async (next: Record<string, string>) => {
    const before = db.data.keys;
    db.data.keys = next;
    try {
      await db.write();
    } catch (err) {
      db.data.keys = before;
      throw err;
    }
  };

  return {
    async ensure(journeyIds) {
      const missing = journeyIds.filter((id) => !keys.has(id));
      if (!missing.length) return;
      const next = { ...db.data.keys };
      const made = new Map<string, Buffer>();
      for (const id of missing) {
        const key = randomBytes(32);
        made.set(id, key);
        next[id] = encrypt(kek, key, `journey-key:${id}`);
      }
      await save(next);
      for (const [id, key] of made) keys.set(id, key);
    },
    has: (id) => keys.has(id),
    ids: () => [...keys.keys()],
    seal(journeyId, plaintext) {
      const key = keys.get(journeyId);
      if (!key) throw new KeyringError(`No key for journey ${journeyId}: ensure() it first.`);
      return { box: encrypt(key, Buffer.from(plaintext, 'utf8'), `journey:${journeyId}`) };
    },
    open(journeyId, sealed) {
      const key = keys.get(journeyId);
      if (!key) return undefined;
      return decrypt(key, sealed.box, `journey:${journeyId}`).toString('utf8');
    },
    async destroy(journeyIds) {
      const gone = journeyIds.filter((id) => keys.has(id));
      if (!gone.length) return;
      const next = { ...db.data.keys };
      for (const id of gone) delete next[id];
      await save(next);
      for (const id of gone) {
        keys.get(id)?.fill(0);
        keys.delete(id);
      }
    },
  };
}
