export {
  type BuiltCsr,
  buildCsr,
  type CsrProfile,
  ecdsaRawToDer,
  parseSubject,
  type Signer,
  type SubjectAttribute,
} from './csr.js';
export {
  type ImportResult,
  type InitTokenOptions,
  type PrepareBlankKeyOptions,
  type SlotEvent,
  SlotWatcher,
  type TokenInfoReport,
  type TokenRef,
  UsbKeyDriver,
} from './driver.js';
export { TOKEN_ERRORS, TokenError, type TokenErrorCode } from './errors.js';
export { Pkcs11Module, type SlotSummary, type TokenFlags, type TokenSummary } from './module.js';
export {
  certificateSpki,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  parseCertificate,
  spkiSha256,
  splitPemCertificates,
} from './public-key.js';
export {
  type KeyEvidence,
  type KeyPairInfo,
  type ObjectsById,
  type TokenObjectSummary,
  TokenSession,
} from './session.js';
export { deriveSoPin, deriveTransportPin } from './so-pin.js';
export {
  createSoftHsmHome,
  SOFTHSM_MODULE,
  type SoftHsmHome,
  softHsmTokenFolder,
  USBKEY_SIM_MODULE,
} from './softhsm.js';
