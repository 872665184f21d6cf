import pino, { type Logger as PinoLogger, type LoggerOptions } from 'pino';

/**
 * Structured logs for every stage: one JSON object per line (pino, the logger fastify
 * itself uses), so an operator's log pipeline can filter on `stage`, `monitor`,
 * `reason`... Secrets never reach a log line: the fields that carry them are redacted
 * by path, and `redactSecrets` scrubs known secret shapes from free text (error
 * messages quoting a URL with a password, a token echoed by a server).
 */
export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Field paths whose values are never written, wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.secrets',
  'password',
  'token',
  'secret',
];

export function loggerOptions(level: LogLevel = 'info'): LoggerOptions {
  return {
    level,
    base: { service: 'driftwatch' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // Free text can quote a secret (a URL with credentials, a bearer token in an error),
      // in the message or in a field (`{ reason: error.message }`).
      logMethod(args, method) {
        const scrubbed = args.map((arg) => scrubValue(arg, 3));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}

/** Strings redacted, in plain objects and arrays too (to a few levels: log fields are shallow). */
function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth - 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value; // errors, buffers: pino's own
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, scrubValue(item, depth - 1)]),
  );
}

/** A logger writing JSON lines to stderr (stdout stays for command output). */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(loggerOptions(level), pino.destination({ fd: 2, sync: true }));
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Query parameters that carry credentials by their name (`?token=`, `?api_key=`,
 * `&sig=`...): their values are redacted, and a webhook URL with one is refused.
 */
const CREDENTIAL_PARAMETER =
  /^(?:[a-z0-9._-]*[_-])?(?:token|secret|password|passwd|pwd|pass|key|apikey|sig|signature|auth|authorization|credentials?|session)$/i;

export function isCredentialParameter(name: string): boolean {
  return CREDENTIAL_PARAMETER.test(name);
}

const SECRET_PATTERNS: [RegExp, string | ((...match: string[]) => string)][] = [
  // the userinfo of URLs (user:password@, or a token as the user name)
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@?#]+@/gi, '$1[redacted]@'],
  // credentials in query strings: ?token=..., &api_key=...
  [
    /([?&;])([a-z0-9_.-]+)=([^&#\s"'<>]*)/gi,
    (whole: string, separator: string, name: string) =>
      isCredentialParameter(name) ? `${separator}${name}=[redacted]` : whole,
  ],
  // Authorization: Bearer xyz / Basic xyz
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]'],
  // Standard Webhooks secrets, Slack and GitHub tokens
  [/\bwhsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'],
  [/\bxox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}/g, '$1[redacted]'],
  // driftwatch API tokens
  [/\bdw_[A-Za-z0-9_-]{16,}/g, 'dw_[redacted]'],
];

/**
 * The one redaction of free text, used wherever text is logged, stored or exported
 * (delivery errors, dead notifications, monitor file errors, export sections): URL
 * credentials, credential query parameters, bearer and basic credentials, and the shapes of
 * the secrets this service knows.
 */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) =>
      typeof replacement === 'string'
        ? out.replace(pattern, replacement)
        : out.replace(pattern, replacement as (substring: string, ...args: string[]) => string),
    text,
  );
}
