import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { createAlertStage } from '../../alerts/alertStage.js';
import { acknowledgeAlert, createSilence } from '../../alerts/operatorActions.js';
import { checkAlertEnvironment, type ReadSecret } from '../../alerts/secrets.js';
import { splitSecrets, verifyWebhookSignature } from '../../alerts/signature.js';
import { InputError } from '../../errors.js';
import { loadMonitorDirectory, parseDuration } from '../../monitors/monitorFile.js';
import type { MonitorPlan } from '../../monitors/plan.js';
import { silentLogger } from '../../observability/logger.js';
import { createMetricsRegistry } from '../../observability/metrics.js';
import { alignColumns } from '../../report/render/table.js';
import type { AlertState } from '../../alerts/alert.js';
import {
  expireSilence,
  getAlert,
  listAlerts,
  listSilences,
  type AlertSummary,
} from '../../store/alerts.js';
import { listOutbox, type OutboxEntry } from '../../store/outbox.js';
import type { CommandContext } from '../program.js';

const STATES = ['firing', 'pending', 'resolved', 'open', 'all'] as const;
type StateFilter = (typeof STATES)[number];

/**
 * driftwatch alerts [list] | show | test | silence | silences | unsilence | ack, and
 * driftwatch webhook verify: the alert-facing commands.
 */
