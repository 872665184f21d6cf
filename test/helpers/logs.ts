import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from '../../src/observability/logger.js';

/** A real logger (the service's options, redaction included) whose JSON lines a test reads. */
export function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    loggerOptions('info'),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, lines };
}
