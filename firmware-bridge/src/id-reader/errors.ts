// Every error code the ID-card reader part can produce, with the plain sentence shown when nothing more
// specific is known. Status bytes from the security module map onto these in commands.ts.
import { DeviceError } from '../errors.js';

export const ID_READER_ERRORS = {
  // Frames on the wire.
  ID_READER_CHECKSUM: 'A frame on the reader cable had a wrong checksum; check the cable and try again.',
  ID_READER_BAD_LENGTH:
    'A frame on the reader cable had an impossible length; check the cable and the baud rate.',
  ID_READER_UNEXPECTED_RESPONSE:
    'The reader sent an answer that does not fit the command; try again or restart it.',
  ID_READER_TIMEOUT: 'The ID-card reader did not answer in time; check that it is connected and powered.',
  ID_READER_CLOSED: 'The ID-card reader port is closed (reader unplugged?); plug it back in and reopen it.',
  ID_READER_OPEN_FAILED: 'The ID-card reader port could not be opened; check the port name and the cable.',
  // Status bytes (SW3) from the security module.
  ID_READER_NO_CARD: 'No ID card is on the reader; place the card flat on the reader.',
  ID_READER_SELECT_FAILED:
    'The reader found the card but could not select it; hold the card still and try again.',
  ID_READER_READ_FAILED: 'The reader could not read the card; hold the card still and try again.',
  ID_READER_COMMAND_LENGTH: 'The reader reported a length error in the command it received; check the cable.',
  ID_READER_UNKNOWN_COMMAND: 'The reader did not recognise the command; the reader model may not support it.',
  ID_READER_OUT_OF_ORDER:
    'The reader refused the command as out of order; take the card off and place it again.',
  ID_READER_MODULE_ERROR: 'The reader reported an unrecognised error; restart the reader.',
  ID_READER_AUTH_FAILED:
    'The card failed to authenticate to the reader; the card may be damaged or not genuine.',
  ID_READER_MODULE_AUTH_FAILED: 'The reader failed to authenticate to the card; place the card again.',
  ID_READER_VERIFY_FAILED: 'The card information failed verification; the card may be damaged.',
  ID_READER_CARD_TYPE_UNKNOWN:
    'The reader does not recognise this kind of card; use a resident ID card or permit.',
  ID_READER_MODULE_KEY: 'The reader security module cannot operate (key problem); call the service engineer.',
  ID_READER_SELF_TEST_FAILED:
    'The reader security module failed its self-check; restart it or call the engineer.',
  ID_READER_MODULE_NOT_AUTHORISED: 'The reader security module is not authorised; call the service engineer.',
  ID_READER_UNKNOWN_STATUS: 'The reader answered with a status byte this software does not know; restart it.',
  // Card content.
  ID_READER_UNKNOWN_LAYOUT: 'The card holds a text layout this software does not know; check the card type.',
  ID_READER_BAD_CARD_DATA: 'The card text could not be understood; the card may be damaged.',
  ID_READER_CARD_EXPIRED: 'The ID card has expired; the holder needs a valid card.',
  ID_READER_NOT_YET_VALID: 'The ID card is not valid yet (its start date is in the future).',
  ID_READER_BAD_CHECK_CHARACTER:
    'The ID number on the card fails its check character; the card may be forged.',
  ID_READER_UNKNOWN_NATION: 'The card carries a nation code that is not in the GB 3304 table.',
  ID_READER_BAD_FIXTURE: 'The card fixture file is not valid; fix the file and try again.',
} as const;

export type IdReaderErrorCode = keyof typeof ID_READER_ERRORS;

export function idReaderError(
  code: IdReaderErrorCode,
  details: Record<string, unknown> = {},
  message: string = ID_READER_ERRORS[code],
  cause?: unknown,
): DeviceError<IdReaderErrorCode> {
  return new DeviceError(code, message, details, cause === undefined ? undefined : { cause });
}
