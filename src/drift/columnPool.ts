import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DriftwatchError } from '../errors.js';
import type { ColumnAggregates, ColumnAggregatesOptions, PlacedColumn } from './sortedColumn.js';
import type { ColumnAnswer, ColumnTask } from './sortedColumnWorker.js';

/**
 * Worker threads that sort placed columns and answer with their aggregates
 * (src/drift/sortedColumnWorker.ts): the exact mode's JavaScript on every core while the
 * main thread places the next column and ClickHouse reads the next ones. A column's values
 * are transferred, not copied.
 */
export interface ColumnPool {
  aggregate(
    column: PlacedColumn,
    levels: readonly number[],
    withAll: boolean,
    options?: ColumnAggregatesOptions,
  ): Promise<ColumnAggregates>;
  close(): Promise<void>;
}

/** As many workers as cores, at most this many. */
const MOST_WORKERS = 4;

export function poolSize(): number {
  return Math.max(1, Math.min(MOST_WORKERS, os.availableParallelism()));
}

interface Job {
  task: ColumnTask;
  resolve: (aggregates: ColumnAggregates) => void;
  reject: (error: Error) => void;
}

export function startColumnPool(size: number): ColumnPool {
  const idle: Worker[] = [];
  const queue: Job[] = [];
  const running = new Map<Worker, Job>();
  let nextId = 0;
  let failure: Error | undefined;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop() as Worker;
      const job = queue.shift() as Job;
      running.set(worker, job);
      worker.postMessage(job.task, [job.task.column.placed.buffer as ArrayBuffer]);
    }
  };
  const fail = (error: Error) => {
    failure ??= error;
    for (const job of [...running.values(), ...queue.splice(0)]) job.reject(failure);
    running.clear();
  };
  const workers = Array.from({ length: size }, () => {
    const worker = startWorker();
    worker.on('message', (answer: ColumnAnswer) => {
      const job = running.get(worker);
      running.delete(worker);
      idle.push(worker);
      if ('error' in answer) job?.reject(workerError(answer.error));
      else job?.resolve(answer.aggregates);
      dispatch();
    });
    worker.on('error', (error) => fail(workerError(error.message, error)));
    worker.on('exit', (code) => {
      if (running.has(worker)) fail(workerError(`a sorting worker exited (code ${code})`));
    });
    idle.push(worker);
    return worker;
  });
  return {
    aggregate(column, levels, withAll, options = {}) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        queue.push({
          task: { id: nextId++, column, levels, withAll, options },
          resolve,
          reject,
        });
        dispatch();
      });
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * The compiled worker beside this module; from sources (tsx, vitest), the TypeScript one
 * imported through tsx's API (a dev dependency: only a checkout runs sources): a worker does
 * not inherit the loader.
 */
function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(`./sortedColumnWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(file);
  // the API's ES module (its CommonJS twin's tsImport cannot find its own loader here)
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, { eval: true });
}

function workerError(message: string, cause?: unknown): DriftwatchError {
  return new DriftwatchError('DW_INTERNAL', `exact statistics: ${message}`, { cause });
}
