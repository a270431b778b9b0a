// `certkiosk-devices emulate id-reader --port PATH [--card FIXTURE.json]`: an ID-card reader a person can
// try the driver against. PATH may be the device end of an existing PTY; if nothing exists at PATH, a socat
// PTY pair is made and PATH becomes the end the driver opens.
import { existsSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createPtyPair, type PtyPair } from '../transport/pty-pair.js';
import type { IdCard } from './card.js';
import { loadCardFixture } from './card-fixture.js';
import { IdCardReaderEmulator } from './emulator.js';
import { maskIdNumber } from './id-number.js';

export interface IdReaderEmulatorArgs {
  port: string;
  /** Card fixture JSON placed on the reader at start. */
  card?: string;
  baudRate?: number;
  /** Where progress lines go (default stderr). */
  log?: Writable;
  /** Typed commands: `remove`, `place`, `garbage`, `corrupt [N]`, `silent`, `answer` (default: stdin when a TTY). */
  input?: Readable;
  /** Stops the emulator like SIGINT does. */
  signal?: AbortSignal;
}

/** Runs until SIGINT/SIGTERM (or `signal`); rejects with a DeviceError when the port or fixture is bad. */
export async function runIdReaderEmulator(args: IdReaderEmulatorArgs): Promise<void> {
  const log = args.log ?? process.stderr;
  const say = (line: string) => log.write(`[id-reader] ${line}\n`);
  const card: IdCard | null = args.card ? await loadCardFixture(args.card) : null;

  let pair: PtyPair | undefined;
  let devicePath = args.port;
  if (!isCharacterDevice(args.port)) {
    removeDanglingLink(args.port);
    pair = await createPtyPair(args.port);
    devicePath = pair.devicePath;
    say(`made a PTY pair: point the driver at ${pair.hostPath}`);
    say(`  e.g. certkiosk-devices id-read --port ${pair.hostPath}`);
  }

  let emulator: IdCardReaderEmulator;
  try {
    emulator = await IdCardReaderEmulator.open(devicePath, {
      card,
      log: say,
      baudRate: args.baudRate ?? 115200,
    });
  } catch (err) {
    await pair?.close();
    throw err;
  }
  say(
    `answering on ${devicePath}; ${card ? `card on the reader: ${describeCard(card)}` : 'no card on the reader'}`,
  );

  const input = args.input ?? (process.stdin.isTTY ? process.stdin : undefined);
  const lines = input ? createInterface({ input, terminal: false }) : undefined;
  if (lines) {
    say('type: remove | place | garbage | corrupt [N] | silent | answer   (Ctrl-C to stop)');
    lines.on('line', (line) => control(emulator, line.trim(), card, say));
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      args.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (args.signal?.aborted) stop();
    else args.signal?.addEventListener('abort', stop, { once: true });
  });

  lines?.close();
  if (input === process.stdin) process.stdin.pause();
  await emulator.close();
  await pair?.close();
  say('stopped');
}

function control(
  emulator: IdCardReaderEmulator,
  line: string,
  card: IdCard | null,
  say: (l: string) => void,
) {
  const [command = '', arg] = line.split(/\s+/);
  switch (command) {
    case 'remove':
      emulator.placeCard(null);
      return;
    case 'place':
      if (card) emulator.placeCard(card);
      else say('no fixture was given (--card FILE), nothing to place');
      return;
    case 'garbage':
      emulator.garbageBeforeNext();
      say('next answer will be preceded by junk bytes');
      return;
    case 'corrupt': {
      const count = arg === undefined ? 1 : Number(arg);
      if (!Number.isInteger(count) || count < 1) {
        say('corrupt takes a whole number of answers, e.g. "corrupt 3"');
        return;
      }
      emulator.corruptNextChecksum(count);
      say(`the next ${count} answer(s) will carry a wrong checksum`);
      return;
    }
    case 'silent':
      emulator.stopAnswering(true);
      say('not answering any more (type "answer" to resume)');
      return;
    case 'answer':
      emulator.stopAnswering(false);
      say('answering again');
      return;
    case '':
      return;
    default:
      say(`unknown command "${command}"`);
  }
}

function isCharacterDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** A symlink left by an earlier socat whose PTY is gone would stop a new pair from being made. */
function removeDanglingLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink() && !existsSync(path)) unlinkSync(path);
  } catch {
    // Nothing there: fine.
  }
}

function describeCard(card: IdCard): string {
  return `${card.cardType}, ID ${maskIdNumber(card.idNumber)}`;
}
