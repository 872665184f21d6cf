import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import cron from 'node-cron';
import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import {
  MAX_MONITOR_FILE_BYTES,
  baselineFileProblem,
  checkAliasExpansion,
  defaultBaselineRoots,
  featureWidthProblem,
  firstDuplicateKey,
} from './monitorFileLimits.js';
import type { Config } from '../config/config.js';
import { redactSecrets } from '../observability/logger.js';
import { baselineColumnNames } from './baselineColumns.js';
import { checkProblems, planCheck, type ValidCheck } from './checks/checkSpec.js';
import { checkEntry } from './checks/registry.js';
import { parseDuration } from './duration.js';
import { loadMonitorValidator } from './monitorSchema.js';
import { PREDICTION_FEATURE, type ModelTask } from './modelTask.js';
import {
  accessErrors,
  type MonitorAccess,
  type NamedDestination,
  type NamedSecret,
} from './monitorAccess.js';
import {
  receiverSecretFields,
  receiverUrlFields,
  routeReceiverErrors,
  toReceiverPlans,
  type RawReceivers,
  type RouteReceivers,
} from './receivers.js';
import type {
  AlertGrouping,
  AlertingPlan,
  BaselinePlan,
  MonitorPlan,
  PlannedFeature,
  Severity,
  WebhookPlan,
} from './plan.js';

export { parseDuration };

/** One problem in a monitor file, located for an editor: `file:line:column: message`. */
export interface MonitorFileError {
  file: string;
  line: number;
  column: number;
  message: string;
  /** The model the refused file declares (`model:`), when it parses far enough to say. */
  model?: string;
}

export type MonitorFileResult =
  { ok: true; plan: MonitorPlan } | { ok: false; errors: MonitorFileError[] };

let compiledSchema: ValidateFunction | undefined;

/** Compiled once a process; precompiled by the build (monitorSchema.ts). */
function schemaValidator(): ValidateFunction {
  compiledSchema ??= loadMonitorValidator();
  return compiledSchema;
}

export interface MonitorFileOptions {
  /** Directories the files a monitor names must lie in; default: the monitor file's directory's parent. */
  baselineRoots?: readonly string[];
  /**
   * What the file may reach (the operator's settings, config.alerts.monitorAccess): the
   * secrets it may name and the hosts its webhooks may call. Default: nothing exposed, no
   * loopback; a caller that forgets it refuses too much, never too little.
   */
  access?: MonitorAccess;
}

const NOTHING_EXPOSED: MonitorAccess = { secrets: [], webhookHosts: [], allowLoopback: false };

/**
 * The rules the service reads its monitor files under (DRIFTWATCH_BASELINE_ROOTS, what
 * files may reach): every command that reads monitor files uses these, so none can accept a
 * file the service would refuse, nor refuse one it would run.
 */
export function monitorFileOptionsOf(
  config: Pick<Config, 'baselineRoots'> & { alerts: Pick<Config['alerts'], 'monitorAccess'> },
): MonitorFileOptions {
  return {
    ...(config.baselineRoots ? { baselineRoots: config.baselineRoots } : {}),
    access: config.alerts.monitorAccess,
  };
}

