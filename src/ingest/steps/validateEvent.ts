import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { deadLetter, ok, type EventKind, type StepOutcome } from '../outcome.js';

const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas');
const SCHEMA_FILES: Record<EventKind, string> = {
  prediction: 'prediction.schema.json',
  feature: 'feature-log.schema.json',
  label: 'label.schema.json',
};

/** Checks an event against its contract in schemas/; the detail names the field at fault. */
export function createValidateEventStep() {
  const ajv = new Ajv2020({ allErrors: false, strict: false, verbose: true });
  addFormats.default(ajv);
  const validators = Object.fromEntries(
    Object.entries(SCHEMA_FILES).map(([kind, file]) => [
      kind,
      ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8'))),
    ]),
  ) as Record<EventKind, ValidateFunction>;
  return function validateEvent(
    kind: EventKind,
    event: Record<string, unknown>,
  ): StepOutcome<Record<string, unknown>> {
    const validate = validators[kind];
    if (validate(event)) return ok(event);
    return deadLetter('invalid', describe(validate.errors?.[0]));
  };
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'invalid event';
  if (error.schemaPath.includes('/anyOf/')) return 'a prediction needs "score" or "prediction"';
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    return `field "${field ? `${field}.` : ''}${missing}": required field is missing`;
  }
  if (error.keyword === 'anyOf') return 'a prediction needs "score" or "prediction"';
  const got = JSON.stringify(error.data)?.slice(0, 60);
  return `field "${field}": ${error.message ?? 'invalid'}${got === undefined ? '' : `, got ${got}`}`;
}
