import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import {
  ENGINE_STATUS_FILE,
  SERVICE_RECORD_FILE,
  findLockOwner,
  findStoreHolder,
} from './storeHolder.js';

/**
 * Holding is what the kernel says: a lock on `<dir>/status` held by a live process. A real
 * second process holds it here: util-linux's flock(1), which takes the same kind of lock
 * (flock(2), exclusive) the engine takes.
 */
const running: ChildProcess[] = [];

async function holdLock(file: string): Promise<ChildProcess> {
  // --close: the lock stays with flock itself, not with the `sleep` it runs
  const child = spawn('flock', ['--exclusive', '--close', file, 'sleep', '60'], {
    stdio: 'ignore',
    detached: true,
  });
  running.push(child);
  for (let i = 0; i < 200; i += 1) {
    const owner = findLockOwner(file);
    if (owner !== null && owner !== 'unknown') return child;
    await sleep(25);
  }
  throw new Error(`flock never held ${file}`);
}

/** What the engine writes: its pid and its start in its own local time. */
function writeEngineStatus(dir: string, pid: number, startedAt: string): string {
  const file = path.join(dir, ENGINE_STATUS_FILE);
  fs.writeFileSync(file, `PID: ${pid}\nStarted at: ${startedAt}\nRevision: 54513\n`);
  return file;
}

/** Ends flock and the sleep it runs (its own process group), and waits for flock. */
async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(-(child.pid ?? 0), 'SIGKILL');
    await exited;
  }
}

afterEach(async () => {
  for (const child of running.splice(0)) await kill(child);
});

describe('who holds an embedded store', () => {
  it('a live lock holds the store whatever its status file says of the time', async () => {
    const dir = tempDir('driftwatch-holder-');
    // a start time 14 s, 5.5 h or a day off what /proc says: clock steps and time zones
    const file = writeEngineStatus(dir, 1, '2001-01-01 00:00:00');
    const holder = await holdLock(file);
    expect(findStoreHolder(dir)).toEqual({
      pid: holder.pid,
      command: `flock --exclusive --close ${file} sleep 60`,
      since: null,
      url: null,
    });
  });

  it('a status file naming a live process that holds no lock is free (a reused pid)', () => {
    const dir = tempDir('driftwatch-holder-');
    // The pid of a killed engine, given since to this test's own parent, which started
    // well before the time written: the old check took it for the holder.
    const now = new Date();
    const local = (date: Date) =>
      `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')} ` +
      `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}:${String(date.getSeconds()).padStart(2, '0')}`;
    writeEngineStatus(dir, process.ppid, local(now));
    expect(findStoreHolder(dir)).toBeNull();
  });

  it('the lock ends with its process, however it ends', async () => {
    const dir = tempDir('driftwatch-holder-');
    const file = writeEngineStatus(dir, 1, '2026-12-06 20:00:00');
    const holder = await holdLock(file);
    expect(findStoreHolder(dir)?.pid).toBe(holder.pid);
    await kill(holder);
    expect(findStoreHolder(dir)).toBeNull();
  });

  it("a service record counts only when it is the lock owner's own", async () => {
    const dir = tempDir('driftwatch-holder-');
    const file = writeEngineStatus(dir, 1, '2026-12-06 20:00:00');
    const pid = (await holdLock(file)).pid ?? 0;
    const record = (recordPid: number, processStart: number | null) =>
      fs.writeFileSync(
        path.join(dir, SERVICE_RECORD_FILE),
        JSON.stringify({
          pid: recordPid,
          process_start: processStart,
          url: 'http://127.0.0.1:9',
          role: 'all',
          command: 'driftwatch serve',
          started_at: '2026-12-06T20:00:00.000Z',
        }),
      );
    const ticks = Number(
      fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19],
    );
    record(pid, ticks);
    expect(findStoreHolder(dir)).toMatchObject({
      pid: pid,
      url: 'http://127.0.0.1:9',
      since: '2026-12-06T20:00:00.000Z',
    });
    // an earlier process with the same pid wrote it: its start differs
    record(pid, ticks - 1);
    expect(findStoreHolder(dir)).toMatchObject({ pid: pid, url: null, since: null });
    // another process's record
    record(pid + 1, ticks);
    expect(findStoreHolder(dir)).toMatchObject({ pid: pid, url: null });
  });

  it('reads /proc/locks: holders by device and inode, never the waiters', () => {
    const dir = tempDir('driftwatch-holder-');
    const file = writeEngineStatus(dir, 4242, '2026-12-06 20:00:00');
    const { dev, ino } = fs.statSync(file);
    const device = `${((dev & 0xfff00) >>> 8).toString(16).padStart(2, '0')}:${(dev & 0xff).toString(16).padStart(2, '0')}`;
    const table = (lines: string[]) => {
      const locks = path.join(dir, 'locks');
      fs.writeFileSync(locks, `${lines.join('\n')}\n`);
      return locks;
    };
    expect(
      findLockOwner(
        file,
        table([
          `1: POSIX  ADVISORY  WRITE 7758 ${device}:${ino + 1} 0 EOF`,
          `2: FLOCK  ADVISORY  WRITE 8011 ${device}:${ino} 0 EOF`,
          `2: -> FLOCK  ADVISORY  WRITE 9000 ${device}:${ino} 0 EOF`,
        ]),
      ),
    ).toEqual({ pid: 8011 });
    expect(
      findLockOwner(file, table([`1: -> FLOCK  ADVISORY  WRITE 9000 ${device}:${ino} 0 EOF`])),
    ).toBeNull();
    expect(
      findLockOwner(file, table([`1: OFDLCK ADVISORY  WRITE -1 ${device}:${ino} 0 EOF`])),
    ).toEqual({ pid: -1 });
    expect(findLockOwner(file, path.join(dir, 'no-such-table'))).toBe('unknown');
    expect(findLockOwner(path.join(dir, 'no-such-file'))).toBeNull();
  });
});