/** Reads, validates and plans one monitor file; every problem found is reported, not just the first. */
export function loadMonitorFile(file: string, options: MonitorFileOptions = {}): MonitorFileResult {
  const absolute = path.resolve(file);
  const atStart = (message: string): MonitorFileResult => ({
    ok: false,
    errors: [{ file, line: 1, column: 1, message }],
  });
  let source: string;
  try {
    const size = fs.statSync(absolute).size;
    if (size > MAX_MONITOR_FILE_BYTES) {
      return atStart(
        `the file is ${size} bytes; a monitor file may have at most ${MAX_MONITOR_FILE_BYTES} bytes`,
      );
    }
    source = fs.readFileSync(absolute, 'utf8');
  } catch {
    return atStart('cannot read the file');
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are found below, in one pass (the library's own check is quadratic).
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  // A message may quote a value (a URL with its credentials): what it says is redacted.
  const locate = (jsonPath: (string | number)[], message: string, atKey = false) =>
    locateError(file, document, lineCounter, jsonPath, redactSecrets(message), atKey);
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          file,
          line: position.line,
          column: position.col,
          message: `YAML syntax: ${error.message.split('\n')[0]}`,
        };
      }),
    };
  }
  const duplicate = firstDuplicateKey(document);
  if (duplicate !== null) {
    const position = lineCounter.linePos(duplicate);
    return {
      ok: false,
      errors: [
        {
          file,
          line: position.line,
          column: position.col,
          message: 'YAML syntax: Map keys must be unique',
        },
      ],
    };
  }
  const expansion = checkAliasExpansion(document);
  if (expansion) {
    const position = lineCounter.linePos(expansion.offset);
    return {
      ok: false,
      errors: [{ file, line: position.line, column: position.col, message: expansion.message }],
    };
  }
  // The expansion is bounded above, so the library's own alias cap (100, which a file with
  // a few hundred legitimate aliases reaches) is off.
  const raw: unknown = document.toJS({ maxAliasCount: -1 });
  const validate = schemaValidator();
  if (!validate(raw)) {
    return {
      ok: false,
      errors: schemaErrors(validate.errors ?? []).map((error) =>
        locate(error.path, error.message, error.atKey),
      ),
    };
  }
  const monitor = raw as RawMonitor;
  const roots = options.baselineRoots ?? defaultBaselineRoots(path.dirname(absolute));
  const semantic = [
    ...semanticErrors(monitor, path.dirname(absolute), roots),
    ...monitorAccessErrors(monitor, options.access ?? NOTHING_EXPOSED),
  ];
  if (semantic.length > 0)
    return {
      ok: false,
      errors: semantic.map((error) => locate(error.path, error.message, error.atKey)),
    };
  const hash = createHash('sha256').update(source).digest('hex');
  return {
    ok: true,
    plan: { ...toPlan(monitor, path.dirname(absolute), hash), source: { file, text: source } },
  };
}

export interface MonitorDirectory {
  plans: MonitorPlan[];
  files: Map<string, string>;
  errors: MonitorFileError[];
}

/** Every *.yaml / *.yml in a folder; one bad file never stops the others. */
export function loadMonitorDirectory(
  dir: string,
  options: MonitorFileOptions = {},
): MonitorDirectory {
  const fileOptions = {
    baselineRoots: options.baselineRoots ?? defaultBaselineRoots(dir),
    access: options.access,
  };
  const names = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
    : [];
  const plans: MonitorPlan[] = [];
  const files = new Map<string, string>();
  const errors: MonitorFileError[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const result = loadMonitorFileSafely(file, fileOptions);
    if (!result.ok) {
      const model = declaredModel(file);
      errors.push(...result.errors.map((error) => (model ? { ...error, model } : error)));
      continue;
    }
    const earlier = files.get(result.plan.model);
    if (earlier) {
      errors.push({
        file,
        line: 1,
        column: 1,
        message: `model: "${result.plan.model}" is already monitored by ${earlier}`,
      });
      continue;
    }
    files.set(result.plan.model, file);
    plans.push(result.plan);
  }
  return { plans, files, errors };
}

/**
 * The `model:` a refused file declares, read again on this failure path only, so that its
 * errors are told to that model's commands whatever the file is called.
 */
function declaredModel(file: string): string | undefined {
  try {
    if (fs.statSync(file).size > MAX_MONITOR_FILE_BYTES) return undefined;
    const document = parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: false });
    const model: unknown = document.errors.length === 0 ? document.get('model') : undefined;
    return typeof model === 'string' && model !== '' ? model : undefined;
  } catch {
    return undefined;
  }
}

/** Whatever goes wrong inside one file (a parser's stack overflow included) stays that file's error. */
function loadMonitorFileSafely(file: string, options: MonitorFileOptions): MonitorFileResult {
  try {
    return loadMonitorFile(file, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [{ file, line: 1, column: 1, message: `cannot load: ${message}` }],
    };
  }
}

export function formatMonitorError(error: MonitorFileError): string {
  return redactSecrets(`${error.file}:${error.line}:${error.column}: ${error.message}`);
}

