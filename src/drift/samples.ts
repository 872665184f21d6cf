import { sortCells, type Cell, type SortedCells } from './cells.js';
import {
  MISSING_SLICE_VALUE,
  OTHER_SLICE_VALUE,
  sliceKeyName,
  type ProfileSliceKey,
} from './slices.js';
import type { CellGroup, SliceCombo } from './summaryCells.js';

/**
 * Cells folded from slice combinations into the slices a monitor reports: "all", and one
 * value per slice key (values beyond the baseline's largest N folded into "other",
 * "(missing)" always kept). Cells of the same frame and bucket merge; the rest stays cells.
 */
export interface FeatureSample {
  numbers: Cell[];
  /**
   * The same cells sorted for the distance brackets, when folded from summaries: a snapshot
   * made once, so a reference sample compared with window after window is sorted once.
   * Read it through sortedNumbers, which ignores a snapshot `numbers` has moved away from.
   */
  sorted?: SortedCells;
  posInf: number;
  negInf: number;
  nan: number;
  /** Text values: a categorical feature's categories, a numeric feature's wrong types. */
  strings: Map<string, number>;
  /** Explicit nulls (an absent feature is counted from the slice's events). */
  nulls: number;
}

export interface SliceSample {
  key: string;
  value: string;
  events: number;
  /** Epoch milliseconds of the first and last event, when known. */
  firstEvent: number | null;
  lastEvent: number | null;
  score: Cell[];
  features: Map<string, FeatureSample>;
}

export interface Samples {
  slices: Map<string, SliceSample>;
  /** Every feature name seen. */
  featureNames: Set<string>;
}

export const ALL_SLICE_ID = sliceId('', 'all');

export function sliceId(key: string, value: string): string {
  return `${key}\u0001${value}`;
}

/** A slice with no events yet: what its cells are added to. */
export function emptySliceSample(key: string, value: string): SliceSample {
  return {
    key,
    value,
    events: 0,
    firstEvent: null,
    lastEvent: null,
    score: [],
    features: new Map(),
  };
}

export function emptyFeatureSample(): FeatureSample {
  return { numbers: [], posInf: 0, negInf: 0, nan: 0, strings: new Map(), nulls: 0 };
}

/** Non-null values of any kind: what an absent feature is counted against. */
export function presentValues(sample: FeatureSample): number {
  let total = sample.posInf + sample.negInf + sample.nan + sample.nulls + finiteCount(sample);
  for (const count of sample.strings.values()) total += count;
  return total;
}

/**
 * The sample's cells sorted for the distance brackets: the fold's snapshot while `numbers`
 * is still the array it was taken from, at the same length; otherwise sorted now. (Cells are
 * not changed in place once folded.)
 */
export function sortedNumbers(sample: FeatureSample): SortedCells {
  return currentSnapshot(sample) ?? sortCells(sample.numbers);
}

/** The fold's snapshot, unless `numbers` was replaced or grew since it was taken. */
function currentSnapshot(sample: FeatureSample): SortedCells | undefined {
  const { sorted, numbers } = sample;
  return sorted && sorted.source === numbers && sorted.cells === numbers.length
    ? sorted
    : undefined;
}

/** Σ count of the cells (counts are whole numbers: the snapshot's sum is the same). */
export function finiteCount(sample: FeatureSample): number {
  const snapshot = currentSnapshot(sample);
  if (snapshot) return snapshot.size;
  let total = 0;
  for (const cell of sample.numbers) total += cell.count;
  return total;
}

interface Accumulator {
  sample: SliceSample;
  /** Per feature: its number groups in arrival order, merged per frame and bucket at the end. */
  cells: Map<string, CellGroup[]>;
  /** Per bucket. */
  score: Map<number, Cell>;
}

/** The slices (all first) a combination's events count in. */
export function labelsOf(
  combo: SliceCombo | undefined,
  keys: readonly ProfileSliceKey[],
): { key: string; value: string }[] {
  const labels = [{ key: '', value: 'all' }];
  for (const key of keys) {
    const name = sliceKeyName(key.attributes);
    const value = key.attributes
      .map((attribute) => combo?.attributes[attribute] ?? MISSING_SLICE_VALUE)
      .join('/');
    // the same folding as the profile's (profileQueries.sliceLabels)
    const kept = value === MISSING_SLICE_VALUE || key.kept.includes(value);
    labels.push({ key: name, value: kept ? value : OTHER_SLICE_VALUE });
  }
  return labels;
}

