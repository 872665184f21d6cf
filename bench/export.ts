import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXPORT_SECTIONS } from '../src/exports/sections.js';
import { generateSigningKey } from '../src/exports/signing.js';
import { verifyExport } from '../src/exports/verifyExport.js';
import { writeExport } from '../src/exports/writeExport.js';
import { openStore } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import type { AlertEventRecord } from '../src/alerts/alert.js';
import { insertAlertEvents } from '../src/store/alerts.js';
import type { Store } from '../src/store/clickhouse.js';
import { insertOutbox, recordDeliveryAttempt, type OutboxRecord } from '../src/store/outbox.js';
import { insertMonitorResults } from '../src/store/results.js';
import { mib, peakRssMiB, withHeapPeak } from './measure.js';
import { NULL_FIELDS, type CheckResult } from '../src/monitors/checkResult.js';

const WINDOW = 5 * 60_000;

/**
 * A compliance export of a period of history, eight times the size each step: the JavaScript
 * heap must stay flat (one page of records at a time) while the record count grows. Beside
 * the results, an alert trail far busier than a real one: an alert event for one result in
 * ten, and a notification with one delivery attempt for one window in ten.
 */
export async function runExportBenchmark(sizes = [100_000, 800_000]): Promise<void> {
  const keys = generateSigningKey();
  for (const size of sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-export-'));
    const store = await openStore({
      kind: 'embedded',
      dataDir: path.join(dir, 'data'),
      database: 'bench',
    });
    await migrate(store);
    const end = Date.parse('2026-11-30T00:00:00Z');
    const perWindow = 100;
    const windows = Math.ceil(size / perWindow);
    let batch: CheckResult[] = [];
    for (let w = 0; w < windows; w += 1) {
      const windowEnd = end - (windows - 1 - w) * WINDOW;
      for (let i = 0; i < perWindow; i += 1) batch.push(result(windowEnd, i));
      if (batch.length >= 50_000) {
        await insertMonitorResults(store, batch);
        batch = [];
      }
    }
    await insertMonitorResults(store, batch);
    await insertAlertTrail(store, end, windows, perWindow);
    for (const format of ['jsonl', 'parquet'] as const) {
      const out = path.join(dir, `export-${format}`);
      const {
        result: manifest,
        heapPeakMiB,
        seconds,
      } = await withHeapPeak(() =>
        writeExport(store, {
          from: new Date(end - windows * WINDOW),
          to: new Date(end),
          format,
          outDir: out,
          signingKey: keys.privateKey,
          softwareVersion: 'bench',
        }),
      );
      const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
      const verified = await withHeapPeak(() =>
        verifyExport(out, { publicKey: keys.publicKey, store }),
      );
      console.log(
        `${String(manifest.chain.records).padStart(9)} records ${format.padEnd(7)} export ${seconds.toFixed(1)} s (${(bytes / 2 ** 20) | 0} MiB), heap peak ${mib(heapPeakMiB)};` +
          ` verify ${verified.seconds.toFixed(1)} s ${verified.result.ok ? 'ok' : 'FAILED'}, heap peak ${mib(verified.heapPeakMiB)}; process RSS peak ${mib(peakRssMiB())}`,
      );
      // The alert sections' share of that: the same period, their files alone.
      const alertsOnly = await withHeapPeak(() =>
        writeExport(store, {
          from: new Date(end - windows * WINDOW),
          to: new Date(end),
          format,
          outDir: `${out}-alerts`,
          signingKey: keys.privateKey,
          softwareVersion: 'bench',
          sections: EXPORT_SECTIONS.filter((section) => section.name.startsWith('alert_')),
        }),
      );
      console.log(
        `${String(alertsOnly.result.chain.records).padStart(9)} of them in the alert sections: ${alertsOnly.seconds.toFixed(1)} s`,
      );
    }
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function insertAlertTrail(
  store: Store,
  end: number,
  windows: number,
  perWindow: number,
): Promise<void> {
  let events: AlertEventRecord[] = [];
  const outbox: OutboxRecord[] = [];
  for (let w = 0; w < windows; w += 1) {
    const windowEnd = new Date(end - (windows - 1 - w) * WINDOW);
    const windowStart = new Date(windowEnd.getTime() - WINDOW);
    for (let i = 0; i < perWindow / 10; i += 1) {
      events.push({
        alertId: `alert-${i}`,
        monitor: 'fraud-detector',
        model: 'fraud-detector',
        checkId: 'psi',
        metric: 'psi',
        feature: `feature_${i}`,
        sliceKey: 'country',
        sliceValue: `c${i}`,
        episode: 1 + (w >> 4),
        event: w % 2 === 0 ? 'firing' : 'resolved',
        fromState: w % 2 === 0 ? 'inactive' : 'firing',
        toState: w % 2 === 0 ? 'firing' : 'resolved',
        severity: 'critical',
        windowStart,
        windowEnd,
        monitorHash: 'a'.repeat(64),
        baseline: 'file:fraud-detector.csv',
        baselineVersion: 1,
        verdictStatus: w % 2 === 0 ? 'critical' : 'ok',
        value: 0.3,
        notified: w % 10 === 0,
        suppressedBy: '',
        outboxIds: w % 10 === 0 ? [`msg_${w}`] : [],
      });
    }
    if (w % 10 === 0) {
      outbox.push({
        id: `msg_${w}`,
        destination: 'email:oncall@example.com',
        channel: 'email',
        kind: 'digest',
        monitor: 'fraud-detector',
        model: 'fraud-detector',
        severity: 'critical',
        windowStart,
        windowEnd,
        alertIds: ['alert-0'],
        events: ['firing'],
        message: '{"type":"alerts","items":[]}',
      });
    }
    if (events.length >= 50_000) {
      await insertAlertEvents(store, events);
      events = [];
    }
  }
  await insertAlertEvents(store, events);
  await insertOutbox(store, outbox);
  for (const notification of outbox) {
    await recordDeliveryAttempt(store, {
      outboxId: notification.id,
      attempt: 1,
      status: 'delivered',
      error: '',
      responseStatus: 250,
      nextAttemptAt: null,
      durationMs: 40,
      attemptedAt: notification.windowEnd,
    });
  }
}

function result(windowEnd: number, i: number): CheckResult {
  const value = 0.01 + (i % 13) / 100;
  return {
    ...NULL_FIELDS,
    monitor: 'fraud-detector',
    model: 'fraud-detector',
    windowStart: new Date(windowEnd - 30 * 60_000),
    windowEnd: new Date(windowEnd),
    checkId: i % 2 === 0 ? 'psi' : 'ks',
    metric: i % 2 === 0 ? 'psi' : 'ks',
    feature: `feature_${(i >> 1) % 10}`,
    // 100 distinct results per window: 2 checks × 10 features × 5 slices.
    sliceKey: i < 20 ? '' : 'country',
    sliceValue: i < 20 ? 'all' : `c${Math.floor(i / 20)}`,
    status: value >= 0.25 ? 'critical' : value >= 0.1 ? 'warn' : 'ok',
    value,
    pValue: i % 2 === 0 ? null : 1 / (i + 2),
    adjustedPValue: i % 2 === 0 ? null : Math.min(1, 10 / (i + 2)),
    correction: i % 2 === 0 ? 'none' : 'benjamini-hochberg',
    warnThreshold: 0.1,
    criticalThreshold: 0.25,
    nReference: 10_000,
    nCurrent: 1_500 + i,
    baseline: 'file:fraud-detector.csv',
    baselineVersion: 1,
    monitorHash: 'a'.repeat(64),
    details: {
      histogram: {
        edges: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        reference: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        current: [2, 2, 3, 4, 5, 6, 7, 8, 9, 9],
      },
    },
  };
}
