import fs from 'node:fs';
import os from 'node:os';

/** What every benchmark prints: the machine, so figures can be compared. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString()}`;
}

/** Peak resident memory of this process (VmHWM), which includes the embedded engine. */
export function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Samples the JavaScript heap while a task runs and reports its peak. */
export async function withHeapPeak<T>(
  task: () => Promise<T>,
): Promise<{ result: T; heapPeakMiB: number; seconds: number }> {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);
  const started = performance.now();
  try {
    const result = await task();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { result, heapPeakMiB: peak / 2 ** 20, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

export function mib(value: number): string {
  return `${value.toFixed(0)} MiB`;
}

/** The machine's load averages: the machine is shared, so every figure says how busy it was. */
export function loadLine(): string {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return `load ${one.toFixed(2)} / ${five.toFixed(2)} / ${fifteen.toFixed(2)}`;
}
