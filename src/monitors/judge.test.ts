import erfc from '@stdlib/math-base-special-erfc';
import { describe, expect, it } from 'vitest';
import type {
  CategoricalFeatureDrift,
  FeatureDrift,
  NumericFeatureDrift,
} from '../drift/featureDrift.js';
import { NULL_FIELDS } from './checkResult.js';
import { judgeWindow, type JudgementMemo, type Verdict } from './judge.js';
import type { CheckPlan, MonitorPlan } from './plan.js';
import type { SliceQuality, WindowAggregates } from './windowAggregates.js';

/**
 * The judge's verdict logic, one check kind at a time, on aggregates built by hand: each
 * expected status and value is worked out here from the numbers given (the z-test and the
 * Benjamini-Hochberg adjustment by their formulas), not read back from the judge.
 */

const END = Date.parse('2026-12-06T12:00:00Z');

function planOf(checks: CheckPlan[], overrides: Partial<MonitorPlan> = {}): MonitorPlan {
  return {
    monitor: 'm',
    model: 'm',
    hash: 'h',
    baseline: { kind: 'file', path: '/dev/null' },
    features: [
      { name: 'amount', kind: 'numeric' },
      { name: 'country', kind: 'categorical' },
    ],
    slices: [],
    maxSliceValues: 20,
    minSamples: 100,
    threshold: 0.5,
    labels: { delayMs: 86_400_000, minCount: 50 },
    falseDiscoveryRate: 'none',
    windowMs: 3_600_000,
    schedule: '0 * * * *',
    checks,
    ...overrides,
  };
}

const quality = (rows: number, nulls = 0) => ({ rows, nulls, non_finite: 0, wrong_type: 0 });

function numeric(overrides: Partial<NumericFeatureDrift> = {}): NumericFeatureDrift {
  return {
    kind: 'numeric',
    name: 'amount',
    slice: 'all',
    n_reference: 1000,
    n_current: 500,
    null_rate: { reference: 0, current: 0 },
    quality: { reference: quality(1000), current: quality(500) },
    null_rate_drift: false,
    psi: 0.05,
    jensen_shannon: 0.02,
    drift: false,
    method: 'ks',
    exact: true,
    histogram: { edges: [1, 2], reference: [1, 1, 1], current: [1, 1, 1] },
    ks: { statistic: 0.05, p_value: 0.5 },
    wasserstein: 1,
    wasserstein_normed: 0.01,
    reference_range: { min: 0, max: 10 },
    ...overrides,
  };
}

function categorical(overrides: Partial<CategoricalFeatureDrift> = {}): CategoricalFeatureDrift {
  return {
    kind: 'categorical',
    name: 'country',
    slice: 'all',
    n_reference: 1000,
    n_current: 500,
    null_rate: { reference: 0, current: 0 },
    quality: { reference: quality(1000), current: quality(500) },
    null_rate_drift: false,
    psi: 0.05,
    jensen_shannon: 0.02,
    drift: false,
    method: 'chi2',
    exact: true,
    histogram: { categories: ['de', 'fr'], reference: [1, 1], current: [1, 1] },
    chi2: { statistic: 1.5, p_value: 0.22, dof: 1 },
    new_categories: [],
    ...overrides,
  };
}

function sliceQuality(overrides: Partial<SliceQuality> = {}): SliceQuality {
  return {
    key: '',
    value: 'all',
    rows: 500,
    scored: 500,
    predictedPositives: { lower: 100, upper: 100 },
    duplicateIds: null,
    wrongType: {},
    nonFinite: {},
    outOfRange: {},
    ...overrides,
  };
}

function aggregatesOf(overrides: Partial<WindowAggregates> = {}): WindowAggregates {
  return {
    drift: [],
    quality: [sliceQuality()],
    baselineScores: [
      {
        key: '',
        value: 'all',
        scored: 1000,
        predictedPositives: 200,
        labelled: 1000,
        labelPositives: 300,
      },
    ],
    paths: { baseline: ['amount', 'country'], current: ['amount', 'country'] },
    classification: null,
    activity: { events: 500, lastEvent: END - 60_000, windowEnd: END, expectedEvents: {} },
    ...overrides,
  };
}

function judgeOne(check: CheckPlan, aggregates: WindowAggregates, plan = planOf([check])) {
  const verdicts = judgeWindow({ ...plan, checks: [check] }, aggregates);
  expect(verdicts).toHaveLength(1);
  return verdicts[0] as Verdict;
}

/** What every verdict carries unless its check sets it: the record's nulls, decided. */
const EMPTY = { ...NULL_FIELDS, undecided: false };

/** Two-proportion z-test, pooled variance, two-sided (statsmodels proportions_ztest). */
function zTest(x1: number, n1: number, x2: number, n2: number) {
  const pooled = (x1 + x2) / (n1 + n2);
  const z = (x2 / n2 - x1 / n1) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { z, p: erfc(Math.abs(z) / Math.SQRT2) };
}

