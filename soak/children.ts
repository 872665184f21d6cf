import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A driftwatch process the soak runs and restarts, as an orchestrator's restart policy
 * would: whenever it ends (killed by the soak, or exiting by itself), a new one starts
 * after `restartDelayMs`. Its stderr goes to a log file; lines can be watched.
 */
export interface Incarnation {
  pid: number;
  startedMs: number;
  endedMs?: number;
  /** How it ended: 'SIGKILL (soak)', 'exit 1', ... */
  end?: string;
  /** Its HTTP address, once it said it. */
  address?: string;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly incarnations: Incarnation[];
  /** The live incarnation, if any. */
  current(): Incarnation | undefined;
  /** SIGKILL now (the supervisor then starts a new one). Returns the pid killed. */
  killNow(): number | undefined;
  onLine(listener: (line: string, incarnation: Incarnation) => void): void;
  /** SIGTERM, wait for the exit, restart no more. */
  stop(): Promise<void>;
}

/** Every child still alive is killed when the soak exits, however it exits. */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** A child to kill with the soak if it outlives it. */
export function killWithSoak(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
}

export function superviseProcess(options: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  restartDelayMs: number;
}): SupervisedProcess {
  const incarnations: Incarnation[] = [];
  const listeners: ((line: string, incarnation: Incarnation) => void)[] = [];
  const log = fs.createWriteStream(options.logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let live: Incarnation | undefined;
  let stopping = false;
  const killedBySoak = new Set<number>();
  let exited: Promise<void> = Promise.resolve();

  function start(): void {
    const spawned = spawn(options.command, options.args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    killWithSoak(spawned);
    const incarnation: Incarnation = { pid: spawned.pid ?? -1, startedMs: Date.now() };
    incarnations.push(incarnation);
    live = incarnation;
    log.write(`--- ${new Date().toISOString()} ${options.name} pid ${incarnation.pid} started\n`);
    for (const stream of [spawned.stdout, spawned.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        const address = /listening on (http:\/\/[^;\s]+)/.exec(line)?.[1];
        if (address) incarnation.address = address;
        for (const listener of listeners) listener(line, incarnation);
      });
    }
    exited = new Promise((resolve) => {
      spawned.on('exit', (code, signal) => {
        incarnation.endedMs = Date.now();
        incarnation.end =
          signal === 'SIGKILL' && killedBySoak.has(incarnation.pid)
            ? 'SIGKILL (soak)'
            : signal
              ? `signal ${signal}`
              : `exit ${code}`;
        log.write(
          `--- ${new Date().toISOString()} ${options.name} pid ${incarnation.pid} ended: ${incarnation.end}\n`,
        );
        if (live === incarnation) live = undefined;
        resolve();
        if (!stopping) setTimeout(() => !stopping && start(), options.restartDelayMs);
      });
    });
  }

  start();
  return {
    name: options.name,
    incarnations,
    current: () => live,
    killNow() {
      if (!child || !live) return undefined;
      killedBySoak.add(live.pid);
      child.kill('SIGKILL');
      return live.pid;
    },
    onLine(listener) {
      listeners.push(listener);
    },
    async stop() {
      stopping = true;
      if (child && live) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise((resolve) => log.end(resolve));
    },
  };
}

/** Resident memory of a process in MiB (VmRSS), or undefined once it is gone. */
export function residentMiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(path.join('/proc', String(pid), 'status'), 'utf8');
    const kib = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}