/**
 * Why a model has no plan when its file was refused (the file that declares it, or is named after it):
 * the refused file and "the monitor file is invalid: <each located error>", or null when no
 * refused file is the model's.
 */
export function refusalOf(
  errors: readonly MonitorFileError[],
  model: string,
): { file: string; message: string } | null {
  const own = errors.filter((error) => refusedFileIsFor(error, model));
  const first = own[0];
  if (!first) return null;
  return {
    file: first.file,
    message: `the monitor file is invalid: ${own.map(formatMonitorError).join('; ')}`,
  };
}

/** The file declares the model, or (when it cannot be read that far) is named after it exactly. */
function refusedFileIsFor(error: MonitorFileError, model: string): boolean {
  if (error.model !== undefined) return error.model === model;
  return path.basename(error.file).replace(/\.ya?ml$/, '') === model;
}

interface PathedMessage {
  path: (string | number)[];
  message: string;
  /** Point at the key (an unknown or missing field) rather than at the value. */
  atKey?: boolean;
}

/**
 * Ajv reports every failed branch of a oneOf; people want the one that matters. Keep the
 * deepest errors per location and say what was expected in words.
 */
function schemaErrors(errors: ErrorObject[]): PathedMessage[] {
  const useful = errors.filter(
    (error) => !['oneOf', 'anyOf', 'if', 'allOf'].includes(error.keyword),
  );
  const chosen = useful.length > 0 ? useful : errors;
  const seen = new Set<string>();
  const messages: PathedMessage[] = [];
  for (const error of chosen) {
    const jsonPath = error.instancePath.split('/').slice(1).map(unescapePointer);
    const target =
      error.keyword === 'additionalProperties'
        ? [...jsonPath, String(error.params.additionalProperty)]
        : jsonPath;
    const message = describeSchemaError(error, target);
    const key = `${target.join('.')}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    messages.push({ path: target, message, atKey: error.keyword === 'additionalProperties' });
  }
  return messages;
}

function unescapePointer(part: string): string | number {
  const text = part.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(text) ? Number(text) : text;
}

function fieldName(jsonPath: (string | number)[]): string {
  return (
    jsonPath.reduce<string>(
      (name, part) =>
        typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${part}` : part,
      '',
    ) || '(top level)'
  );
}

