import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MOCK_BROKER_BINARY = path.join(ROOT, 'test/.tmp/mock-broker');

/**
 * Runs once before the suite: compiles the Kafka mock-broker launcher (librdkafka's mock
 * cluster, from Debian's librdkafka-dev) that the Kafka tests start per test file.
 */
export default async function setup(): Promise<void> {
  fs.mkdirSync(path.dirname(MOCK_BROKER_BINARY), { recursive: true });
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  execFileSync(
    'gcc',
    ['-O2', '-o', MOCK_BROKER_BINARY, path.join(ROOT, 'test/kafka/mock-broker.c'), ...flags],
    { stdio: 'inherit' },
  );
}