export function foldCells(
  groups: readonly CellGroup[],
  combos: readonly SliceCombo[],
  keys: readonly ProfileSliceKey[],
): Samples {
  const comboBy = new Map(combos.map((combo) => [combo.hash, combo]));
  // per slice combination: the accumulators of the slices its events count in
  const labelled = new Map<string, Accumulator[]>();
  const accumulators = new Map<string, Accumulator>();
  const featureNames = new Set<string>();
  const accumulatorOf = (key: string, value: string): Accumulator => {
    const id = sliceId(key, value);
    let accumulator = accumulators.get(id);
    if (!accumulator) {
      accumulator = {
        sample: emptySliceSample(key, value),
        cells: new Map(),
        score: new Map(),
      };
      accumulators.set(id, accumulator);
    }
    return accumulator;
  };
  for (const group of groups) {
    let into = labelled.get(group.sliceHash);
    if (!into) {
      into = labelsOf(comboBy.get(group.sliceHash), keys).map((label) =>
        accumulatorOf(label.key, label.value),
      );
      labelled.set(group.sliceHash, into);
    }
    if (group.feature !== '') featureNames.add(group.feature);
    for (const accumulator of into) addGroup(accumulator, group);
  }
  const slices = new Map<string, SliceSample>();
  for (const [id, accumulator] of accumulators) {
    for (const [feature, parts] of accumulator.cells) {
      const sample = accumulator.sample.features.get(feature);
      if (!sample) continue;
      sample.numbers = mergedCells(parts);
      sample.sorted = sortCells(sample.numbers);
    }
    accumulator.sample.score = [...accumulator.score.values()];
    slices.set(id, accumulator.sample);
  }
  return { slices, featureNames };
}

/**
 * A feature's number groups merged into one cell per frame and bucket, sorted by min (then
 * max), which the distance brackets' snapshot then only checks. Within one frame a bucket's
 * key rises with its values, so ordering by key usually gives that order already; it is
 * checked, and anything else (several frames, an unexpected key) is sorted by comparing the
 * cells. Cells of one bucket merge in arrival order, so their sums round alike however the
 * groups were read.
 */
function mergedCells(groups: readonly CellGroup[]): Cell[] {
  const frame = groups[0]?.frame;
  const numbers = groups.every((group) => group.frame === frame)
    ? mergedByKey(groups)
    : mergedByFrame(groups);
  return inOrder(numbers) ? numbers : numbers.sort(byMinThenMax);
}

/** How much wider than its cells a frame's bucket range may be for a slot per bucket. */
const SLOTS_PER_CELL = 4;
const SLOTS_ALWAYS = 4096;

/**
 * One frame's groups merged per bucket, in bucket order, through a slot per bucket key
 * between the smallest and the largest (no sorting, no map): bucket keys are whole numbers,
 * and a frame's cells span a bounded range of them. A range much wider than the cells falls
 * back to the map-based merge.
 */
function mergedByKey(groups: readonly CellGroup[]): Cell[] {
  let total = 0;
  let lowest = Infinity;
  let highest = -Infinity;
  for (const group of groups) {
    const { buckets } = group;
    total += group.counts.length;
    for (let i = 0; i < group.counts.length; i += 1) {
      const bucket = buckets[i] ?? 0;
      if (bucket < lowest) lowest = bucket;
      if (bucket > highest) highest = bucket;
    }
  }
  if (total === 0) return [];
  const span = highest - lowest + 1;
  if (
    !Number.isSafeInteger(lowest) ||
    !Number.isSafeInteger(highest) ||
    !(span <= SLOTS_PER_CELL * total + SLOTS_ALWAYS)
  )
    return mergedByFrame(groups);
  // slot[bucket − lowest] = 1 + the index of its cell in `merged`, 0 while none
  const slot = new Uint32Array(span);
  const merged: Cell[] = [];
  for (const group of groups) {
    const { buckets, counts, sums, mins, maxs } = group;
    for (let i = 0; i < counts.length; i += 1) {
      const bucket = buckets[i] ?? 0;
      if (!Number.isInteger(bucket)) return mergedByFrame(groups);
      const at = bucket - lowest;
      const count = counts[i] ?? 0;
      const sum = sums[i] ?? 0;
      const min = mins[i] ?? 0;
      const max = maxs[i] ?? 0;
      const index = slot[at] ?? 0;
      const cell = index > 0 ? merged[index - 1] : undefined;
      if (cell) {
        cell.count += count;
        cell.sum += sum;
        cell.min = Math.min(cell.min, min);
        cell.max = Math.max(cell.max, max);
      } else {
        merged.push({ count, sum, min, max });
        slot[at] = merged.length;
      }
    }
  }
  const numbers: Cell[] = [];
  for (let at = 0; at < span; at += 1) {
    const index = slot[at] ?? 0;
    const cell = index > 0 ? merged[index - 1] : undefined;
    if (cell) numbers.push(cell);
  }
  return numbers;
}

