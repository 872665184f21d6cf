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
  try {
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split(/\s+/);
    execFileSync(
      'gcc',
      ['-O2', '-o', MOCK_BROKER_BINARY, path.join(ROOT, 'test/kafka/mock-broker.c'), ...flags],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
  } catch (error) {
    // vitest would otherwise print a spawn stack and "No test files found".
    const failure = error as { path?: string; code?: string; stderr?: Buffer | string };
    const reason =
      failure.code === 'ENOENT'
        ? `${failure.path ?? 'a command'} is not installed`
        : String(failure.stderr ?? '').trim() || String(error);
    throw new Error(
      `cannot build the Kafka mock broker (test/kafka/mock-broker.c): ${reason}. ` +
        'The tests need gcc, pkg-config and librdkafka-dev: run `npm test` (its pretest step ' +
        'installs them when it can) or `apt-get install -y gcc pkg-config librdkafka-dev`.',
    );
  }
}