describe('distance checks (psi, jensen_shannon, wasserstein_normed)', () => {
  const psi: CheckPlan = {
    id: 'psi',
    metric: 'psi',
    features: ['amount'],
    warn: 0.1,
    critical: 0.25,
  };

  it.each([
    [0.099, 'ok'],
    [0.1, 'warn'],
    [0.2499, 'warn'],
    [0.25, 'critical'],
    [0.9, 'critical'],
  ] as const)('psi %s is %s (at or above a threshold breaches it)', (value, status) => {
    const verdict = judgeOne(psi, aggregatesOf({ drift: [numeric({ psi: value })] }));
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'psi',
      metric: 'psi',
      feature: 'amount',
      sliceKey: '',
      sliceValue: 'all',
      status,
      value,
      warnThreshold: 0.1,
      criticalThreshold: 0.25,
      nReference: 1000,
      nCurrent: 500,
      details: { histogram: numeric().histogram },
    });
  });

  it('takes a bracket whose ends agree as decided, and one straddling a threshold as undecided at its worst end', () => {
    const within = judgeOne(
      psi,
      aggregatesOf({ drift: [numeric({ psi: 0.3, brackets: { psi: [0.26, 0.4] } })] }),
    );
    expect(within).toMatchObject({ status: 'critical', undecided: false });
    expect([within.valueLower, within.valueUpper]).toEqual([0.26, 0.4]);
    const straddling = judgeOne(
      psi,
      aggregatesOf({ drift: [numeric({ psi: 0.2, brackets: { psi: [0.15, 0.3] } })] }),
    );
    expect(straddling).toMatchObject({ status: 'critical', undecided: true, value: 0.2 });
    const lowStraddle = judgeOne(
      psi,
      aggregatesOf({ drift: [numeric({ psi: 0.1, brackets: { psi: [0.05, 0.12] } })] }),
    );
    expect(lowStraddle).toMatchObject({ status: 'warn', undecided: true });
  });

  it('reads each distance from its own field and bracket, and slices from the label', () => {
    const js: CheckPlan = {
      id: 'js',
      metric: 'jensen_shannon',
      features: ['amount'],
      warn: null,
      critical: 0.1,
    };
    const verdict = judgeOne(
      js,
      aggregatesOf({
        drift: [
          numeric({
            slice: 'channel=web',
            jensen_shannon: 0.08,
            psi: 5,
            brackets: { jensen_shannon: [0.07, 0.11] },
          }),
        ],
      }),
    );
    expect(verdict).toMatchObject({
      sliceKey: 'channel',
      sliceValue: 'web',
      value: 0.08,
      valueLower: 0.07,
      valueUpper: 0.11,
      status: 'critical',
      undecided: true,
    });
  });

  it('has no normed Wasserstein for a categorical feature: insufficient data', () => {
    const check: CheckPlan = {
      id: 'w',
      metric: 'wasserstein_normed',
      features: ['country'],
      warn: null,
      critical: 0.1,
    };
    expect(judgeOne(check, aggregatesOf({ drift: [categorical()] }))).toMatchObject({
      status: 'insufficient_data',
      value: null,
    });
  });

  it('is insufficient data below min_samples on either side, and says how many are needed', () => {
    const verdict = judgeOne(
      psi,
      aggregatesOf({ drift: [numeric({ n_reference: 99, psi: 0.9 })] }),
    );
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'psi',
      metric: 'psi',
      feature: 'amount',
      sliceKey: '',
      sliceValue: 'all',
      status: 'insufficient_data',
      value: null,
      warnThreshold: 0.1,
      criticalThreshold: 0.25,
      nReference: 99,
      nCurrent: 500,
      details: { reason: 'fewer than 100 samples', min_samples: 100 },
    });
  });

  it('judges only the features the check selects', () => {
    const verdicts = judgeWindow(
      planOf([psi]),
      aggregatesOf({ drift: [numeric(), categorical({ psi: 0.9 })] }),
    );
    expect(verdicts.map((v) => v.feature)).toEqual(['amount']);
  });
});

describe('test checks (ks, chi2)', () => {
  const ks: CheckPlan = {
    id: 'ks',
    metric: 'ks',
    features: ['amount', 'country'],
    pValue: 0.01,
    minStatistic: 0.1,
    severity: 'warn',
  };

  it('breaches when p is below the limit and the effect reaches its minimum, on numeric features only', () => {
    const verdicts = judgeWindow(
      planOf([ks]),
      aggregatesOf({
        drift: [numeric({ ks: { statistic: 0.2, p_value: 0.001 } }), categorical()],
      }),
    );
    expect(verdicts).toEqual([
      {
        ...EMPTY,
        checkId: 'ks',
        metric: 'ks',
        feature: 'amount',
        sliceKey: '',
        sliceValue: 'all',
        status: 'warn',
        value: 0.2,
        pValue: 0.001,
        criticalThreshold: 0.01,
        nReference: 1000,
        nCurrent: 500,
        details: { effect: 0.2, min_effect: 0.1 },
      },
    ]);
  });

  it.each([
    [0.001, 0.05, 'ok'], // significant, but a harmless effect
    [0.02, 0.5, 'ok'], // a large effect, not significant
    [0.001, 0.1, 'warn'], // the minimum effect is reached at equality
  ] as const)('p %s with D %s is %s', (p, d, status) => {
    const verdict = judgeOne(
      { ...ks, features: ['amount'] },
      aggregatesOf({ drift: [numeric({ ks: { statistic: d, p_value: p } })] }),
    );
    expect(verdict.status).toBe(status);
  });

  it('is undecided at its worst case when the p-value bracket straddles the limit', () => {
    const verdict = judgeOne(
      { ...ks, features: ['amount'] },
      aggregatesOf({
        drift: [
          numeric({
            ks: { statistic: 0.3, p_value: 0.008 },
            brackets: { ks_statistic: [0.28, 0.32], ks_p_value: [0.005, 0.02] },
          }),
        ],
      }),
    );
    expect(verdict).toMatchObject({
      status: 'warn',
      undecided: true,
      value: 0.3,
      valueLower: 0.28,
      valueUpper: 0.32,
      pValue: 0.008,
      pValueLower: 0.005,
      pValueUpper: 0.02,
      details: { effect: 0.3, effect_bracket: [0.28, 0.32], min_effect: 0.1 },
    });
  });

  it('is undecided when the effect bracket straddles its minimum though p is decided', () => {
    const verdict = judgeOne(
      { ...ks, features: ['amount'] },
      aggregatesOf({
        drift: [
          numeric({
            ks: { statistic: 0.1, p_value: 1e-9 },
            brackets: { ks_statistic: [0.09, 0.11], ks_p_value: [1e-10, 1e-8] },
          }),
        ],
      }),
    );
    expect(verdict).toMatchObject({ status: 'warn', undecided: true });
  });

  it('chi2 judges categorical features, with the Jensen-Shannon distance as its effect', () => {
    const chi2: CheckPlan = { ...ks, id: 'chi2', metric: 'chi2', severity: 'critical' };
    const verdicts = judgeWindow(
      planOf([chi2]),
      aggregatesOf({
        drift: [
          numeric({ ks: { statistic: 0.9, p_value: 0 } }),
          categorical({
            chi2: { statistic: 40, p_value: 1e-6, dof: 3 },
            jensen_shannon: 0.15,
            new_categories: ['xx'],
          }),
        ],
      }),
    );
    expect(verdicts).toEqual([
      {
        ...EMPTY,
        checkId: 'chi2',
        metric: 'chi2',
        feature: 'country',
        sliceKey: '',
        sliceValue: 'all',
        status: 'critical',
        value: 40,
        pValue: 1e-6,
        criticalThreshold: 0.01,
        nReference: 1000,
        nCurrent: 500,
        details: { effect: 0.15, min_effect: 0.1, dof: 3, new_categories: ['xx'] },
      },
    ]);
  });
});

