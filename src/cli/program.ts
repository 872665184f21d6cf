import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createAlertsApi } from '../alerts/alertsApi.js';
import type { AlertsApi } from '../api/alerts.js';
import {
  serviceMonitorUseCases,
  storeMonitorUseCases,
  type MonitorUseCases,
} from './monitorUseCases.js';
import { loadConfig, type Config } from '../config/config.js';
import { DriftwatchError, InputError, errorMessage } from '../errors.js';
import { openStore, type Store } from '../store/clickhouse.js';
import {
  loadMonitorDirectory,
  monitorFileOptionsOf,
  type MonitorDirectory,
} from '../monitors/monitorFile.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { migrate } from '../store/migrate.js';
import { StoreLockedError } from '../store/storeHolder.js';
import { createServiceClient, type ServiceClient } from './serviceClient.js';

/** Exit statuses: 0 ok, 1 a failure of ours or of the store, 2 bad input from the user. */
export const EXIT_INPUT = 2;

/** Where a command's answers come from: the store itself, or the service that holds it. */
export type Backend = { kind: 'store'; store: Store } | { kind: 'service'; service: ServiceClient };

export interface CommandContext {
  config: Config;
  /** Opens the configured store (migrated) once; closed by the runner afterwards. */
  store(): Promise<Store>;
  /**
   * The configured store, or, while a driftwatch service holds the embedded store (one
   * process per directory), that service's HTTP API. `readOnly`: a command that only reads
   * creates nothing: without an embedded store yet it says so instead.
   */
  storeOrService(options?: { readOnly?: boolean }): Promise<Backend>;
  /** The alerts' use cases, over the store or through the service that holds it. */
  alerts(options?: { readOnly?: boolean }): Promise<AlertsApi>;
  /** The monitor commands' use cases, over the store or through the service that holds it. */
  monitorUseCases(options?: { readOnly?: boolean }): Promise<MonitorUseCases>;
  /**
   * The monitors directory (DRIFTWATCH_MONITORS_DIR) under the service's rules, read once per
   * command: its valid monitors (`plans`) and its refused files (`errors`).
   */
  monitors(): MonitorDirectory;
  /** The valid monitors alone: monitors().plans. */
  plans(): MonitorPlan[];
  /** An embedded store of its own in a temporary directory, removed afterwards. */
  temporaryStore(): Promise<Store>;
}

export type CommandRegistrar = (program: Command, context: CommandContext) => void;

/**
 * Wraps a command's action: opens the store lazily, closes it afterwards, and turns
 * errors into one line on stderr with the right exit status instead of a stack trace.
 */
export function createCommandContext(env: NodeJS.ProcessEnv = process.env): {
  context: CommandContext;
  closeStore(): Promise<void>;
} {
  const config = loadConfig(env);
  let opened: Promise<Store> | undefined;
  let temporary: { dir: string; store: Promise<Store> } | undefined;
  // Read once per command, under the service's rules (access policy, baseline roots).
  let directory: MonitorDirectory | undefined;
  const monitors = (): MonitorDirectory =>
    (directory ??= loadMonitorDirectory(config.monitorsDir, monitorFileOptionsOf(config)));
  const context: CommandContext = {
    config,
    store() {
      opened ??= openStore(config.store).then(async (store) => {
        await migrate(store);
        return store;
      });
      return opened;
    },
    async storeOrService(options = {}) {
      if (options.readOnly) assertStoreExists(config);
      try {
        return { kind: 'store', store: await context.store() };
      } catch (error) {
        if (error instanceof StoreLockedError && error.holder.url) {
          return {
            kind: 'service',
            service: createServiceClient(error.holder.url, config.serviceToken),
          };
        }
        throw error;
      }
    },
    async alerts(options = {}) {
      const backend = await context.storeOrService(options);
      if (backend.kind === 'service') return backend.service.alerts;
      return createAlertsApi(backend.store, {
        plans: () => monitors().plans,
        refused: () => monitors().errors,
        config: config.alerts,
      });
    },
    async monitorUseCases(options = {}) {
      const backend = await context.storeOrService(options);
      if (backend.kind === 'service') return serviceMonitorUseCases(backend.service);
      return storeMonitorUseCases(backend.store, monitors, config.monitorsDir);
    },
    monitors,
    plans() {
      return monitors().plans;
    },
    temporaryStore() {
      if (!temporary) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-scratch-'));
        temporary = {
          dir,
          store: openStore({ kind: 'embedded', dataDir: dir, database: 'driftwatch' }),
        };
      }
      return temporary.store;
    },
  };
  return {
    context,
    async closeStore() {
      const store = await opened?.catch(() => undefined);
      await store?.close();
      if (temporary) {
        const scratch = await temporary.store.catch(() => undefined);
        await scratch?.close();
        fs.rmSync(temporary.dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A read-only command on an embedded store that does not exist yet: nothing to read, and
 * nothing is created (opening the engine would make the directory and its tables).
 */
function assertStoreExists(config: Config): void {
  if (config.store.kind !== 'embedded' || config.store.dataDir === ':memory:') return;
  const dir = config.store.dataDir;
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (entries.includes('metadata')) return;
  throw new NoStoreError(dir);
}

/** A read-only command found no embedded store to read: it says so and creates none. */
export class NoStoreError extends InputError {
  constructor(dir: string) {
    super(
      { file: dir },
      'no store here yet (DRIFTWATCH_DATA_DIR): nothing has been stored; start the service ' +
        '(driftwatch serve) and send events, or point DRIFTWATCH_DATA_DIR at an existing store',
    );
    this.name = 'NoStoreError';
  }
}

export function exitStatusFor(error: unknown): number {
  if (error instanceof InputError) return EXIT_INPUT;
  if (
    error instanceof DriftwatchError &&
    (error.code === 'DW_INPUT' || error.code === 'DW_CONFIG')
  ) {
    return EXIT_INPUT;
  }
  return 1;
}

export function describeError(error: unknown): string {
  return `driftwatch: ${errorMessage(error)}`;
}