function describeSchemaError(error: ErrorObject, target: (string | number)[]): string {
  const field = fieldName(target);
  const got = (value: unknown) => (value === undefined ? '' : `, got ${JSON.stringify(value)}`);
  switch (error.keyword) {
    case 'required':
      return `${fieldName([...target, String(error.params.missingProperty)])}: required field is missing`;
    case 'additionalProperties':
      return `${field}: unknown field`;
    case 'type':
      return `${field}: expected ${error.params.type === 'number' ? 'a number' : error.params.type === 'integer' ? 'an integer' : `a ${error.params.type}`}${got(error.data)}`;
    case 'enum':
      return `${field}: expected one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got(error.data)}`;
    case 'const':
      return `${field}: expected ${JSON.stringify(error.params.allowedValue)}${got(error.data)}`;
    case 'pattern':
      return `${field}: expected ${error.parentSchema?.description ?? `text matching ${error.params.pattern}`}${got(error.data)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return `${field}: must be ${error.params.comparison} ${error.params.limit}${got(error.data)}`;
    default:
      return `${field}: ${error.message ?? 'invalid'}${got(error.data)}`;
  }
}

function locateError(
  file: string,
  document: Document,
  lineCounter: LineCounter,
  jsonPath: (string | number)[],
  message: string,
  atKey = false,
): MonitorFileError {
  // The deepest node that exists: a missing field is reported at its parent.
  for (let depth = jsonPath.length; depth >= 0; depth -= 1) {
    const prefix = jsonPath.slice(0, depth);
    const node = document.getIn(prefix, true) as { range?: [number, number, number] } | undefined;
    const key = depth > 0 && (atKey || !node) ? findKeyNode(document, prefix) : undefined;
    const offset = key ?? node?.range?.[0];
    if (offset !== undefined) {
      const position = lineCounter.linePos(offset);
      return { file, line: position.line, column: position.col, message };
    }
  }
  return { file, line: 1, column: 1, message };
}

/** The offset of a mapping key, so "unknown field" points at the key rather than its value. */
function findKeyNode(document: Document, jsonPath: (string | number)[]): number | undefined {
  const parent = document.getIn(jsonPath.slice(0, -1), true);
  const last = jsonPath.at(-1);
  if (isMap(parent)) {
    const item = parent.items.find(
      (pair) => (pair.key as { value?: unknown } | null)?.value === last,
    );
    return (item?.key as { range?: [number, number, number] } | null)?.range?.[0];
  }
  if (isSeq(parent) && typeof last === 'number') {
    return (parent.items[last] as { range?: [number, number, number] } | undefined)?.range?.[0];
  }
  return undefined;
}

// ---- the validated shape, and checks JSON Schema cannot express ----

type FeatureSpec =
  'numeric' | 'categorical' | { kind: 'numeric' | 'categorical'; range?: [number, number] };

/** A check's own fields are its kind's (checks/kinds.ts), validated by the generated schema. */
type RawCheck = ValidCheck;

interface RawMonitor extends RawReceivers {
  model: string;
  task?: ModelTask;
  baseline: { file?: string; range?: { from: string; to: string }; trailing?: string };
  features: Record<string, FeatureSpec>;
  prediction?: { threshold?: number; class_scores?: string };
  slices?: (string | string[])[];
  max_slice_values?: number;
  schedule: string;
  window: string;
  expect_data_from?: string;
  min_samples?: number;
  labels?: { delay: string; min_count?: number };
  false_discovery_rate?: 'none' | 'benjamini-hochberg';
  checks: RawCheck[];
  alerts?: RawAlerts;
  webhooks?: Record<string, RawWebhook>;
}

interface RawAlerts {
  for?: number;
  resolve_after?: number;
  repeat_interval?: string;
  cooldown?: string;
  send_resolved?: boolean;
  group?: AlertGrouping;
  routes?: ({
    severity: Severity;
    slack?: string;
    email?: string[];
    webhook?: string;
    group?: AlertGrouping;
  } & RouteReceivers)[];
}

interface RawWebhook {
  preset?: 'generic' | 'github_actions' | 'airflow';
  url?: string;
  secret_env?: string | string[];
  send_resolved?: boolean;
  repository?: string;
  event_type?: string;
  token_env?: string;
  api_url?: string;
  dag_id?: string;
  api_version?: 'v1' | 'v2';
  auth?: 'bearer' | 'basic';
  severities?: Severity[];
  after_windows?: number;
  min_interval?: string;
}

function kindOf(spec: FeatureSpec): 'numeric' | 'categorical' {
  return typeof spec === 'string' ? spec : spec.kind;
}

function semanticErrors(
  monitor: RawMonitor,
  baseDir: string,
  baselineRoots: readonly string[],
): PathedMessage[] {
  // A monitor too wide to run is refused before its baseline's header is even read.
  const width = featureWidthProblem(Object.keys(monitor.features));
  if (width) return [{ path: ['features'], atKey: true, message: width }];
  const errors: PathedMessage[] = [...baselineErrors(monitor, baseDir, baselineRoots)];
  if (!cron.validate(monitor.schedule)) {
    errors.push({
      path: ['schedule'],
      message: `schedule: not a valid cron expression: "${monitor.schedule}"`,
    });
  }
  if (
    monitor.baseline.range &&
    !(Date.parse(monitor.baseline.range.from) < Date.parse(monitor.baseline.range.to))
  ) {
    errors.push({
      path: ['baseline', 'range'],
      message: 'baseline.range: `from` must be before `to`',
    });
  }
  for (const [name, spec] of Object.entries(monitor.features)) {
    if (typeof spec !== 'string' && spec.range) {
      if (spec.kind !== 'numeric')
        errors.push({
          path: ['features', name, 'range'],
          message: `features.${name}.range: only numeric features have a range`,
        });
      else if (spec.range[0] > spec.range[1])
        errors.push({
          path: ['features', name, 'range'],
          message: `features.${name}.range: min is above max`,
        });
    }
  }
  const task = monitor.task ?? 'binary';
  if (task === 'regression' && Object.hasOwn(monitor.features, PREDICTION_FEATURE))
    errors.push({
      path: ['features', PREDICTION_FEATURE],
      atKey: true,
      message: `features.${PREDICTION_FEATURE}: in a regression monitor "${PREDICTION_FEATURE}" is the model's prediction (the score); name the feature otherwise`,
    });
  if (monitor.prediction?.class_scores !== undefined && (monitor.task ?? 'binary') !== 'multiclass')
    errors.push({
      path: ['prediction', 'class_scores'],
      message: `prediction.class_scores: only a multiclass model has class scores; this monitor's task is ${monitor.task ?? 'binary'}`,
    });
  const ids = new Set<string>();
  const context = {
    features: {
      ...Object.fromEntries(
        Object.entries(monitor.features).map(([name, spec]) => [name, kindOf(spec)]),
      ),
      ...(task === 'regression' ? { [PREDICTION_FEATURE]: 'numeric' as const } : {}),
    },
    labels: monitor.labels !== undefined,
    threshold: monitor.prediction?.threshold !== undefined,
    classScores: monitor.prediction?.class_scores !== undefined,
    task,
  };
  monitor.checks.forEach((check, index) => {
    const id = checkId(monitor.checks, index);
    if (ids.has(id))
      errors.push({
        path: ['checks', index],
        message: `checks[${index}]: check id "${id}" is used twice`,
      });
    ids.add(id);
    errors.push(...checkProblems(check, index, context));
  });
  (monitor.alerts?.routes ?? []).forEach((route, index) => {
    if (route.webhook !== undefined && !monitor.webhooks?.[route.webhook]) {
      errors.push({
        path: ['alerts', 'routes', index, 'webhook'],
        message: `alerts.routes[${index}].webhook: "${route.webhook}" is not defined under webhooks`,
      });
    }
    errors.push(...routeReceiverErrors(route, index, monitor));
    const { slack, email, webhook, pagerduty, teams, alertmanager } = route;
    if ([slack, email, webhook, pagerduty, teams, alertmanager].every((c) => c === undefined)) {
      errors.push({
        path: ['alerts', 'routes', index],
        message: `alerts.routes[${index}]: a route needs a channel: slack, email, webhook, pagerduty, teams or alertmanager`,
      });
    }
  });
  if (monitor.alerts?.cooldown !== undefined && monitor.alerts.repeat_interval !== undefined) {
    errors.push({
      path: ['alerts', 'cooldown'],
      message: 'alerts.cooldown: is the former name of repeat_interval; give one of the two',
    });
  }
  return errors;
}

