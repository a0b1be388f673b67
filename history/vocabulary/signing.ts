import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BpfcompatError } from './errors.ts';
import { sha256Hex } from './hash.ts';

// Ed25519 keys and detached signatures, shared by the history (signed runs), the site (signed manifest) and the
// runtime verbs (select/fetch check evidence). A key is named by its key id: the sha256 of its raw 32-byte public key.

export interface SigningKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/** The raw 32 bytes of an Ed25519 public key (the JWK `x`). */
export function rawPublicKey(key: KeyObject): Buffer {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new BpfcompatError('SIGNATURE', 'not an Ed25519 public key');
  return Buffer.from(x, 'base64url');
}

export function keyIdOf(key: KeyObject): string {
  return sha256Hex(rawPublicKey(key));
}

/** A public key from its raw bytes in base64 (as the history and the site store it). */
export function publicKeyFromRaw(b64: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(b64, 'base64').toString('base64url') }, format: 'jwk' });
}

/** A fresh key pair as PEM texts (PKCS#8 private, SPKI public) and its key id. */
export function generateSigningKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

function readKeyFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BpfcompatError('FILE_NOT_FOUND', `${flag} ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "create a key pair with 'bpfcompat keys generate --out DIR'",
    });
  }
}

/** Reads an Ed25519 private key (PKCS#8 PEM) named by a flag; a one-line error naming the flag and file otherwise. */
export function loadSigningKey(path: string, flag = '--sign-key'): SigningKey {
  const text = readKeyFile(path, flag);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(text);
  } catch {
    throw new BpfcompatError('SIGNATURE', `${flag} ${path}: not a PEM private key`, { hint: "pass the .key file written by 'bpfcompat keys generate'" });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new BpfcompatError('SIGNATURE', `${flag} ${path}: a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, { hint: "create one with 'bpfcompat keys generate'" });
  }
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

/** Reads an Ed25519 public key (SPKI PEM) named by a flag. */
export function loadTrustedKey(path: string, flag = '--trusted-key'): TrustedKey {
  const text = readKeyFile(path, flag);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(text);
  } catch {
    throw new BpfcompatError('SIGNATURE', `${flag} ${path}: not a PEM public key`, { hint: "pass the .pub file written by 'bpfcompat keys generate'" });
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new BpfcompatError('SIGNATURE', `${flag} ${path}: a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, { hint: "pass the .pub file written by 'bpfcompat keys generate'" });
  }
  return { keyId: keyIdOf(publicKey), publicKey };
}

/** A detached Ed25519 signature over the bytes, base64. */
export function signBytes(key: SigningKey, data: string | Uint8Array): string {
  return sign(null, typeof data === 'string' ? Buffer.from(data) : data, key.privateKey).toString('base64');
}

export function verifyBytes(publicKey: KeyObject, data: string | Uint8Array, signatureB64: string): boolean {
  try {
    return verify(null, typeof data === 'string' ? Buffer.from(data) : data, publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
