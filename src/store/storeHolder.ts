import fs from 'node:fs';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';

/**
 * Who holds an embedded store's directory, decided by what the holder proves: a lock.
 *
 * libchdb, like a ClickHouse server, takes an exclusive flock on `<dir>/status` for as long
 * as its session is open and writes its PID there; a second process that opens the same
 * directory fails ("Cannot lock file <dir>/status. Another server instance in same
 * directory is already running", printed by the engine on stderr). The kernel drops the
 * lock when the process ends, however it ends, so a lock held now means a live holder: no
 * clock, time zone or reused pid enters the decision. On Linux the lock and its owner are
 * read from /proc/locks (the file's device and inode); Node has no flock of its own and
 * needs no native addon for this. Where /proc/locks does not exist, a status file naming a
 * live process counts as held: that can mistake a stranger with a reused pid for a holder,
 * never the other way round.
 *
 * A driftwatch service also leaves a record of its own (`driftwatch-service.json`: pid,
 * the process's start in clock ticks since boot, HTTP address, role, command) so the CLI
 * can ask it over its API instead of failing. The record counts only when its pid and
 * start are those of the lock's owner.
 */
export interface StoreHolder {
  pid: number;
  /** The holder's command line, e.g. `driftwatch serve`. */
  command: string;
  /** When it opened the store (RFC 3339, from its service record), when known. */
  since: string | null;
  /** The holder's HTTP API, when it is a driftwatch service listening on one. */
  url: string | null;
}

export interface ServiceRecord {
  pid: number;
  /** /proc/<pid>/stat's starttime (clock ticks since boot): with pid, names one process. */
  process_start: number | null;
  url: string | null;
  role: string;
  command: string;
  started_at: string;
}

export const SERVICE_RECORD_FILE = 'driftwatch-service.json';
export const ENGINE_STATUS_FILE = 'status';

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
  const statusFile = path.join(dataDir, ENGINE_STATUS_FILE);
  const lock = findLockOwner(statusFile);
  let pid: number | null;
  if (lock === 'unknown') {
    // No /proc/locks: the engine's own word, counted while that pid lives.
    const named = readEnginePid(statusFile);
    pid = named !== null && isAlive(named) ? named : null;
  } else if (lock === null) {
    pid = null;
  } else {
    // An open file description's lock (OFD) names no process: the engine's file does.
    pid = lock.pid > 0 ? lock.pid : (readEnginePid(statusFile) ?? lock.pid);
  }
  if (pid === null || pid === process.pid) return null;
  const record = readServiceRecord(dataDir);
  const fromService = record && isRecordOf(record, pid) ? record : null;
  return {
    pid,
    command: processCommand(pid) ?? fromService?.command ?? 'unknown command',
    since: fromService?.started_at ?? null,
    url: fromService?.url ?? null,
  };
}

/** This process's record, so the CLI finds it (and its API) from the store directory. */
export function writeServiceRecord(
  dataDir: string,
  record: Omit<ServiceRecord, 'pid' | 'process_start'>,
): void {
  const own: ServiceRecord = {
    pid: process.pid,
    process_start: processStartTicks(process.pid),
    ...record,
  };
  fs.writeFileSync(path.join(dataDir, SERVICE_RECORD_FILE), `${JSON.stringify(own, null, 2)}\n`);
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

/** Written by the process that holds the lock now, not by an earlier one with its pid. */
function isRecordOf(record: ServiceRecord, pid: number): boolean {
  if (record.pid !== pid) return false;
  const start = processStartTicks(pid);
  return start === null || record.process_start === null || record.process_start === start;
}

/**
 * Who holds a lock on `file` now, from /proc/locks: null when nobody does (or the file does
 * not exist), 'unknown' where the kernel does not say. A line reads
 * `1: FLOCK  ADVISORY  WRITE 8011 fe:00:2151152 0 EOF` (pid, device major:minor in hex,
 * inode); lines with `->` are waiters, not holders.
 */
export function findLockOwner(
  file: string,
  procLocks = '/proc/locks',
): { pid: number } | null | 'unknown' {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  let table: string;
  try {
    table = fs.readFileSync(procLocks, 'utf8');
  } catch {
    return 'unknown';
  }
  const device = splitDevice(stat.dev);
  for (const line of table.split('\n')) {
    const match =
      /^\d+:\s+(?:FLOCK|POSIX|OFDLCK)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(
        line,
      );
    if (!match) continue;
    const [, pid, major, minor, inode] = match;
    if (
      parseInt(major ?? '', 16) === device.major &&
      parseInt(minor ?? '', 16) === device.minor &&
      Number(inode) === stat.ino
    ) {
      return { pid: Number(pid) };
    }
  }
  return null;
}

/** st_dev as the kernel encodes it for user space (new_encode_dev), back to major:minor. */
function splitDevice(dev: number): { major: number; minor: number } {
  return { major: (dev & 0xfff00) >>> 8, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

/** `PID: 8011` in the engine's status file. */
function readEnginePid(statusFile: string): number | null {
  try {
    const pid = Number(/^PID:\s*(\d+)/m.exec(fs.readFileSync(statusFile, 'utf8'))?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
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

/**
 * The process's start in clock ticks since boot (field 22 of /proc/<pid>/stat): counted
 * by the kernel from boot, so no clock step or time zone changes it. Null off Linux.
 */
function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from its end
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(ticks) ? ticks : null;
  } catch {
    return null;
  }
}
