import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../errors.js';
import { accessRefusal, callerOf, type Credentials } from './caller.js';
import type { Sessions } from './sessions.js';
import {
  ACCESS_LEVELS,
  createTokenVerifier,
  type Access,
  type Principal,
  type TokenEntry,
} from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a route needs: every route declares it, or the app refuses to start. */
    access?: Access;
    /** A page for people: without a session it sends them to the login page, not a 401. */
    page?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  tokens: readonly TokenEntry[];
  /** The dashboard's sessions (cookie); without them only bearer tokens are accepted. */
  sessions?: Sessions;
  ingestRequestsPerMinute: number;
}

/**
 * Routes declared by others' plugins (the API reference page): what they need when they do
 * not say it themselves.
 */
const PREFIX_ACCESS: readonly { prefix: string; access: Access; page: boolean }[] = [
  { prefix: '/docs', access: 'read', page: true },
];

/**
 * Who is calling, and may they. Installed on the root instance before any route, so its
 * onRoute hook sees every route: a route without `config.access` is a startup error, and
 * each route's schema gets the security requirement for the OpenAPI document.
 */
export function installAuth(
  app: FastifyInstance,
  options: AuthOptions,
): (token: string) => Principal | undefined {
  const verify = createTokenVerifier(options.tokens);
  const sessions = options.sessions;
  const credentials: Credentials = {
    token: verify,
    ...(sessions ? { session: (id: string) => sessions.principalOf(id) } : {}),
  };
  const open = options.tokens.length === 0;
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const inherited = PREFIX_ACCESS.find((entry) => route.url.startsWith(entry.prefix));
    if (route.config?.access === undefined && inherited) {
      route.config = { ...route.config, access: inherited.access, page: inherited.page };
    }
    const access = route.config?.access;
    if (access === undefined || !(ACCESS_LEVELS as readonly string[]).includes(access)) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no config.access (one of ${ACCESS_LEVELS.join(', ')})`,
      );
    }
    if (access !== 'public' && route.schema) {
      route.schema = { ...route.schema, security: [{ bearer: [] }, { session: [] }] };
    }
    if (access === 'ingest') {
      // Per token, not per address: producers behind one NAT do not starve each other.
      route.config = {
        ...route.config,
        rateLimit: {
          max: options.ingestRequestsPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request: FastifyRequest) =>
            `token:${request.principal?.name ?? request.ip}`,
        },
      };
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    // Unmatched URLs need a token too: a stranger learns nothing about which routes exist.
    const access: Access | 'any' = request.routeOptions.config?.access ?? 'any';
    if (access === 'public') return;
    const principal = await callerOf(request.headers, credentials, open);
    if (!principal && request.routeOptions.config?.page) return redirectToLogin(request, reply);
    request.principal = principal ?? null;
    // 'any' (an unmatched URL): any caller at all, whatever its role.
    const refusal = accessRefusal(principal, access === 'any' ? 'public' : access, open);
    if (refusal) throw apiError(refusal.code, refusal.message);
  });
  return verify;
}

function redirectToLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = encodeURIComponent(request.url);
  return reply.redirect(`/login?next=${next}`, 302);
}
