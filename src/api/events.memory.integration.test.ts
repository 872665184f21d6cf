import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validPrediction } from '../../test/helpers/poison.js';
import { openTestStore } from '../../test/helpers/store.js';
import { loadIngestConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';

const MiB = 1024 * 1024;
const BODY_BYTES = 60 * MiB;

/** A body of `bytes`, produced as it is sent: the test process never holds it whole. */
function* oversizedArray(bytes: number, elementBytes: number): Generator<Buffer> {
  const pad = Buffer.alloc(64 * 1024, 0x79);
  yield Buffer.from('[');
  let sent = 1;
  for (let element = 0; sent + elementBytes < bytes; element += 1) {
    const head = `${element === 0 ? '' : ','}{"type":"prediction","event_id":"big-${element}","pad":"`;
    yield Buffer.from(head);
    for (let written = 0; written < elementBytes; written += pad.length) yield pad;
    yield Buffer.from('"}');
    sent += head.length + elementBytes + 2;
  }
  yield Buffer.from(']');
}

function* eventLines(model: string, bytes: number): Generator<Buffer> {
  let sent = 0;
  for (let i = 0; sent < bytes; i += 1) {
    const lines = Array.from({ length: 256 }, (_, k) =>
      validPrediction(model, `e${i * 256 + k}`, '2026-11-22T10:00:00Z'),
    ).join('\n');
    const chunk = Buffer.from(`${lines}\n`);
    sent += chunk.length;
    yield chunk;
  }
}

function post(
  port: number,
  type: string,
  body: Iterable<Buffer>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/events?type=prediction',
        headers: { 'content-type': type },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    Readable.from(body).pipe(request);
  });
}

describe('HTTP ingest under concurrent maximum-size bodies', () => {
  let store: Store;
  let app: ReturnType<typeof buildApp>;
  let port: number;
  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: { ...loadIngestConfig({}), maxBodyBytes: 64 * MiB },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('keeps RSS bounded and answers a small request while large bodies stream in', async () => {
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const finished: string[] = [];
    try {
      const large = [
        post(port, 'application/json', oversizedArray(BODY_BYTES, 1.5 * MiB)),
        post(port, 'application/json', oversizedArray(BODY_BYTES, 1.5 * MiB)),
        post(port, 'application/json', oversizedArray(BODY_BYTES, 1.5 * MiB)),
        post(port, 'application/x-ndjson', eventLines('memory-a', 12 * MiB)),
        post(port, 'application/x-ndjson', eventLines('memory-b', 12 * MiB)),
      ].map((request, i) => request.then((answer) => (finished.push(`large-${i}`), answer)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const small = await post(port, 'application/x-ndjson', [
        Buffer.from(validPrediction('memory-small', 'one', '2026-11-22T10:00:00Z')),
      ]);
      finished.push('small');
      expect(small.status).toBe(200);
      const answers = await Promise.all(large);
      for (const answer of answers.slice(0, 3)) {
        expect(answer.status).toBe(207);
        const body = JSON.parse(answer.body);
        expect(body.accepted).toBe(0);
        expect(body.errors.every((e: { reason: string }) => e.reason === 'too_large')).toBe(true);
      }
      for (const answer of answers.slice(3)) expect(answer.status).toBe(200);
    } finally {
      clearInterval(sampler);
    }
    // The small request did not wait for the large ones.
    expect(finished.indexOf('small')).toBeLessThan(finished.length - 1);
    const grownMiB = (peak - baseline) / MiB;
    console.log(
      `RSS ${Math.round(baseline / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB (+${Math.round(grownMiB)} MiB) for 3 × 60 MB + 2 × 12 MB bodies at once`,
    );
    expect(grownMiB).toBeLessThan(512);
  });
});
