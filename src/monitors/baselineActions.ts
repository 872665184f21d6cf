import path from 'node:path';
import { DriftwatchError, InputError } from '../errors.js';
import { getLatestBaseline, type BaselineRecord } from '../store/baselines.js';
import type { Store } from '../store/clickhouse.js';
import { freezeRangeBaseline, loadFileBaseline } from './evaluateWindow.js';
import { baselineFileProblem } from './monitorFileLimits.js';
import type { MonitorPlan } from './plan.js';

/** Where a new baseline version comes from: a training file, or a range of the model's events. */
export type BaselineSource =
  | {
      file: string;
      /**
       * The directories the file must lie in, when someone other than the operator names it
       * (the API: the service reads a file on its own machine); none: any file.
       */
      roots?: readonly string[];
    }
  | { from: Date; to: Date };

/**
 * Freezes a new baseline version for a monitor's model, the same for the CLI and the API:
 * a file's rows, or the model's own events of a time range.
 */
export async function freezeBaseline(
  store: Store,
  plan: MonitorPlan,
  source: BaselineSource,
): Promise<BaselineRecord> {
  if ('file' in source) {
    const file = path.resolve(source.file);
    const outside = source.roots ? baselineFileProblem(file, source.roots) : null;
    if (outside)
      throw new InputError({ file: source.file }, outside.replace(/^baseline\.file: /, ''));
    const loaded = await loadFileBaseline(store, plan, file, { onlyIfChanged: false });
    const record = await getLatestBaseline(store, plan.model, loaded.name);
    if (!record) throw new DriftwatchError('DW_INTERNAL', `baseline ${loaded.name} was not stored`);
    return record;
  }
  if (!(source.from < source.to))
    throw new DriftwatchError(
      'DW_INPUT',
      `from (${source.from.toISOString()}) must be before to (${source.to.toISOString()})`,
    );
  return freezeRangeBaseline(store, plan, { start: source.from, end: source.to });
}
