import type { Command } from 'commander';
import { explainAlert } from '../../alerts/explainAlert.js';
import type { AlertExplanation } from '../../api/explanation.js';
import { renderExplanationText } from '../../alerts/render/explanation.js';
import { DriftwatchError, InputError } from '../../errors.js';
import type { CommandContext } from '../program.js';

/**
 * driftwatch alerts explain ID: why an alert fired (what, when, the window beside the
 * baseline, the slices and features that explain it), from the store or through the
 * running service that holds it; the same answer as GET /v1/alerts/:id/explanation.
 */
export function registerExplainCommand(alerts: Command, context: CommandContext): void {
  alerts
    .command('explain <alert-id>')
    .description(
      'why an alert fired: its transitions, the window beside the baseline (bins, categories, where the CDFs differ most) and the slices and features that explain the shift',
    )
    .option('--window-end <time>', 'explain this window (default: the one that fired the alert)')
    .option('--json', 'print JSON')
    .action(async (alertId: string, flags: { windowEnd?: string; json?: boolean }) => {
      const windowEnd = parseWindowEnd(flags.windowEnd);
      const backend = await context.storeOrService({ readOnly: true });
      let explanation: AlertExplanation;
      try {
        explanation =
          backend.kind === 'store'
            ? await explainAlert(backend.store, context.plans(), alertId, { windowEnd })
            : await backend.service.alertExplanation(alertId, windowEnd?.toISOString());
      } catch (error) {
        if (error instanceof DriftwatchError && error.code === 'DW_NOT_FOUND')
          throw new InputError({ file: 'alert-id' }, error.message);
        throw error;
      }
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(explanation, null, 2)}\n`
          : renderExplanationText(explanation),
      );
    });
}

function parseWindowEnd(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new InputError(
      { file: '--window-end' },
      `expected an RFC 3339 time such as 2026-12-06T19:30:00Z, got "${text}"`,
    );
  return date;
}
