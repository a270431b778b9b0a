// One place that loads @peculiar/x509 with its reflect polyfill and Node's WebCrypto as the provider.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle;
export const CA_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const CA_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
