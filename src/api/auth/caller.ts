import type { IncomingHttpHeaders } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import { roleGrants, type Access, type Principal } from './tokens.js';

export const SESSION_COOKIE = 'driftwatch_session';

/**
 * Who is calling, from the request's headers alone (the app and the start-up server ask
 * the same way): a bearer token or the dashboard's session cookie, each checked by
 * `verify`. A service without tokens (`open`) answers only requests addressed to
 * localhost, as an admin.
 */
export function callerOf(
  headers: IncomingHttpHeaders,
  verify: (token: string) => Principal | undefined,
  open: boolean,
): Principal | undefined {
  return open ? localCaller(headers) : authenticate(headers, verify);
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

function authenticate(
  headers: IncomingHttpHeaders,
  verify: (token: string) => Principal | undefined,
): Principal | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ? verify(match[1]) : undefined;
  }
  // Parsed here: the app's hook runs before the cookie plugin's own parsing.
  const cookie = headers.cookie ? fastifyCookie.parse(headers.cookie)[SESSION_COOKIE] : undefined;
  return cookie ? verify(cookie) : undefined;
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
