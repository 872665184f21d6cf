import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { explainAlert } from '../../../alerts/explainAlert.js';
import { AlertLookupError } from '../../../alerts/operatorActions.js';
import { DriftwatchError } from '../../../errors.js';
import type { MonitorPlan } from '../../../monitors/plan.js';
import type { Store } from '../../../store/clickhouse.js';
import { apiError, notImplemented } from '../../errors.js';
import { AlertExplanation, ExplanationQuery } from '../../explanation.js';
import { parseTime } from '../shared.js';

export interface ExplanationRouteOptions {
  store: Store;
  monitors: () => readonly MonitorPlan[];
  /** False in a service without alerting: the route answers 501 as the other alert routes. */
  alerting: boolean;
}

/** GET /v1/alerts/:alert_id/explanation: why an alert fired, from the window it fired on. */
export const explanationRoutes: FastifyPluginAsyncTypebox<ExplanationRouteOptions> = async (
  app,
  options,
) => {
  app.get(
    '/v1/alerts/:alert_id/explanation',
    {
      config: { access: 'read' },
      schema: {
        summary:
          'Why an alert fired: its transitions, the breached window beside the baseline, and the slices and features that explain the shift',
        description:
          'Computed from the window summaries and the reference profile the check was judged on, bracketed where the summaries leave a value inexact: each bin’s counts and its share of PSI and Jensen-Shannon, new and vanished categories, where the CDFs differ most (KS), the whole window’s statistic split into slices (drift attribution), and the features of the alert’s slice ranked by PSI. The window is the one that fired or escalated the alert, unless window_end names another.',
        tags: ['alerts'],
        params: Type.Object({ alert_id: Type.String({ minLength: 1 }) }),
        querystring: ExplanationQuery,
        response: {
          200: AlertExplanation,
          501: notImplemented('in a service without alerting'),
        },
      },
    },
    async (request) => {
      if (!options.alerting)
        throw apiError('DW_NOT_IMPLEMENTED', 'alerting is not enabled in this service');
      const windowEnd = parseTime('window_end', request.query.window_end);
      try {
        return await explainAlert(options.store, options.monitors(), request.params.alert_id, {
          windowEnd,
        });
      } catch (error) {
        // An id may be a unique prefix, as on the other alert routes.
        if (error instanceof AlertLookupError)
          throw apiError(
            error.reason === 'not_found' ? 'DW_NOT_FOUND' : 'DW_BAD_REQUEST',
            error.message,
          );
        if (error instanceof DriftwatchError && error.code === 'DW_NOT_FOUND')
          throw apiError('DW_NOT_FOUND', error.message);
        throw error;
      }
    },
  );
};
