import { createHash } from 'node:crypto';
import type { AlertIdentity } from './alert.js';

export type { AlertIdentity };

/**
 * The alert's id: stable across runs, restarts and machines, so the same breach is always
 * the same alert (and acknowledgements, silences and the audit trail refer to it).
 */
export function alertIdOf(identity: Omit<AlertIdentity, 'model' | 'metric'>): string {
  return digest([
    identity.monitor,
    identity.checkId,
    identity.feature,
    identity.sliceKey,
    identity.sliceValue,
  ]);
}

/** 32 hex digits of sha256 over the parts, each length-prefixed so no two lists collide. */
export function digest(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part};`);
  return hash.digest('hex').slice(0, 32);
}

export function sliceLabel(identity: Pick<AlertIdentity, 'sliceKey' | 'sliceValue'>): string {
  return identity.sliceKey ? `${identity.sliceKey}=${identity.sliceValue}` : identity.sliceValue;
}
