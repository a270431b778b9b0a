// The serial seam: every serial device driver and emulator talks through this, never to serialport directly.
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { DeviceError } from '../errors.js';

export const SERIAL_ERRORS = {
  SERIAL_OPEN_FAILED: 'The serial port could not be opened.',
  SERIAL_WRITE_TIMEOUT: 'The device did not accept data in time.',
  SERIAL_CLOSED: 'The serial port is closed (device unplugged?).',
} as const;

export interface ByteTransport {
  /** Write all bytes; rejects with SERIAL_WRITE_TIMEOUT if the peer does not take them in time. */
  write(data: Uint8Array, timeoutMs?: number): Promise<void>;
  /** Subscribe to incoming bytes; returns an unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called once when the port closes for any reason (including the device vanishing). */
  onClose(listener: (err?: Error) => void): () => void;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

export interface SerialOptions {
  baudRate?: number;
}

export async function openSerial(path: string, opts: SerialOptions = {}): Promise<ByteTransport> {
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(
            new DeviceError(
              'SERIAL_OPEN_FAILED',
              `Cannot open ${path}: ${err.message}`,
              { path },
              { cause: err },
            ),
          )
        : resolve(),
    ),
  );
  return wrapSerialPort(port, path);
}

function wrapSerialPort(port: SerialPort, path: string): ByteTransport {
  // Without an error listener a vanished PTY peer would crash the process.
  port.on('error', () => {});
  // Keep the stream flowing even with no subscriber: a paused port never notices its peer vanishing.
  const listeners = new Set<(chunk: Buffer) => void>();
  port.on('data', (chunk: Buffer) => {
    for (const l of listeners) l(chunk);
  });
  // A device node that vanished (USB unplugged, PTY pair gone) is a closed port, even when the read side
  // has not noticed yet (it may not, on a busy machine, for a long time).
  const vanished = setInterval(() => {
    if (port.isOpen && !existsSync(path)) port.close(() => {});
  }, 250);
  vanished.unref();
  port.once('close', () => clearInterval(vanished));
  return {
    get isOpen() {
      return port.isOpen;
    },
    write(data, timeoutMs = 2000) {
      if (!port.isOpen) {
        return Promise.reject(new DeviceError('SERIAL_CLOSED', SERIAL_ERRORS.SERIAL_CLOSED, { path }));
      }
      return new Promise<void>((resolve, reject) => {
        // A write to a PTY whose peer vanished can hang forever: bound it.
        const timer = setTimeout(
          () =>
            reject(
              new DeviceError('SERIAL_WRITE_TIMEOUT', SERIAL_ERRORS.SERIAL_WRITE_TIMEOUT, {
                path,
                timeoutMs,
              }),
            ),
          timeoutMs,
        );
        port.write(Buffer.from(data), (err) => {
          if (err) {
            clearTimeout(timer);
            reject(
              new DeviceError(
                'SERIAL_CLOSED',
                `Write to ${path} failed: ${err.message}`,
                { path },
                { cause: err },
              ),
            );
            return;
          }
          port.drain((drainErr) => {
            clearTimeout(timer);
            if (drainErr)
              reject(
                new DeviceError('SERIAL_CLOSED', `Write to ${path} failed: ${drainErr.message}`, { path }),
              );
            else resolve();
          });
        });
      });
    },
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(listener) {
      const l = (err?: Error) => listener(err ?? undefined);
      port.once('close', l);
      return () => port.off('close', l);
    },
    close() {
      if (!port.isOpen) return Promise.resolve();
      return new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
