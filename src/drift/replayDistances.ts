import {
  bracketOf,
  distanceBrackets,
  sortCells,
  type Bracket,
  type Cell,
  type DistanceBrackets,
  type SortedCells,
} from './cells.js';

/**
 * Distance brackets for a backtest's many windows, at a fraction of the sweep's cost.
 *
 * distanceBrackets (cells.ts) sweeps every endpoint of both samples: for a 5-minute window
 * of ~90 events against a reference of ~730 cells, nearly all of its steps walk the
 * reference between two window endpoints. Here:
 *
 * - **KS D: the sweep's own bracket, bit for bit, from the window's endpoints alone**
 *   (`locatedKsBracket`). The sweep's D bounds are the largest of four differences of the
 *   sides' ECDF bounds (F_lo − G_hi, G_lo − F_hi, F_hi − G_lo, G_hi − F_lo) over every
 *   endpoint x, each bound a precomputed share (a running count over the size: a double
 *   fixed by the count). Walk the side with fewer cells (G; the bounds are symmetric in the
 *   sides). Between two consecutive walked endpoints G holds still, and the other side's
 *   bounds F only grow with x (counts grow; a correctly rounded division is monotone, and a
 *   rounded subtraction is monotone in each argument). So over the stretch before a walked
 *   endpoint y, F − G is largest at the last point of the stretch, where F is F(< y) (the
 *   counts of endpoints below y), and G − F at its first point, the previous walked endpoint
 *   (or, before the first, G − F ≤ 0). Every difference the sweep takes is therefore at most
 *   one taken here: at each walked endpoint y, F(≤ y) against G(≤ y), and F(< y) against G
 *   below y. Past the last walked endpoint G's bounds are both 1 (its whole count over its
 *   size) and F's at most 1: nothing there exceeds 0, where D starts. Conversely each
 *   difference taken here is one the sweep takes: F(< y) with G below y is the sweep's state
 *   at the other side's last endpoint below y or, when none lies after the previous walked
 *   endpoint, the state at that endpoint (before the first, 0 against 0). The maxima are of
 *   the same doubles: the same bracket. Cost: the walked side's endpoints, and one pass of
 *   cursors over the other side's sorted endpoints (~7 µs a pair against the sweep's ~48 µs
 *   for a 5-minute window's ~80 cells and a reference's ~640).
 * - **Wasserstein: the sweep itself against the reference merged to a few dozen cells**
 *   (`coarseReference`, made once per reference snapshot). A merged cell's count is its
 *   parts' sum, its min and max span theirs, and its sum is a floating sum of the same
 *   values in another order: cells.ts's proof holds for any cells (its rounding bound
 *   covers a cell sum of `count` values added in any order), so the bracket contains the
 *   exact value. It is wider, and does not provably contain the full sweep's bracket
 *   (rounding margins and cluster bounds differ): a check that reads Wasserstein
 *   (wasserstein_normed) keeps its features on the exact sweep (`exactFeatures`), so no
 *   verdict is decided by it.
 *
 * Samples with a NaN or infinite endpoint take the sweep (its NaN steps are its own).
 */
export type PairDistances = (
  reference: SortedCells,
  current: SortedCells,
  feature: string,
) => DistanceBrackets | null;

/**
 * Reference cells per (feature, slice) for the Wasserstein bracket. Its sweep's cost is
 * mostly the window's endpoints: 8 to 64 cost 6–13 µs a pair against a 5-minute window's
 * ~80 cells (the full sweep ~48 µs); no verdict reads this bracket, so a narrow one buys
 * nothing.
 */
export const DEFAULT_COARSE_CELLS = 16;

export function createReplayDistances(
  options: {
    /** Features whose Wasserstein a check reads: every slice of them on the exact sweep. */
    exactFeatures?: ReadonlySet<string>;
    coarseCells?: number;
  } = {},
): PairDistances {
  const exactFeatures = options.exactFeatures ?? new Set<string>();
  const most = Math.max(1, options.coarseCells ?? DEFAULT_COARSE_CELLS);
  const coarse = new WeakMap<SortedCells, SortedCells>();
  const coarseOf = (reference: SortedCells) => {
    let merged = coarse.get(reference);
    if (!merged) coarse.set(reference, (merged = coarseReference(reference, most)));
    return merged;
  };
  return (reference, current, feature) => {
    if (reference.size === 0 || current.size === 0) return null;
    // a window with as many cells as the reference gains nothing from walking its own
    if (
      exactFeatures.has(feature) ||
      current.mins.length >= reference.mins.length ||
      !allFinite(current) ||
      !finiteOnce(reference)
    )
      return distanceBrackets(reference, current);
    // the window as the sweep's first side: its endpoints then take the sweep's one-side
    // path (the bounds are symmetric in the sides; 6.2 → 5.4 µs a pair)
    const wasserstein = distanceBrackets(current, coarseOf(reference))?.wasserstein;
    if (!wasserstein) return distanceBrackets(reference, current);
    return { ks: locatedKsBracket(reference, current), wasserstein };
  };
}

const finite = new WeakMap<SortedCells, boolean>();

/** allFinite of a reference snapshot, once per snapshot. */
function finiteOnce(sorted: SortedCells): boolean {
  let known = finite.get(sorted);
  if (known === undefined) finite.set(sorted, (known = allFinite(sorted)));
  return known;
}

