import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Answers judged by the OpenAPI document alone: the document is validated by a real
 * OpenAPI validator (@apidevtools/swagger-parser, which checks it against the OpenAPI 3.1
 * schema and resolves every $ref), and each answer must have a declared status, a declared
 * content type, and a body the declared JSON Schema accepts (ajv, draft 2020-12, the
 * dialect of OpenAPI 3.1). Times must be RFC 3339 in UTC with a Z, declared or not.
 */
export interface MediaType {
  schema?: Record<string, unknown>;
}
export interface Operation {
  responses: Record<string, { description: string; content?: Record<string, MediaType> }>;
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  security?: unknown[];
}
export interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  rawPayload: Buffer;
}

export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Text that is a time in some spelling (ClickHouse's, an offset, no zone): it must be RFC 3339 UTC. */
const LOOKS_LIKE_TIME =
  /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Validates the document, and returns it with every $ref resolved. */
export async function validatedDocument(document: unknown): Promise<Document> {
  await SwaggerParser.validate(structuredClone(document) as never);
  return (await SwaggerParser.dereference(
    structuredClone(document) as never,
  )) as unknown as Document;
}

/** The OpenAPI path of a fastify route: `/v1/models/:model` is `/v1/models/{model}`. */
export function openApiPath(route: string): string {
  return route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function createAnswerChecker(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Stricter than RFC 3339 itself: the API promises UTC, written with Z.
  ajv.addFormat('date-time', RFC3339_UTC);
  const compiled = new Map<object, ValidateFunction>();
  const validatorOf = (schema: Record<string, unknown>) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate;
  };

  /** What is wrong with an answer of `method route`, by the document; empty when nothing. */
  return function problemsOf(method: string, route: string, answer: Answer): string[] {
    const where = `${method} ${route} → ${answer.statusCode}`;
    const operation = document.paths[openApiPath(route)]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${route}: no such operation in the document`];
    const declared = operation.responses[String(answer.statusCode)] ?? operation.responses.default;
    if (!declared) {
      return [
        `${where}: status not declared (declared: ${Object.keys(operation.responses).join(', ')})`,
      ];
    }
    const type = String(answer.headers['content-type'] ?? '');
    const body = answer.rawPayload;
    if (!declared.content || Object.keys(declared.content).length === 0) {
      return body.length === 0
        ? []
        : [`${where}: declared without a body, answered ${body.length} bytes (${type})`];
    }
    const base = (mediaType: string) => mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
    const entry = Object.entries(declared.content).find(
      ([mediaType]) => base(mediaType) === base(type),
    );
    if (!entry) {
      return [
        `${where}: content type "${type}" not declared (declared: ${Object.keys(declared.content).join(', ')})`,
      ];
    }
    const schema = entry[1].schema ?? {};
    if (base(type) === 'application/x-tar') {
      // A tar archive: the ustar magic of the first header.
      return body.subarray(257, 262).toString('latin1') === 'ustar'
        ? []
        : [`${where}: not a tar archive`];
    }
    let value: unknown;
    if (base(type).endsWith('json')) {
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        return [`${where}: declared ${type} but the body is not JSON`];
      }
    } else {
      value = body.toString('utf8');
    }
    const validate = validatorOf(schema);
    const problems = validate(value)
      ? []
      : (validate.errors ?? []).map(
          (error) =>
            `${where}: ${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
        );
    return [
      ...problems,
      ...undeclaredTimes(value).map((path) => `${where}: ${path} is not RFC 3339 UTC`),
    ];
  };
}

/** Paths of strings that look like times and are not RFC 3339 UTC, wherever they are. */
function undeclaredTimes(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    return LOOKS_LIKE_TIME.test(value) && !RFC3339_UTC.test(value) ? [`${path} "${value}"`] : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, i) => undeclaredTimes(item, `${path}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => undeclaredTimes(item, `${path}/${key}`));
  }
  return [];
}