describe('null_rate', () => {
  const check: CheckPlan = {
    id: 'null_rate',
    metric: 'null_rate',
    features: ['amount'],
    maxIncrease: 0.05,
    severity: 'critical',
  };

  it('breaches when the null rate rose by more than max_increase', () => {
    const entry = numeric({
      null_rate: { reference: 0.01, current: 0.1 },
      quality: { reference: quality(1000, 10), current: quality(500, 50) },
    });
    const verdict = judgeOne(check, aggregatesOf({ drift: [entry] }));
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'null_rate',
      metric: 'null_rate',
      feature: 'amount',
      sliceKey: '',
      sliceValue: 'all',
      status: 'critical',
      value: 0.1 - 0.01,
      criticalThreshold: 0.05,
      nReference: 1000,
      nCurrent: 500,
      details: { null_rate_reference: 0.01, null_rate_current: 0.1 },
    });
  });

  it('is ok at an increase of exactly max_increase, and insufficient without rows', () => {
    // 0.5 − 0.25 is exactly 0.25 in binary floating point
    const at = numeric({ null_rate: { reference: 0.25, current: 0.5 } });
    const quarter = { ...check, maxIncrease: 0.25 };
    expect(judgeOne(quarter, aggregatesOf({ drift: [at] })).status).toBe('ok');
    expect(
      judgeOne({ ...quarter, maxIncrease: 0.2499 }, aggregatesOf({ drift: [at] })).status,
    ).toBe('critical');
    const none = numeric({
      null_rate: { reference: 0, current: null },
      quality: { reference: quality(1000), current: quality(0) },
    });
    expect(judgeOne(check, aggregatesOf({ drift: [none] }))).toMatchObject({
      status: 'insufficient_data',
      nReference: 1000,
      nCurrent: 0,
    });
  });
});

describe('new_categories', () => {
  it('counts the categories the baseline never had, on categorical features', () => {
    const check: CheckPlan = {
      id: 'new_categories',
      metric: 'new_categories',
      features: ['amount', 'country'],
      severity: 'warn',
    };
    const verdicts = judgeWindow(
      planOf([check]),
      aggregatesOf({ drift: [numeric(), categorical({ new_categories: ['xx', 'yy'] })] }),
    );
    expect(verdicts).toEqual([
      {
        ...EMPTY,
        checkId: 'new_categories',
        metric: 'new_categories',
        feature: 'country',
        sliceKey: '',
        sliceValue: 'all',
        status: 'warn',
        value: 2,
        nReference: 1000,
        nCurrent: 500,
        details: { new_categories: ['xx', 'yy'] },
      },
    ]);
  });
});

describe('rates of the window (out_of_range, wrong_type, non_finite, duplicate_ids)', () => {
  const outOfRange: CheckPlan = {
    id: 'out_of_range',
    metric: 'out_of_range',
    features: ['amount'],
    maxRate: 0.01,
    severity: 'critical',
  };

  it('judges an exact count against max_rate (strictly above breaches)', () => {
    const at = judgeOne(
      outOfRange,
      aggregatesOf({ quality: [sliceQuality({ outOfRange: { amount: { lower: 5, upper: 5 } } })] }),
    );
    expect(at).toEqual({
      ...EMPTY,
      checkId: 'out_of_range',
      metric: 'out_of_range',
      feature: 'amount',
      sliceKey: '',
      sliceValue: 'all',
      status: 'ok', // 5 / 500 = 0.01, not above
      value: 5 / 500,
      criticalThreshold: 0.01,
      nReference: 0,
      nCurrent: 500,
      details: { count: 5 },
    });
    const above = judgeOne(
      outOfRange,
      aggregatesOf({ quality: [sliceQuality({ outOfRange: { amount: { lower: 6, upper: 6 } } })] }),
    );
    expect(above.status).toBe('critical');
  });

  it('is undecided when the count bracket straddles max_rate, and states the bracket', () => {
    const verdict = judgeOne(
      outOfRange,
      aggregatesOf({ quality: [sliceQuality({ outOfRange: { amount: { lower: 2, upper: 8 } } })] }),
    );
    expect(verdict).toMatchObject({
      status: 'critical',
      undecided: true,
      value: 5 / 500,
      valueLower: 2 / 500,
      valueUpper: 8 / 500,
      details: { count_bracket: [2, 8] },
    });
  });

  it('reads wrong types and non-finite values from their own counts', () => {
    const slice = sliceQuality({ wrongType: { amount: 50 }, nonFinite: { amount: 1 } });
    const wrong = judgeOne(
      { ...outOfRange, id: 'wrong_type', metric: 'wrong_type', maxRate: 0.05 },
      aggregatesOf({ quality: [slice] }),
    );
    expect(wrong).toMatchObject({ status: 'critical', value: 50 / 500, details: { count: 50 } });
    const nonFinite = judgeOne(
      { ...outOfRange, id: 'non_finite', metric: 'non_finite', maxRate: 0.05 },
      aggregatesOf({ quality: [slice] }),
    );
    expect(nonFinite).toMatchObject({ status: 'ok', value: 1 / 500, details: { count: 1 } });
  });

  it('is insufficient data on a slice with fewer rows than min_samples', () => {
    expect(
      judgeOne(outOfRange, aggregatesOf({ quality: [sliceQuality({ rows: 99 })] })),
    ).toMatchObject({ status: 'insufficient_data', nCurrent: 99, value: null });
  });

  it('duplicate_ids: the share of duplicated prediction ids, insufficient when not counted', () => {
    const check: CheckPlan = {
      id: 'duplicate_ids',
      metric: 'duplicate_ids',
      maxRate: 0.001,
      severity: 'warn',
    };
    expect(judgeOne(check, aggregatesOf({ quality: [sliceQuality({ duplicateIds: 3 })] }))).toEqual(
      {
        ...EMPTY,
        checkId: 'duplicate_ids',
        metric: 'duplicate_ids',
        feature: '',
        sliceKey: '',
        sliceValue: 'all',
        status: 'warn',
        value: 3 / 500,
        criticalThreshold: 0.001,
        nReference: 0,
        nCurrent: 500,
        details: { duplicates: 3 },
      },
    );
    expect(judgeOne(check, aggregatesOf()).status).toBe('insufficient_data');
  });
});