/**
 * Each webhook and on-call receiver against what the operator exposes to monitor files (one
 * rule for both, monitorAccess.accessErrors): the variables they name and the URLs they call.
 * A Teams URL is itself a secret, from the environment: it is checked before each request.
 */
function monitorAccessErrors(monitor: RawMonitor, access: MonitorAccess): PathedMessage[] {
  return accessErrors(
    [
      ...webhookAccessFields(monitor),
      ...receiverSecretFields(monitor),
      ...receiverUrlFields(monitor),
    ],
    access,
  );
}

/**
 * The URL each webhook calls (url, api_url, or GitHub's default API) and the variables it
 * names (token_env, secret_env).
 */
function webhookAccessFields(monitor: RawMonitor): (NamedSecret | NamedDestination)[] {
  return Object.entries(monitor.webhooks ?? {}).flatMap(([name, webhook]) => {
    const field = (key: string) => ({
      path: ['webhooks', name, key],
      field: `webhooks.${name}.${key}`,
    });
    const fields: (NamedSecret | NamedDestination)[] = [];
    if (webhook.preset === 'github_actions')
      fields.push(
        webhook.api_url !== undefined
          ? { ...field('api_url'), url: webhook.api_url }
          : {
              path: ['webhooks', name],
              field: `webhooks.${name}.api_url (default ${GITHUB_API})`,
              url: GITHUB_API,
            },
      );
    else if (webhook.url !== undefined) fields.push({ ...field('url'), url: webhook.url });
    if (webhook.token_env !== undefined)
      fields.push({ ...field('token_env'), variable: webhook.token_env });
    const named = webhook.secret_env;
    if (typeof named === 'string') fields.push({ ...field('secret_env'), variable: named });
    else
      named?.forEach((variable, i) =>
        fields.push({
          path: ['webhooks', name, 'secret_env', i],
          field: `webhooks.${name}.secret_env[${i}]`,
          variable,
        }),
      );
    return fields;
  });
}

