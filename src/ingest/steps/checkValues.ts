import { deadLetter, ok, type StepOutcome } from '../outcome.js';

declare global {
  interface String {
    /** ES2024, in Node 20 (TypeScript's ES2023 library lacks it). */
    isWellFormed(): boolean;
  }
}

/**
 * What ClickHouse would refuse, or JSON would silently change, found before the insert:
 * - a string or key with a lone UTF-16 surrogate (`"\ud800"`): it has no UTF-8 form, and
 *   the whole insert fails on it;
 * - ±Infinity (JSON `1e309`) where a finite number is required. A feature value of ±inf
 *   is a valid observation of a broken upstream: it is stored as ±inf in
 *   `feature_numbers` and reported by the drift engine as a data-quality finding. Any
 *   other field (score, label, prediction, attributes) refuses it.
 */
export function createCheckValuesStep() {
  return function checkValues(
    event: Record<string, unknown>,
  ): StepOutcome<Record<string, unknown>> {
    const problem = findProblem(event, '', false);
    return problem === undefined ? ok(event) : problem;
  };
}

type Problem = { ok: false; reason: 'invalid_text' | 'non_finite'; detail: string };

function findProblem(value: unknown, path: string, finiteOptional: boolean): Problem | undefined {
  if (typeof value === 'string') return textProblem(value, path);
  if (typeof value === 'number') {
    if (Number.isFinite(value) || finiteOptional) return undefined;
    return deadLetter(
      'non_finite',
      `field "${path}": ${value > 0 ? '' : '-'}1e309 is not a finite number`,
    ) as Problem;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const problem = findProblem(value[i], `${path}[${i}]`, finiteOptional);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    const child = path === '' ? key : `${path}.${key}`;
    const keyProblem = textProblem(key, child, 'key');
    if (keyProblem) return keyProblem;
    // Feature values may be ±inf; nothing else that is stored may.
    const optional = finiteOptional || path === 'features';
    const problem = findProblem((value as Record<string, unknown>)[key], child, optional);
    if (problem) return problem;
  }
  return undefined;
}

/** A UTF-16 surrogate not part of a pair (with the `u` flag, a pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

function textProblem(text: string, path: string, what = 'value'): Problem | undefined {
  if (text.isWellFormed()) return undefined;
  const at = text.search(LONE_SURROGATE);
  const code = text.charCodeAt(at).toString(16);
  return deadLetter(
    'invalid_text',
    `field "${path}": the ${what} has a lone surrogate \\u${code} at character ${at}`,
  ) as Problem;
}
