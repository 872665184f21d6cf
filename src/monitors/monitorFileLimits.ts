import fs from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * What a monitor file may cost and reach. A monitor file is small and written by people:
 * its size and the size of the document once every alias is expanded are bounded, so a
 * hostile or broken file (an "alias bomb") costs a located error, never the service; and
 * the files it names (the baseline) must lie inside the configured roots.
 */
export const MAX_MONITOR_FILE_BYTES = 1024 * 1024;

/**
 * Values in the document with every alias expanded. A legitimate file with hundreds of
 * aliases stays in the thousands; a billion-laughs file reaches this within a few lines.
 */
export const MAX_EXPANDED_VALUES = 100_000;

/**
 * How wide a monitor may be. Every query of a monitor run names all its features (the
 * baseline load's statement has a column per feature; the profile's and each window's
 * queries take the names as parameters), and a window's results and histograms grow with
 * them: 10,000 features, whose names take at most 256 KiB together, are what runs here
 * (tested at exactly these limits, test/integration/wide-monitor.integration.test.ts).
 */
export const MAX_FEATURES = 10_000;
export const MAX_FEATURE_NAMES_BYTES = 256 * 1024;

/** Why a monitor's declared features are too many or their names too long together, or null. */
export function featureWidthProblem(names: readonly string[]): string | null {
  if (names.length > MAX_FEATURES) {
    return `features: ${count(names.length)} features; a monitor may have at most ${count(MAX_FEATURES)} (MAX_FEATURES in src/monitors/monitorFileLimits.ts): every query of a run names them all`;
  }
  const bytes = names.reduce((sum, name) => sum + Buffer.byteLength(name), 0);
  if (bytes > MAX_FEATURE_NAMES_BYTES) {
    return `features: the feature names take ${count(bytes)} bytes together; a monitor's may take at most ${count(MAX_FEATURE_NAMES_BYTES)} (MAX_FEATURE_NAMES_BYTES in src/monitors/monitorFileLimits.ts): every query of a run names them all`;
  }
  return null;
}

function count(n: number): string {
  return n.toLocaleString('en');
}

export interface ExpansionProblem {
  /** Offset in the source of the alias to blame. */
  offset: number;
  message: string;
}

/**
 * Counts the values of the document as a reader of the expanded data would see them (each
 * alias counts as a copy of its anchor), in one pass over the nodes: each anchor's expanded
 * size is computed once. Returns the alias whose expansion is largest when the total is over
 * the limit, or one that refers to its own anchor (a cycle).
 */
export function checkAliasExpansion(
  document: Document,
  limit = MAX_EXPANDED_VALUES,
): ExpansionProblem | null {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let worst: { offset: number; size: number; source: string } | null = null;
  let cycle: ExpansionProblem | null = null;

  const measure = (node: unknown): number => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return 1; // unresolved: the parser reports it
      const size = sizes.get(target);
      if (size === undefined) {
        cycle ??= {
          offset: node.range?.[0] ?? 0,
          message: `alias *${node.source} refers to the node that defines it (a cycle)`,
        };
        return 1;
      }
      if (!worst || size > worst.size) {
        worst = { offset: node.range?.[0] ?? 0, size, source: node.source };
      }
      return size;
    }
    const anchored = node as Node | null;
    if (anchored && (isScalar(anchored) || isMap(anchored) || isSeq(anchored)) && anchored.anchor) {
      anchors.set(anchored.anchor, anchored);
    }
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        total += isPair(item) ? measure(item.key) + measure(item.value) : measure(item);
        if (total > limit) total = limit + 1; // saturate: the exact size does not matter
      }
    }
    if (anchored && typeof anchored === 'object') sizes.set(anchored, total);
    return total;
  };

  const total = measure(document.contents);
  // (assigned inside measure: the compiler cannot follow that)
  const found = cycle as ExpansionProblem | null;
  if (found) return found;
  if (total <= limit) return null;
  const blamed = worst as { offset: number; size: number; source: string } | null;
  return {
    offset: blamed?.offset ?? 0,
    message:
      `the document expands to more than ${limit.toLocaleString('en')} values through its aliases` +
      (blamed
        ? ` (alias *${blamed.source} alone stands for ${describeCount(blamed.size, limit)})`
        : '') +
      '; a monitor file is far smaller: is this an alias bomb?',
  };
}

/**
 * The first key a mapping repeats, as an offset in the source. The YAML library's own check
 * compares each key with every earlier one (a monitor of 10,000 features took 10 s to
 * parse); this one remembers the keys seen, once per mapping.
 */
export function firstDuplicateKey(document: Document): number | null {
  let found: number | null = null;
  const visit = (node: unknown): void => {
    if (found !== null) return;
    if (isSeq(node)) {
      for (const item of node.items) visit(item);
      return;
    }
    if (!isMap(node)) return;
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key;
      if (isScalar(key)) {
        const id = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(id)) {
          found = key.range?.[0] ?? 0;
          return;
        }
        seen.add(id);
      }
      visit(pair.value);
    }
  };
  visit(document.contents);
  return found;
}

function describeCount(size: number, limit: number): string {
  return size > limit ? `more than ${limit.toLocaleString('en')}` : size.toLocaleString('en');
}

/** The directories a monitor's files (its baseline) must lie in; by default the monitors directory's parent. */
export function defaultBaselineRoots(monitorsDir: string): string[] {
  return [path.resolve(monitorsDir, '..')];
}

/** Why a file a monitor names cannot be used, or null: outside every root, or missing. */
export function baselineFileProblem(file: string, roots: readonly string[]): string | null {
  const real = realPath(file);
  const inside = roots.some((root) => {
    const relative = path.relative(realPath(root), real);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  });
  if (!inside) {
    return `baseline.file: ${file} is outside the allowed baseline roots (${roots.join(', ')}); set DRIFTWATCH_BASELINE_ROOTS to allow its directory`;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return `baseline.file: no such file: ${file}`;
  }
  if (!stat.isFile()) return `baseline.file: not a regular file: ${file}`;
  return null;
}

/** The real path (symlinks resolved) of a file, or of its nearest existing ancestor. */
function realPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPath(parent), path.basename(absolute));
  }
}
