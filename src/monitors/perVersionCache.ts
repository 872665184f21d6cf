import type { Store } from '../store/clickhouse.js';

/**
 * What is computed from a stored baseline version (its calibrations, its predicted classes,
 * its class-score bins, its residuals), kept per store and key: a stored version never
 * changes, so each is read once per process, not once per window. A null key (a trailing
 * baseline: the model's own events, whose labels keep arriving) is read every time. The
 * oldest entry goes first once `most` are kept.
 */
export function perVersionCache<T>(
  most: number,
): (store: Store, key: string | null, read: () => Promise<T>) => Promise<T> {
  const caches = new WeakMap<Store, Map<string, T>>();
  return async (store, key, read) => {
    if (key === null) return read();
    const cache = caches.get(store) ?? new Map<string, T>();
    caches.set(store, cache);
    if (cache.has(key)) return cache.get(key) as T;
    const value = await read();
    if (cache.size >= most) cache.delete(cache.keys().next().value ?? '');
    cache.set(key, value);
    return value;
  };
}