describe('checks of the window as a whole (schema, volume, freshness)', () => {
  it('schema: names the declared features that are missing and the fields the baseline never had', () => {
    const check: CheckPlan = { id: 'schema', metric: 'schema', severity: 'warn' };
    const verdict = judgeOne(
      check,
      aggregatesOf({
        paths: { baseline: ['amount', 'country'], current: ['zeta', 'amount', 'new'] },
      }),
    );
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'schema',
      metric: 'schema',
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'warn',
      value: 3,
      nReference: 0,
      nCurrent: 500,
      details: { missing_features: ['country'], new_features: ['new', 'zeta'] },
    });
  });

  const volume: CheckPlan = {
    id: 'volume',
    metric: 'volume',
    minRatio: 0.5,
    maxRatio: 2,
    trailingMs: 7 * 86_400_000,
    severity: 'critical',
  };

  it.each([
    [1000, 0.5, 'ok'],
    [1001, 500 / 1001, 'critical'],
    [250, 2, 'ok'],
    [249, 500 / 249, 'critical'],
  ] as const)(
    'volume: 500 events against %s expected is a ratio of %s: %s',
    (expected, ratio, status) => {
      const verdict = judgeOne(
        volume,
        aggregatesOf({
          activity: { ...aggregatesOf().activity, expectedEvents: { volume: expected } },
        }),
      );
      expect(verdict).toEqual({
        ...EMPTY,
        checkId: 'volume',
        metric: 'volume',
        feature: '',
        sliceKey: '',
        sliceValue: 'all',
        status,
        value: ratio,
        warnThreshold: 2,
        criticalThreshold: 0.5,
        nReference: Math.round(expected),
        nCurrent: 500,
        details: { events: 500, expected_events: expected, trailing_seconds: 7 * 86_400 },
      });
    },
  );

  it('volume: expects nothing without a trailing history, and says why when it expired', () => {
    expect(judgeOne(volume, aggregatesOf())).toMatchObject({
      status: 'insufficient_data',
      value: null,
      details: { reason: 'no events in the trailing period to expect a volume from', events: 500 },
    });
    const expired = judgeOne(
      volume,
      aggregatesOf({
        activity: {
          ...aggregatesOf().activity,
          expectedEvents: { volume: null },
          trailingExpired: { volume: 'the trailing period: past retention' },
        },
      }),
    );
    expect(expired.details).toEqual({ reason: 'the trailing period: past retention', events: 500 });
  });

  it('freshness: seconds from the last event to the window end against max_delay', () => {
    const check: CheckPlan = {
      id: 'freshness',
      metric: 'freshness',
      maxDelayMs: 600_000,
      severity: 'warn',
    };
    const at = (lastEvent: number | null) =>
      judgeOne(check, aggregatesOf({ activity: { ...aggregatesOf().activity, lastEvent } }));
    expect(at(END - 600_000)).toMatchObject({ status: 'ok', value: 600, criticalThreshold: 600 });
    expect(at(END - 600_001)).toMatchObject({ status: 'warn', value: 600.001 });
    expect(at(END - 600_001).details).toEqual({
      last_event: new Date(END - 600_001).toISOString(),
    });
    expect(at(null)).toMatchObject({
      status: 'no_data',
      value: null,
      details: { reason: 'no event found before the window’s end' },
    });
  });
});

describe('positive_rate', () => {
  const check: CheckPlan = {
    id: 'positive_rate',
    metric: 'positive_rate',
    maxShift: 0.05,
    pValue: 0.01,
    severity: 'critical',
  };

  it('breaches on a shift beyond max_shift that the z-test finds significant', () => {
    // reference 200 / 1000 = 0.2; current 150 / 500 = 0.3
    const verdict = judgeOne(
      check,
      aggregatesOf({ quality: [sliceQuality({ predictedPositives: { lower: 150, upper: 150 } })] }),
    );
    const test = zTest(200, 1000, 150, 500);
    expect(test.p).toBeLessThan(0.01);
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'positive_rate',
      metric: 'positive_rate',
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'critical',
      value: 150 / 500 - 0.2,
      pValue: test.p,
      criticalThreshold: 0.05,
      nReference: 1000,
      nCurrent: 500,
      details: {
        rate_reference: 0.2,
        rate_current: 0.3,
        z: test.z,
        threshold: 0.5,
        p_value_limit: 0.01,
      },
    });
    expect(verdict.pValue).toBeCloseTo(test.p, 12);
  });

  it('is ok on a large shift that is not significant (small samples)', () => {
    const small = sliceQuality({
      rows: 120,
      scored: 120,
      predictedPositives: { lower: 33, upper: 33 },
    });
    const test = zTest(200, 1000, 33, 120);
    const expected = test.p < 0.01 && Math.abs(33 / 120 - 0.2) > 0.05 ? 'critical' : 'ok';
    expect(expected).toBe('ok');
    expect(judgeOne(check, aggregatesOf({ quality: [small] })).status).toBe(expected);
  });

  it('brackets the shift and the p-value from the count bracket; undecided when its ends disagree', () => {
    // 110..140 of 500: shifts 0.02..0.08 straddle max_shift
    const verdict = judgeOne(
      check,
      aggregatesOf({ quality: [sliceQuality({ predictedPositives: { lower: 110, upper: 140 } })] }),
    );
    const near = zTest(200, 1000, 110, 500); // nearest the reference rate 0.2 (100 of 500)
    const far = zTest(200, 1000, 140, 500);
    const middle = zTest(200, 1000, 125, 500);
    expect(verdict).toMatchObject({
      status: 'critical', // the worst case: 140 of 500 breaches
      undecided: true,
      value: 125 / 500 - 0.2,
    });
    expect(verdict.valueLower).toBeCloseTo(110 / 500 - 0.2, 15);
    expect(verdict.valueUpper).toBeCloseTo(140 / 500 - 0.2, 15);
    expect(verdict.pValue).toBeCloseTo(middle.p, 12);
    expect(verdict.pValueLower).toBeCloseTo(far.p, 12);
    expect(verdict.pValueUpper).toBeCloseTo(near.p, 12);
  });

  it('takes the p-value bracket from the reference rate when the count bracket spans it', () => {
    // 60..160 of 500 spans the reference 100: its nearest end is a shift of 0 (p = 1)
    const verdict = judgeOne(
      check,
      aggregatesOf({ quality: [sliceQuality({ predictedPositives: { lower: 60, upper: 160 } })] }),
    );
    expect(verdict.pValueUpper).toBeCloseTo(1, 12);
    expect(verdict).toMatchObject({ status: 'critical', undecided: true });
  });

  it('is insufficient data without a threshold or with too few scores', () => {
    expect(judgeOne(check, aggregatesOf(), planOf([check], { threshold: null })).status).toBe(
      'insufficient_data',
    );
    expect(
      judgeOne(check, aggregatesOf({ quality: [sliceQuality({ scored: 50 })] })),
    ).toMatchObject({ status: 'insufficient_data', nReference: 1000, nCurrent: 50 });
  });
});

