import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { formatMonitorError, loadMonitorDirectory, loadMonitorFile } from './monitorFile.js';
import { MAX_MONITOR_FILE_BYTES } from './monitorFileLimits.js';

/** A valid monitor whose features are written by the caller. */
function monitor(features: string, baseline = 'base.csv'): string {
  return `model: m1
baseline: { file: ${baseline} }
features:
${features}
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;
}

function folder(): string {
  const dir = tempDir('driftwatch-limits-');
  // a baseline with every column the files below declare (validate checks the header)
  const columns = Array.from({ length: 241 }, (_, i) => `f${i}`);
  fs.writeFileSync(
    path.join(dir, 'base.csv'),
    `${columns.join(',')}\n${columns.map(() => 1).join(',')}\n`,
  );
  return dir;
}

function located(file: string): string[] {
  const result = loadMonitorFile(file);
  return result.ok ? [] : result.errors.map((e) => formatMonitorError(e).replace(`${file}:`, ''));
}

// Nine nested levels of nine aliases each: 9^9 (387 million) values once expanded.
const ALIAS_BOMB = `model: bomb
baseline: { trailing: 7d }
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

describe('monitor file limits', () => {
  it('validates a legitimate file with hundreds of aliases', () => {
    const dir = folder();
    const features = [
      '  f0: &kind numeric',
      ...Array.from({ length: 240 }, (_, i) => `  f${i + 1}: *kind`),
    ].join('\n');
    const file = path.join(dir, 'm1.yaml');
    fs.writeFileSync(file, monitor(features));
    const result = loadMonitorFile(file);
    if (!result.ok) throw new Error(result.errors.map(formatMonitorError).join('\n'));
    expect(result.plan.features).toHaveLength(241);
  });

  it('refuses an alias bomb with a located error', () => {
    const dir = folder();
    const file = path.join(dir, 'bomb.yaml');
    fs.writeFileSync(file, ALIAS_BOMB);
    const errors = located(file);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^9:8: the document expands to more than 100,000 values through its aliases \(alias \*f alone stands for more than 100,000\)/,
    );
  });

  it('refuses an alias that refers to its own anchor', () => {
    const file = path.join(folder(), 'cycle.yaml');
    fs.writeFileSync(file, monitor('  f0: numeric').replace('checks:', 'x: &x [1, *x]\nchecks:'));
    expect(located(file)).toEqual(['7:11: alias *x refers to the node that defines it (a cycle)']);
  });

  it('keeps the good files of a folder when one is a bomb', () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), ALIAS_BOMB);
    fs.writeFileSync(path.join(dir, 'good.yaml'), monitor('  f0: numeric'));
    const { plans, errors } = loadMonitorDirectory(dir);
    expect(plans.map((plan) => plan.model)).toEqual(['m1']);
    expect(errors.map((e) => `${path.basename(e.file)}:${e.line}:${e.column}`)).toEqual([
      'bomb.yaml:9:8',
    ]);
  });

  it('refuses a repeated key where it repeats, at any depth', () => {
    const dir = folder();
    const file = path.join(dir, 'dup.yaml');
    fs.writeFileSync(file, monitor('  f0: numeric\n  f1: numeric\n  f0: categorical'));
    expect(located(file)).toEqual(['6:3: YAML syntax: Map keys must be unique']);
    fs.writeFileSync(
      file,
      monitor('  f0: numeric').replace('checks:', 'alerts: { for: 2, for: 3 }\nchecks:'),
    );
    expect(located(file)).toEqual(['7:19: YAML syntax: Map keys must be unique']);
    // 1 and "1" are different keys, as YAML has them
    fs.writeFileSync(file, monitor("  '1': numeric\n  1: numeric"));
    expect(located(file).some((error) => error.includes('unique'))).toBe(false);
  });

  it('refuses a file above the size limit before parsing it', () => {
    const file = path.join(folder(), 'big.yaml');
    fs.writeFileSync(file, `${monitor('  f0: numeric')}#${'x'.repeat(MAX_MONITOR_FILE_BYTES)}\n`);
    expect(located(file)).toEqual([
      `1:1: the file is ${fs.statSync(file).size} bytes; a monitor file may have at most ${MAX_MONITOR_FILE_BYTES} bytes`,
    ]);
  });

  it('names a baseline file that does not exist, where it is written', () => {
    const file = path.join(folder(), 'm1.yaml');
    fs.writeFileSync(file, monitor('  f0: numeric', 'missing.csv'));
    expect(located(file)).toEqual([
      `2:19: baseline.file: no such file: ${path.join(path.dirname(file), 'missing.csv')}`,
    ]);
  });

  it('confines baseline files to the configured roots, symbolic links included', () => {
    const dir = folder();
    const outside = tempDir('driftwatch-outside-');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'f0\n1\n');
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'link.csv'));
    fs.writeFileSync(path.join(dir, 'abs.yaml'), monitor('  f0: numeric', '/etc/passwd'));
    fs.writeFileSync(
      path.join(dir, 'link.yaml'),
      monitor('  f0: numeric', 'link.csv').replace('m1', 'm2'),
    );
    fs.writeFileSync(
      path.join(dir, 'ok.yaml'),
      monitor('  f0: numeric', 'base.csv').replace('m1', 'm3'),
    );
    const { plans, errors } = loadMonitorDirectory(dir, { baselineRoots: [dir] });
    expect(plans.map((plan) => plan.model)).toEqual(['m3']);
    expect(errors.map(formatMonitorError)).toEqual([
      `${path.join(dir, 'abs.yaml')}:2:19: baseline.file: /etc/passwd is outside the allowed baseline roots (${dir}); set DRIFTWATCH_BASELINE_ROOTS to allow its directory`,
      `${path.join(dir, 'link.yaml')}:2:19: baseline.file: ${path.join(dir, 'link.csv')} is outside the allowed baseline roots (${dir}); set DRIFTWATCH_BASELINE_ROOTS to allow its directory`,
    ]);
  });
});
