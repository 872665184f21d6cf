import { isUtf8 } from 'node:buffer';
import { deadLetter, ok, type StepOutcome } from '../outcome.js';

/**
 * Bytes → a JSON object, refusing before parsing what no later stage could handle: an
 * oversized payload, bytes that are not UTF-8 (decoding would replace them silently).
 * A key repeated in one object keeps its last value, as JSON.parse does: the row is
 * encoded from the parsed object, so what is stored is what was checked.
 */
export function createParseJsonStep(limits: { maxBytes: number }) {
  return function parseJson(payload: Buffer): StepOutcome<Record<string, unknown>> {
    if (payload.length > limits.maxBytes) {
      return deadLetter(
        'too_large',
        `payload is ${payload.length} bytes; the limit is ${limits.maxBytes}`,
      );
    }
    if (!isUtf8(payload)) return deadLetter('not_utf8', 'payload is not valid UTF-8');
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      return deadLetter('not_json', `not JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return deadLetter('invalid', 'expected a JSON object');
    }
    return ok(value as Record<string, unknown>);
  };
}
