import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/clickhouse.js';
import { migrate } from '../../src/store/migrate.js';

/**
 * An embedded ClickHouse in a fresh directory, migrated. libchdb allows one data
 * directory per process, so a test file opens one store in beforeAll and shares it.
 */
export async function openTestStore(
  options: { migrate?: boolean } = {},
): Promise<Store & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-test-'));
  const store = await openStore({ kind: 'embedded', dataDir, database: 'driftwatch' });
  if (options.migrate ?? true) await migrate(store);
  const close = store.close.bind(store);
  return Object.assign(store, {
    dataDir,
    async close() {
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export function tempDir(prefix = 'driftwatch-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
