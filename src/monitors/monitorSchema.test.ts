import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { tempDir } from '../../test/helpers/store.js';
import {
  PRECOMPILED_FILE,
  loadMonitorValidator,
  precompiledValidatorSource,
} from './monitorSchema.js';

/** Documents the schema refuses in different ways, and one it accepts. */
const DOCUMENTS: unknown[] = [
  { model: 1 },
  {},
  { model: 'm', baseline: { file: 'b.csv' }, features: { a: 'numeric' }, checks: [{}] },
  {
    model: 'm',
    baseline: { file: 'b.csv' },
    features: { a: 'numerik' },
    schedule: '* * * * *',
    window: '1h',
    checks: [{ metric: 'psi', features: 'all', warn: 'high' }],
  },
  // formats (date-time, email, uri): the standalone code must bring ajv-formats' checks along
  {
    model: 'm',
    baseline: { file: 'b.csv' },
    features: { a: 'numeric' },
    schedule: '* * * * *',
    window: '1h',
    expect_data_from: 'yesterday',
    alerts: { routes: [{ email: ['not an address'] }] },
    alertmanager: { main: { url: 'not a uri' } },
    checks: [{ metric: 'psi', features: 'all', warn: 0.1 }],
  },
  {
    model: 'm',
    baseline: { file: 'b.csv' },
    features: { a: 'numeric' },
    prediction: { threshold: 0.5 },
    schedule: '*/15 * * * *',
    window: '1h',
    checks: [{ metric: 'psi', features: 'all', warn: 0.1, critical: 0.25 }],
  },
];

// the built module requires Ajv's runtime, which resolves from inside the checkout only
const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache');
const made: string[] = [];
function builtDir(): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const dir = fs.mkdtempSync(path.join(CACHE, 'driftwatch-validator-'));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function verdictsOf(validate: ReturnType<typeof loadMonitorValidator>) {
  return DOCUMENTS.map((document) => ({ valid: validate(document), errors: validate.errors }));
}

describe('the precompiled monitor file validator', () => {
  it('is loaded when built from this schema, and judges every document as the compiled one does', () => {
    const dir = builtDir();
    fs.writeFileSync(path.join(dir, PRECOMPILED_FILE), precompiledValidatorSource());
    const loaded = loadMonitorValidator(dir);
    // the built module's function (it carries its schema's hash), not a fresh compile
    expect((loaded as { schemaHash?: string }).schemaHash).toMatch(/^[0-9a-f]{64}$/);
    const compiled = loadMonitorValidator(tempDir('driftwatch-no-validator-'));
    expect((compiled as { schemaHash?: string }).schemaHash).toBeUndefined();
    const verdicts = verdictsOf(loaded);
    expect(verdicts.map((v) => v.valid)).toEqual([false, false, false, false, false, true]);
    // the formats document fails on its formats, not only on its shape
    const formats = JSON.stringify(verdicts[4]?.errors ?? []);
    expect(formats).toMatch(/"format":"date-time"/);
    expect(formats).toMatch(/"format":"email"/);
    expect(formats).toMatch(/"format":"uri"/);
    expect(verdicts).toEqual(verdictsOf(compiled));
  });

  it('is not used when built from another schema (an edited schema or check registry)', () => {
    const dir = builtDir();
    const stale = precompiledValidatorSource().replace(
      /module\.exports\.schemaHash = "[0-9a-f]+";/,
      'module.exports.schemaHash = "0";',
    );
    fs.writeFileSync(path.join(dir, PRECOMPILED_FILE), stale);
    const validate = loadMonitorValidator(dir);
    expect((validate as { schemaHash?: string }).schemaHash).toBeUndefined();
    expect(validate({ model: 1 })).toBe(false);
  });
});