/** Every endpoint finite (the located bracket's argument is about ordered, finite endpoints). */
function allFinite(sorted: SortedCells): boolean {
  const { mins, maxs } = sorted;
  for (let i = 0; i < mins.length; i += 1) {
    if (!Number.isFinite(mins[i]) || !Number.isFinite(maxs[i])) return false;
  }
  return true;
}

/**
 * The sweep's KS D bracket (distanceBrackets(a, b).ks), bit for bit, walking the endpoints
 * of the side with fewer cells (the argument is above). Both samples non-empty, every
 * endpoint finite.
 */
export function locatedKsBracket(a: SortedCells, b: SortedCells): Bracket {
  // the bounds are symmetric in the sides (each pair of differences swaps into the other)
  const [other, walked] = a.mins.length >= b.mins.length ? [a, b] : [b, a];
  const { mins, maxs, belowShares, maybeShares } = other;
  const walkedMins = walked.mins;
  const walkedMaxs = walked.maxs;
  // [D lower, D upper, G_lo and G_hi below the walked endpoint y], in a typed array:
  // doubles updated in a loop as `let`s are boxed by V8 (see the sweep)
  const state = new Float64Array(4);
  const lengthO = mins.length;
  const lengthW = walkedMins.length;
  // the other side's endpoints below y (by min, by max), the walked side's at or below y
  let minsBelow = 0;
  let maxsBelow = 0;
  let started = 0;
  let ended = 0;
  while (started < lengthW || ended < lengthW) {
    const nextMin = started < lengthW ? (walkedMins[started] as number) : Infinity;
    const nextMax = ended < lengthW ? (walkedMaxs[ended] as number) : Infinity;
    const y = nextMin < nextMax ? nextMin : nextMax;
    const minsBefore = minsBelow;
    const maxsBefore = maxsBelow;
    while (minsBelow < lengthO && (mins[minsBelow] as number) < y) minsBelow += 1;
    while (maxsBelow < lengthO && (maxs[maxsBelow] as number) < y) maxsBelow += 1;
    // the other side just below y against the walked side's bounds before y; when none of
    // the other side's endpoints lies between the previous y and this one, that is the
    // previous y's point again (already taken)
    if (minsBelow !== minsBefore || maxsBelow !== maxsBefore)
      takeGaps(
        state,
        shareAt(belowShares, maxsBelow),
        shareAt(maybeShares, minsBelow),
        state[2] as number,
        state[3] as number,
      );
    while (started < lengthW && walkedMins[started] === y) started += 1;
    while (ended < lengthW && walkedMaxs[ended] === y) ended += 1;
    // both at y: every endpoint equal to y consumed (they are below the next y)
    while (minsBelow < lengthO && mins[minsBelow] === y) minsBelow += 1;
    while (maxsBelow < lengthO && maxs[maxsBelow] === y) maxsBelow += 1;
    state[2] = shareAt(walked.belowShares, ended);
    state[3] = shareAt(walked.maybeShares, started);
    takeGaps(
      state,
      shareAt(belowShares, maxsBelow),
      shareAt(maybeShares, minsBelow),
      state[2] as number,
      state[3] as number,
    );
  }
  // past the walked side's last endpoint both its bounds are 1 (its whole count over its
  // size) and the other side's at most 1: no difference there is above 0, where D starts
  return bracketOf(Math.min(state[0] as number, 1), Math.min(state[1] as number, 1));
}

/** The sweep's update of D's bounds from both sides' ECDF bounds at one point, same steps. */
function takeGaps(state: Float64Array, fLo: number, fHi: number, gLo: number, gHi: number): void {
  state[0] = Math.max(state[0] as number, fLo - gHi, gLo - fHi);
  state[1] = Math.max(state[1] as number, fHi - gLo, gHi - fLo);
}

function shareAt(shares: Float64Array, consumed: number): number {
  return consumed > 0 ? (shares[consumed - 1] as number) : 0;
}

/**
 * A reference snapshot's cells merged, in order of their min, into at most `most` runs of
 * about equal count, and sorted for the sweep. (From the window-level coarse pass of commit
 * 60c4980, which merged whole samples.)
 */
export function coarseReference(reference: SortedCells, most: number): SortedCells {
  return sortCells(mergeCells(reference.source.slice(0, reference.cells), most));
}

/** The cells merged, in order of their min, into at most `most` runs of about equal count. */
export function mergeCells(cells: readonly Cell[], most: number): Cell[] {
  const present = cells.filter((cell) => cell.count > 0);
  if (present.length <= most) return [...present];
  const ordered = [...present].sort((a, b) => a.min - b.min || a.max - b.max);
  let total = 0;
  for (const cell of ordered) total += cell.count;
  const merged: Cell[] = [];
  let current: Cell | null = null;
  let seen = 0;
  for (const cell of ordered) {
    current = current
      ? {
          count: current.count + cell.count,
          sum: current.sum + cell.sum,
          min: Math.min(current.min, cell.min),
          max: Math.max(current.max, cell.max),
        }
      : { ...cell };
    seen += cell.count;
    // close a run once it reaches its share of the count
    if (seen >= ((merged.length + 1) * total) / most) {
      merged.push(current);
      current = null;
    }
  }
  if (current) merged.push(current);
  return merged;
}
