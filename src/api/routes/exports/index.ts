import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { create as createTar } from 'tar';
import { Type } from 'typebox';
import type { ExportSection } from '../../../exports/sections.js';
import { writeExport } from '../../../exports/writeExport.js';
import type { Store } from '../../../store/clickhouse.js';
import { apiError, notImplemented } from '../../errors.js';
import { parseTime } from '../shared.js';

export interface ExportRouteOptions {
  store: Store;
  exports: { signingKey: string | null; version: string };
  sections?: readonly ExportSection[];
}

/**
 * GET /v1/exports: the same export as `driftwatch export`, written to a scratch directory
 * on the server and streamed as one tar archive (manifest.json and the files), then
 * removed. Verify it with `tar x` and `driftwatch export verify DIR`.
 */
export const exportRoutes: FastifyPluginAsyncTypebox<ExportRouteOptions> = async (app, options) => {
  app.get(
    '/v1/exports',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'A signed, hash-chained compliance export of a period, as a tar archive',
        description:
          "Drift history, monitor file versions, baselines and the alerts' audit trail (transitions, acknowledgements, silences, notifications and every delivery attempt) of the period (window_end in (from, to]), with manifest.json: every file's SHA-256 and row count, the chain head and its Ed25519 signature. See docs/EXPORTS.md.",
        tags: ['exports'],
        querystring: Type.Object(
          {
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            model: Type.Optional(Type.String()),
            format: Type.Optional(
              Type.Union([Type.Literal('csv'), Type.Literal('jsonl'), Type.Literal('parquet')], {
                default: 'jsonl',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        // The archive on success; errors are JSON, like every other route's.
        response: {
          200: {
            description: 'a tar archive: manifest.json and the files it lists',
            content: {
              'application/x-tar': {
                schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }),
              },
            },
          },
          501: notImplemented('without a signing key (DRIFTWATCH_EXPORT_SIGNING_KEY)'),
        },
      },
    },
    async (request, reply) => {
      const signingKey = options.exports.signingKey;
      if (!signingKey) {
        throw apiError(
          'DW_NOT_IMPLEMENTED',
          'exports need a signing key: set DRIFTWATCH_EXPORT_SIGNING_KEY (driftwatch export keygen)',
        );
      }
      const from = parseTime('from', request.query.from) as Date;
      const to = parseTime('to', request.query.to) as Date;
      if (!(from < to))
        throw apiError('DW_BAD_REQUEST', 'querystring/from must be before querystring/to');
      const format = request.query.format ?? 'jsonl';
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-export-'));
      const dir = path.join(scratch, 'export');
      const cleanUp = () => fs.rmSync(scratch, { recursive: true, force: true });
      try {
        const manifest = await writeExport(options.store, {
          from,
          to,
          model: request.query.model,
          format,
          outDir: dir,
          signingKey,
          softwareVersion: options.exports.version,
          sections: options.sections,
        });
        const names = ['manifest.json', ...manifest.files.map((file) => file.name)];
        const archive = Readable.from(createTar({ cwd: dir, portable: true }, names));
        archive.on('close', cleanUp);
        reply.raw.on('close', cleanUp);
        const stamp = `${from.toISOString()}_${to.toISOString()}`.replace(/[:.]/g, '');
        void reply
          .header('content-type', 'application/x-tar')
          .header('content-disposition', `attachment; filename="driftwatch-export-${stamp}.tar"`);
        return reply.send(archive);
      } catch (error) {
        cleanUp();
        throw error;
      }
    },
  );
};
