import type { Store } from '../store/clickhouse.js';
import {
  readBaselineRows,
  readDriftHistoryPages,
  readMonitorFileRows,
  type ExportPeriod,
  type ExportRow,
} from '../store/exports.js';
import type { ExportColumn } from './chain.js';

/**
 * One file of an export: its columns (names, types, meaning) and where its records come
 * from, a page at a time, in a stable order. An export is the list of its sections, so
 * another stage adds its own (alerts: transitions, acknowledgements, silences,
 * deliveries) by appending to `EXPORT_SECTIONS` or passing `sections` to writeExport.
 */
export interface ExportSection {
  name: string;
  description: string;
  columns: readonly ExportColumn[];
  readPages(store: Store, period: ExportPeriod, pageSize: number): AsyncIterable<ExportRow[]>;
}

const str = (name: string, description: string): ExportColumn => ({
  name,
  type: 'String',
  kind: 'string',
  description,
});
const num = (name: string, description: string): ExportColumn => ({
  name,
  type: 'Nullable(Float64)',
  kind: 'number',
  description,
});
const int = (name: string, description: string): ExportColumn => ({
  name,
  type: 'Int64',
  kind: 'integer',
  description,
});

async function* onePage<T>(rows: Promise<T[]>): AsyncGenerator<T[]> {
  const all = await rows;
  if (all.length > 0) yield all;
}

export const DRIFT_HISTORY: ExportSection = {
  name: 'drift_history',
  description:
    'every check result of every evaluated window in the period (window_end in (from, to])',
  columns: [
    str('model', 'the monitored model'),
    str('monitor', 'the monitor (one per model)'),
    str('window_start', 'start of the evaluated window, RFC 3339'),
    str('window_end', 'end of the evaluated window, RFC 3339'),
    str('check_id', 'the check of the monitor file that produced the result'),
    str(
      'metric',
      'the method: psi, ks, chi2, jensen_shannon, wasserstein_normed, null_rate, auroc...',
    ),
    str('feature', 'the feature judged (empty for model-level checks)'),
    str('slice_key', 'the slice attribute(s) (empty for the whole window)'),
    str('slice_value', 'the slice value ("all" for the whole window)'),
    str('status', 'the decision: ok, warn, critical, insufficient_data (or no_data)'),
    num('value', 'the statistic measured'),
    num('p_value', 'the p-value of a statistical test, else null'),
    num('adjusted_p_value', 'the p-value after the correction for multiple tests, else null'),
    str('correction', 'the correction applied: none or benjamini-hochberg'),
    num('warn_threshold', 'the warn threshold in force'),
    num('critical_threshold', 'the critical threshold (or p-value limit) in force'),
    int('n_reference', 'sample size on the baseline side'),
    int('n_current', 'sample size in the window'),
    str('baseline', 'the baseline compared against (its name)'),
    int('baseline_version', 'the version of that baseline'),
    str('monitor_hash', 'SHA-256 of the monitor file text (see monitor_files)'),
    str(
      'details',
      'JSON: what else the check measured (histograms, rates, effect sizes, label window)',
    ),
    str('evaluated_at', 'when the result was computed, RFC 3339'),
  ],
  readPages: readDriftHistoryPages,
};

export const BASELINES: ExportSection = {
  name: 'baselines',
  description: "metadata of every baseline version used by the period's results or created in it",
  columns: [
    str('model', 'the model'),
    str('name', 'the baseline name (file:NAME or range:FROM..TO)'),
    int('version', 'the version (a changed file or range becomes a new version)'),
    str('kind', 'file or range'),
    str('source', 'where its rows came from: file path with SHA-256, or the time range'),
    str('columns', 'JSON: the feature columns and their kinds'),
    int('row_count', 'rows in the baseline'),
    str('created_at', 'when the version was recorded, RFC 3339'),
  ],
  readPages: (store, period) => onePage(readBaselineRows(store, period)),
};

export const MONITOR_FILES: ExportSection = {
  name: 'monitor_files',
  description:
    "the text of every monitor file version behind the period's results, keyed by its SHA-256",
  columns: [
    str('model', 'the model'),
    str('monitor', 'the monitor'),
    str('hash', 'SHA-256 of the file text (results carry it as monitor_hash)'),
    str('file_path', 'where the service read it'),
    str('file_text', 'the exact YAML text that was hashed'),
    str('first_loaded_at', 'first time the service loaded this version, RFC 3339'),
    str('last_loaded_at', 'last time the service loaded this version, RFC 3339'),
  ],
  readPages: (store, period) => onePage(readMonitorFileRows(store, period)),
};

/** The sections of every export, in chain order. Alerts append theirs here. */
export const EXPORT_SECTIONS: readonly ExportSection[] = [DRIFT_HISTORY, MONITOR_FILES, BASELINES];