describe('checks on a regression’s labels (mae, rmse, mape, r2)', () => {
  // labels 1, 2, 3, 4 predicted 2, 2, 2, 6, a hundred times over (labels.min_count is 50):
  // errors 1, 0, 1, 2; MAE 1, MSE 6 / 4, MAPE (1 + 0 + 1/3 + 1/2) / 4; the labels' mean 2.5
  // and Σ(y − ȳ)² 5, so R² = 1 − 6 / 5
  const copies = 100;
  const regression = (count = 4 * copies) => [
    {
      slice: 'all',
      key: '',
      value: 'all',
      n: count + 10,
      count,
      absoluteErrorSum: (4 * count) / 4,
      squaredErrorSum: (6 * count) / 4,
      absolutePercentageErrorSum: ((1 + 1 / 3 + 1 / 2) * count) / 4,
      labelMean: 2.5,
      labelM2: (5 * count) / 4,
    },
  ];
  const judge = (check: CheckPlan, count?: number) =>
    judgeOne(check, aggregatesOf({ regression: regression(count) }));

  it('judges each error at or above its thresholds, and R² below its minimum', () => {
    expect(judge({ id: 'mae', metric: 'mae', warn: 0.5, critical: 2 })).toMatchObject({
      status: 'warn',
      value: 1,
      nCurrent: 400,
      details: { labelled: 400, predictions: 410 },
    });
    expect(judge({ id: 'rmse', metric: 'rmse', warn: null, critical: 1.2 })).toMatchObject({
      status: 'critical',
      value: Math.sqrt(1.5),
    });
    const mape = judge({ id: 'mape', metric: 'mape', warn: null, critical: 0.5 });
    expect(mape.status).toBe('ok');
    expect(mape.value).toBeCloseTo(11 / 24, 15);
    const r2 = judge({ id: 'r2', metric: 'r2', min: 0, warn: null });
    expect(r2.status).toBe('critical');
    expect(r2.value).toBeCloseTo(-0.2, 15);
  });

  it('is insufficient data with fewer labels than labels.min_count, or none at all', () => {
    const check: CheckPlan = { id: 'mae', metric: 'mae', warn: 1, critical: null };
    expect(judge(check, 40)).toMatchObject({
      status: 'insufficient_data',
      details: { reason: 'fewer than 50 labelled predictions', labelled: 40, predictions: 50 },
    });
    expect(judgeOne(check, aggregatesOf({ regression: [] }))).toMatchObject({
      status: 'insufficient_data',
      sliceValue: 'all',
      details: { labelled: 0, predictions: 0 },
    });
  });
});

describe('checks on labels (auroc, actual_positive_rate)', () => {
  // scores with labels: AUROC by counting every (positive, negative) pair, ties half
  const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2];
  const labels = [1, 1, 0, 1, 0, 1, 0, 0];
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  let pairsWon = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] === 0) pairsWon += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  const auroc = pairsWon / (positives * negatives);
  const scale = 100; // the same pairs a hundred times over, for min_count
  const classification = (n = scale * labels.length) => [
    {
      slice: '\u0000all',
      key: '',
      value: 'all',
      n: n + 40,
      labelled: n,
      positives: positives * (n / labels.length),
      negatives: negatives * (n / labels.length),
      predictedPositives: 0,
      scored: n,
      pairsWon: pairsWon * (n / labels.length) ** 2,
    },
  ];

  it('auroc: below min is critical, below warn is warn; value as counted pairwise', () => {
    expect(auroc).toBeCloseTo(12.5 / 16, 15); // 4 + 3.5 + 3 + 2 pairs won of 4 × 4
    const judge = (min: number, warn: number | null) =>
      judgeOne(
        { id: 'auroc', metric: 'auroc', min, warn },
        aggregatesOf({ classification: classification() }),
      );
    expect(judge(0.7, null)).toEqual({
      ...EMPTY,
      checkId: 'auroc',
      metric: 'auroc',
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'ok',
      value: auroc,
      warnThreshold: null,
      criticalThreshold: 0.7,
      nReference: 0,
      nCurrent: 800,
      details: { positives: 400, negatives: 400, predictions: 840 },
    });
    expect(judge(0.7, 0.85).status).toBe('warn');
    expect(judge(0.82, 0.9).status).toBe('critical');
  });

  it('auroc: too few labels, or no labelled window at all, is insufficient data', () => {
    const check: CheckPlan = { id: 'auroc', metric: 'auroc', min: 0.7, warn: null };
    // like every other check's, an insufficient verdict states the thresholds in force
    expect(judgeOne(check, aggregatesOf({ classification: classification(40) }))).toMatchObject({
      status: 'insufficient_data',
      criticalThreshold: 0.7,
      warnThreshold: null,
      nCurrent: 40,
      details: { reason: 'fewer than 50 labelled predictions', labelled: 40, predictions: 80 },
    });
    expect(judgeOne(check, aggregatesOf({ classification: [] }))).toMatchObject({
      status: 'insufficient_data',
      sliceValue: 'all',
      details: { labelled: 0, predictions: 0 },
    });
  });

  it('actual_positive_rate: the labels’ positive share against the baseline’s', () => {
    const check: CheckPlan = {
      id: 'actual_positive_rate',
      metric: 'actual_positive_rate',
      maxShift: 0.1,
      severity: 'warn',
    };
    const verdict = judgeOne(check, aggregatesOf({ classification: classification() }));
    const test = zTest(300, 1000, 400, 800);
    expect(verdict).toEqual({
      ...EMPTY,
      checkId: 'actual_positive_rate',
      metric: 'actual_positive_rate',
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'warn', // 0.5 − 0.3 = 0.2 > 0.1
      value: 0.5 - 0.3,
      pValue: test.p,
      criticalThreshold: 0.1,
      nReference: 1000,
      nCurrent: 800,
      details: { rate_reference: 0.3, rate_current: 0.5 },
    });
    const noReference = aggregatesOf({ classification: classification(), baselineScores: [] });
    expect(judgeOne(check, noReference).status).toBe('insufficient_data');
  });
});

