import { deadLetter, ok, type StepOutcome } from '../outcome.js';

export interface TimestampBounds {
  /** The earliest accepted event time, epoch ms. */
  earliestMs: number;
  /** How far ahead of this server's clock an event may be, ms. */
  maxFutureSkewMs: number;
  now?: () => number;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An event's `ts` (already of the schema's date-time shape) → epoch milliseconds, or a
 * dead letter when it names no instant ClickHouse can store faithfully: a leap second
 * (`23:59:60`, which `new Date()` rejects and DateTime64 rolls into the next day), a day
 * the month lacks, or a time outside the accepted range — before `earliestMs` (year 0000
 * was stored as the current year, 1899 before DateTime64's range) or further ahead of this
 * server's clock than the allowed skew (9999).
 */
export function createCheckTimestampStep(bounds: TimestampBounds) {
  const now = bounds.now ?? Date.now;
  return function checkTimestamp(ts: unknown): StepOutcome<number> {
    const text = String(ts);
    const parsed = parseRfc3339(text);
    if (typeof parsed === 'string') {
      return deadLetter('invalid_timestamp', `field "ts": ${JSON.stringify(text)} ${parsed}`);
    }
    if (parsed < bounds.earliestMs) {
      return deadLetter(
        'ts_out_of_range',
        `field "ts": ${text} is before ${new Date(bounds.earliestMs).toISOString()}, the earliest accepted time (DRIFTWATCH_EARLIEST_EVENT_TIME)`,
      );
    }
    const ahead = parsed - now();
    if (ahead > bounds.maxFutureSkewMs) {
      return deadLetter(
        'ts_out_of_range',
        `field "ts": ${text} is ${Math.round(ahead / 1000)} s ahead of this server's clock; at most ${bounds.maxFutureSkewMs / 1000} s is accepted (DRIFTWATCH_MAX_FUTURE_SKEW_SECONDS)`,
      );
    }
    return ok(parsed);
  };
}

/** Epoch milliseconds (fractions beyond milliseconds truncated), or why it is no instant. */
export function parseRfc3339(text: string): number | string {
  const match = RFC3339.exec(text);
  if (!match) return 'is not an RFC 3339 date-time';
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = match[7] ?? '';
  const sign = match[8] === '-' ? -1 : 1;
  const offsetHours = Number(match[9] ?? 0);
  const offsetMinutes = Number(match[10] ?? 0);
  if (second === 60) {
    return 'is a leap second, which cannot be stored; send 23:59:59.999 instead';
  }
  if (month < 1 || month > 12) return `has no month ${month}`;
  if (day < 1 || day > daysInMonth(year, month)) return `has no day ${day} in month ${month}`;
  if (hour > 23 || minute > 59 || second > 59) return 'is not a time of day';
  if (offsetHours > 23 || offsetMinutes > 59) return 'has an impossible UTC offset';
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const local =
    daysFromCivil(year, month, day) * 86_400_000 +
    ((hour * 60 + minute) * 60 + second) * 1000 +
    millis;
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
