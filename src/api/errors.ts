import type {
  FastifyError,
  FastifyInstance,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import { DriftwatchError, errorMessage } from '../errors.js';
import { refusesAccess } from '../store/clickhouse.js';

/**
 * Every error the API answers with: a stable code a client can branch on, the HTTP status
 * it travels with, and a message for people. 5xx messages never leave the server: the
 * client gets the code and the request id to quote, the log gets the rest. A 501 is the
 * exception: it is a statement about this service's setup, written by us (what is missing
 * and which setting enables it), never a failure's cause.
 */
export const API_ERRORS = {
  DW_BAD_REQUEST: { status: 400, message: 'the request is not valid' },
  DW_UNAUTHENTICATED: { status: 401, message: 'an API token is required (Authorization: Bearer)' },
  DW_FORBIDDEN: { status: 403, message: "this token's role may not do that" },
  DW_NOT_FOUND: { status: 404, message: 'no such resource' },
  DW_REQUEST_TIMEOUT: {
    status: 408,
    message: 'the request did not arrive in time (DRIFTWATCH_REQUEST_TIMEOUT_MS)',
  },
  DW_PAYLOAD_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  DW_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message:
      'content type not accepted: send application/json (or application/x-ndjson where documented)',
  },
  DW_RATE_LIMITED: { status: 429, message: 'too many requests for this token: retry later' },
  DW_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  DW_INTERNAL: { status: 500, message: 'internal error' },
  DW_NOT_IMPLEMENTED: {
    status: 501,
    message: 'not available in this service (the message says what it needs)',
  },
  DW_UNAVAILABLE: { status: 503, message: 'the store is not reachable: retry later' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'what went wrong, for people' }),
    code: Type.Unsafe<ApiErrorCode>({
      type: 'string',
      enum: Object.keys(API_ERRORS),
      description: 'stable error code (see the catalog in the API description)',
    }),
    request_id: Type.String(),
  },
  { title: 'Error' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  constructor(code: ApiErrorCode, message?: string) {
    super(message ?? API_ERRORS[code].message);
    this.code = code;
    this.statusCode = API_ERRORS[code].status;
  }
}

export function apiError(code: ApiErrorCode, message?: string): ApiError {
  return new ApiError(code, message);
}

/**
 * A request that breaks its schema, said so a person can act on it: where (`querystring/limit`)
 * and what, with the allowed values of a closed set and the name of a field not accepted.
 */
export function describeValidationErrors(
  errors: FastifySchemaValidationError[],
  dataVar: string,
): Error {
  // A union of literals (TypeBox's way to spell a closed set) fails once per literal, then
  // as anyOf: said once, as the allowed values.
  const constants = new Map<string, unknown[]>();
  for (const error of errors) {
    if (error.keyword !== 'const') continue;
    const values = constants.get(error.instancePath) ?? [];
    values.push((error.params as { allowedValue?: unknown }).allowedValue);
    constants.set(error.instancePath, values);
  }
  const text = errors
    .flatMap((error) => {
      const where = `${dataVar}${error.instancePath}`;
      const { allowedValues, additionalProperty } = error.params as {
        allowedValues?: unknown[];
        additionalProperty?: string;
      };
      const union = constants.get(error.instancePath);
      if (error.keyword === 'const' && union) return [];
      if (error.keyword === 'anyOf' && union) {
        return [`${where} must be one of ${union.map(String).join(', ')}`];
      }
      if (error.keyword === 'enum' && allowedValues) {
        return [`${where} must be one of ${allowedValues.map(String).join(', ')}`];
      }
      if (error.keyword === 'additionalProperties' && additionalProperty !== undefined) {
        return [`${where} has no field "${additionalProperty}"`];
      }
      return [`${where} ${error.message ?? 'is not valid'}`];
    })
    .join('; ');
  return new Error(text);
}