export function registerAlertCommands(program: Command, context: CommandContext): void {
  const alerts = program
    .command('alerts')
    .description('alerts: list them, their notifications, silences and acknowledgements');

  alerts
    .command('list', { isDefault: true })
    .description('list alerts (default: firing), and notifications that could not be delivered')
    .option('--model <model>', 'only this model')
    .option(
      '--state <state>',
      `firing, pending, resolved, open (pending and firing) or all`,
      'firing',
    )
    .option('--dead', 'list the notifications that are dead (delivery gave up) instead')
    .option('--limit <n>', 'at most this many rows', '200')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        model?: string;
        state: string;
        dead?: boolean;
        limit: string;
        json?: boolean;
      }) => {
        const store = await context.store();
        const limit = parseCount('--limit', flags.limit);
        const dead = await listOutbox(store, {
          status: 'dead',
          model: flags.model,
          limit: flags.dead ? limit : 1000,
        });
        if (flags.dead) {
          if (flags.json) return print(JSON.stringify(dead.map(outboxJson), null, 2));
          return print(deadTable(dead));
        }
        const state = parseState(flags.state);
        const rows = await listAlerts(store, { model: flags.model, state, limit });
        if (flags.json)
          return print(JSON.stringify({ alerts: rows, dead_notifications: dead.length }, null, 2));
        print(alertTable(rows));
        if (dead.length > 0)
          print(`${dead.length} notification(s) dead: see \`driftwatch alerts --dead\``);
      },
    );

  alerts
    .command('show <alert-id>')
    .description('one alert with every transition (the run that caused it) and acknowledgement')
    .option('--json', 'print JSON')
    .action(async (alertId: string, flags: { json?: boolean }) => {
      const detail = await getAlert(await context.store(), alertId);
      if (!detail) throw new InputError({ file: 'alert-id' }, `no alert "${alertId}"`);
      if (flags.json) return print(JSON.stringify(detail, null, 2));
      print(alertTable([detail.alert]));
      print(
        alignColumns([
          [
            'window end',
            'event',
            'from',
            'to',
            'severity',
            'verdict',
            'value',
            'notified',
            'withheld',
          ],
          ...detail.events.map((event) => [
            event.windowEnd.toISOString(),
            event.event,
            event.fromState,
            event.toState,
            event.severity ?? '-',
            event.verdictStatus,
            event.value === null ? '-' : String(event.value),
            event.notified ? `${event.outboxIds.length} message(s)` : 'no',
            event.suppressedBy || '-',
          ]),
        ]).join('\n'),
      );
      for (const ack of detail.acknowledgements)
        print(
          `acknowledged episode ${ack.episode} by ${ack.acknowledgedBy} at ${ack.acknowledgedAt.toISOString()}: ${ack.reason || '-'}`,
        );
    });

  alerts
    .command('test')
    .description(
      "send one test notification through each of a model's routes, and say how each went",
    )
    .requiredOption('--model <model>', 'the model')
    .option('--timeout <seconds>', 'give up waiting after this long', '60')
    .action(async (flags: { model: string; timeout: string }) => {
      const plan = findPlan(context, flags.model);
      const problems = checkAlertEnvironment([plan], context.config.alerts.readSecret);
      if (problems.length > 0)
        throw new InputError(
          { file: flags.model },
          problems.map((problem) => problem.message).join('; '),
        );
      const store = await context.store();
      // A handful of quick attempts: a person is waiting for the answer. Only the test
      // notifications: whatever else is pending belongs to the service's delivery loop.
      const stage = createAlertStage({
        deliverOnly: (entry) => entry.kind === 'test' && entry.model === plan.model,
        store,
        plans: [plan],
        config: {
          ...context.config.alerts,
          delivery: {
            ...context.config.alerts.delivery,
            maxAttempts: 3,
            retryBaseMs: 1000,
            retryMaxMs: 4000,
          },
        },
        logger: silentLogger(),
        registry: createMetricsRegistry({ processMetrics: false }),
      });
      try {
        const sent = await stage.enqueueTest(plan.model);
        if (sent.length === 0) {
          print(`${plan.model} has no alert routes (alerts.routes in its monitor file)`);
          return;
        }
        const ids = sent.map((notification) => notification.id);
        await stage.delivery.drain({
          ids,
          timeoutMs: parseCount('--timeout', flags.timeout) * 1000,
        });
        const outcome = await listOutbox(store, { ids });
        for (const entry of outcome)
          print(
            `${entry.destination.padEnd(40)} ${entry.status}${entry.lastError ? `: ${entry.lastError}` : ''}`,
          );
        if (outcome.some((entry) => entry.status !== 'delivered')) process.exitCode = 1;
      } finally {
        await stage.stop();
      }
    });

  alerts
    .command('silence')
    .description('mute matching alerts for a while: they still change state, but send nothing')
    .requiredOption('--model <model>', 'the model')
    .option('--feature <feature>', 'only this feature')
    .option('--slice <slice>', 'only this slice value (web, or channel=web)')
    .option('--check <check>', 'only this check id')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 4h, 2d')
    .requiredOption('--reason <text>', 'why (kept with the silence)')
    .option('--by <name>', 'who (default: the user running the command)')
    .action(
      async (flags: {
        model: string;
        feature?: string;
        slice?: string;
        check?: string;
        for: string;
        reason: string;
        by?: string;
      }) => {
        // A silence for a model nobody monitors would silently do nothing: refuse the typo.
        findPlan(context, flags.model);
        const now = new Date();
        const silence = await createSilence(await context.store(), {
          model: flags.model,
          feature: flags.feature,
          slice: flags.slice,
          checkId: flags.check,
          endsAt: new Date(now.getTime() + parseDurationFlag('--for', flags.for)),
          reason: required('--reason', flags.reason),
          by: flags.by ?? os.userInfo().username,
          now,
        });
        print(
          `${silence.silenceId}: ${describeSilence(silence)} until ${silence.endsAt.toISOString()}`,
        );
      },
    );

  alerts
    .command('silences')
    .description('list silences (default: the active ones)')
    .option('--model <model>', 'only this model')
    .option('--all', 'also expired ones')
    .option('--json', 'print JSON')
    .action(async (flags: { model?: string; all?: boolean; json?: boolean }) => {
      const silences = await listSilences(await context.store(), {
        model: flags.model,
        ...(flags.all ? {} : { activeAt: new Date() }),
      });
      if (flags.json) return print(JSON.stringify(silences, null, 2));
      print(
        alignColumns([
          ['id', 'matches', 'from', 'until', 'by', 'reason'],
          ...silences.map((silence) => [
            silence.silenceId,
            describeSilence(silence),
            silence.startsAt.toISOString(),
            (silence.expiredAt ?? silence.endsAt).toISOString(),
            silence.createdBy,
            silence.reason,
          ]),
        ]).join('\n'),
      );
    });

  alerts
    .command('unsilence <silence-id>')
    .description('end a silence now')
    .option('--by <name>', 'who (default: the user running the command)')
    .action(async (silenceId: string, flags: { by?: string }) => {
      const expired = await expireSilence(
        await context.store(),
        silenceId,
        flags.by ?? os.userInfo().username,
        new Date(),
      );
      if (!expired) throw new InputError({ file: 'silence-id' }, `no silence "${silenceId}"`);
      print(`${silenceId} ended at ${expired.expiredAt?.toISOString()}`);
    });

  alerts
    .command('ack <alert-id>')
    .description(
      'acknowledge an alert: no more repeat notices this episode (escalation and resolution still notify)',
    )
    .requiredOption('--by <name>', 'who is on it')
    .option('--reason <text>', 'why, or what is being done', '')
    .action(async (alertId: string, flags: { by: string; reason: string }) => {
      const outcome = await acknowledgeAlert(await context.store(), {
        alertId,
        by: required('--by', flags.by),
        reason: flags.reason,
      });
      if (!outcome.ok && outcome.reason === 'not_found')
        throw new InputError({ file: 'alert-id' }, `no alert "${alertId}"`);
      if (!outcome.ok)
        throw new InputError(
          { file: 'alert-id' },
          `alert ${alertId} is ${outcome.state}: nothing to acknowledge`,
        );
      const alert = outcome.alert;
      print(
        `${alertId} (${alert.model} ${alert.checkId} ${alert.feature || '-'} ${sliceText(alert)}) acknowledged by ${flags.by}, episode ${alert.episode}`,
      );
    });

  program
    .command('webhook')
    .description('tools for webhook receivers')
    .command('verify')
    .description(
      'check a received webhook: the webhook-id, webhook-timestamp and webhook-signature headers against the raw body and your secret(s)',
    )
    .requiredOption('--id <webhook-id>', 'the webhook-id header')
    .requiredOption('--timestamp <seconds>', 'the webhook-timestamp header')
    .requiredOption(
      '--signature <signature>',
      'the webhook-signature header (v1,... possibly several)',
    )
    .requiredOption(
      '--secret-env <name>',
      'the environment variable holding your whsec_ secret(s), space-separated',
    )
    .option('--body-file <file>', 'the raw body as received (default: standard input)')
    .option('--tolerance <seconds>', 'how far the timestamp may be from now', '300')
    .action(
      async (flags: {
        id: string;
        timestamp: string;
        signature: string;
        secretEnv: string;
        bodyFile?: string;
        tolerance: string;
      }) => {
        const secrets = splitSecrets(
          readSecretOrFail(context.config.alerts.readSecret, flags.secretEnv),
        );
        const body = flags.bodyFile ? readBody(flags.bodyFile) : await readStdin();
        const result = verifyWebhookSignature(
          {
            'webhook-id': flags.id,
            'webhook-timestamp': flags.timestamp,
            'webhook-signature': flags.signature,
          },
          body,
          secrets,
          { toleranceSeconds: parseCount('--tolerance', flags.tolerance) },
        );
        if (result.ok) return print('valid');
        print(`invalid: ${result.reason}`);
        process.exitCode = 1;
      },
    );
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function parseState(text: string): AlertState | 'open' | 'all' {
  if (!(STATES as readonly string[]).includes(text))
    throw new InputError(
      { file: '--state' },
      `expected one of ${STATES.join(', ')}, got "${text}"`,
    );
  return text as StateFilter;
}