describe('a window without events', () => {
  it('gives every check one no_data verdict, except the label checks, which judge their own window', () => {
    const checks: CheckPlan[] = [
      { id: 'psi', metric: 'psi', features: ['amount'], warn: 0.1, critical: 0.25 },
      {
        id: 'volume',
        metric: 'volume',
        minRatio: 0.5,
        maxRatio: null,
        trailingMs: 86_400_000,
        severity: 'warn',
      },
      { id: 'freshness', metric: 'freshness', maxDelayMs: 600_000, severity: 'critical' },
      { id: 'auroc', metric: 'auroc', min: 0.7, warn: null },
    ];
    const verdicts = judgeWindow(
      planOf(checks),
      aggregatesOf({
        drift: [numeric({ n_current: 0 })],
        quality: [],
        activity: { events: 0, lastEvent: END - 7_200_000, windowEnd: END, expectedEvents: {} },
        classification: [],
      }),
    );
    const noData = (checkId: string, metric: string, value: number | null) => ({
      ...EMPTY,
      checkId,
      metric,
      feature: '',
      sliceKey: '',
      sliceValue: 'all',
      status: 'no_data',
      value,
      nReference: 0,
      nCurrent: 0,
      details: { reason: 'no events in the window', seconds_since_last_event: 7200 },
    });
    expect(verdicts.slice(0, 3)).toEqual([
      noData('psi', 'psi', null),
      noData('volume', 'volume', 0),
      noData('freshness', 'freshness', 7200),
    ]);
    expect(verdicts[3]).toMatchObject({ checkId: 'auroc', status: 'insufficient_data' });
    expect(verdicts).toHaveLength(4);
  });

  it('says nothing of the last event when none was found', () => {
    const check: CheckPlan = { id: 'schema', metric: 'schema', severity: 'warn' };
    const [verdict] = judgeWindow(
      planOf([check]),
      aggregatesOf({
        activity: { events: 0, lastEvent: null, windowEnd: END, expectedEvents: {} },
      }),
    );
    expect(verdict).toMatchObject({
      status: 'no_data',
      value: null,
      details: { reason: 'no events in the window' },
    });
  });
});

describe('data readiness (issue 20: a page before the first event)', () => {
  const checks: CheckPlan[] = [
    { id: 'psi', metric: 'psi', features: ['amount'], warn: 0.1, critical: 0.25 },
    { id: 'schema', metric: 'schema', severity: 'warn' },
  ];
  const neverSent = (windowEnd = END) =>
    aggregatesOf({
      drift: [],
      quality: [],
      activity: {
        events: 0,
        lastEvent: null,
        windowEnd,
        expectedEvents: {},
        sentEventsBefore: false,
      },
    });

  it('says awaiting_data, never no_data, for an empty window of a model that has never sent an event', () => {
    const verdicts = judgeWindow(planOf(checks), neverSent());
    expect(verdicts.map((v) => [v.checkId, v.feature, v.status])).toEqual([
      ['psi', '', 'awaiting_data'],
      ['schema', '', 'awaiting_data'],
    ]);
    expect(verdicts[0]?.details.reason).toMatch(/no event from this model yet/);
  });

  it('says no_data from the time the monitor expects data from, even before a first event', () => {
    const from = new Date(END - 3_600_000);
    const plan = planOf(checks, { expectDataFrom: from });
    const [after] = judgeWindow(plan, neverSent());
    expect(after).toMatchObject({
      status: 'no_data',
      details: { expect_data_from: from.toISOString() },
    });
    const [before] = judgeWindow(plan, neverSent(END - 2 * 3_600_000));
    expect(before).toMatchObject({
      status: 'awaiting_data',
      details: { expect_data_from: from.toISOString() },
    });
  });

  it('keeps no_data for a model that has sent events before', () => {
    const [verdict] = judgeWindow(
      planOf(checks),
      aggregatesOf({
        activity: {
          events: 0,
          lastEvent: null,
          windowEnd: END,
          expectedEvents: {},
          sentEventsBefore: true,
        },
      }),
    );
    expect(verdict?.status).toBe('no_data');
  });
});

