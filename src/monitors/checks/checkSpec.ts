import type { ModelTask } from '../modelTask.js';
import type { JsonSchema, RawCheck } from './kinds.js';
import {
  checkEntry,
  featureKindOf,
  isFeatureScope,
  METRICS,
  type CheckPlan,
  type Metric,
} from './registry.js';

/**
 * The checks part of a monitor file, from the registry: its JSON Schema (`$defs.check` of
 * schemas/monitor.schema.json is generated from it), the problems the schema cannot see,
 * and the plan a check becomes. monitorFile.ts reads the rest of the file.
 */

/** A validated check: its metric is one of the registry's. */
export interface ValidCheck extends RawCheck {
  metric: Metric;
}

/** The schema of one entry of `checks`: the metric's own fields, nothing else. */
export function checkSchema(): JsonSchema {
  // metrics whose fields are the same share one branch, as a person would write it
  const branches: { metrics: Metric[]; then: JsonSchema }[] = [];
  for (const metric of METRICS) {
    const then = fieldsSchema(metric);
    const same = branches.find((b) => JSON.stringify(b.then) === JSON.stringify(then));
    if (same) same.metrics.push(metric);
    else branches.push({ metrics: [metric], then });
  }
  return {
    type: 'object',
    required: ['metric'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]+$' },
      metric: { enum: [...METRICS] },
    },
    allOf: branches.map(({ metrics, then }) => ({
      if: {
        properties: {
          metric: metrics.length === 1 ? { const: metrics[0] } : { enum: metrics },
        },
      },
      then,
    })),
  };
}

function fieldsSchema(metric: Metric): JsonSchema {
  const entry = checkEntry(metric);
  return {
    properties: {
      id: true,
      metric: true,
      ...(isFeatureScope(entry.appliesTo) ? { features: { $ref: '#/$defs/features' } } : {}),
      ...entry.kind.fields,
    },
    additionalProperties: false,
    ...entry.kind.rules,
  };
}

/** A problem located in the file: its JSON path and the message. */
export interface CheckProblem {
  path: (string | number)[];
  message: string;
}

/** What a check's validity depends on beyond itself. */
export interface CheckFileContext {
  features: Readonly<Record<string, 'numeric' | 'categorical'>>;
  labels: boolean;
  threshold: boolean;
  /** prediction.class_scores is given. */
  classScores?: boolean;
  task: ModelTask;
}

/** What JSON Schema cannot check of one check: its features, its fields together, its needs. */
export function checkProblems(
  check: ValidCheck,
  index: number,
  context: CheckFileContext,
): CheckProblem[] {
  const entry = checkEntry(check.metric);
  const where = `checks[${index}]`;
  const at = (field: string) => ['checks', index, field];
  const problems: CheckProblem[] = [];
  const limitedTo = featureKindOf(check.metric);
  if (Array.isArray(check.features)) {
    check.features.forEach((name, i) => {
      const kind = context.features[name];
      const path = ['checks', index, 'features', i];
      if (kind === undefined)
        problems.push({
          path,
          message: `${where}.features[${i}]: "${name}" is not a declared feature`,
        });
      else if (limitedTo && limitedTo !== kind)
        problems.push({
          path,
          message: `${where}.features[${i}]: ${check.metric} applies to ${limitedTo} features; "${name}" is ${kind}`,
        });
    });
  }
  for (const problem of entry.kind.problems?.(check, where, entry.title ?? check.metric) ?? [])
    problems.push({ path: at(problem.field), message: problem.message });
  if (!entry.tasks.includes(context.task)) {
    // what else it would need does not matter: it does not belong in this monitor
    problems.push({
      path: at('metric'),
      message: `${where}.metric: ${check.metric} applies to ${entry.tasks.join(' and ')} models; this monitor's task is ${context.task}`,
    });
    return problems;
  }
  if (entry.needs?.labels && !context.labels)
    problems.push({
      path: at('metric'),
      message: `${where}.metric: ${check.metric} needs labels: add a \`labels\` section`,
    });
  // the threshold splits a binary model's scores: an entry serving other tasks too (accuracy)
  // needs it only in a binary monitor
  if (entry.needs?.threshold && context.task === 'binary' && !context.threshold)
    problems.push({
      path: at('metric'),
      message: `${where}.metric: ${check.metric} needs prediction.threshold`,
    });
  if (entry.needs?.classScores && !context.classScores)
    problems.push({
      path: at('metric'),
      message: `${where}.metric: ${check.metric} needs prediction.class_scores (the baseline file's class-score columns)`,
    });
  return problems;
}

/** A validated check as the evaluator runs it: its kind's params, its defaults, its features. */
export function planCheck(
  check: ValidCheck,
  id: string,
  features: readonly { name: string; kind: 'numeric' | 'categorical' }[],
  windowMs: number,
): CheckPlan {
  const entry = checkEntry(check.metric);
  const params = entry.kind.plan(check, entry.defaults, { windowMs });
  const selected = isFeatureScope(entry.appliesTo)
    ? { features: selectFeatures(check, features) }
    : {};
  // the entry's kind made params of the shape its metric's plan has
  return { id, metric: check.metric, ...selected, ...params } as CheckPlan;
}

/** `all` (or nothing): every declared feature of the kind the metric applies to. */
function selectFeatures(
  check: ValidCheck,
  features: readonly { name: string; kind: 'numeric' | 'categorical' }[],
): string[] {
  if (Array.isArray(check.features)) return check.features;
  const kind = featureKindOf(check.metric);
  return features.filter((feature) => !kind || kind === feature.kind).map((f) => f.name);
}
