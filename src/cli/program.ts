import { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { DriftwatchError, InputError, errorMessage } from '../errors.js';
import { openStore, type Store } from '../store/clickhouse.js';
import { migrate } from '../store/migrate.js';

/** Exit statuses: 0 ok, 1 a failure of ours or of the store, 2 bad input from the user. */
export const EXIT_INPUT = 2;

export interface CommandContext {
  config: Config;
  /** Opens the configured store (migrated) once; closed by the runner afterwards. */
  store(): Promise<Store>;
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
  return {
    context: {
      config,
      store() {
        opened ??= openStore(config.store).then(async (store) => {
          await migrate(store);
          return store;
        });
        return opened;
      },
    },
    async closeStore() {
      if (opened) await (await opened).close();
    },
  };
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
