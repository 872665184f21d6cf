import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { checkSchema } from './checks/checkSpec.js';

/**
 * The monitor file's JSON Schema validator. Compiling it with Ajv costs ~0.3–0.4 s of CPU
 * (code generation for a 40 kB schema), paid by every CLI command that reads a monitor
 * file: `npm run build` writes the compiled validator beside this module
 * (PRECOMPILED_FILE, Ajv's standalone code), and a process loads that instead when it was
 * compiled from the very schema this process would compile (a hash of it), so an edited
 * schema or check registry is never validated by a stale build; otherwise it compiles.
 */
export const PRECOMPILED_FILE = 'monitorSchemaValidator.cjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Ajv's compiler is loaded only to compile (~0.1 s of CPU to load): a precompiled
// validator needs its small runtime alone
const require = createRequire(import.meta.url);
const SCHEMA_PATH = path.resolve(HERE, '../../schemas/monitor.schema.json');

/** The schema as validated: the committed file with the registry's checks (a test keeps them equal). */
export function monitorSchema(file = SCHEMA_PATH): { schema: object; hash: string } {
  const text = fs.readFileSync(file, 'utf8');
  const schema = JSON.parse(text) as { $defs: Record<string, unknown> };
  schema.$defs.check = checkSchema();
  const hash = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
  return { schema, hash };
}

function monitorAjv(source: boolean): Ajv2020 {
  const ajvModule = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const addFormats = require('ajv-formats') as typeof import('ajv-formats');
  const ajv = new ajvModule.Ajv2020({
    allErrors: true,
    strict: false,
    verbose: true,
    ...(source ? { code: { source: true } } : {}),
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * The validator's standalone CommonJS module, exporting it and the hash of its schema
 * (`schemaFile`: the build's checkout, which a build into another directory reads from).
 */
export function precompiledValidatorSource(schemaFile = SCHEMA_PATH): string {
  const { schema, hash } = monitorSchema(schemaFile);
  const ajv = monitorAjv(true);
  const standalone =
    require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js');
  const code = standalone.default(ajv, ajv.compile(schema));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(hash)};\n`;
}

/** The precompiled validator in `dir` when it is this schema's, else a freshly compiled one. */
export function loadMonitorValidator(dir = HERE): ValidateFunction {
  const { schema, hash } = monitorSchema();
  const file = path.join(dir, PRECOMPILED_FILE);
  if (fs.existsSync(file)) {
    const loaded = require(file) as ValidateFunction & {
      schemaHash?: string;
    };
    if (loaded.schemaHash === hash) return loaded;
  }
  return monitorAjv(false).compile(schema);
}
