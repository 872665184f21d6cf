import { isUtf8 } from 'node:buffer';
import { deadLetter, ok, type StepOutcome } from '../outcome.js';
import { countMembers, findDuplicateKey, scanJsonShape } from './scanJson.js';

export interface ParseLimits {
  maxBytes: number;
  maxDepth: number;
}

/**
 * Bytes → a JSON object, refusing before parsing what no later stage could handle: an
 * oversized payload, bytes that are not UTF-8, nesting deeper than the limit (later
 * recursion would overflow the stack); and after parsing, an object that repeats a key.
 */
export function createParseJsonStep(limits: ParseLimits) {
  return function parseJson(payload: Buffer): StepOutcome<Record<string, unknown>> {
    if (payload.length > limits.maxBytes) {
      return deadLetter(
        'too_large',
        `payload is ${payload.length} bytes; the limit is ${limits.maxBytes}`,
      );
    }
    if (!isUtf8(payload)) return deadLetter('not_utf8', 'payload is not valid UTF-8');
    const shape = scanJsonShape(payload, limits.maxDepth);
    if (!shape.ok) {
      return deadLetter(
        'too_deep',
        `objects and arrays nested more than ${limits.maxDepth} levels deep`,
      );
    }
    const text = payload.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return deadLetter('not_json', `not JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return deadLetter('invalid', 'expected a JSON object');
    }
    if (countMembers(value) !== shape.members) {
      const key = findDuplicateKey(text);
      return deadLetter(
        'duplicate_key',
        key === undefined ? 'an object repeats a key' : `field "${key}" appears twice`,
      );
    }
    return ok(value as Record<string, unknown>);
  };
}
