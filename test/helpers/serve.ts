import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/**
 * `driftwatch serve` as a user runs it, a child process on its own data directory, for the
 * tests that kill it (SIGKILL mid-delivery) and start it again.
 */
export interface RunningService {
  child: ChildProcess;
  address: string;
  stderr: () => string;
}

export function startServe(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/driftwatch.js'), 'serve'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+);/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, address: match[1], stderr: () => stderr });
      }
    });
    child.stdout?.resume();
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Runs test/helpers/seedAlertRuns.ts in its own process (libchdb binds one data directory per
 * process): `count` breaching runs of the monitor, from the window ending at `firstEnd`.
 * Resolves with its exit code once it has ended; `env`, when given, is added to the process's.
 */
export async function seedAlertRuns(
  seed: { dataDir: string; monitorFile: string; firstEnd: Date; count: number },
  env?: Record<string, string>,
): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'test/helpers/seedAlertRuns.ts'),
      seed.dataDir,
      seed.monitorFile,
      seed.firstEnd.toISOString(),
      String(seed.count),
    ],
    {
      cwd: REPO_ROOT,
      ...(env ? { env: { ...process.env, ...env } } : {}),
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  await exited(child);
  return child.exitCode;
}
