const UNITS_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** '15m' → 900000. The monitor schema has already checked the shape. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text);
  if (!match) throw new RangeError(`not a duration: "${text}" (expected e.g. 15m, 1h, 7d)`);
  return Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1);
}
