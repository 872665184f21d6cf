import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import type { ReadSecret } from '../../alerts/secrets.js';
import { splitSecrets, verifyWebhookSignature } from '../../alerts/signature.js';
import type { Alert, Notification } from '../../api/alerts.js';
import { InputError } from '../../errors.js';
import { parseDuration } from '../../monitors/monitorFile.js';
import { alignColumns } from '../../report/render/table.js';
import type { CommandContext } from '../program.js';
import { registerExplainCommand } from './explainCommand.js';

const STATES = ['firing', 'pending', 'resolved', 'open', 'all'] as const;
type StateFilter = (typeof STATES)[number];

/**
 * driftwatch alerts [list] | show | test | silence | silences | unsilence | ack, and
 * driftwatch webhook verify: the alert-facing commands. Each asks the alerts' use cases
 * (AlertsApi): over the store, or through the running service when it holds the store, so
 * both answer alike, in the API's fields.
 */
export function registerAlertCommands(program: Command, context: CommandContext): void {
  const alerts = program
    .command('alerts')
    .description(
      'alerts: list them, their notifications, silences and acknowledgements (through the service while it runs)',
    );
  registerExplainCommand(alerts, context);

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
        const limit = parseCount('--limit', flags.limit);
        const states = flags.dead ? [] : statesOf(parseState(flags.state));
        const api = await context.alerts({ readOnly: true });
        const dead = await api.notifications({
          status: 'dead',
          model: flags.model,
          limit: flags.dead ? Math.max(1, limit) : 1000,
        });
        if (flags.dead) {
          if (flags.json) return print(JSON.stringify(dead, null, 2));
          return print(deadTable(dead));
        }
        const page = await api.list({ model: flags.model, states, limit, offset: 0 });
        if (flags.json)
          return print(
            JSON.stringify({ alerts: page.items, dead_notifications: dead.length }, null, 2),
          );
        print(alertTable(page.items));
        if (page.total > page.items.length)
          print(`(${page.items.length} of ${page.total} alerts; --limit for more)`);
        if (dead.length > 0)
          print(`${dead.length} notification(s) dead: see \`driftwatch alerts --dead\``);
      },
    );

  alerts
    .command('show <alert-id>')
    .description(
      'one alert (its id, or a unique prefix of it) with every transition (the run that caused it) and acknowledgement',
    )
    .option('--json', 'print JSON')
    .action(async (alertId: string, flags: { json?: boolean }) => {
      const detail = await (await context.alerts({ readOnly: true })).get(alertId);
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
            event.window_end,
            event.event,
            event.from_state,
            event.to_state,
            event.severity ?? '-',
            event.verdict_status,
            event.value === null ? '-' : String(event.value),
            event.notified ? 'yes' : 'no',
            event.suppressed_by || '-',
          ]),
        ]).join('\n'),
      );
      for (const ack of detail.acknowledgements)
        print(
          `acknowledged episode ${ack.episode} by ${ack.by} at ${ack.at}: ${ack.reason || '-'}`,
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
      const timeout = parseCount('--timeout', flags.timeout);
      const outcome = await (await context.alerts()).test(flags.model, Math.max(1, timeout));
      if (outcome.deliveries.length === 0) {
        print(`${outcome.model} has no alert routes (alerts.routes in its monitor file)`);
        return;
      }
      for (const delivery of outcome.deliveries)
        print(
          `${delivery.destination.padEnd(40)} ${delivery.status}${delivery.last_error ? `: ${delivery.last_error}` : ''}`,
        );
      if (outcome.deliveries.some((delivery) => delivery.status !== 'delivered'))
        process.exitCode = 1;
    });

  alerts
    .command('silence')
    .description('mute matching alerts for a while: they still change state, but send nothing')
    .requiredOption('--model <model>', 'the model')
    .option('--feature <feature>', 'only this feature')
    .option('--slice <slice>', 'only this slice value (web, or channel=web)')
    .option('--check <check>', 'only this check id')
    .option('--for <duration>', 'how long, e.g. 30m, 4h, 2d (or --until)')
    .option('--until <time>', 'until when (RFC 3339), instead of --for')
    .requiredOption('--reason <text>', 'why (kept with the silence)')
    .option(
      '--by <name>',
      'who (default: the user running the command; through the API: its token)',
    )
    .action(
      async (flags: {
        model: string;
        feature?: string;
        slice?: string;
        check?: string;
        for?: string;
        until?: string;
        reason: string;
        by?: string;
      }) => {
        if ((flags.for === undefined) === (flags.until === undefined))
          throw new InputError(
            { file: '--for' },
            'give one of --for (a duration) or --until (a time)',
          );
        const end =
          flags.for !== undefined
            ? { forMs: parseDurationFlag('--for', flags.for) }
            : { until: parseTime('--until', flags.until ?? '') };
        const silence = await (
          await context.alerts()
        ).silence({
          model: flags.model,
          feature: flags.feature,
          slice: flags.slice,
          checkId: flags.check,
          end,
          reason: required('--reason', flags.reason),
          by: flags.by ?? os.userInfo().username,
        });
        print(`${silence.silence_id}: ${describeSilence(silence)} until ${silence.until}`);
      },
    );

  alerts
    .command('silences')
    .description('list silences (default: the active ones) with who, why and until when')
    .option('--model <model>', 'only this model')
    .option('--all', 'also expired ones')
    .option('--json', 'print JSON')
    .action(async (flags: { model?: string; all?: boolean; json?: boolean }) => {
      const page = await (
        await context.alerts({ readOnly: true })
      ).silences({
        model: flags.model,
        state: flags.all ? 'all' : 'active',
        limit: 1000,
        offset: 0,
      });
      if (flags.json) return print(JSON.stringify(page.items, null, 2));
      if (page.items.length === 0) return print(flags.all ? 'no silences' : 'no active silences');
      print(
        alignColumns([
          ['id', 'matches', 'from', 'until', 'by', 'reason'],
          ...page.items.map((silence) => [
            silence.silence_id,
            describeSilence(silence),
            silence.starts_at,
            silence.expired_by
              ? `${silence.until} (ended by ${silence.expired_by})`
              : silence.until,
            silence.by,
            silence.reason,
          ]),
        ]).join('\n'),
      );
    });

  alerts
    .command('unsilence <silence-id>')
    .description('end a silence now')
    .option(
      '--by <name>',
      'who (default: the user running the command; through the API: its token)',
    )
    .action(async (silenceId: string, flags: { by?: string }) => {
      const ended = await (
        await context.alerts()
      ).endSilence(silenceId, flags.by ?? os.userInfo().username);
      if (!ended) throw new InputError({ file: 'silence-id' }, `no silence "${silenceId}"`);
      print(`${silenceId} ended at ${ended.expired_at}`);
    });

  alerts
    .command('ack <alert-id>')
    .description(
      'acknowledge an alert (its id, or a unique prefix): no more repeat notices this episode (escalation and resolution still notify)',
    )
    .requiredOption('--by <name>', 'who is on it (through the API: its token names who)')
    .option('--reason <text>', 'why, or what is being done', '')
    .action(async (alertId: string, flags: { by: string; reason: string }) => {
      const alert = await (
        await context.alerts()
      ).acknowledge(alertId, required('--by', flags.by), flags.reason);
      if (alert.state !== 'firing' && alert.state !== 'pending')
        throw new InputError(
          { file: 'alert-id' },
          `alert ${alert.alert_id} is ${alert.state}: nothing to acknowledge`,
        );
      print(
        `${alert.alert_id} (${alert.model} ${alert.check_id} ${alert.feature || '-'} ${alert.slice}) acknowledged by ${alert.acknowledged?.by ?? flags.by}, episode ${alert.episode}`,
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
          readSecretOrFail(context.config.readVariable, flags.secretEnv),
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

function parseState(text: string): StateFilter {
  if (!(STATES as readonly string[]).includes(text))
    throw new InputError(
      { file: '--state' },
      `expected one of ${STATES.join(', ')}, got "${text}"`,
    );
  return text as StateFilter;
}

/** The states a filter lists; none: every state. */
function statesOf(filter: StateFilter): string[] {
  if (filter === 'all') return [];
  if (filter === 'open') return ['pending', 'firing'];
  return [filter];
}

function parseTime(flag: string, text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new InputError({ file: flag }, `not a time: "${text}" (expected RFC 3339)`);
  return date;
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

function describeSilence(silence: {
  model: string;
  feature: string | null;
  slice: string | null;
  check_id: string | null;
}): string {
  return [
    `model=${silence.model}`,
    silence.check_id && `check=${silence.check_id}`,
    silence.feature && `feature=${silence.feature}`,
    silence.slice && `slice=${silence.slice}`,
  ]
    .filter(Boolean)
    .join(' ');
}

function alertTable(rows: readonly Alert[]): string {
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
      'silenced until',
    ],
    ...rows.map((alert) => [
      alert.alert_id,
      alert.state,
      alert.severity,
      alert.model,
      alert.check_id,
      alert.feature || '-',
      alert.slice,
      alert.since,
      alert.value === null ? '-' : String(Number(alert.value.toPrecision(4))),
      alert.acknowledged ? alert.acknowledged.by : '-',
      alert.silenced_until ?? '-',
    ]),
  ]).join('\n');
}

function deadTable(rows: readonly Notification[]): string {
  if (rows.length === 0) return 'no dead notifications';
  return alignColumns([
    ['notification', 'destination', 'kind', 'model', 'window end', 'attempts', 'last error'],
    ...rows.map((entry) => [
      entry.notification_id,
      entry.destination,
      entry.kind,
      entry.model,
      entry.window_end,
      String(entry.attempts),
      entry.last_error,
    ]),
  ]).join('\n');
}
