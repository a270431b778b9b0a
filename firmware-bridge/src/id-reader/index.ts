// Public surface of the ID-card reader part.
export {
  CARD_TEXT_SIZE,
  type CardBinaries,
  type CardType,
  cardLayoutMark,
  encodeCardText,
  type ForeignPermanentCard,
  type HmtResidenceCard,
  type IdCard,
  parseCardText,
  type ResidentIdCard,
  type Sex,
} from './card.js';
export {
  CARD_FIXTURE_DIR,
  type CardFixture,
  cardFixturePaths,
  cardFromFixture,
  loadCardFixture,
} from './card-fixture.js';
export { type CardProblem, type CardProblemKind, localIsoDate, validateCard } from './card-validation.js';
export { COMMANDS, type CommandName, type CommandSpec, STATUS_ERRORS, SW3, statusError } from './commands.js';
export {
  type IdCardReader,
  IdCardReaderDriver,
  type IdCardReaderDriverOptions,
  type IdCardReadOptions,
  type IdCardReadResult,
} from './driver.js';
export { type IdReaderEmulatorArgs, runIdReaderEmulator } from './emulate-cli.js';
export { type EmulatorExchange, IdCardReaderEmulator, type IdCardReaderEmulatorOptions } from './emulator.js';
export { ID_READER_ERRORS, type IdReaderErrorCode } from './errors.js';
export {
  type CommandFrame,
  encodeCommand,
  encodeFrame,
  encodeResponse,
  type Frame,
  FrameDecoder,
  type FrameDirection,
  type ResponseFrame,
} from './frame.js';
export { hasValidCheckCharacter, idCheckCharacter, maskIdNumber } from './id-number.js';
export { NATIONS, nationCode, nationName } from './nations.js';
export { decodeReadData, encodeReadData, type ReadData } from './read-data.js';
