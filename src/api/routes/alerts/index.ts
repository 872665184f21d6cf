import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AlertLookupError } from '../../../alerts/operatorActions.js';
import { DriftwatchError } from '../../../errors.js';
import { parseDuration } from '../../../monitors/monitorFile.js';
import {
  ALERT_EVENT_KINDS,
  ALERT_STATES,
  AcknowledgeBody,
  Alert,
  AlertDetail,
  AlertEvent,
  AlertEventsQuery,
  AlertTestBody,
  AlertTestResult,
  AlertsQuery,
  EndSilenceBody,
  Notification,
  NotificationsQuery,
  Silence,
  SilenceBody,
  SilencesQuery,
  type AlertsApi,
  type SilenceBody as SilenceBodyType,
  type SilenceRequest,
} from '../../alerts.js';
import type { Principal } from '../../auth/tokens.js';
import { apiError, ApiError, notImplemented } from '../../errors.js';
import { PageOf } from '../../schemas.js';
import { pageOf, parseChoices, parseSlice, parseTime } from '../shared.js';

const tags = ['alerts'];
/** Every alert route answers 501 in a service without alerting. */
const withoutAlerting = notImplemented('in a service without alerting');

/**
 * Alerts: list, one with its audit trail, acknowledge, silence (create, list, end), dead
 * notifications, test notifications. The routes are always declared (and documented);
 * without an alerts implementation they answer 501. Alert ids may be a unique prefix.
 */
export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts?: AlertsApi }> = async (
  app,
  options,
) => {
  const alerts = (): AlertsApi => {
    if (!options.alerts)
      throw apiError('DW_NOT_IMPLEMENTED', 'alerting is not enabled in this service');
    return options.alerts;
  };

  app.get(
    '/v1/alerts',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Alerts, newest first; state=pending,firing for the open ones',
        tags,
        querystring: AlertsQuery,
        response: { 200: PageOf(Alert, 'AlertPage'), 501: withoutAlerting },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0 } = request.query;
      const page = await alerts().list({
        model: request.query.model,
        states: parseChoices('state', request.query.state, ALERT_STATES),
        limit,
        offset,
      });
      return pageOf(page, limit, offset);
    },
  );

  app.get(
    '/v1/alerts/events',
    {
      config: { access: 'read' },
      schema: {
        summary:
          "The alerts' audit trail, oldest first: transitions and notices with the run that caused each",
        description:
          "Filter by model, alert, check, feature and slice (the dashboard marks a chart with the firing, escalated and resolved events of its check, feature and slice), by event, and by the window's end.",
        tags,
        querystring: AlertEventsQuery,
        response: { 200: PageOf(AlertEvent, 'AlertEventPage'), 501: withoutAlerting },
      },
    },
    async (request) => {
      const query = request.query;
      const { limit = 100, offset = 0 } = query;
      const events = parseChoices('event', query.event, ALERT_EVENT_KINDS);
      const page = await alerts().events({
        model: query.model,
        alertId: query.alert_id,
        checkId: query.check_id,
        feature: query.feature,
        slice: query.slice === undefined ? undefined : parseSlice(query.slice),
        events,
        from: parseTime('from', query.from),
        to: parseTime('to', query.to),
        limit,
        offset,
      });
      return pageOf(page, limit, offset);
    },
  );

  app.get(
    '/v1/alerts/:alert_id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One alert (id or unique prefix) with every transition and acknowledgement',
        tags,
        params: AlertIdParams,
        response: { 200: AlertDetail, 501: withoutAlerting },
      },
    },
    async (request) => answering(() => alerts().get(request.params.alert_id)),
  );

  app.post(
    '/v1/alerts/:alert_id/acknowledge',
    {
      config: { access: 'operate' },
      schema: {
        summary:
          'Acknowledge an alert (id or unique prefix): who is the token name; why, the reason',
        tags,
        params: AlertIdParams,
        body: AcknowledgeBody,
        response: { 200: Alert, 501: withoutAlerting },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return answering(() =>
        alerts().acknowledge(
          request.params.alert_id,
          who(request.principal, body.by),
          body.reason ?? body.comment ?? '',
        ),
      );
    },
  );

  app.post(
    '/v1/silences',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Silence the alerts of a model (or one check, feature, slice) for a while',
        description:
          'Give `for` (a duration: 30m, 4h, 2d) or `until` (a time), and `reason`. `comment` is the deprecated name of `reason`.',
        tags,
        body: SilenceBody,
        response: { 201: Silence, 501: withoutAlerting },
      },
    },
    async (request, reply) => {
      const silence = await answering(() =>
        alerts().silence(silenceRequest(request.body, who(request.principal, request.body.by))),
      );
      void reply.status(201);
      return silence;
    },
  );

  app.get(
    '/v1/silences',
    {
      config: { access: 'read' },
      schema: {
        summary:
          'Silences, newest first: active (default), expired or all, with who, why and until',
        tags,
        querystring: SilencesQuery,
        response: { 200: PageOf(Silence, 'SilencePage'), 501: withoutAlerting },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0, state = 'active', model } = request.query;
      const page = await alerts().silences({ model, state, limit, offset });
      return pageOf(page, limit, offset);
    },
  );

  app.post(
    '/v1/silences/:silence_id/end',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'End a silence now (who: the token name)',
        tags,
        params: Type.Object({ silence_id: Type.String({ minLength: 1 }) }),
        body: EndSilenceBody,
        response: { 200: Silence, 501: withoutAlerting },
      },
    },
    async (request) => {
      const ended = await alerts().endSilence(
        request.params.silence_id,
        who(request.principal, request.body.by),
      );
      if (!ended) throw apiError('DW_NOT_FOUND', `no silence "${request.params.silence_id}"`);
      return ended;
    },
  );

  app.get(
    '/v1/notifications',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Notifications and how their delivery went, newest first (status=dead: given up)',
        tags,
        querystring: NotificationsQuery,
        response: { 200: Type.Array(Notification), 501: withoutAlerting },
      },
    },
    async (request) => {
      const { limit = 100, model, status } = request.query;
      return alerts().notifications({ model, status, limit });
    },
  );

  app.post(
    '/v1/models/:model/alerts/test',
    {
      config: { access: 'operate' },
      schema: {
        summary: "Send one test notification through each of the model's routes, and how each went",
        tags,
        params: Type.Object({ model: Type.String({ minLength: 1 }) }),
        body: AlertTestBody,
        response: { 200: AlertTestResult, 501: withoutAlerting },
      },
    },
    async (request) =>
      answering(() => alerts().test(request.params.model, request.body.timeout_seconds ?? 60)),
  );
};

