// The ID-card reader under supervision: one IdCardReaderDriver, reopened after the reader comes back;
// idle checks are the security module's status command (its self-check).
import { isDeviceError } from '../errors.js';
import { IdCardReaderDriver } from '../id-reader/driver.js';
import type { DeviceLink, LinkEvents, LinkFailure } from './device-link.js';
import type { DeviceReading } from './device-status.js';

/** Damaged or misplaced frames: worth one more try before the reader is called faulty. */
const LINE_NOISE = new Set(['ID_READER_CHECKSUM', 'ID_READER_BAD_LENGTH', 'ID_READER_UNEXPECTED_RESPONSE']);

export interface IdReaderConnection {
  port: string;
  baudRate?: number;
}

export class IdReaderLink implements DeviceLink<IdCardReaderDriver> {
  readonly kind = 'idReader' as const;
  readonly portPath: string;
  readonly usbIds = null;
  private reader: IdCardReaderDriver | null = null;
  private connected = false;
  private events: LinkEvents | null = null;

  constructor(
    private readonly connection: IdReaderConnection,
    private readonly timeoutMs: number,
  ) {
    this.portPath = connection.port;
  }

  get driver(): IdCardReaderDriver | null {
    return this.connected ? this.reader : null;
  }

  async connect(events: LinkEvents): Promise<void> {
    this.events = events;
    if (this.reader) await this.reader.reopen();
    else {
      this.reader = await IdCardReaderDriver.open(this.connection.port, {
        baudRate: this.connection.baudRate,
        timeoutMs: this.timeoutMs,
      });
      // Registered once: the driver keeps its close listeners across reopen().
      this.reader.onClose(() => this.events?.lost());
    }
    this.connected = true;
  }

  async probe(): Promise<DeviceReading> {
    const reader = this.reader!;
    try {
      await reader.status();
    } catch (err) {
      if (!isDeviceError(err) || !LINE_NOISE.has(err.code)) throw err;
      await reader.status();
    }
    return { state: 'online', detail: null };
  }

  classify(err: unknown, phase: 'connect' | 'probe'): LinkFailure {
    if (phase === 'connect') return { state: 'offline', detail: 'open-failed', keepConnection: false };
    if (!isDeviceError(err) || err.code === 'ID_READER_CLOSED') {
      return { state: 'offline', detail: 'disconnected', keepConnection: false };
    }
    if (err.code === 'ID_READER_TIMEOUT') {
      return { state: 'offline', detail: 'not-responding', keepConnection: true };
    }
    if (LINE_NOISE.has(err.code))
      return { state: 'hardware-error', detail: 'bad-frames', keepConnection: true };
    if (err.code === 'ID_READER_SELF_TEST_FAILED') {
      return { state: 'hardware-error', detail: 'self-check-failed', keepConnection: true };
    }
    return { state: 'hardware-error', detail: 'module-error', keepConnection: true };
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    await this.reader?.close();
  }

  async close(): Promise<void> {
    await this.disconnect();
  }
}
