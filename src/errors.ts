/**
 * One error hierarchy for the unexpected. Expected failures (a bad event, a check with too
 * few samples) are values with a reason code, never exceptions.
 */
export type ErrorCode =
  | 'DW_INPUT' // a user-supplied file, flag or value is wrong: exit status 2
  | 'DW_CONFIG' // configuration (env, YAML) is invalid
  | 'DW_STORE' // ClickHouse refused or could not be reached
  | 'DW_STORE_LOCKED' // another process holds the embedded store's directory
  | 'DW_MIGRATION'
  | 'DW_NOT_FOUND'
  | 'DW_EXPIRED' // a window reaches back past what the store keeps (retention)
  | 'DW_INTERNAL';

export class DriftwatchError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DriftwatchError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Where in a user's input a problem is: the CLI prints it as `file:line: column "x": ...`. */
export interface InputLocation {
  file: string;
  line?: number;
  column?: string;
}

export class InputError extends DriftwatchError {
  readonly location: InputLocation;

  constructor(location: InputLocation, message: string, options: { cause?: unknown } = {}) {
    super('DW_INPUT', formatLocated(location, message), options);
    this.name = 'InputError';
    this.location = location;
  }
}

export function formatLocated(location: InputLocation, message: string): string {
  const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
  const column = location.column === undefined ? '' : ` column "${location.column}":`;
  return `${where}:${column} ${message}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
