export { KeyProvider, type KeyProviderOptions, type KeyProviderEvents, type E2EEOptions } from './key-provider';
export { DataTrackFrameCryptor, E2eeError } from './frame-cryptor';
export {
  DEFAULT_RATCHET_SALT,
  PBKDF2_ITERATIONS,
  deriveEncryptionKey,
  keyMaterial,
  ratchetMaterial,
  type KeyDerivationFunction,
  type KeyMaterial,
  type KeySizeBits,
} from './key-derivation';