function parseCount(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new InputError({ file: flag }, `expected a whole number, got "${text}"`);
  return value;
}

function parseDurationFlag(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new InputError(
      { file: flag },
      `expected a duration such as 30m, 4h or 2d, got "${text}"`,
    );
  }
}

function required(flag: string, text: string): string {
  if (!text.trim()) throw new InputError({ file: flag }, 'must not be empty');
  return text;
}

function readSecretOrFail(readSecret: ReadSecret, name: string): string {
  const value = readSecret(name);
  if (!value) throw new InputError({ file: '--secret-env' }, `${name} is not set`);
  return value;
}

function readBody(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError({ file }, 'cannot read the body file');
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

function findPlan(context: CommandContext, model: string): MonitorPlan {
  const { plans } = loadMonitorDirectory(context.config.monitorsDir);
  const plan = plans.find((candidate) => candidate.model === model);
  if (!plan)
    throw new InputError(
      { file: context.config.monitorsDir },
      `no valid monitor for model "${model}" (monitors: ${plans.map((p) => p.model).join(', ') || 'none'}; see driftwatch validate)`,
    );
  return plan;
}

function sliceText(alert: { sliceKey: string; sliceValue: string }): string {
  return alert.sliceKey ? `${alert.sliceKey}=${alert.sliceValue}` : alert.sliceValue;
}

function describeSilence(silence: {
  model: string;
  feature: string;
  slice: string;
  checkId: string;
}): string {
  return [
    `model=${silence.model}`,
    silence.checkId && `check=${silence.checkId}`,
    silence.feature && `feature=${silence.feature}`,
    silence.slice && `slice=${silence.slice}`,
  ]
    .filter(Boolean)
    .join(' ');
}

function alertTable(rows: readonly AlertSummary[]): string {
  if (rows.length === 0) return 'no alerts';
  return alignColumns([
    [
      'alert',
      'state',
      'severity',
      'model',
      'check',
      'feature',
      'slice',
      'since',
      'value',
      'acknowledged',
    ],
    ...rows.map((alert) => [
      alert.alertId,
      alert.state,
      alert.severity ?? '-',
      alert.model,
      alert.checkId,
      alert.feature || '-',
      sliceText(alert),
      alert.since?.toISOString() ?? '-',
      alert.last?.value === null || alert.last?.value === undefined
        ? '-'
        : String(Number(alert.last.value.toPrecision(4))),
      alert.acknowledgement ? alert.acknowledgement.acknowledgedBy : '-',
    ]),
  ]).join('\n');
}

function deadTable(rows: readonly OutboxEntry[]): string {
  if (rows.length === 0) return 'no dead notifications';
  return alignColumns([
    ['notification', 'destination', 'kind', 'model', 'window end', 'attempts', 'last error'],
    ...rows.map((entry) => [
      entry.id,
      entry.destination,
      entry.kind,
      entry.model,
      entry.windowEnd.toISOString(),
      String(entry.attempts),
      entry.lastError,
    ]),
  ]).join('\n');
}

function outboxJson(entry: OutboxEntry) {
  const { message, ...rest } = entry;
  return { ...rest, message: JSON.parse(message) as unknown };
}
