// A resident-ID-card reader from the device's side: decodes command frames and answers like a real security
// module, with a card that can be placed and removed and faults that can be injected. Not a mock of the
// driver: it only sees bytes.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceError } from '../errors.js';
import { type ByteTransport, openSerial } from '../transport/serial.js';
import { encodeCardText, type IdCard } from './card.js';
import { COMMANDS, type CommandName, commandByCode, STATUS_ERRORS, SW3 } from './commands.js';
import { encodeResponse, FrameDecoder } from './frame.js';
import { maskIdNumber } from './id-number.js';
import { encodeReadData } from './read-data.js';

export interface IdCardReaderEmulatorOptions {
  card?: IdCard | null;
  /** 16 bytes the module reports as its id. */
  moduleId?: Uint8Array;
  /** One line per command handled, for people watching the emulator. Never receives ID numbers unmasked. */
  log?: (line: string) => void;
  writeTimeoutMs?: number;
}

/** What the emulator saw and answered, for tests. */
export interface EmulatorExchange {
  command: CommandName | 'unknown' | 'bad-frame';
  /** undefined when the emulator stayed silent. */
  sw3: number | undefined;
}

const DEFAULT_MODULE_ID = Uint8Array.from([
  0x05, 0x00, 0x01, 0x00, 0x71, 0xb1, 0x32, 0x01, 0x4e, 0x61, 0xbc, 0x00, 0xd2, 0x02, 0x96, 0x49,
]);
const DEFAULT_GARBAGE = Uint8Array.from([0x00, 0xff, 0xaa, 0xaa, 0x13, 0x96, 0x69, 0xaa, 0xaa, 0xaa]);

export class IdCardReaderEmulator {
  private readonly decoder = new FrameDecoder('command');
  private readonly moduleIdBytes: Uint8Array;
  private readonly log: (line: string) => void;
  private readonly writeTimeoutMs: number;
  private readonly detachData: () => void;
  private current: IdCard | null;
  private found = false;
  private selected = false;
  private sending: Promise<void> = Promise.resolve();
  // Fault injection state.
  private removeAfter: 'find' | 'select' | undefined;
  private corruptCount = 0;
  private garbageNext: Uint8Array | undefined;
  private chunking: { chunkSize: number; delayMs: number } | undefined;
  private silent = false;
  private delayNext = 0;
  private forced = new Map<CommandName, number>();
  /** Every command seen, in order. */
  readonly exchanges: EmulatorExchange[] = [];

  constructor(
    private readonly transport: ByteTransport,
    opts: IdCardReaderEmulatorOptions = {},
  ) {
    this.current = opts.card ?? null;
    this.moduleIdBytes = opts.moduleId ?? DEFAULT_MODULE_ID;
    this.log = opts.log ?? (() => {});
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 2000;
    this.detachData = transport.onData((chunk) => this.onBytes(chunk));
  }

  /** Open the device side of a PTY (e.g. the `.device` end of a socat pair). */
  static async open(
    devicePath: string,
    opts: IdCardReaderEmulatorOptions & { baudRate?: number } = {},
  ): Promise<IdCardReaderEmulator> {
    const transport = await openSerial(devicePath, { baudRate: opts.baudRate ?? 115200 });
    return new IdCardReaderEmulator(transport, opts);
  }

