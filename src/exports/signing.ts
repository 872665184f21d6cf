import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { DriftwatchError } from '../errors.js';

/**
 * Ed25519 with Node's crypto. Keys travel as PEM or as base64 DER (PKCS#8 for the private
 * key, SPKI for the public one), so they fit in one environment variable.
 */
export function loadPrivateKey(text: string, where = 'DRIFTWATCH_EXPORT_SIGNING_KEY'): KeyObject {
  try {
    const key = text.includes('-----BEGIN')
      ? createPrivateKey(text)
      : createPrivateKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (error) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `${where}: not an Ed25519 private key (PEM or base64 PKCS#8 DER; driftwatch export keygen makes one)`,
      { cause: error },
    );
  }
}

export function loadPublicKey(text: string, where = '--public-key'): KeyObject {
  try {
    const key = text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (error) {
    throw new DriftwatchError(
      'DW_INPUT',
      `${where}: not an Ed25519 public key (PEM or base64 SPKI DER)`,
      { cause: error },
    );
  }
}

export function publicKeyBase64(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).toString('base64');
}

export function keyId(publicKeyB64: string): string {
  return createHash('sha256')
    .update(Buffer.from(publicKeyB64, 'base64'))
    .digest('hex')
    .slice(0, 16);
}

export function signText(key: KeyObject, text: string): string {
  return sign(null, Buffer.from(text, 'utf8'), key).toString('base64');
}

export function verifyText(key: KeyObject, text: string, signature: string): boolean {
  return verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64'));
}

export function generateSigningKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}
