import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { writeCsv } from '../helpers/oracle.js';
import { tempDir } from '../helpers/store.js';

const examples = (file: string) => path.join(REPO_ROOT, 'examples', file);

describe('driftwatch report (the binary, on the shipped example files)', () => {
  const dir = tempDir('driftwatch-report-');
  const env = { DRIFTWATCH_DATA_DIR: path.join(dir, 'data') };
  const report = (...args: string[]) => runCli(['report', ...args], env);

  let json: Record<string, unknown> & { features: Record<string, unknown>[] };
  beforeAll(async () => {
    const result = await report(
      '--baseline',
      examples('baseline.csv'),
      '--current',
      examples('current.csv'),
      '--slice',
      'channel',
      '--score',
      'score',
      '--label',
      'label',
      '--threshold',
      '0.5',
      '--format',
      'json',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    json = JSON.parse(result.stdout);
  });

  it('writes JSON that follows schemas/report.schema.json', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const schema = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'schemas/report.schema.json'), 'utf8'),
    );
    const valid = ajv.validate(schema, json);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has one entry per feature and slice value, plus "all"', () => {
    const features = [
      'amount',
      'account_age_days',
      'device_score',
      'tiny_rate',
      'merchant_category',
      'country',
    ];
    const slices = ['all', 'android', 'ios', 'web'];
    const keys = json.features.map((f) => `${f.name}/${f.slice}`).sort();
    expect(keys).toEqual(features.flatMap((f) => slices.map((s) => `${f}/${s}`)).sort());
    const classification = json.classification as { slice: string }[];
    expect(classification.map((entry) => entry.slice)).toEqual(slices);
  });

  it('finds the drift planted in the example data, and not where there is none', () => {
    const entry = (name: string, slice: string) =>
      json.features.find((f) => f.name === name && f.slice === slice);
    expect(entry('amount', 'web')?.drift).toBe(true);
    expect(entry('amount', 'ios')?.drift).toBe(false);
    expect(entry('account_age_days', 'all')?.drift).toBe(false);
    expect(entry('merchant_category', 'all')?.new_categories).toEqual(['gaming']);
    expect(entry('merchant_category', 'all')?.drift).toBe(true);
    const nulls = entry('device_score', 'all')?.null_rate as { reference: number; current: number };
    expect(nulls.current).toBeGreaterThan(0.1);
    expect(nulls.reference).toBeLessThan(0.05);
    // scientific notation (1.172e-7) is read as numbers, not text
    expect(entry('tiny_rate', 'all')?.kind).toBe('numeric');
  });

  it('prints an aligned table, drifted rows marked and first', async () => {
    const result = await report(
      '--baseline',
      examples('baseline.csv'),
      '--current',
      examples('current.csv'),
      '--slice',
      'channel',
    );
    expect(result.status).toBe(0);
    const [header = '', ...rows] = result.stdout.split('\n').slice(3).filter(Boolean);
    expect(header).toMatch(/^\s+feature\s+slice\s+kind/);
    expect(rows).toHaveLength(8 * 4); // score and label are features without --score/--label
    const marks = rows.map((line) => line.startsWith('DRIFT'));
    expect(marks.indexOf(false)).toBeGreaterThan(0);
    expect(marks.slice(marks.indexOf(false))).not.toContain(true);
    // aligned: every row has the same width up to the last column
    const psiColumn = header.indexOf('psi');
    expect(
      new Set(rows.map((line) => line.slice(psiColumn - 1, psiColumn + 6).trim().length > 0)),
    ).toEqual(new Set([true]));
    expect(result.stdout).toMatch(/DRIFT\s+amount\s+web/);
  });

  it('reads Parquet and Arrow IPC files with the same results as CSV', async () => {
    const fromColumnar = await report(
      '--baseline',
      examples('baseline.parquet'),
      '--current',
      examples('current.arrow'),
      '--slice',
      'channel',
      '--format',
      'json',
    );
    expect(fromColumnar.status).toBe(0);
    const columnar = JSON.parse(fromColumnar.stdout) as { features: Record<string, unknown>[] };
    const pick = (features: Record<string, unknown>[]) =>
      features
        .map((f) => [f.name, f.slice, f.psi, f.drift])
        .sort((a, b) => String(a).localeCompare(String(b)));
    const csv = json.features.filter((f) => f.name !== 'label' && f.name !== 'score');
    expect(pick(columnar.features.filter((f) => f.name !== 'label' && f.name !== 'score'))).toEqual(
      pick(csv),
    );
  });

  it('writes one self-contained HTML page with a histogram per feature', async () => {
    const out = path.join(dir, 'report.html');
    const result = await report(
      '--baseline',
      examples('baseline.csv'),
      '--current',
      examples('current.csv'),
      '--format',
      'html',
      '--out',
      out,
    );
    expect(result.status).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    // without --slice and --score/--label, channel, score and label are features too
    expect(html.match(/<svg class="histogram"/g)).toHaveLength(9);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });
});

