import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../../store/clickhouse.js';
import { queryResultsPage } from '../../../store/results.js';
import { METRICS } from '../../../monitors/checks/registry.js';
import { PageOf, Result, ResultsQuery, STATUSES } from '../../schemas.js';
import { pageOf, parseChoice, parseChoices, parseTime } from '../shared.js';

/** The drift history: every stored result, filtered and paged. */
export const resultRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, options) => {
  app.get(
    '/v1/results',
    {
      config: { access: 'read' },
      schema: {
        summary:
          'Drift history: results filtered by model, check, feature, slice, metric, status and time',
        description:
          'Newest window first, then worst status first. Paged: `total` counts every match, `next_offset` says where the next page starts.',
        tags: ['results'],
        querystring: ResultsQuery,
        response: { 200: PageOf(Result, 'ResultPage') },
      },
    },
    async (request) => {
      const query = request.query;
      const { limit = 100, offset = 0 } = query;
      const page = await queryResultsPage(
        options.store,
        {
          model: query.model,
          checkId: query.check_id,
          feature: query.feature,
          slice: query.slice,
          metric: parseChoice('metric', query.metric, METRICS),
          statuses: parseChoices('status', query.status, STATUSES),
          from: parseTime('from', query.from),
          to: parseTime('to', query.to),
        },
        { limit, offset },
      );
      return pageOf(page, limit, offset);
    },
  );
};
