// node --import tsx soak/countStore.ts <dataDir> <model> <acknowledged>
//
// The HTTP ingest service of the soak keeps its own embedded store (so a SIGKILL takes the
// engine down mid-insert, as it would in production on the default store). The soak's
// process holds another embedded engine (the Kafka side's store), and one process opens
// one data directory: this child counts that store after the service's last stop and
// prints the figures as JSON.
import { openStore } from '../src/store/clickhouse.js';
import { countHttpStore } from './counts.js';

const [dataDir, model, acknowledged] = process.argv.slice(2);
if (!dataDir || !model || acknowledged === undefined) {
  process.stderr.write('usage: countStore.ts <dataDir> <model> <acknowledged>\n');
  process.exit(2);
}
const store = await openStore({ kind: 'embedded', dataDir, database: 'driftwatch' });
try {
  const counts = await countHttpStore(store, model, Number(acknowledged));
  process.stdout.write(`${JSON.stringify(counts)}\n`);
} finally {
  await store.close();
}
