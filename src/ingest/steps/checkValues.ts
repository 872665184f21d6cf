import { deadLetter, ok, type StepOutcome } from '../outcome.js';

declare global {
  interface String {
    /** ES2024, in Node 20 (TypeScript's ES2023 library lacks it). */
    isWellFormed(): boolean;
  }
}

type Reason = 'invalid_text' | 'non_finite' | 'too_deep';

/** A problem found deep in an event; its path is assembled on the way back up. */
interface Found {
  reason: Reason;
  path: string[];
  describe(path: string): string;
}

/**
 * What ClickHouse would refuse, or later steps could not handle, found before anything else
 * looks at the event, in one walk over the parsed value:
 * - nesting deeper than `maxDepth` (JSON.parse takes 10,000 levels; recursion over them —
 *   a schema validator, a serializer — overflows the stack);
 * - a string or key with a lone UTF-16 surrogate (`"\ud800"`): it has no UTF-8 form;
 * - ±Infinity (JSON `1e309`) where a finite number is required. A feature value of ±inf
 *   is a valid observation of a broken upstream: it is stored as ±inf in
 *   `feature_numbers` and reported by the drift engine as a data-quality finding. Any
 *   other field (score, label, prediction, attributes) refuses it.
 */
export function createCheckValuesStep(options: { maxDepth: number }) {
  return function checkValues(
    event: Record<string, unknown>,
  ): StepOutcome<Record<string, unknown>> {
    const found = walk(event, 0, false, true, options.maxDepth);
    if (found === undefined) return ok(event);
    return deadLetter(found.reason, found.describe(found.path.join('.')));
  };
}

function walk(
  value: unknown,
  depth: number,
  finiteOptional: boolean,
  top: boolean,
  maxDepth: number,
): Found | undefined {
  if (typeof value === 'string')
    return value.isWellFormed() ? undefined : loneSurrogate(value, 'value');
  if (typeof value === 'number') {
    if (finiteOptional || Number.isFinite(value)) return undefined;
    return {
      reason: 'non_finite',
      path: [],
      describe: (path) => `field "${path}": ${value > 0 ? '' : '-'}1e309 is not a finite number`,
    };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= maxDepth) {
    return {
      reason: 'too_deep',
      path: [],
      describe: (path) =>
        `field "${path}": objects and arrays nested more than ${maxDepth} levels deep`,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = walk(value[i], depth + 1, finiteOptional, false, maxDepth);
      if (found) return within(found, `[${i}]`);
    }
    return undefined;
  }
  for (const key in value) {
    if (!key.isWellFormed()) return within(loneSurrogate(key, 'key'), key);
    // Feature values may be ±inf; nothing else that is stored may.
    const optional = finiteOptional || (top && key === 'features');
    const found = walk(
      (value as Record<string, unknown>)[key],
      depth + 1,
      optional,
      false,
      maxDepth,
    );
    if (found) return within(found, key);
  }
  return undefined;
}

function within(found: Found, segment: string): Found {
  found.path.unshift(segment);
  return found;
}

/** A UTF-16 surrogate not part of a pair (with the `u` flag, a pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

function loneSurrogate(text: string, what: 'key' | 'value'): Found {
  const at = text.search(LONE_SURROGATE);
  const code = text.charCodeAt(at).toString(16);
  return {
    reason: 'invalid_text',
    path: [],
    describe: (path) =>
      `field "${path}": the ${what} has a lone surrogate \\u${code} at character ${at}`,
  };
}