describe('driftwatch report on bad input', () => {
  const dir = tempDir('driftwatch-bad-');
  const env = { DRIFTWATCH_DATA_DIR: path.join(dir, 'data') };
  const good = path.join(dir, 'good.csv');
  writeCsv(
    good,
    ['a', 'b'],
    [
      [1, 'x'],
      [2, 'y'],
      [3, 'x'],
    ],
  );

  async function expectInputError(args: string[], pattern: RegExp) {
    const result = await runCli(['report', ...args], env);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  }

  it('names a missing file', async () => {
    await expectInputError(
      ['--baseline', good, '--current', path.join(dir, 'nope.csv')],
      /nope\.csv: no such file/,
    );
  });

  it('names an unknown column', async () => {
    await expectInputError(
      ['--baseline', good, '--current', good, '--slice', 'country'],
      /good\.csv: column "country": unknown column given to --slice/,
    );
  });

  it('names an empty file', async () => {
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    await expectInputError(
      ['--baseline', good, '--current', empty],
      /empty\.csv: the file is empty/,
    );
  });

  it('names the file, line and column of a column whose type changes', async () => {
    const changed = path.join(dir, 'changed.csv');
    const rows: (string | number)[][] = Array.from({ length: 3000 }, (_, i) => [i, 'x']);
    rows.push(['oops', 'y']);
    writeCsv(changed, ['a', 'b'], rows);
    await expectInputError(
      ['--baseline', good, '--current', changed],
      /changed\.csv:3002: column "a": expected a number, got "oops"/,
    );
  });

  it('names a column that is numbers in one file and text in the other', async () => {
    const text = path.join(dir, 'text.csv');
    writeCsv(
      text,
      ['a', 'b'],
      [
        ['low', 'x'],
        ['high', 'y'],
      ],
    );
    await expectInputError(
      ['--baseline', good, '--current', text],
      /text\.csv: column "a": the column's type changed: numbers in .*good\.csv, text here/,
    );
  });

  it('names the line of a malformed row', async () => {
    const malformed = path.join(dir, 'malformed.csv');
    fs.writeFileSync(malformed, 'a,b\n1,x\n2,y,extra\n3,z\n');
    await expectInputError(
      ['--baseline', good, '--current', malformed],
      /malformed\.csv:3: malformed row: 3 fields where the header has 2/,
    );
  });

  it('names the line of a malformed row beyond the inference sample', async () => {
    const malformed = path.join(dir, 'late.csv');
    const lines = ['a,b', ...Array.from({ length: 2500 }, (_, i) => `${i},x`), '7,y,extra', '8,z'];
    fs.writeFileSync(malformed, `${lines.join('\n')}\n`);
    await expectInputError(['--baseline', good, '--current', malformed], /late\.csv:2502:/);
  });
});
