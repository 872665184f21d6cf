import type { IncomingHttpHeaders } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import { roleGrants, type Access, type Principal } from './tokens.js';

export const SESSION_COOKIE = 'driftwatch_session';

/**
 * How callers prove who they are: an API token (bearer), and where sessions are kept, the
 * dashboard's session cookie. The start-up server knows tokens only (no store yet).
 */
export interface Credentials {
  token(token: string): Principal | undefined;
  session?(id: string): Promise<Principal | undefined>;
}

/**
 * Who is calling, from the request's headers alone (the app and the start-up server ask
 * the same way): a bearer token or the dashboard's session cookie. A service without
 * tokens (`open`) answers only requests addressed to localhost, as an admin.
 */
export async function callerOf(
  headers: IncomingHttpHeaders,
  credentials: Credentials,
  open: boolean,
): Promise<Principal | undefined> {
  return open ? localCaller(headers) : authenticate(headers, credentials);
}

/**
 * Why a caller may not reach what needs `access`, as the API says it (the app's hook and the
 * start-up server answer alike), or undefined when it may.
 */
export function accessRefusal(
  principal: Principal | undefined,
  access: Access,
  open: boolean,
): { code: 'DW_UNAUTHENTICATED' | 'DW_FORBIDDEN'; message?: string } | undefined {
  if (!principal) {
    return {
      code: 'DW_UNAUTHENTICATED',
      message: open
        ? 'this service has no API tokens and answers only requests addressed to localhost'
        : undefined,
    };
  }
  if (roleGrants(principal.role, access)) return undefined;
  return {
    code: 'DW_FORBIDDEN',
    message: `role "${principal.role}" may not do that (needs ${access})`,
  };
}

async function authenticate(
  headers: IncomingHttpHeaders,
  credentials: Credentials,
): Promise<Principal | undefined> {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ? credentials.token(match[1]) : undefined;
  }
  const session = sessionCookie(headers);
  return session && credentials.session ? credentials.session(session) : undefined;
}

/** The session id in the request's cookie (parsed here: the app's hook runs before the cookie plugin's). */
export function sessionCookie(headers: IncomingHttpHeaders): string | undefined {
  return headers.cookie ? fastifyCookie.parse(headers.cookie)[SESSION_COOKIE] : undefined;
}

/**
 * Without tokens the service listens on loopback only; checking the Host header as well
 * keeps a web page that rebinds its own DNS name to 127.0.0.1 from reaching it.
 */
function localCaller(headers: IncomingHttpHeaders): Principal | undefined {
  const host = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  return local ? { role: 'admin', name: 'local' } : undefined;
}
