/**
 * Run in its own process (libchdb binds one data directory per process): stores `count`
 * breaching runs of a monitor, one per window, and marks the alert stage as having read up
 * to the window before them, so the service that starts next finds them waiting.
 *
 *   node --import tsx test/helpers/seedAlertRuns.ts DATA_DIR MONITOR_FILE FIRST_WINDOW_END COUNT
 */
import { loadMonitorFile } from '../../src/monitors/monitorFile.js';
import { LOCAL_RECEIVERS_ACCESS } from './alertReceivers.js';
import { setAlertProgress } from '../../src/store/alerts.js';
import { openStore } from '../../src/store/clickhouse.js';
import { migrate } from '../../src/store/migrate.js';
import { storeRun } from './verdicts.js';

const [dataDir, monitorFile, firstEnd, count] = process.argv.slice(2);
// the seeded monitor's webhooks call the test's receivers on loopback
const loaded = loadMonitorFile(monitorFile ?? '', { access: LOCAL_RECEIVERS_ACCESS });
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const plan = loaded.plan;
const store = await openStore({ kind: 'embedded', dataDir: dataDir ?? '', database: 'driftwatch' });
await migrate(store);
const first = Date.parse(firstEnd ?? '');
await setAlertProgress(store, plan.monitor, new Date(first - plan.windowMs));
for (let i = 0; i < Number(count); i += 1) {
  await storeRun(store, plan, new Date(first + i * plan.windowMs), [
    { feature: 'amount', slice: 'channel=web', status: 'warn', value: 0.2 + i / 1000 },
    { feature: 'amount', slice: 'all', status: 'ok', value: 0.01 },
  ]);
}
await store.close();
