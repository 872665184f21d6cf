import { deadLetter, ok, type StepOutcome } from '../outcome.js';

/** Bytes → a JSON object, refusing oversized payloads before parsing them. */
export function createParseJsonStep(options: { maxBytes: number }) {
  return function parseJson(payload: Buffer): StepOutcome<Record<string, unknown>> {
    if (payload.length > options.maxBytes) {
      return deadLetter(
        'too_large',
        `payload is ${payload.length} bytes; the limit is ${options.maxBytes}`,
      );
    }
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
