import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ALERT_EVENT_KINDS,
  ALERT_STATES,
  AcknowledgeBody,
  Alert,
  AlertEvent,
  AlertEventsQuery,
  AlertsQuery,
  Silence,
  SilenceBody,
  type AlertsApi,
} from '../../alerts.js';
import { apiError, notImplemented } from '../../errors.js';
import { PageOf } from '../../schemas.js';
import { pageOf, parseChoices, parseSlice, parseTime } from '../shared.js';

const tags = ['alerts'];
/** Every alert route answers 501 in a service without alerting. */
const withoutAlerting = notImplemented('in a service without alerting');

/**
 * Alerts: list, their audit trail, acknowledge, silence. The routes are always declared
 * (and documented); without an alerts implementation they answer 501.
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

  app.post(
    '/v1/alerts/:alert_id/acknowledge',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Acknowledge an alert (who: the token name; why: the comment)',
        tags,
        params: Type.Object({ alert_id: Type.String({ minLength: 1 }) }),
        body: AcknowledgeBody,
        response: { 200: Alert, 501: withoutAlerting },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw apiError('DW_UNAUTHENTICATED');
      const alert = await alerts().acknowledge(
        request.params.alert_id,
        principal,
        request.body.comment ?? '',
      );
      if (!alert) throw apiError('DW_NOT_FOUND', `no alert "${request.params.alert_id}"`);
      return alert;
    },
  );

  app.post(
    '/v1/silences',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Silence the alerts of a model (or one check, feature, slice) until a time',
        tags,
        body: SilenceBody,
        response: { 201: Silence, 501: withoutAlerting },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw apiError('DW_UNAUTHENTICATED');
      const silence = await alerts().silence(request.body, principal);
      void reply.status(201);
      return silence;
    },
  );
};