const GITHUB_API = 'https://api.github.com';

/**
 * A file baseline must exist, and every declared feature must be one of its columns: a
 * feature the baseline lacks would have nothing to be compared with. So must the predicted
 * classes and the class scores that multiclass checks compare with.
 */
function baselineErrors(
  monitor: RawMonitor,
  baseDir: string,
  baselineRoots: readonly string[],
): PathedMessage[] {
  if (monitor.baseline.file === undefined) return [];
  const file = path.resolve(baseDir, monitor.baseline.file);
  // A file outside the allowed roots is never opened, not even to read its header.
  const outside = baselineFileProblem(file, baselineRoots);
  if (outside) return [{ path: ['baseline', 'file'], message: outside }];
  const columns = baselineColumnNames(file);
  if (!columns.ok)
    return [{ path: ['baseline', 'file'], message: `baseline.file: ${columns.message}` }];
  if (columns.names === null) return [];
  const present = new Set(columns.names);
  const listed = `(its columns: ${columns.names.join(', ')})`;
  const features = Object.keys(monitor.features)
    .filter((name) => !present.has(name))
    .map((name) => ({
      path: ['features', name],
      atKey: true,
      message: `features.${name}: the baseline ${path.basename(file)} has no column "${name}" ${listed}`,
    }));
  return [
    ...features,
    ...comparedColumnErrors(monitor, columns.names, path.basename(file), listed),
  ];
}

/** The baseline columns multiclass checks compare with: `prediction`, the class scores. */
function comparedColumnErrors(
  monitor: RawMonitor,
  names: readonly string[],
  file: string,
  listed: string,
): PathedMessage[] {
  const errors: PathedMessage[] = [];
  if (!names.includes('prediction'))
    monitor.checks.forEach((check, index) => {
      if (checkEntry(check.metric).needs?.predictedClasses)
        errors.push({
          path: ['checks', index, 'metric'],
          message: `checks[${index}].metric: ${check.metric} compares with the baseline's predicted classes, and ${file} has no "prediction" column ${listed}`,
        });
    });
  const prefix = monitor.prediction?.class_scores;
  if (prefix !== undefined && !names.some((n) => n.startsWith(prefix) && n.length > prefix.length))
    errors.push({
      path: ['prediction', 'class_scores'],
      message: `prediction.class_scores: ${file} has no column named "${prefix}" and a class ${listed}`,
    });
  return errors;
}

function checkId(checks: readonly RawCheck[], index: number): string {
  const check = checks[index];
  if (!check) return '';
  if (check.id) return check.id;
  const same = checks.filter((c, i) => !c.id && c.metric === check.metric && i <= index).length;
  const total = checks.filter((c) => !c.id && c.metric === check.metric).length;
  return total > 1 ? `${check.metric}:${same}` : check.metric;
}

