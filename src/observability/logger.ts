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
      // Free text can quote a secret (a URL with credentials, a bearer token in an error).
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}

/** A logger writing JSON lines to stderr (stdout stays for command output). */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(loggerOptions(level), pino.destination({ fd: 2, sync: true }));
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const SECRET_PATTERNS: [RegExp, string][] = [
  // user:password@ in URLs
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi, '$1[redacted]@'],
  // Authorization: Bearer xyz / Basic xyz
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]'],
  // Standard Webhooks secrets and Slack tokens
  [/\bwhsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'],
  [/\bxox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  // driftwatch API tokens
  [/\bdw_[A-Za-z0-9_-]{16,}/g, 'dw_[redacted]'],
];

export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}
