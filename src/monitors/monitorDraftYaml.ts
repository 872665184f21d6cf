import { parse } from 'yaml';
import { DRAFT_DEFAULTS, type CheckValue, type MonitorDraft } from './inferMonitor.js';

/**
 * A monitor draft as the YAML file `driftwatch init` writes: every line carries a comment
 * saying what it does and why it has its value, so the file teaches its own format. The
 * same draft always gives the same text (no date in it): re-running init gives the same
 * monitor hash.
 */
export interface DraftYamlContext {
  /** The baseline as the monitor file names it: relative to the monitor file's folder. */
  baselinePath: string;
  /** How the baseline was read, for the header: "CSV", "Parquet". */
  formatName: string;
}

export function renderMonitorYaml(draft: MonitorDraft, context: DraftYamlContext): string {
  const lines: string[] = [];
  const comment = (text: string) => lines.push(`# ${oneLine(text)}`);
  const line = (text: string, note?: string) =>
    lines.push(note === undefined ? text : `${text} # ${oneLine(note)}`);

  comment(
    `${draft.model}: written by \`driftwatch init\` from ${context.baselinePath} (${context.formatName}, ${draft.rows.toLocaleString('en')} rows).`,
  );
  comment(
    'Every line is yours to change; `driftwatch validate` checks the file, docs/MONITORS.md describes each field.',
  );
  line(`model: ${scalar(draft.model)}`, 'events name the model in their "model" field');
  comment('A binary classifier: a score in [0, 1] per prediction, labels 0 or 1 arriving later.');
  comment('What every window is compared with: the training data, relative to this file.');
  line(`baseline: { file: ${scalar(context.baselinePath)} }`);
  comment(
    'Each feature and its kind, inferred from every row of the baseline: numeric when every value is a number.',
  );
  lines.push('features:');
  for (const feature of draft.features) {
    line(`  ${scalar(feature.name)}: ${feature.kind}`, stripKind(feature.reason));
  }
  if (draft.threshold !== null) {
    line(
      `prediction: { threshold: ${draft.threshold} }`,
      'a score at or above it is a predicted positive (positive_rate counts those)',
    );
  }
  if (draft.slices.length > 0) {
    line(
      `slices: ${flowList(draft.slices.map((slice) => slice.name))}`,
      'every result per value of each (events send them in "attributes"), plus "all"',
    );
    line(
      'max_slice_values: 20',
      'per slice, the 20 values with the most baseline rows; the rest are folded into "other"',
    );
  } else {
    comment(
      'slices: [country, channel] would give every result per value of each (from "attributes")',
    );
  }
  line(
    `schedule: ${scalar(DRAFT_DEFAULTS.schedule)}`,
    `every hour on the hour (cron); \`driftwatch run --model ${draft.model}\` evaluates the last window now`,
  );
  line(
    `window: ${DRAFT_DEFAULTS.window}`,
    'each run compares the last hour of events with the baseline',
  );
  line(
    `min_samples: ${DRAFT_DEFAULTS.minSamples}`,
    'fewer values in a slice: "insufficient data", not a verdict',
  );
  if (draft.label !== null) {
    line(
      `labels: { delay: ${DRAFT_DEFAULTS.labelDelay}, min_count: ${DRAFT_DEFAULTS.labelMinCount} }`,
      "how late labels arrive (set your pipeline's delay): accuracy is judged on the window a delay back, from this many labels",
    );
  }
  line(
    'false_discovery_rate: benjamini-hochberg',
    'a window runs many tests: p-values are adjusted so that few fire by chance',
  );
  comment(
    "Thresholds are the checks registry's defaults (src/monitors/checks/registry.ts) unless a comment says why not.",
  );
  lines.push('checks:');
  for (const check of draft.checks) {
    const fields = [
      `metric: ${check.metric}`,
      ...check.fields.map(([key, value]) => `${key}: ${flowValue(value)}`),
    ];
    line(`  - { ${fields.join(', ')} }`, check.comment);
  }
  lines.push('alerts:');
  line(
    '  for: 1',
    'breaching windows in a row before an alert fires (2 waits for a second window)',
  );
  line(
    '  resolve_after: 2',
    'clear windows in a row before it resolves (no flapping at a threshold)',
  );
  comment(
    '  Alerts are kept and shown (dashboard, `driftwatch alerts`) without routes; to be told, add e.g.:',
  );
  comment("  routes: [{ severity: critical, slack: '#ml-alerts', email: [oncall@example.com] }]");
  return `${lines.join('\n')}\n`;
}

/** The YAML for a name: plain when it reads back as the same text, else double-quoted. */
export function scalar(text: string): string {
  const plain = /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/.test(text) && readsBackAsText(text);
  // JSON's double-quoted strings are YAML's double-quoted scalars
  return plain ? text : JSON.stringify(text);
}

/** `1e5`, `.inf`, `true`, `null` are not text in YAML: quoted, they stay names. */
function readsBackAsText(text: string): boolean {
  try {
    return parse(text) === text;
  } catch {
    return false;
  }
}

function flowList(items: readonly string[]): string {
  return `[${items.map(scalar).join(', ')}]`;
}

function flowValue(value: CheckValue): string {
  if (Array.isArray(value)) return flowList(value);
  if (typeof value === 'number') return String(value);
  return scalar(value);
}

/** A comment stays on its line whatever a column name holds. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** "numeric: all 20,000 values..." beside `amount: numeric` needs no second "numeric:". */
function stripKind(reason: string): string {
  return reason.replace(/^(numeric|categorical): /, '');
}