function toPlan(monitor: RawMonitor, baseDir: string, hash: string): MonitorPlan {
  const features: PlannedFeature[] = Object.entries(monitor.features).map(([name, spec]) => ({
    name,
    kind: kindOf(spec),
    ...(typeof spec !== 'string' && spec.range
      ? { range: { min: spec.range[0], max: spec.range[1] } }
      : {}),
  }));
  // a regression's prediction is compared like a numeric feature, when a check names it
  const prediction: PlannedFeature[] =
    monitor.task === 'regression'
      ? [{ name: PREDICTION_FEATURE, kind: 'numeric', fromScore: true }]
      : [];
  return {
    monitor: monitor.model,
    model: monitor.model,
    task: monitor.task ?? 'binary',
    hash,
    baseline: toBaselinePlan(monitor.baseline, baseDir),
    features: [...features, ...prediction],
    slices: (monitor.slices ?? []).map((slice) => (Array.isArray(slice) ? slice : [slice])),
    maxSliceValues: monitor.max_slice_values ?? 20,
    minSamples: monitor.min_samples ?? 100,
    threshold: monitor.prediction?.threshold ?? null,
    classScorePrefix: monitor.prediction?.class_scores ?? null,
    labels: monitor.labels
      ? { delayMs: parseDuration(monitor.labels.delay), minCount: monitor.labels.min_count ?? 100 }
      : null,
    falseDiscoveryRate: monitor.false_discovery_rate ?? 'none',
    windowMs: parseDuration(monitor.window),
    schedule: monitor.schedule,
    expectDataFrom:
      monitor.expect_data_from !== undefined ? new Date(monitor.expect_data_from) : null,
    checks: monitor.checks.map((check, index) =>
      planCheck(check, checkId(monitor.checks, index), features, parseDuration(monitor.window)),
    ),
    alerting: toAlertingPlan(monitor.alerts ?? {}),
    webhooks: Object.fromEntries(
      Object.entries(monitor.webhooks ?? {}).map(([name, raw]) => [name, toWebhookPlan(name, raw)]),
    ),
    receivers: toReceiverPlans(monitor),
  };
}

const DEFAULT_REPEAT_INTERVAL = '4h';

function toAlertingPlan(alerts: RawAlerts): AlertingPlan {
  const grouping = alerts.group ?? 'digest';
  return {
    forWindows: alerts.for ?? 1,
    resolveAfterWindows: alerts.resolve_after ?? 1,
    repeatIntervalMs: parseDuration(
      alerts.repeat_interval ?? alerts.cooldown ?? DEFAULT_REPEAT_INTERVAL,
    ),
    sendResolved: alerts.send_resolved ?? true,
    routes: (alerts.routes ?? []).map((route) => ({
      severity: route.severity,
      slack: route.slack ?? null,
      email: route.email ?? [],
      webhook: route.webhook ?? null,
      pagerduty: route.pagerduty ?? null,
      teams: route.teams ?? null,
      alertmanager: route.alertmanager ?? null,
      grouping: route.group ?? grouping,
    })),
  };
}

function toWebhookPlan(name: string, raw: RawWebhook): WebhookPlan {
  const policy = {
    severities: raw.severities ?? (['warn', 'critical'] as Severity[]),
    afterWindows: raw.after_windows ?? 1,
    minIntervalMs: raw.min_interval ? parseDuration(raw.min_interval) : 0,
    sendResolved:
      raw.preset === undefined || raw.preset === 'generic' ? (raw.send_resolved ?? false) : false,
  };
  if (raw.preset === 'github_actions') {
    return {
      name,
      policy,
      preset: 'github_actions',
      apiUrl: (raw.api_url ?? GITHUB_API).replace(/\/+$/, ''),
      repository: raw.repository ?? '',
      eventType: raw.event_type ?? 'driftwatch-retrain',
      tokenEnv: raw.token_env ?? '',
    };
  }
  if (raw.preset === 'airflow') {
    return {
      name,
      policy,
      preset: 'airflow',
      url: (raw.url ?? '').replace(/\/+$/, ''),
      dagId: raw.dag_id ?? '',
      apiVersion: raw.api_version ?? 'v2',
      auth: raw.auth ?? 'bearer',
      tokenEnv: raw.token_env ?? '',
    };
  }
  const secretEnv = raw.secret_env ?? [];
  return {
    name,
    policy,
    preset: 'generic',
    url: raw.url ?? '',
    secretEnv: Array.isArray(secretEnv) ? secretEnv : [secretEnv],
  };
}

function toBaselinePlan(baseline: RawMonitor['baseline'], baseDir: string): BaselinePlan {
  if (baseline.file !== undefined)
    return { kind: 'file', path: path.resolve(baseDir, baseline.file) };
  if (baseline.range)
    return {
      kind: 'range',
      window: { start: new Date(baseline.range.from), end: new Date(baseline.range.to) },
    };
  return { kind: 'trailing', durationMs: parseDuration(baseline.trailing ?? '7d') };
}
