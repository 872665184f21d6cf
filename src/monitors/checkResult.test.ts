import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ALERT_FIELDS,
  CHECK_RESULT_FIELDS,
  FIELD_LIST,
  NULL_FIELDS,
  VERDICT_FIELDS,
  alertFieldsFrom,
  alertFieldsToJson,
  checkResultFromJson,
  checkResultToJson,
  pickFields,
  type AlertFields,
  type CheckResult,
  type CheckResultJson,
  type CheckStatus,
  type StoredCheckResult,
} from './checkResult.js';

const RESULT: CheckResult = {
  ...NULL_FIELDS,
  model: 'fraud',
  monitor: 'fraud',
  windowStart: new Date('2026-12-06T11:00:00Z'),
  windowEnd: new Date('2026-12-06T12:00:00Z'),
  checkId: 'ks',
  metric: 'ks',
  feature: 'amount',
  sliceKey: 'channel',
  sliceValue: 'web',
  status: 'critical',
  value: 0.3,
  valueLower: 0.28,
  valueUpper: 0.31,
  pValue: 1e-9,
  pValueLower: 1e-10,
  pValueUpper: 1e-8,
  adjustedPValue: 4e-9,
  correction: 'benjamini-hochberg',
  warnThreshold: null,
  criticalThreshold: 0.01,
  nReference: 5000,
  nCurrent: 1200,
  baseline: 'file:train.csv',
  baselineVersion: 3,
  monitorHash: 'a'.repeat(64),
  details: { effect: 0.3, min_effect: 0.1 },
};

describe('the check result record', () => {
  it('derives its types from the field table', () => {
    expectTypeOf<CheckResult['windowStart']>().toEqualTypeOf<Date>();
    expectTypeOf<CheckResult['valueLower']>().toEqualTypeOf<number | null>();
    expectTypeOf<CheckResult['status']>().toEqualTypeOf<CheckStatus>();
    expectTypeOf<CheckResult['correction']>().toEqualTypeOf<'none' | 'benjamini-hochberg'>();
    expectTypeOf<CheckResult['nCurrent']>().toEqualTypeOf<number>();
    expectTypeOf<CheckResult['details']>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<StoredCheckResult['evaluatedAt']>().toEqualTypeOf<Date>();
    expectTypeOf<CheckResultJson['window_start']>().toEqualTypeOf<string>();
    expectTypeOf<CheckResultJson['p_value_upper']>().toEqualTypeOf<number | null>();
    expectTypeOf<CheckResultJson['evaluated_at']>().toEqualTypeOf<string>();
    expectTypeOf<AlertFields>().toMatchTypeOf<{ status: CheckStatus; value: number | null }>();
  });

  it('names every column once, and JSON spells a result in the table’s order', () => {
    const columns = FIELD_LIST.map(([, spec]) => spec.column);
    expect(new Set(columns).size).toBe(columns.length);
    const json = checkResultToJson(RESULT, new Date('2026-12-06T12:00:05Z'));
    expect(Object.keys(json)).toEqual(columns);
    expect(json).toMatchObject({
      window_start: '2026-12-06T11:00:00.000Z',
      window_end: '2026-12-06T12:00:00.000Z',
      check_id: 'ks',
      slice_key: 'channel',
      p_value_lower: 1e-10,
      adjusted_p_value: 4e-9,
      n_reference: 5000,
      baseline_version: 3,
      details: { effect: 0.3, min_effect: 0.1 },
      evaluated_at: '2026-12-06T12:00:05.000Z',
    });
  });

  it('reads back from JSON what it wrote, and what an older writer left out as null', () => {
    expect(checkResultFromJson(checkResultToJson(RESULT))).toEqual(RESULT);
    const older = { ...checkResultToJson(RESULT) } as Partial<CheckResultJson>;
    delete older.value_lower;
    delete older.value_upper;
    expect(checkResultFromJson(older as CheckResultJson)).toEqual({
      ...RESULT,
      valueLower: null,
      valueUpper: null,
    });
  });

  it('reads an unknown status as insufficient data and an unknown correction as none', () => {
    const odd = { ...checkResultToJson(RESULT), status: 'maybe', correction: 'bonferroni' };
    expect(checkResultFromJson(odd)).toMatchObject({
      status: 'insufficient_data',
      correction: 'none',
    });
  });

  it('starts every nullable field at null, and only those', () => {
    const nullable = FIELD_LIST.filter(([, spec]) => spec.nullable).map(([name]) => name);
    expect(Object.keys(NULL_FIELDS).sort()).toEqual([...nullable].sort());
    expect(Object.values(NULL_FIELDS).every((value) => value === null)).toBe(true);
  });

  it('splits the fields between the verdict, the run and the store', () => {
    expect(VERDICT_FIELDS).toContain('status');
    expect(VERDICT_FIELDS).not.toContain('windowEnd');
    expect(CHECK_RESULT_FIELDS.evaluatedAt.setBy).toBe('store');
    expect(Object.keys(RESULT).sort()).toEqual(
      FIELD_LIST.filter(([, spec]) => spec.setBy !== 'store')
        .map(([name]) => name)
        .sort(),
    );
  });

  it('gives an alert its facts in snake_case, and reads facts kept before a field existed', () => {
    const facts = pickFields(RESULT, ALERT_FIELDS);
    const json = alertFieldsToJson(facts);
    expect(Object.keys(json)).toEqual(ALERT_FIELDS.map((name) => CHECK_RESULT_FIELDS[name].column));
    expect(json).toMatchObject({
      status: 'critical',
      value: 0.3,
      value_lower: 0.28,
      value_upper: 0.31,
      p_value: 1e-9,
      adjusted_p_value: 4e-9,
      warn_threshold: null,
      critical_threshold: 0.01,
      n_reference: 5000,
      n_current: 1200,
    });
    const kept = { status: 'warn', value: 0.2, nReference: 10, nCurrent: 20 };
    const read = alertFieldsFrom(kept);
    expect(Object.keys(read)).toEqual(ALERT_FIELDS);
    expect(read).toMatchObject({
      status: 'warn',
      value: 0.2,
      valueLower: null,
      valueUpper: null,
      pValue: null,
      adjustedPValue: null,
      warnThreshold: null,
      criticalThreshold: null,
      nReference: 10,
      nCurrent: 20,
    });
    expect(alertFieldsToJson(null)).toMatchObject({ status: '', value: null, n_current: 0 });
  });
});
