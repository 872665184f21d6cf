import fs from 'node:fs';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';

/**
 * Who holds an embedded store's directory. libchdb, like a ClickHouse server, takes an
 * exclusive flock on `<dir>/status` and writes its PID and start time there; a second
 * process that opens the same directory fails with "Cannot lock file <dir>/status.
 * Another server instance in same directory is already running" (printed by the engine
 * on stderr) and, in JavaScript, "Failed to create connection for path '<dir>'". The file
 * is removed on a clean exit and left behind (unlocked) by a killed process, so a holder
 * counts only while its process lives. A driftwatch service also leaves a small record of
 * its own (`driftwatch-service.json`: pid, HTTP address, role, command, start time) so the
 * CLI can ask it over its API instead of failing.
 */
export interface StoreHolder {
  pid: number;
  /** The holder's command line, e.g. `driftwatch serve`. */
  command: string;
  /** When it opened the store (RFC 3339), when known. */
  since: string | null;
  /** The holder's HTTP API, when it is a driftwatch service listening on one. */
  url: string | null;
}

export interface ServiceRecord {
  pid: number;
  url: string | null;
  role: string;
  command: string;
  started_at: string;
}

export const SERVICE_RECORD_FILE = 'driftwatch-service.json';
const ENGINE_STATUS_FILE = 'status';

/** Raised instead of the engine's lock failure, naming the holder and what to do. */
export class StoreLockedError extends DriftwatchError {
  readonly holder: StoreHolder;
  readonly dataDir: string;

  constructor(dataDir: string, holder: StoreHolder) {
    super('DW_STORE_LOCKED', describeHeldStore(dataDir, holder), { retriable: true });
    this.name = 'StoreLockedError';
    this.holder = holder;
    this.dataDir = dataDir;
  }
}

export function describeHeldStore(dataDir: string, holder: StoreHolder): string {
  const since = holder.since ? ` since ${holder.since}` : '';
  const serving = holder.url ? `, serving ${holder.url}` : '';
  return (
    `the embedded store ${dataDir} is in use by pid ${holder.pid} (${holder.command})${since}${serving}; ` +
    `stop that process first (kill ${holder.pid}), or set DRIFTWATCH_DATA_DIR to another directory`
  );
}

/** The live process (other than this one) holding the directory, or null. */
export function findStoreHolder(dataDir: string): StoreHolder | null {
  const engine = readEngineStatus(dataDir);
  const record = readServiceRecord(dataDir);
  const pid = engine?.pid ?? record?.pid;
  if (pid === undefined || pid === process.pid || !isAlive(pid)) return null;
  // A killed holder's pid may have been given to an unrelated, younger process since.
  const startedAt = processStartTime(pid);
  const openedAt = engine?.startedAt ?? (record ? new Date(record.started_at) : null);
  if (startedAt && openedAt && startedAt.getTime() > openedAt.getTime() + 2000) return null;
  const fromService = record?.pid === pid ? record : null;
  return {
    pid,
    command: processCommand(pid) ?? fromService?.command ?? 'unknown command',
    since: (openedAt ?? startedAt)?.toISOString() ?? null,
    url: fromService?.url ?? null,
  };
}

export function writeServiceRecord(dataDir: string, record: ServiceRecord): void {
  fs.writeFileSync(path.join(dataDir, SERVICE_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record only if it is this process's own. */
export function removeServiceRecord(dataDir: string): void {
  if (readServiceRecord(dataDir)?.pid === process.pid) {
    fs.rmSync(path.join(dataDir, SERVICE_RECORD_FILE), { force: true });
  }
}

export function readServiceRecord(dataDir: string): ServiceRecord | null {
  try {
    const record = JSON.parse(
      fs.readFileSync(path.join(dataDir, SERVICE_RECORD_FILE), 'utf8'),
    ) as ServiceRecord;
    return Number.isInteger(record.pid) ? record : null;
  } catch {
    return null;
  }
}

/** `PID: 8011` / `Started at: 2026-11-23 01:11:00` (the engine's local time). */
function readEngineStatus(dataDir: string): { pid: number; startedAt: Date | null } | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, ENGINE_STATUS_FILE), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const started = /^Started at:\s*(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/m.exec(text);
  const startedAt = started ? new Date(`${started[1]}T${started[2]}`) : null;
  return { pid, startedAt: startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : null };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processCommand(pid: number): string | null {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv.length === 0) return null;
    // node /path/to/bin/driftwatch.js serve --kafka → driftwatch serve --kafka
    const script = argv.findIndex((arg, i) => i > 0 && /driftwatch(\.js)?$/.test(arg));
    return script > 0 ? ['driftwatch', ...argv.slice(script + 1)].join(' ') : argv.join(' ');
  } catch {
    return null;
  }
}

/** From /proc (Linux): boot time plus the process's start in clock ticks (USER_HZ = 100). */
function processStartTime(pid: number): Date | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from its end
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootSeconds = Number(/^btime (\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return null;
    return new Date(bootSeconds * 1000 + ticks * 10);
  } catch {
    return null;
  }
}
