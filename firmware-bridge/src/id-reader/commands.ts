// The security-module command table and the SW3 status table: one source of truth for both the
// driver (what to send, what success looks like) and the emulator (what to answer).
import type { DeviceError } from '../errors.js';
import { type IdReaderErrorCode, idReaderError } from './errors.js';

export interface CommandSpec {
  readonly cmd: number;
  readonly para: number;
  /** SW3 that means success for this command. */
  readonly success: number;
  /** Data length of a successful answer; `undefined` = variable (checked by the caller). */
  readonly dataLength: number | undefined;
  readonly label: string;
}

export const COMMANDS = {
  reset: { cmd: 0x10, para: 0xff, success: 0x90, dataLength: 0, label: 'reset module' },
  moduleStatus: { cmd: 0x11, para: 0xff, success: 0x90, dataLength: 0, label: 'module status' },
  moduleId: { cmd: 0x12, para: 0xff, success: 0x90, dataLength: 16, label: 'read module id' },
  findCard: { cmd: 0x20, para: 0x01, success: 0x9f, dataLength: 4, label: 'find card' },
  selectCard: { cmd: 0x20, para: 0x02, success: 0x90, dataLength: 8, label: 'select card' },
  readBase: { cmd: 0x30, para: 0x01, success: 0x90, dataLength: undefined, label: 'read base information' },
  readBaseWithFingerprint: {
    cmd: 0x30,
    para: 0x10,
    success: 0x90,
    dataLength: undefined,
    label: 'read base information + fingerprint',
  },
  readLatestAddress: { cmd: 0x30, para: 0x03, success: 0x90, dataLength: 70, label: 'read latest address' },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function commandByCode(cmd: number, para: number): CommandName | undefined {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    if (spec.cmd === cmd && spec.para === para) return name as CommandName;
  }
  return undefined;
}

/** SW3 values, named. */
export const SW3 = {
  SUCCESS: 0x90,
  CARD_FOUND: 0x9f,
  NO_CARD: 0x80,
  SELECT_FAILED: 0x81,
  READ_FAILED: 0x41,
  COMMAND_CHECKSUM: 0x10,
  COMMAND_LENGTH: 0x11,
  UNKNOWN_COMMAND: 0x21,
  OUT_OF_ORDER: 0x23,
  UNRECOGNISED_ERROR: 0x24,
  CARD_AUTH_FAILED: 0x31,
  MODULE_AUTH_FAILED: 0x32,
  VERIFY_FAILED: 0x33,
  CARD_TYPE_UNKNOWN: 0x40,
  MODULE_KEY: 0x47,
  SELF_TEST_FAILED: 0x60,
  MODULE_NOT_AUTHORISED: 0x66,
} as const;

/** Every failure status byte the spec lists, with its error code and the module's own meaning. */
export const STATUS_ERRORS: Readonly<Record<number, { code: IdReaderErrorCode; meaning: string }>> = {
  [SW3.NO_CARD]: { code: 'ID_READER_NO_CARD', meaning: 'find card failed (no card)' },
  [SW3.SELECT_FAILED]: { code: 'ID_READER_SELECT_FAILED', meaning: 'select card failed' },
  [SW3.READ_FAILED]: { code: 'ID_READER_READ_FAILED', meaning: 'read card failed' },
  [SW3.COMMAND_CHECKSUM]: { code: 'ID_READER_CHECKSUM', meaning: 'checksum error in the received command' },
  [SW3.COMMAND_LENGTH]: { code: 'ID_READER_COMMAND_LENGTH', meaning: 'length error in the received command' },
  [SW3.UNKNOWN_COMMAND]: { code: 'ID_READER_UNKNOWN_COMMAND', meaning: 'command not recognised' },
  [SW3.OUT_OF_ORDER]: { code: 'ID_READER_OUT_OF_ORDER', meaning: 'not authorised / operation out of order' },
  [SW3.UNRECOGNISED_ERROR]: { code: 'ID_READER_MODULE_ERROR', meaning: 'unrecognised error' },
  [SW3.CARD_AUTH_FAILED]: {
    code: 'ID_READER_AUTH_FAILED',
    meaning: 'card authentication to the module failed',
  },
  [SW3.MODULE_AUTH_FAILED]: {
    code: 'ID_READER_MODULE_AUTH_FAILED',
    meaning: 'module authentication to the card failed',
  },
  [SW3.VERIFY_FAILED]: { code: 'ID_READER_VERIFY_FAILED', meaning: 'information verification error' },
  [SW3.CARD_TYPE_UNKNOWN]: { code: 'ID_READER_CARD_TYPE_UNKNOWN', meaning: 'card type not recognised' },
  [SW3.MODULE_KEY]: { code: 'ID_READER_MODULE_KEY', meaning: 'module cannot operate (key problem)' },
  [SW3.SELF_TEST_FAILED]: { code: 'ID_READER_SELF_TEST_FAILED', meaning: 'module self-check failed' },
  [SW3.MODULE_NOT_AUTHORISED]: { code: 'ID_READER_MODULE_NOT_AUTHORISED', meaning: 'module not authorised' },
};

const hex = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();

/** The typed error for a non-success SW3 answered to `command`. */
export function statusError(sw3: number, command: CommandName): DeviceError {
  const known = STATUS_ERRORS[sw3];
  const details = { sw3: hex(sw3), command: COMMANDS[command].label };
  if (!known) return idReaderError('ID_READER_UNKNOWN_STATUS', { ...details });
  // SW3 10 is the module's view of a checksum error: it was our command that arrived damaged.
  const damaged = sw3 === SW3.COMMAND_CHECKSUM ? { frame: 'command' } : {};
  return idReaderError(known.code, { ...details, meaning: known.meaning, ...damaged });
}

/** Failures worth another find → select → read round: line noise or a card that moved. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set<IdReaderErrorCode>([
  'ID_READER_CHECKSUM',
  'ID_READER_BAD_LENGTH',
  'ID_READER_COMMAND_LENGTH',
  'ID_READER_UNEXPECTED_RESPONSE',
  'ID_READER_TIMEOUT',
  'ID_READER_SELECT_FAILED',
  'ID_READER_READ_FAILED',
  'ID_READER_OUT_OF_ORDER',
  'ID_READER_AUTH_FAILED',
  'ID_READER_MODULE_AUTH_FAILED',
  'ID_READER_VERIFY_FAILED',
]);