/** Groups of several frames merged per frame and bucket through maps, frame by frame. */
function mergedByFrame(groups: readonly CellGroup[]): Cell[] {
  const frames = new Map<number, Map<number, Cell>>();
  for (const group of groups) {
    let cells = frames.get(group.frame);
    if (!cells) {
      cells = new Map();
      frames.set(group.frame, cells);
    }
    for (let i = 0; i < group.counts.length; i += 1) mergeCell(cells, group, i);
  }
  const numbers: Cell[] = [];
  for (const cells of frames.values()) for (const cell of cells.values()) numbers.push(cell);
  return numbers;
}

function inOrder(cells: readonly Cell[]): boolean {
  for (let i = 1; i < cells.length; i += 1) {
    const previous = cells[i - 1];
    const cell = cells[i];
    if (previous && cell && byMinThenMax(previous, cell) > 0) return false;
  }
  return true;
}

function byMinThenMax(p: Cell, q: Cell): number {
  return p.min - q.min || p.max - q.max;
}

function totalOf(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i += 1) total += counts[i] ?? 0;
  return total;
}

/** Adds a group's i-th cell into the cell of the same bucket (a new object the first time). */
function mergeCell(into: Map<number, Cell>, group: CellGroup, i: number): void {
  const bucket = group.buckets[i] ?? 0;
  const count = group.counts[i] ?? 0;
  const sum = group.sums[i] ?? 0;
  const min = group.mins[i] ?? 0;
  const max = group.maxs[i] ?? 0;
  const existing = into.get(bucket);
  if (!existing) {
    into.set(bucket, { count, sum, min, max });
    return;
  }
  existing.count += count;
  existing.sum += sum;
  existing.min = Math.min(existing.min, min);
  existing.max = Math.max(existing.max, max);
}

function addGroup(accumulator: Accumulator, group: CellGroup): void {
  const { sample } = accumulator;
  if (group.state === 'event') {
    sample.events += totalOf(group.counts);
    for (let i = 0; i < group.counts.length; i += 1) {
      const lo = group.mins[i] ?? Infinity;
      const hi = group.maxs[i] ?? -Infinity;
      sample.firstEvent = sample.firstEvent === null ? lo : Math.min(sample.firstEvent, lo);
      sample.lastEvent = sample.lastEvent === null ? hi : Math.max(sample.lastEvent, hi);
    }
    return;
  }
  if (group.state === 'score') {
    for (let i = 0; i < group.counts.length; i += 1) mergeCell(accumulator.score, group, i);
    return;
  }
  let feature = sample.features.get(group.feature);
  if (!feature) {
    feature = emptyFeatureSample();
    sample.features.set(group.feature, feature);
  }
  switch (group.state) {
    case 'number': {
      const parts = accumulator.cells.get(group.feature);
      if (parts) parts.push(group);
      else accumulator.cells.set(group.feature, [group]);
      return;
    }
    case 'string':
      group.categories.forEach((category, i) =>
        feature.strings.set(
          category,
          (feature.strings.get(category) ?? 0) + (group.counts[i] ?? 0),
        ),
      );
      return;
    case 'null':
      feature.nulls += totalOf(group.counts);
      return;
    case 'pos_inf':
      feature.posInf += totalOf(group.counts);
      return;
    case 'neg_inf':
      feature.negInf += totalOf(group.counts);
      return;
    case 'nan':
      feature.nan += totalOf(group.counts);
      return;
  }
}
