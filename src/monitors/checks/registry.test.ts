import { describe, expect, it } from 'vitest';
import { MODEL_TASKS } from '../modelTask.js';
import {
  CHECKS,
  checkEntry,
  defaultsOf,
  featureKindOf,
  isMetric,
  isTestMetric,
  METRICS,
  renderOf,
  severityOf,
} from './registry.js';

describe('the checks registry', () => {
  it('has the design defaults', () => {
    expect(checkEntry('psi').defaults).toEqual({ kind: 'distance', warn: 0.1, critical: 0.25 });
    expect(checkEntry('ks').defaults).toEqual({ kind: 'p_value', pValue: 0.01, minEffect: 0.1 });
    expect(checkEntry('chi2').defaults).toEqual({
      kind: 'p_value',
      pValue: 0.01,
      minEffect: 0.1,
    });
    expect(checkEntry('null_rate').defaults).toEqual({
      kind: 'rate',
      maxRate: 0,
      maxIncrease: 0.05,
    });
    expect(defaultsOf('jensen_shannon', 'distance').critical).toBe(0.1);
    expect(defaultsOf('wasserstein_normed', 'distance').critical).toBe(0.1);
    expect(defaultsOf('auroc', 'score').critical).toBe(0.5);
    expect(() => defaultsOf('psi', 'rate')).toThrow(/psi has distance defaults, not rate/);
  });

  it('keeps each entry consistent: defaults of its kind, a subject, tasks, a description', () => {
    for (const metric of METRICS) {
      const entry = checkEntry(metric);
      expect(entry.defaults.kind, metric).toBe(entry.kind.defaults);
      expect(entry.tasks.length, metric).toBeGreaterThan(0);
      for (const task of entry.tasks) expect(MODEL_TASKS).toContain(task);
      expect(entry.description.length, metric).toBeGreaterThan(10);
    }
  });

  it('limits features by kind where a statistic only reads one', () => {
    const limited = Object.fromEntries(METRICS.map((m) => [m, featureKindOf(m)]));
    expect(limited).toMatchObject({
      ks: 'numeric',
      wasserstein_normed: 'numeric',
      out_of_range: 'numeric',
      non_finite: 'numeric',
      chi2: 'categorical',
      new_categories: 'categorical',
      psi: null,
      jensen_shannon: null,
      null_rate: null,
      wrong_type: null,
      schema: null,
      auroc: null,
    });
  });

  it('says which tests take part in the false discovery rate, and what monitors read raw', () => {
    expect(METRICS.filter(isTestMetric).sort()).toEqual([
      'chi2',
      'ks',
      'positive_rate',
      'prediction_chi2',
      'residual_ks',
    ]);
    const multiclassQuality = [
      'accuracy',
      'f1_macro',
      'f1_weighted',
      'precision_macro',
      'recall_macro',
      'roc_auc_ovr',
    ];
    // binary quality at the threshold and of the scores as probabilities; accuracy serves both
    const binaryQuality = ['brier_score', 'ece', 'f1', 'log_loss', 'precision', 'recall'];
    const estimated = [
      'estimated_accuracy',
      'estimated_f1',
      'estimated_precision',
      'estimated_recall',
      'estimated_roc_auc',
    ];
    expect(METRICS.filter((m) => checkEntry(m).computedFrom === 'raw').sort()).toEqual(
      [
        'actual_positive_rate',
        'auroc',
        'class_score_psi',
        'duplicate_ids',
        'estimation_error',
        'mae',
        'mape',
        'prediction_chi2',
        'prediction_psi',
        'r2',
        'residual_ks',
        'rmse',
        ...binaryQuality,
        ...multiclassQuality,
      ].sort(),
    );
    expect(METRICS.filter((m) => checkEntry(m).needs?.labels).sort()).toEqual(
      [
        'actual_positive_rate',
        'auroc',
        'estimation_error',
        'mae',
        'mape',
        'r2',
        'residual_ks',
        'rmse',
        ...binaryQuality,
        ...multiclassQuality,
      ].sort(),
    );
    expect(METRICS.filter((m) => checkEntry(m).tasks.length === 1).sort()).toEqual(
      [
        'actual_positive_rate',
        'auroc',
        'class_score_psi',
        'mae',
        'mape',
        'positive_rate',
        'prediction_chi2',
        'prediction_psi',
        'r2',
        'residual_ks',
        'rmse',
        ...binaryQuality,
        ...multiclassQuality.filter((m) => m !== 'accuracy'),
      ].sort(),
    );
    // one name under both tasks: accuracy, and CBPE's estimates with their estimation_error
    expect(METRICS.filter((m) => checkEntry(m).tasks.length === 2).sort()).toEqual(
      ['accuracy', ...estimated, 'estimation_error'].sort(),
    );
    expect(METRICS.filter((m) => checkEntry(m).needs?.binaryQuality).sort()).toEqual(
      ['accuracy', ...binaryQuality].sort(),
    );
    expect(METRICS.filter((m) => checkEntry(m).needs?.multiclassLabels).sort()).toEqual(
      [...multiclassQuality, 'estimation_error'].sort(),
    );
    expect(METRICS.filter((m) => checkEntry(m).needs?.classScores)).toEqual(['class_score_psi']);
    expect(METRICS.filter((m) => checkEntry(m).needs?.predictedClasses).sort()).toEqual([
      'prediction_chi2',
      'prediction_psi',
    ]);
    expect(METRICS.filter((m) => checkEntry(m).needs?.regressionLabels).sort()).toEqual([
      'mae',
      'mape',
      'r2',
      'rmse',
    ]);
    expect(METRICS.filter((m) => checkEntry(m).needs?.calibration).sort()).toEqual(
      [...estimated, 'estimation_error'].sort(),
    );
  });

  it('says how each metric is stated in an alert, and a plain value for one it does not know', () => {
    expect(renderOf('ks')).toEqual({ kind: 'test', statistic: 'D' });
    expect(renderOf('chi2')).toEqual({ kind: 'test', statistic: 'chi2' });
    expect(renderOf('psi')).toEqual({ kind: 'at_or_above' });
    expect(renderOf('auroc')).toEqual({ kind: 'below' });
    expect(renderOf('null_rate')).toEqual({ kind: 'signed' });
    expect(renderOf('schema')).toEqual({ kind: 'count' });
    expect(renderOf('volume')).toEqual({ kind: 'above' });
    expect(renderOf('a_metric_since_removed')).toEqual({ kind: 'above' });
  });

  it('gives the severity a no-data verdict alerts at', () => {
    expect(severityOf({ id: 'p', metric: 'psi', features: [], warn: 0.1, critical: null })).toBe(
      'warn',
    );
    expect(severityOf({ id: 'p', metric: 'psi', features: [], warn: 0.1, critical: 0.2 })).toBe(
      'critical',
    );
    expect(severityOf({ id: 'a', metric: 'auroc', min: 0.6, warn: null })).toBe('critical');
    expect(severityOf({ id: 's', metric: 'schema', severity: 'warn' })).toBe('warn');
  });

  it('recognises its names', () => {
    expect(isMetric('psi')).toBe(true);
    expect(isMetric('toString')).toBe(false);
    expect(isMetric('wasserstein')).toBe(false); // in feature units: reported, never checked
    expect(Object.keys(CHECKS)).toEqual(METRICS);
  });
});
