import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { wasserstein1 } from '../../src/stats/index.js';
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
      /text\.csv:2: column "a": expected a number, got "low" \(the column holds numbers in .*good\.csv\)/,
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

/**
 * Issue 8 on the report (items 3, 4, 5 and 9): each case failed on the code before it
 * (Wasserstein 0 and exit 0 with an infinity; null-rate drift unmarked; no --fail-on,
 * --ignore or --features; errors without the line or the column; a bad byte as a category).
 */
describe('driftwatch report: non-finite values, null-rate drift, gating, columns, located errors', () => {
  const dir = tempDir('driftwatch-report8-');
  const env = { DRIFTWATCH_DATA_DIR: path.join(dir, 'data') };
  const report = (...args: string[]) => runCli(['report', ...args], env);
  const baseline = path.join(dir, 'baseline.csv');
  const amounts = Array.from({ length: 400 }, (_, i) => Math.round(((i * 37) % 400) * 2.5) / 10);
  writeCsv(
    baseline,
    ['id', 'amount', 'device_score', 'city'],
    amounts.map((amount, i) => [
      `b${i}`,
      amount,
      i % 100 === 0 ? null : (i % 17) / 17,
      i % 3 ? 'paris' : 'rome',
    ]),
  );

  it('counts NaN and infinities apart, keeps them out of Wasserstein, and says so', async () => {
    const current = path.join(dir, 'nonfinite.csv');
    const values: (number | string)[] = amounts.map((a) => a + 10);
    values[0] = 'NaN';
    values[1] = 'inf';
    values[2] = 1e308;
    writeCsv(
      current,
      ['id', 'amount', 'device_score', 'city'],
      values.map((amount, i) => [`c${i}`, amount, (i % 17) / 17, i % 3 ? 'paris' : 'rome']),
    );
    const result = await report('--baseline', baseline, '--current', current, '--format', 'json');
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as { features: Record<string, unknown>[] };
    const amount = json.features.find((f) => f.name === 'amount' && f.slice === 'all') as {
      wasserstein: number;
      n_current: number;
      null_rate: { current: number };
      quality: { current: { non_finite: number; nulls: number } };
    };
    expect(amount.quality.current).toMatchObject({ non_finite: 2, nulls: 0 });
    expect(amount.null_rate.current).toBe(0);
    expect(amount.n_current).toBe(398);
    const finite = values.slice(2).map(Number);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const exact = wasserstein1(sorted(amounts), sorted(finite));
    expect(exact).toBeGreaterThan(1e305);
    expect(Math.abs(amount.wasserstein - exact) / exact).toBeLessThan(1e-9);
    const table = await report('--baseline', baseline, '--current', current);
    expect(table.stdout).toMatch(
      /non-finite values \(NaN, ±inf\) in amount: 0 in the baseline, 2 in the current file/,
    );
  });

  it('marks a feature whose null rate rose, in the table, the JSON and the HTML', async () => {
    const current = path.join(dir, 'nulls.csv');
    writeCsv(
      current,
      ['id', 'amount', 'device_score', 'city'],
      amounts.map((amount, i) => [
        `c${i}`,
        amount,
        i % 5 === 0 ? null : (i % 17) / 17,
        i % 3 ? 'paris' : 'rome',
      ]),
    );
    const json = JSON.parse(
      (await report('--baseline', baseline, '--current', current, '--format', 'json')).stdout,
    ) as {
      features: {
        name: string;
        slice: string;
        drift: boolean;
        null_rate_drift: boolean;
        method: string;
      }[];
    };
    expect(json.features.find((f) => f.name === 'device_score')).toMatchObject({
      drift: true,
      null_rate_drift: true,
      method: 'null_rate',
    });
    const relaxed = JSON.parse(
      (
        await report(
          '--baseline',
          baseline,
          '--current',
          current,
          '--format',
          'json',
          '--max-null-increase',
          '0.5',
        )
      ).stdout,
    ) as { features: { name: string; drift: boolean }[] };
    expect(relaxed.features.find((f) => f.name === 'device_score')?.drift).toBe(false);
    const table = await report('--baseline', baseline, '--current', current);
    expect(table.stdout).toMatch(/DRIFT +device_score +all +numeric .* 1\.0% +20\.0% .*null rate/);
    const html = await report('--baseline', baseline, '--current', current, '--format', 'html');
    expect(html.stdout).toContain('<th>null rate (baseline)</th><th>null rate (current)</th>');
    expect(html.stdout).toMatch(/<td class="num drift">20\.0%<\/td>/);
  });

  it('sets the exit status with --fail-on, chooses columns, and leaves id-like columns out', async () => {
    const current = path.join(dir, 'gate.csv');
    writeCsv(
      current,
      ['id', 'amount', 'device_score', 'city'],
      amounts.map((amount, i) => [`c${i}`, amount * 3, (i % 17) / 17, i % 3 ? 'paris' : 'rome']),
    );
    const args = ['--baseline', baseline, '--current', current];
    expect((await report(...args)).status).toBe(0);
    expect((await report(...args, '--fail-on', 'never')).status).toBe(0);
    const failed = await report(...args, '--fail-on', 'drift');
    expect(failed.status).toBe(3);
    expect(failed.stderr).toMatch(/--fail-on drift: \d+ drifted entr/);
    const json = JSON.parse((await report(...args, '--format', 'json')).stdout) as {
      features: { name: string }[];
      excluded_columns: { column: string; reason: string }[];
    };
    expect(json.excluded_columns).toEqual([
      { column: 'id', reason: expect.stringMatching(/^id-like: unique per row/) },
    ]);
    expect(new Set(json.features.map((f) => f.name))).toEqual(
      new Set(['amount', 'device_score', 'city']),
    );
    const chosen = JSON.parse(
      (await report(...args, '--format', 'json', '--features', 'city,device_score')).stdout,
    ) as { features: { name: string }[] };
    expect(new Set(chosen.features.map((f) => f.name))).toEqual(new Set(['city', 'device_score']));
    const ignored = JSON.parse(
      (await report(...args, '--format', 'json', '--ignore', 'amount')).stdout,
    ) as {
      features: { name: string }[];
      excluded_columns: { column: string; reason: string }[];
    };
    expect(new Set(ignored.features.map((f) => f.name))).toEqual(new Set(['device_score', 'city']));
    expect(ignored.excluded_columns.map((e) => e.column).sort()).toEqual(['amount', 'id']);
    expect((await report(...args, '--fail-on', 'drift', '--ignore', 'amount')).status).toBe(0);
    const unknown = await report(...args, '--ignore', 'nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/column "nope": unknown column given to --ignore/);
  });

  it('warns with --fail-on warn on non-finite scores the classification section left out', async () => {
    const scored = (name: string, score: (i: number) => number | string) => {
      const file = path.join(dir, name);
      writeCsv(
        file,
        ['amount', 'score', 'label'],
        amounts.map((amount, i) => [amount, score(i), i % 2]),
      );
      return file;
    };
    const base = scored('scored-base.csv', (i) => (i % 2 ? 0.8 : 0.2));
    // the same rows, but one score is NaN: no feature drifts or warns
    const current = scored('scored-nan.csv', (i) => (i === 3 ? 'NaN' : i % 2 ? 0.8 : 0.2));
    const args = ['--baseline', base, '--current', current, '--score', 'score', '--label', 'label'];
    const json = JSON.parse((await report(...args, '--format', 'json')).stdout) as {
      features: { name: string; drift: boolean }[];
      classification: { excluded_scores: { non_finite: number } }[];
    };
    expect(json.classification[0]?.excluded_scores.non_finite).toBe(1);
    expect(json.features.some((f) => f.drift)).toBe(false);
    expect((await report(...args, '--fail-on', 'drift')).status).toBe(0);
    const warned = await report(...args, '--fail-on', 'warn');
    expect(warned.status).toBe(3);
    expect(warned.stderr).toMatch(/--fail-on warn: 1 drifted or warning entry/);
  });

  it('names file, line and column for a type change ClickHouse reports without the column', async () => {
    const current = path.join(dir, 'garbage.csv');
    const rows: (string | number)[][] = amounts.map((amount, i) => [`c${i}`, amount, 0.5, 'paris']);
    for (let i = 0; i < 3000; i += 1) rows.push([`d${i}`, 1, 0.5, 'paris']);
    rows.push(['e', 1, '12abc', 'paris']);
    writeCsv(current, ['id', 'amount', 'device_score', 'city'], rows);
    const result = await report('--baseline', baseline, '--current', current);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /garbage\.csv:3402: column "device_score": expected a number, got "12abc"/,
    );
  });

  it('names the line of an "n/a" in a numeric column', async () => {
    const current = path.join(dir, 'na.csv');
    writeCsv(
      current,
      ['id', 'amount', 'device_score', 'city'],
      amounts.map((amount, i) => [`c${i}`, i === 9 ? 'n/a' : amount, 0.5, 'paris']),
    );
    const result = await report('--baseline', baseline, '--current', current);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /na\.csv:11: column "amount": expected a number, got "n\/a"/,
    );
  });

  it('names the line and column of a byte that is not UTF-8, in text and in numbers', async () => {
    const header = 'id,amount,device_score,city\n';
    const lines = amounts.map((amount, i) => `c${i},${amount},0.5,paris\n`);
    const text = path.join(dir, 'latin1-text.csv');
    fs.writeFileSync(
      text,
      Buffer.concat([
        Buffer.from(header + lines.slice(0, 300).join('')),
        Buffer.from('c9999,1,0.5,caf'),
        Buffer.from([0xe9]),
        Buffer.from('\n'),
        Buffer.from(lines.slice(300).join('')),
      ]),
    );
    const inText = await report('--baseline', baseline, '--current', text);
    expect(inText.status).toBe(2);
    expect(inText.stderr.trim()).toMatch(/latin1-text\.csv:302: column "city": not valid UTF-8/);
    const numbers = path.join(dir, 'latin1-number.csv');
    fs.writeFileSync(
      numbers,
      Buffer.concat([
        Buffer.from(header + lines.slice(0, 5).join('')),
        Buffer.from('c9999,1'),
        Buffer.from([0xb2]),
        Buffer.from(',0.5,paris\n'),
        Buffer.from(lines.slice(5).join('')),
      ]),
    );
    const inNumbers = await report('--baseline', baseline, '--current', numbers);
    expect(inNumbers.status).toBe(2);
    expect(inNumbers.stderr.trim()).toMatch(
      /latin1-number\.csv:7: column "amount": not valid UTF-8/,
    );
  });
});
