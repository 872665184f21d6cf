import type { ColumnKind, TabularFormat } from './tabularFile.js';

/**
 * What a whole training file says about each of its columns: enough to decide, and to say
 * why, whether a column is a feature (and of which kind), the model's score or label, a
 * slice, or something to leave out. Counted over every row, not a sample, so the evidence
 * printed ("all 20,000 values parse as numbers") is the file's.
 */
export interface ColumnProfile {
  name: string;
  kind: ColumnKind;
  /** Non-null values (an empty CSV field is null). */
  values: number;
  /** Distinct non-null values. */
  distinct: number;
  /** Why the kind: a CSV's text, or a typed file's own column type. */
  evidence: CsvEvidence | TypedEvidence;
  /** Numeric columns: over the finite values. */
  numbers?: NumericSummary;
  /** Up to MAX_LISTED_VALUES distinct values (as text, sorted), when there are no more. */
  listedValues?: string[];
  /** Every value parses as a date or time (and not as a number): a timestamp column. */
  allTimes: boolean;
}

export interface CsvEvidence {
  source: 'csv';
  /** Values that parse as numbers (isNumberText). */
  numberValues: number;
  /** A value that does not, when there is one. */
  textExample?: string;
}

export interface TypedEvidence {
  source: 'typed';
  format: Exclude<TabularFormat, 'CSVWithNames'>;
  /** The engine's type of the column, e.g. Nullable(Float64). */
  type: string;
}

export interface NumericSummary {
  /** Finite minimum and maximum; null when no value is finite. */
  min: number | null;
  max: number | null;
  /** Every finite value is a whole number. */
  integral: boolean;
  /** NaN, +inf, -inf. */
  nonFinite: number;
}

export interface FileProfile {
  file: string;
  format: TabularFormat;
  rows: number;
  columns: ColumnProfile[];
}

/** Columns with at most this many distinct values have them listed (labels, slices). */
export const MAX_LISTED_VALUES = 20;
