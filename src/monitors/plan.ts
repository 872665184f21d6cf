import type { Severity } from './checks/kinds.js';
import { isTestMetric, severityOf, type CheckPlan, type Metric } from './checks/registry.js';
import type { TimeWindow } from '../timeWindow.js';
import type { ModelTask } from './modelTask.js';

/**
 * What the evaluator needs to run a monitor, independent of how the YAML spells it:
 * definitions are turned into a plan once, so the evaluator and its tests never parse.
 */
export type { Severity };

export interface PlannedFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** A declared valid range; otherwise the baseline's own min and max are used. */
  range?: { min: number; max: number };
  /**
   * The events' score profiled and compared like a numeric feature: a regression's
   * prediction, named PREDICTION_FEATURE (modelTask.ts).
   */
  fromScore?: boolean;
}

export type BaselinePlan =
  | { kind: 'file'; path: string }
  | { kind: 'range'; window: TimeWindow }
  | { kind: 'trailing'; durationMs: number };

/** A check as the evaluator runs it, derived from its registry entry (checks/registry.ts). */
export type { CheckPlan, Metric };

export interface MonitorPlan {
  /** The monitor's name: its model. */
  monitor: string;
  model: string;
  /** What the model predicts (the file's `task`); absent: binary. */
  task?: ModelTask;
  /** sha256 of the monitor file, kept with every result. */
  hash: string;
  /** The file and the exact text that was hashed: recorded in the store for audits. */
  source?: { file: string; text: string };
  baseline: BaselinePlan;
  features: PlannedFeature[];
  /** Each slice key is a list of attribute names (more than one: a crossed slice). */
  slices: string[][];
  maxSliceValues: number;
  minSamples: number;
  threshold: number | null;
  /** A multiclass model's class-score columns in the baseline file: this prefix and the class. */
  classScorePrefix?: string | null;
  labels: { delayMs: number; minCount: number } | null;
  falseDiscoveryRate: 'none' | 'benjamini-hochberg';
  windowMs: number;
  schedule: string;
  /**
   * Data readiness: until the model's first event its empty windows are "awaiting data"
   * (shown, never paged); from this time on they are "no data" even before a first event.
   */
  expectDataFrom?: Date | null;
  checks: CheckPlan[];
  /** How verdicts become alerts and where their notifications go (src/alerts); absent: no routes. */
  alerting?: AlertingPlan;
  /** The monitor file's named webhooks, by name. */
  webhooks?: Record<string, WebhookPlan>;
  /** The on-call tools its routes name (PagerDuty, Teams, Alertmanager), by name. */
  receivers?: ReceiverPlans;
}

export type AlertGrouping = 'digest' | 'per_alert';

export interface AlertRoutePlan {
  /** The least severity the route receives (warn: warn and critical). */
  severity: Severity;
  slack: string | null;
  email: string[];
  webhook: string | null;
  /** The names of receivers declared under pagerduty, teams and alertmanager. */
  pagerduty: string | null;
  teams: string | null;
  alertmanager: string | null;
  grouping: AlertGrouping;
}

/** A PagerDuty service's Events API v2 integration: one incident key per alert. */
export interface PagerdutyPlan {
  name: string;
  /** The Events API's enqueue URL (https://events.pagerduty.com/v2/enqueue by default). */
  url: string;
  /** The environment variable holding the integration's routing key. */
  routingKeyEnv: string;
}

/** A Teams channel's Workflows webhook: its URL carries its signature, so it is a secret. */
export interface TeamsPlan {
  name: string;
  /** The environment variable holding the webhook URL. */
  urlEnv: string;
}

export type AlertmanagerAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; tokenEnv: string }
  | { kind: 'basic'; username: string; passwordEnv: string };

/** A Prometheus Alertmanager (its base URL: alerts go to {url}/api/v2/alerts). */
export interface AlertmanagerPlan {
  name: string;
  url: string;
  auth: AlertmanagerAuth;
}

export interface ReceiverPlans {
  pagerduty: Record<string, PagerdutyPlan>;
  teams: Record<string, TeamsPlan>;
  alertmanager: Record<string, AlertmanagerPlan>;
}

export interface AlertingPlan {
  /** Consecutive breaching windows before an alert fires. */
  forWindows: number;
  /** Consecutive clear windows before a firing alert resolves. */
  resolveAfterWindows: number;
  /** While firing, notify again only after this long (window time). */
  repeatIntervalMs: number;
  sendResolved: boolean;
  routes: AlertRoutePlan[];
}

/** When a webhook (a retraining trigger) is called. */
export interface WebhookPolicy {
  severities: Severity[];
  /** Consecutive breaching windows an alert needs before it triggers. */
  afterWindows: number;
  /** At most one trigger per monitor in this long (window time); 0: no limit. */
  minIntervalMs: number;
  /** Also POST resolutions (generic webhooks only). */
  sendResolved: boolean;
}

export type WebhookPlan = { name: string; policy: WebhookPolicy } & (
  | { preset: 'generic'; url: string; secretEnv: string[] }
  | {
      preset: 'github_actions';
      apiUrl: string;
      repository: string;
      eventType: string;
      tokenEnv: string;
    }
  | {
      preset: 'airflow';
      url: string;
      dagId: string;
      apiVersion: 'v1' | 'v2';
      auth: 'bearer' | 'basic';
      tokenEnv: string;
    }
);

/** p-value checks take part in the false-discovery-rate correction (the checks registry). */
export { isTestMetric };

/** The most severe status a check can give: what a "no data" verdict of it alerts at. */
export function checkSeverity(check: CheckPlan): Severity {
  return severityOf(check);
}