describe('the false discovery rate (Benjamini-Hochberg)', () => {
  /** p_(i) · m / i for the i-th smallest, made monotone from the largest down. */
  function bh(pValues: number[]): number[] {
    const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
    const out = new Array<number>(pValues.length);
    let min = 1;
    for (let rank = order.length; rank >= 1; rank -= 1) {
      const { p, i } = order[rank - 1] as { p: number; i: number };
      min = Math.min(min, (p * order.length) / rank);
      out[i] = min;
    }
    return out;
  }

  const ks: CheckPlan = {
    id: 'ks',
    metric: 'ks',
    features: ['amount'],
    pValue: 0.01,
    minStatistic: 0.1,
    severity: 'critical',
  };
  const psi: CheckPlan = {
    id: 'psi',
    metric: 'psi',
    features: ['amount'],
    warn: 0.1,
    critical: 0.25,
  };
  const slices = ['all', 'channel=web', 'channel=app', 'channel=store'];
  const pValues = [0.004, 0.009, 0.03, 0.2];
  const drift: FeatureDrift[] = slices.map((slice, i) =>
    numeric({ slice, ks: { statistic: 0.3, p_value: pValues[i] ?? 1 }, psi: 0.5 }),
  );

  it('adjusts every test p-value of the run together and judges on the adjusted one', () => {
    const plan = planOf([ks, psi], { falseDiscoveryRate: 'benjamini-hochberg' });
    const verdicts = judgeWindow(plan, aggregatesOf({ drift }));
    const adjusted = bh(pValues);
    const tests = verdicts.filter((v) => v.metric === 'ks');
    expect(tests.map((v) => v.adjustedPValue)).toEqual(adjusted.map((p) => expect.closeTo(p, 15)));
    // 0.004 · 4 / 1 = 0.016 and 0.009 · 4 / 2 = 0.018: neither is below 0.01 once adjusted
    expect(tests.map((v) => v.status)).toEqual(adjusted.map((p) => (p < 0.01 ? 'critical' : 'ok')));
    expect(tests.map((v) => v.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // distances are no tests: untouched
    const distances = verdicts.filter((v) => v.metric === 'psi');
    expect(distances.map((v) => [v.status, v.adjustedPValue])).toEqual(
      slices.map(() => ['critical', null]),
    );
  });

  it('leaves p-values alone without the correction', () => {
    const verdicts = judgeWindow(planOf([ks]), aggregatesOf({ drift }));
    expect(verdicts.map((v) => [v.status, v.adjustedPValue])).toEqual([
      ['critical', null],
      ['critical', null],
      ['ok', null],
      ['ok', null],
    ]);
  });

  it('adjusts both ends of a p-value bracket: undecided when the adjusted ends straddle the limit', () => {
    const bracketed = [
      numeric({
        ks: { statistic: 0.3, p_value: 0.002 },
        brackets: { ks_p_value: [0.001, 0.004] },
      }),
      numeric({ slice: 'channel=web', ks: { statistic: 0.3, p_value: 0.5 } }),
    ];
    const plan = planOf([ks], { falseDiscoveryRate: 'benjamini-hochberg' });
    const [first] = judgeWindow(plan, aggregatesOf({ drift: bracketed }));
    // low end 0.001 · 2 = 0.002 < 0.01; high end 0.004 · 2 = 0.008 < 0.01: decided
    expect(first).toMatchObject({ status: 'critical', undecided: false });
    expect(first?.adjustedPValue).toBeCloseTo(0.004, 15);
    const wider = [
      numeric({
        ks: { statistic: 0.3, p_value: 0.004 },
        brackets: { ks_p_value: [0.001, 0.008] },
      }),
      bracketed[1] as FeatureDrift,
    ];
    const [straddling] = judgeWindow(plan, aggregatesOf({ drift: wider }));
    // high end 0.008 · 2 = 0.016 ≥ 0.01: the bracket straddles once adjusted
    expect(straddling).toMatchObject({ status: 'critical', undecided: true });
  });

  it('re-judges a bracketed positive-rate shift on its adjusted p-value', () => {
    const check: CheckPlan = {
      id: 'positive_rate',
      metric: 'positive_rate',
      maxShift: 0.05,
      pValue: 0.01,
      severity: 'warn',
    };
    const plan = planOf([check], { falseDiscoveryRate: 'benjamini-hochberg' });
    const [verdict] = judgeWindow(
      plan,
      aggregatesOf({ quality: [sliceQuality({ predictedPositives: { lower: 150, upper: 150 } })] }),
    );
    const test = zTest(200, 1000, 150, 500);
    expect(verdict?.adjustedPValue).toBeCloseTo(test.p, 12); // one test: adjusted = itself
    expect(verdict).toMatchObject({ status: 'warn', undecided: false });
  });

  it('keeps insufficient data as it is', () => {
    const plan = planOf([ks], { falseDiscoveryRate: 'benjamini-hochberg' });
    const verdicts = judgeWindow(
      plan,
      aggregatesOf({ drift: [numeric({ n_current: 10, ks: { statistic: 0.9, p_value: 0 } })] }),
    );
    expect(verdicts[0]).toMatchObject({ status: 'insufficient_data', adjustedPValue: null });
  });
});

describe('performance estimated before labels (estimated_*, estimation_error)', () => {
  /** A CBPE estimate of a window of n scores, its metrics given as [value, lower, upper, σ]. */
  const metric = ([value, lower, upper, sigma]: number[]) => ({
    value: value ?? NaN,
    lower: lower ?? NaN,
    upper: upper ?? NaN,
    sigma: sigma ?? NaN,
    band: {
      lower: (lower ?? NaN) - 3 * (sigma ?? NaN),
      upper: (upper ?? NaN) + 3 * (sigma ?? NaN),
    },
  });
  const count = (v: number) => ({ lower: v, upper: v });
  const estimateOf = (n: number, accuracy: number[], rocAuc: number[]) => ({
    key: '',
    value: 'all',
    n,
    expected: { tp: count(120), fp: count(30), fn: count(50), tn: count(300) },
    accuracy: metric(accuracy),
    precision: metric([0.8, 0.8, 0.8, 0.02]),
    recall: metric([0.7, 0.7, 0.7, 0.03]),
    f1: metric([0.75, 0.75, 0.75, 0.02]),
    roc_auc: metric(rocAuc),
  });
  const estimated = (overrides: Partial<NonNullable<WindowAggregates['estimated']>> = {}) => ({
    calibration: { labelled: 1000, knots: 12 },
    bandWidth: 3,
    window: [estimateOf(500, [0.84, 0.84, 0.84, 0.01], [0.8, 0.79, 0.81, 0.02])],
    labelWindow: null,
    realized: null,
    ...overrides,
  });

  it('estimated_roc_auc: the estimate with its bracket and its band (±3σ around the bracket), judged like a score', () => {
    const check: CheckPlan = {
      id: 'est',
      metric: 'estimated_roc_auc',
      min: 0.7,
      warn: 0.85,
    };
    const verdict = judgeOne(check, aggregatesOf({ estimated: estimated() }));
    expect(verdict).toMatchObject({
      status: 'warn', // 0.79..0.81 < 0.85: warn at both ends
      undecided: false,
      value: 0.8,
      valueLower: 0.79,
      valueUpper: 0.81,
      bandLower: 0.79 - 0.06,
      bandUpper: 0.81 + 0.06,
      estimatedValue: null,
      warnThreshold: 0.85,
      criticalThreshold: 0.7,
      nReference: 1000,
      nCurrent: 500,
    });
    expect(verdict.details).toMatchObject({ sigma: 0.02, band_width: 3 });
    expect(String(verdict.details.band_meaning)).toContain('99.7%');
    // a bracket straddling min is undecided at its worst end
    const straddling = judgeOne(
      { ...check, min: 0.8, warn: null },
      aggregatesOf({ estimated: estimated() }),
    );
    expect(straddling).toMatchObject({ status: 'critical', undecided: true });
  });

  it('estimated_accuracy: exact from the cells, no bracket; insufficient without a labelled baseline or scores', () => {
    const check: CheckPlan = { id: 'acc', metric: 'estimated_accuracy', min: 0.9, warn: null };
    expect(judgeOne(check, aggregatesOf({ estimated: estimated() }))).toMatchObject({
      status: 'critical',
      value: 0.84,
      valueLower: null,
      valueUpper: null,
      bandLower: 0.84 - 0.03,
      bandUpper: 0.84 + 0.03,
    });
    const uncalibrated = judgeOne(
      check,
      aggregatesOf({ estimated: estimated({ calibration: null, window: [] }) }),
    );
    expect(uncalibrated).toMatchObject({ status: 'insufficient_data', value: null });
    expect(String(uncalibrated.details.reason)).toContain('no labelled scores');
    // a calibration on 999 labels is not trusted: its own error is not in the band
    const small = judgeOne(
      check,
      aggregatesOf({ estimated: estimated({ calibration: { labelled: 999, knots: 5 } }) }),
    );
    expect(small).toMatchObject({
      status: 'insufficient_data',
      value: null,
      nReference: 999,
      details: { min_reference_labels: 1000 },
    });
    const few = judgeOne(
      check,
      aggregatesOf({
        estimated: estimated({
          window: [estimateOf(40, [0.8, 0.8, 0.8, 0.1], [0.8, 0.8, 0.8, 0.1])],
        }),
      }),
    );
    expect(few).toMatchObject({ status: 'insufficient_data', nCurrent: 40 });
  });

  describe('estimation_error', () => {
    // the label window: 100 labelled predictions, tp 30, fp 10, fn 20, tn 40 at the threshold
    const confusion = { tp: 30, fp: 10, fn: 20, tn: 40 };
    const realizedAccuracy = (30 + 40) / 100;
    // 50 positives, 50 negatives, 2000 of the 2500 pairs won
    const classification = [
      {
        slice: '\u0000all',
        key: '',
        value: 'all',
        n: 120,
        labelled: 100,
        positives: 50,
        negatives: 50,
        predictedPositives: 40,
        scored: 100,
        pairsWon: 2000,
      },
    ];
    const labelWindow = [estimateOf(120, [0.76, 0.76, 0.76, 0.01], [0.9, 0.89, 0.91, 0.01])];
    const aggregates = aggregatesOf({
      classification,
      estimated: estimated({
        labelWindow,
        realized: [{ key: '', value: 'all', ...confusion }],
      }),
    });

    it('holds the realized value against the estimate’s band: outside by more than the tolerance breaches', () => {
      const check = (tolerance: number): CheckPlan => ({
        id: 'err',
        metric: 'estimation_error',
        estimate: 'accuracy',
        tolerance,
        severity: 'critical',
      });
      // band [0.73, 0.79]; realized 0.7 lies 0.03 below it
      expect(judgeOne(check(0.01), aggregates)).toMatchObject({
        status: 'critical',
        value: realizedAccuracy,
        estimatedValue: 0.76,
        bandLower: 0.76 - 3 * 0.01,
        bandUpper: 0.76 + 3 * 0.01,
        criticalThreshold: 0.01,
        nReference: 1000,
        nCurrent: 100,
        details: { estimate: 'accuracy', tolerance: 0.01, labelled: 100, predictions: 120 },
      });
      expect(judgeOne(check(0.01), aggregates).details.outside_band_by).toBeCloseTo(0.03, 12);
      expect(judgeOne(check(0.05), aggregates).status).toBe('ok');
    });

    it('compares the estimated AUROC with the label window’s pairs, the bracket inside the band', () => {
      const verdict = judgeOne(
        {
          id: 'err',
          metric: 'estimation_error',
          estimate: 'roc_auc',
          tolerance: 0,
          severity: 'warn',
        },
        aggregates,
      );
      // realized 2000 / 2500 = 0.8, band [0.89 − 0.03, 0.91 + 0.03]
      expect(verdict).toMatchObject({
        status: 'warn',
        value: 0.8,
        estimatedValue: 0.9,
        valueLower: null,
        bandLower: 0.89 - 3 * 0.01,
        bandUpper: 0.91 + 3 * 0.01,
      });
      expect(verdict.details.estimate_bracket).toEqual([0.89, 0.91]);
    });

    it('is insufficient with too few labels, and says why without an estimate for the label window', () => {
      const check: CheckPlan = {
        id: 'err',
        metric: 'estimation_error',
        estimate: 'roc_auc',
        tolerance: 0,
        severity: 'critical',
      };
      const few = [{ ...classification[0], labelled: 40 }] as typeof classification;
      expect(judgeOne(check, { ...aggregates, classification: few })).toMatchObject({
        status: 'insufficient_data',
        details: { reason: 'fewer than 50 labelled predictions' },
      });
      const unread = judgeOne(check, {
        ...aggregates,
        estimated: estimated({ labelWindow: [], labelWindowUnreadable: 'expired' }),
      });
      expect(unread).toMatchObject({ status: 'insufficient_data', details: { reason: 'expired' } });
    });
  });
});

describe('judging a window again after some drift entries are replaced (a backtest refining KS pairs)', () => {
  const ks: CheckPlan = {
    id: 'ks',
    metric: 'ks',
    features: ['amount'],
    pValue: 0.01,
    minStatistic: 0.1,
    severity: 'critical',
  };
  const psi: CheckPlan = {
    id: 'psi',
    metric: 'psi',
    features: ['amount'],
    warn: 0.1,
    critical: 0.25,
  };
  const plan = planOf([ks, psi], { falseDiscoveryRate: 'benjamini-hochberg' });
  const slices = ['all', 'channel=web', 'channel=app', 'channel=store'];
  const drift: FeatureDrift[] = [0.004, 0.009, 0.03, 0.2].map((p, i) =>
    numeric({ slice: slices[i] ?? 'all', ks: { statistic: 0.3, p_value: p }, psi: 0.05 * i }),
  );

  it('gives what a fresh judgement gives, measuring only the replaced entries and adjusting every test again', () => {
    const memo: JudgementMemo = new Map();
    const first = judgeWindow(plan, aggregatesOf({ drift }), memo);
    // channel=app's p-value drops from 0.03 to 0.001: every adjusted p-value moves, and
    // 'all' (0.004 · 4 / 2 = 0.008) becomes critical though its own entry is unchanged
    const replaced = drift.map((entry) =>
      entry.slice === 'channel=app'
        ? numeric({ slice: 'channel=app', ks: { statistic: 0.3, p_value: 0.001 }, psi: 0.3 })
        : entry,
    );
    const again = judgeWindow(plan, aggregatesOf({ drift: replaced }), memo);
    expect(again).toEqual(judgeWindow(plan, aggregatesOf({ drift: replaced })));
    const statusOf = (verdicts: Verdict[], metric: string, slice: string) =>
      verdicts.find((v) => v.metric === metric && `${v.sliceKey}=${v.sliceValue}`.endsWith(slice))
        ?.status;
    expect(statusOf(first, 'ks', 'all')).toBe('ok');
    expect(statusOf(again, 'ks', 'all')).toBe('critical');
    expect(statusOf(again, 'psi', 'channel=app')).toBe('critical');
    // an unchanged entry's distance verdict is the first judgement's object, not measured again
    const psiOf = (verdicts: Verdict[], value: string) =>
      verdicts.find((v) => v.metric === 'psi' && v.sliceValue === value);
    expect(psiOf(again, 'web')).toBe(psiOf(first, 'web'));
    expect(psiOf(again, 'app')).not.toBe(psiOf(first, 'app'));
  });
});