/** Fastify's own error codes mapped onto the catalog. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'DW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'DW_PAYLOAD_TOO_LARGE',
  FST_ERR_VALIDATION: 'DW_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'DW_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'DW_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'DW_NOT_FOUND',
};

export function classifyError(error: FastifyError | Error): {
  code: ApiErrorCode;
  message: string;
} {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const fastifyCode = (error as FastifyError).code;
  const mapped = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (mapped) return { code: mapped, message: error.message };
  const status = (error as FastifyError).statusCode;
  if (status === 429)
    return { code: 'DW_RATE_LIMITED', message: API_ERRORS.DW_RATE_LIMITED.message };
  // The request reaches back past what the store keeps: the message says what and how long.
  if (error instanceof DriftwatchError && error.code === 'DW_EXPIRED') {
    return { code: 'DW_BAD_REQUEST', message: error.message };
  }
  // The store's own trouble, or it refusing our credentials: unavailable to the caller either way.
  if (
    (error instanceof DriftwatchError && error.code === 'DW_STORE' && error.retriable) ||
    refusesAccess(error)
  ) {
    return { code: 'DW_UNAVAILABLE', message: API_ERRORS.DW_UNAVAILABLE.message };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return { code: status === 404 ? 'DW_NOT_FOUND' : 'DW_BAD_REQUEST', message: error.message };
  }
  return { code: 'DW_INTERNAL', message: API_ERRORS.DW_INTERNAL.message };
}

/**
 * The client went away before its request had arrived whole (it closed the connection, or
 * Node closed it on a timeout): reading the request failed for that reason, and no answer
 * can reach anyone. A failure after the whole request arrived stays the server's, even if
 * the client has gone meanwhile.
 */
export function clientWentAway(request: FastifyRequest): boolean {
  return request.raw.aborted || request.raw.readableAborted;
}

/** One error handler for the whole app: 4xx say what is wrong, 5xx are logged and hidden. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Reading the request failed because the client went away (or Node closed it on a
    // timeout): nobody is there to answer, and nothing failed on our side.
    if (clientWentAway(request)) {
      request.log.info(
        { reason: errorMessage(error) },
        'client closed the request before its answer',
      );
      reply.hijack();
      reply.raw.destroy();
      return;
    }
    const { code, message } = classifyError(error);
    const status = API_ERRORS[code].status;
    // 501 is a statement about this service's features, not a failure.
    if (status >= 500 && code !== 'DW_NOT_IMPLEMENTED') {
      request.log.error({ err: error, code }, 'request failed');
    } else {
      request.log.info({ code, reason: message }, 'request refused');
    }
    const body: ErrorResponse = {
      error: status >= 500 && code !== 'DW_NOT_IMPLEMENTED' ? API_ERRORS[code].message : message,
      code,
      request_id: request.id,
    };
    if (code === 'DW_UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: `no route ${request.method} ${request.url.split('?')[0]}`,
      code: 'DW_NOT_FOUND',
      request_id: request.id,
    } satisfies ErrorResponse);
  });
}

/**
 * The error shape of one status, as the document shows it: the catalog's codes that travel
 * with that status, and what they mean.
 */
export function errorResponseFor(status: number, description?: string): TSchema {
  const errors = Object.entries(API_ERRORS).filter(([, error]) => error.status === status);
  return Type.Object(
    {
      error: Type.String({ description: 'what went wrong, for people' }),
      code: Type.Unsafe<ApiErrorCode>({
        type: 'string',
        enum: errors.map(([code]) => code),
        description: 'stable error code (see the catalog in the API description)',
      }),
      request_id: Type.String({ description: 'quote it: the logs carry the same id' }),
    },
    {
      title: 'Error',
      description: description ?? errors.map(([, error]) => error.message).join('; '),
    },
  );
}

/** A 501: the route is there, the feature is not set up in this service. */
export function notImplemented(when: string): TSchema {
  return errorResponseFor(501, `not available ${when}: the message says which setting enables it`);
}

/**
 * Every route documents the errors it can answer with, in the one shape: the OpenAPI
 * document shows them, and the serializer whitelists their fields too. Each status is
 * declared where it can happen: 401/403 where a token is needed, 400 where there is a
 * query, path or body to get wrong, 404 where the path names something, 408/413/415 where a
 * body is read, 429 where a rate limit applies; 500 and 503 everywhere.
 */
export function documentErrorResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    const access = route.config?.access;
    const methods = [route.method].flat();
    const hasBody = methods.some((method) => ['POST', 'PUT', 'PATCH'].includes(method));
    const hasParams = route.url.includes(':');
    const schema = route.schema as { querystring?: unknown; body?: unknown };
    const statuses = [
      ...(hasBody || hasParams || schema.querystring !== undefined ? [400] : []),
      ...(access === 'public' ? [] : [401, 403]),
      ...(hasParams ? [404] : []),
      ...(hasBody ? [408, 413, 415] : []),
      ...(access === 'ingest' || route.config?.rateLimit !== undefined ? [429] : []),
      500,
      503,
    ];
    const declared = (route.schema.response ?? {}) as Record<string, unknown>;
    const errors = Object.fromEntries(
      statuses
        .filter((status) => declared[status] === undefined)
        .map((status) => [status, errorResponseFor(status)]),
    );
    route.schema = { ...route.schema, response: { ...declared, ...errors } };
  });
}