const AlertIdParams = Type.Object({ alert_id: Type.String({ minLength: 1 }) });

/**
 * Who did it: the token's name. A service without tokens answers only its own machine (as
 * the admin "local"): there the name the CLI sends (its user, or --by) is recorded.
 */
function who(principal: Principal | null, by: string | undefined): string {
  if (!principal) throw apiError('DW_UNAUTHENTICATED');
  return principal.name === 'local' && by ? by : principal.name;
}

function silenceRequest(body: SilenceBodyType, by: string): SilenceRequest {
  const reason = body.reason ?? body.comment;
  if (!reason?.trim()) throw apiError('DW_BAD_REQUEST', 'body/reason: why the silence: required');
  if ((body.for === undefined) === (body.until === undefined))
    throw apiError('DW_BAD_REQUEST', 'body: give one of for (a duration) or until (a time)');
  let end: SilenceRequest['end'];
  if (body.for !== undefined) {
    try {
      end = { forMs: parseDuration(body.for) };
    } catch {
      throw apiError(
        'DW_BAD_REQUEST',
        `body/for: expected a duration such as 30m, 4h or 2d, got "${body.for}"`,
      );
    }
  } else {
    end = { until: new Date(body.until ?? '') };
  }
  return {
    model: body.model,
    checkId: body.check_id,
    feature: body.feature,
    slice: body.slice,
    end,
    reason,
    by,
  };
}

/** What names nothing (an alert, a model) is a 404; an ambiguous prefix or a refused request, a 400. */
async function answering<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof AlertLookupError)
      throw apiError(
        error.reason === 'not_found' ? 'DW_NOT_FOUND' : 'DW_BAD_REQUEST',
        error.message,
      );
    if (error instanceof DriftwatchError && error.code === 'DW_INPUT')
      throw apiError('DW_BAD_REQUEST', error.message);
    if (error instanceof DriftwatchError && error.code === 'DW_NOT_FOUND')
      throw apiError('DW_NOT_FOUND', error.message);
    throw error;
  }
}
