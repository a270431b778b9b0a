// The tickets of kiosks' request sessions (contract/request-sessions.ts): central keeps no session state; a
// ticket carries the session (appliance, session key, the appliance key it was opened with, expiry) sealed with
// AES-256-GCM under the ticket key, <data>/session-ticket.key, which central processes sharing the data directory
// share. A ticket that does not open (forged, altered, sealed under another key) is no session at all.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadOrCreateDataKey } from './data-keys.js';

export const SESSION_TICKET_KEY_FILE = 'session-ticket.key';
const AAD = Buffer.from('certkiosk session ticket v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SessionOfTicket {
  applianceId: string;
  key: Buffer;
  /** Hex SHA-256 of the SPKI of the appliance key that signed the opening. */
  applianceKeySha256: string;
  expiresAtMs: number;
}

export function loadOrCreateSessionTicketKey(dataDir: string): Buffer {
  return loadOrCreateDataKey(dataDir, SESSION_TICKET_KEY_FILE);
}

export class SessionTickets {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key.subarray(0, 32);
  }

  seal(s: SessionOfTicket): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(AAD);
    const plain = JSON.stringify({
      a: s.applianceId,
      k: s.key.toString('base64'),
      f: s.applianceKeySha256,
      e: s.expiresAtMs,
    });
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The session a ticket carries, or null when it does not open under this key or is not a ticket. */
  open(ticket: string): SessionOfTicket | null {
    const raw = Buffer.from(ticket, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES)).setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      const v = JSON.parse(plain) as { a?: unknown; k?: unknown; f?: unknown; e?: unknown };
      if (
        typeof v.a !== 'string' ||
        typeof v.k !== 'string' ||
        typeof v.f !== 'string' ||
        typeof v.e !== 'number'
      )
        return null;
      return { applianceId: v.a, key: Buffer.from(v.k, 'base64'), applianceKeySha256: v.f, expiresAtMs: v.e };
    } catch {
      return null;
    }
  }
}
