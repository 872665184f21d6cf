import { apiError } from '../errors.js';

/** A page of a list with where the next one starts (null on the last). */
export function pageOf<T>(
  page: { items: T[]; total: number },
  limit: number,
  offset: number,
): { items: T[]; total: number; limit: number; offset: number; next_offset: number | null } {
  const next = offset + page.items.length;
  return {
    items: page.items,
    total: page.total,
    limit,
    offset,
    next_offset: next < page.total && page.items.length > 0 ? next : null,
  };
}

/** "all" or "channel=web" (a crossed slice: "country×channel=US×web", as stored). */
export function parseSlice(text: string): { key: string; value: string } {
  if (text === 'all') return { key: '', value: 'all' };
  const at = text.indexOf('=');
  if (at <= 0) throw apiError('DW_BAD_REQUEST', `slice must be "all" or key=value, got "${text}"`);
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/**
 * A comma-separated filter over a closed set of values (statuses, states, events): each
 * value must be one of `allowed`, or the request is refused naming them all. An unknown
 * value never matches nothing in silence, which would read as "nothing is wrong".
 */
export function parseChoices<T extends string>(
  field: string,
  text: string | undefined,
  allowed: readonly T[],
): T[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((value) => value.trim());
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0) {
    const quoted = unknown.map((value) => `"${value}"`).join(', ');
    throw apiError(
      'DW_BAD_REQUEST',
      `querystring/${field}: ${quoted} ${unknown.length === 1 ? 'is' : 'are'} not one of ${allowed.join(', ')} (comma-separated; leave ${field} out for every one)`,
    );
  }
  return values as T[];
}

/** One value of a closed set (a filter that takes a single value). */
export function parseChoice<T extends string>(
  field: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw apiError(
    'DW_BAD_REQUEST',
    `querystring/${field}: "${text}" is not one of ${allowed.join(', ')}`,
  );
}

export function parseTime(field: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw apiError('DW_BAD_REQUEST', `${field} must be an RFC 3339 time, got "${text}"`);
  }
  return date;
}

const SEVERITY: Record<string, number> = {
  critical: 0,
  warn: 1,
  no_data: 2,
  insufficient_data: 3,
  awaiting_data: 4,
  unknown: 4,
  ok: 5,
};

export function severityRank(status: string): number {
  return SEVERITY[status] ?? 4;
}

/** Critical first, then warn, then silence and doubt, then ok; by name within a status. */
export function worstFirst<T extends { status: string; model: string }>(items: T[]): T[] {
  return [...items].sort(
    (a, b) => severityRank(a.status) - severityRank(b.status) || a.model.localeCompare(b.model),
  );
}
