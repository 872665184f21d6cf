import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { SESSION_COOKIE, sessionCookie } from '../../auth/caller.js';
import { SESSION_LIFETIME_MS, type Sessions } from '../../auth/sessions.js';
import { roleGrants, type Principal } from '../../auth/tokens.js';
import { apiError, errorResponseFor } from '../../errors.js';
import { ModelParams } from '../../schemas.js';
import { alertPage, loginPage, modelPage, overviewPage } from './pages.js';

export interface DashboardOptions {
  verifyToken: (token: string) => Principal | undefined;
  /** Where logins live: the cookie carries a session id, never the token. */
  sessions: Sessions;
  /** A service without tokens has no login. */
  open: boolean;
}

const require = createRequire(import.meta.url);
const UPLOT_DIST = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

/** The package root (web/ lives there), found from here whether run from src/ or dist/. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  return dir;
}
const WEB = path.join(packageRoot(), 'web');

/** The only files /assets serves: ours and uPlot's, read once, no path from the request. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'dashboard.js': { file: path.join(WEB, 'dashboard.js'), type: 'text/javascript' },
  'dashboard.css': { file: path.join(WEB, 'dashboard.css'), type: 'text/css' },
  'uPlot.iife.min.js': {
    file: path.join(UPLOT_DIST, 'uPlot.iife.min.js'),
    type: 'text/javascript',
  },
  'uPlot.min.css': { file: path.join(UPLOT_DIST, 'uPlot.min.css'), type: 'text/css' },
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const tags = ['session'];

function html(reply: FastifyReply, body: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(body);
}

/** The dashboard: pages, their assets, and the login that turns a token into a session cookie. */
export const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardOptions> = async (
  app,
  options,
) => {
  const assets = new Map(
    Object.entries(ASSETS).map(([name, asset]) => [
      name,
      { ...asset, body: fs.readFileSync(asset.file) },
    ]),
  );
  const page = { config: { access: 'read' as const, page: true }, schema: { hide: true } };

  app.get('/', page, async (_request, reply) => reply.redirect('/dashboard', 302));
  app.get('/dashboard', page, async (_request, reply) => html(reply, overviewPage(!options.open)));
  app.get(
    '/dashboard/models/:model',
    { ...page, schema: { hide: true, params: ModelParams } },
    async (request, reply) => html(reply, modelPage(request.params.model, !options.open)),
  );
  app.get(
    '/dashboard/alerts/:alert_id',
    {
      ...page,
      schema: {
        hide: true,
        params: Type.Object({ alert_id: Type.String({ minLength: 1, maxLength: 200 }) }),
      },
    },
    async (request, reply) => html(reply, alertPage(request.params.alert_id, !options.open)),
  );

  app.get(
    '/login',
    { config: { access: 'public' }, schema: { hide: true } },
    async (_request, reply) => html(reply, loginPage()),
  );

  app.get(
    '/assets/:name',
    {
      config: { access: 'public' },
      schema: { hide: true, params: Type.Object({ name: Type.String() }) },
    },
    async (request, reply) => {
      const asset = assets.get(request.params.name);
      if (!asset) throw apiError('DW_NOT_FOUND', `no asset "${request.params.name}"`);
      return reply
        .type(asset.type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=300')
        .send(asset.body);
    },
  );

  app.post(
    '/v1/session',
    {
      config: {
        access: 'public',
        // Guessing tokens by brute force is hopeless (256 bits); this keeps it quiet anyway.
        rateLimit: { max: 20, timeWindow: 60_000 },
      },
      schema: {
        summary:
          'Log in to the dashboard: a session (12 h) in an HttpOnly, SameSite=Strict cookie, Secure over https',
        tags,
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        // Public, yet it refuses: a token that is not one, or one that may not read.
        response: {
          200: Type.Object({ role: Type.String(), name: Type.String() }),
          401: errorResponseFor(401),
          403: errorResponseFor(403),
        },
      },
    },
    async (request, reply) => {
      if (options.open) return { role: 'admin', name: 'local' };
      const principal = options.verifyToken(request.body.token);
      if (!principal) throw apiError('DW_UNAUTHENTICATED', 'that token is not valid');
      if (!roleGrants(principal.role, 'read')) {
        throw apiError(
          'DW_FORBIDDEN',
          `a ${principal.role} token cannot open the dashboard (read or above)`,
        );
      }
      const session = await options.sessions.open(request.body.token);
      if (!session) throw apiError('DW_UNAUTHENTICATED', 'that token is not valid');
      void reply.setCookie(SESSION_COOKIE, session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        // https as the client sees it: behind a proxy, only with DRIFTWATCH_TRUST_PROXY.
        secure: request.protocol === 'https',
        maxAge: SESSION_LIFETIME_MS / 1000,
      });
      return principal;
    },
  );

  app.delete(
    '/v1/session',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Log out of the dashboard: the session ends on the server, its cookie is refused',
        tags,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const id = sessionCookie(request.headers);
      if (id !== undefined) await options.sessions.close(id);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );
};