  get card(): IdCard | null {
    return this.current;
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** Put a card on the reader (or take it off with null). */
  placeCard(card: IdCard | null): void {
    this.current = card;
    this.found = false;
    this.selected = false;
    this.log(card ? `card placed: ${describe(card)}` : 'card removed');
  }

  /** One shot: take the card away right after answering this step (plays "card lifted mid-read"). */
  removeCardAfter(step: 'find' | 'select'): void {
    this.removeAfter = step;
  }

  /** The next `count` answers carry a wrong checksum. */
  corruptNextChecksum(count = 1): void {
    this.corruptCount = count;
  }

  /** One shot: send these junk bytes just before the next answer. */
  garbageBeforeNext(bytes: Uint8Array = DEFAULT_GARBAGE): void {
    this.garbageNext = bytes;
  }

  /** Send every answer in pieces of `chunkSize` bytes with `delayMs` between them; null = whole frames. */
  splitResponses(opts: { chunkSize: number; delayMs: number } | null): void {
    this.chunking = opts ?? undefined;
  }

  /** One shot: hold the next answer back this long (it arrives late, after the host gave up on it). */
  delayNextAnswer(ms: number): void {
    this.delayNext = ms;
  }

  /** Stop answering altogether (a hung module), or resume. */
  stopAnswering(stopped = true): void {
    this.silent = stopped;
  }

  /** One shot: answer the next `command` with this status byte (e.g. 0x60 self-check failed). */
  failNext(command: CommandName, sw3: number): void {
    this.forced.set(command, sw3);
  }

  /** Resolves when every queued answer has been written. */
  flush(): Promise<void> {
    return this.sending;
  }

  async close(): Promise<void> {
    this.detachData();
    await this.sending;
    await this.transport.close();
  }

  private onBytes(chunk: Uint8Array): void {
    for (const item of this.decoder.push(chunk)) {
      if (item instanceof DeviceError) {
        const sw3 = item.code === 'ID_READER_CHECKSUM' ? SW3.COMMAND_CHECKSUM : SW3.COMMAND_LENGTH;
        this.answer('bad-frame', sw3);
        continue;
      }
      const name = commandByCode(item.cmd, item.para);
      if (!name) {
        this.answer('unknown', SW3.UNKNOWN_COMMAND);
        continue;
      }
      try {
        this.handle(name);
      } catch (err) {
        // A card that cannot be encoded (field too long) reads like a damaged card.
        this.log(`cannot answer ${COMMANDS[name].label}: ${(err as Error).message}`);
        this.answer(name, SW3.READ_FAILED);
      }
    }
  }

  private handle(command: CommandName): void {
    const forced = this.forced.get(command);
    if (forced !== undefined) {
      this.forced.delete(command);
      this.answer(command, forced);
      return;
    }
    const card = this.current;
    switch (command) {
      case 'reset':
        this.found = false;
        this.selected = false;
        this.answer(command, SW3.SUCCESS);
        return;
      case 'moduleStatus':
        this.answer(command, SW3.SUCCESS);
        return;
      case 'moduleId':
        this.answer(command, SW3.SUCCESS, this.moduleIdBytes);
        return;
      case 'findCard':
        this.found = card !== null;
        this.selected = false;
        if (!card) {
          this.answer(command, SW3.NO_CARD);
          return;
        }
        this.answer(command, SW3.CARD_FOUND, new Uint8Array(4));
        if (this.removeAfter === 'find') this.liftCard();
        return;
      case 'selectCard':
        if (!card || !this.found) {
          this.answer(command, SW3.SELECT_FAILED);
          return;
        }
        this.selected = true;
        this.answer(command, SW3.SUCCESS, new Uint8Array(8));
        if (this.removeAfter === 'select') this.liftCard();
        return;
      case 'readBase':
      case 'readBaseWithFingerprint': {
        if (!card || !this.selected) {
          this.answer(command, SW3.READ_FAILED);
          return;
        }
        const withFingerprint = command === 'readBaseWithFingerprint';
        const data = encodeReadData(
          {
            text: encodeCardText(card),
            photo: card.photo,
            ...(card.fingerprint ? { fingerprint: card.fingerprint } : {}),
          },
          withFingerprint,
        );
        this.answer(command, SW3.SUCCESS, data);
        return;
      }
      case 'readLatestAddress':
        if (!card || !this.selected) {
          this.answer(command, SW3.READ_FAILED);
          return;
        }
        // No address change recorded: 35 spaces.
        this.answer(command, SW3.SUCCESS, Buffer.from(' '.repeat(35), 'utf16le'));
        return;
    }
  }

  private liftCard(): void {
    this.removeAfter = undefined;
    this.current = null;
    this.found = false;
    this.selected = false;
    this.log('card lifted off the reader');
  }

  private answer(command: EmulatorExchange['command'], sw3: number, data?: Uint8Array): void {
    const label = command in COMMANDS ? COMMANDS[command as CommandName].label : command;
    if (this.silent) {
      this.exchanges.push({ command, sw3: undefined });
      this.log(`<- ${label}: (not answering)`);
      return;
    }
    this.exchanges.push({ command, sw3 });
    this.log(`<- ${label}: -> ${statusText(sw3)}${data?.length ? ` (${data.length} data bytes)` : ''}`);
    const frame = encodeResponse(sw3, data);
    if (this.corruptCount > 0) {
      this.corruptCount--;
      frame[frame.length - 1]! ^= 0xff;
    }
    const garbage = this.garbageNext;
    this.garbageNext = undefined;
    const chunking = this.chunking;
    const delayMs = this.delayNext;
    this.delayNext = 0;
    if (delayMs > 0) {
      // A late answer must not hold back the ones after it: it goes out on its own.
      void sleep(delayMs).then(() => this.send(frame, garbage, chunking));
      return;
    }
    this.sending = this.sending.then(() => this.send(frame, garbage, chunking));
  }

  private async send(
    frame: Uint8Array,
    garbage: Uint8Array | undefined,
    chunking: { chunkSize: number; delayMs: number } | undefined,
  ): Promise<void> {
    try {
      if (garbage) await this.transport.write(garbage, this.writeTimeoutMs);
      if (!chunking) {
        await this.transport.write(frame, this.writeTimeoutMs);
        return;
      }
      for (let at = 0; at < frame.length; at += chunking.chunkSize) {
        await this.transport.write(frame.subarray(at, at + chunking.chunkSize), this.writeTimeoutMs);
        if (at + chunking.chunkSize < frame.length) await sleep(chunking.delayMs);
      }
    } catch (err) {
      // The host side vanished (cable pulled): a real module just keeps quiet.
      this.log(`write failed: ${(err as Error).message}`);
    }
  }
}

function statusText(sw3: number): string {
  const hex = sw3.toString(16).padStart(2, '0').toUpperCase();
  if (sw3 === SW3.SUCCESS) return `${hex} success`;
  if (sw3 === SW3.CARD_FOUND) return `${hex} card found`;
  return `${hex} ${STATUS_ERRORS[sw3]?.meaning ?? 'unknown status'}`;
}

function describe(card: IdCard): string {
  return `${card.cardType} card, ID ${maskIdNumber(card.idNumber)}`;
}
