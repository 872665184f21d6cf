import type { Admin } from 'kafkajs';
import type { MockBroker } from '../test/helpers/kafka.js';
import type { SupervisedProcess } from './children.js';
import { BROKERS, GROUP, TOPICS } from './cluster.js';
import type { StoreProxy } from './storeProxy.js';
import { sleep, withTimeout } from './timing.js';

/** The faults the soak causes, each returning what it did and when. */
export interface FaultRecord {
  name: string;
  fromMs: number;
  toMs: number;
  detail: string;
  /** From the fault's end until every partition consumes again (undefined: not seen). */
  progressAfterMs?: number;
}

export type KillPoint = 'request' | 'executed' | 'acknowledged' | 'now';

const KILL_POINTS: Record<KillPoint, string> = {
  request: 'while its insert into events was on the wire to the store',
  executed: 'after the store ran its insert, before the answer reached it',
  acknowledged: 'just after the store acknowledged its insert (offsets not yet committed)',
  now: 'at once (the store refusing connections)',
};

/** SIGKILLs the consumer at a chosen point of a batch's write; its supervisor restarts it. */
export async function killMidBatch(
  consumer: SupervisedProcess,
  proxy: StoreProxy,
  point: KillPoint,
): Promise<FaultRecord> {
  const fromMs = Date.now();
  const done = (detail: string, pid: number | undefined): FaultRecord => ({
    name: 'consumer SIGKILL',
    fromMs,
    toMs: Date.now(),
    detail: pid === undefined ? `no consumer alive to kill (${detail})` : `pid ${pid} ${detail}`,
  });
  if (point === 'now') return done(KILL_POINTS.now, consumer.killNow());
  const pid = await new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => {
      proxy.watchInsert('events', {});
      resolve(undefined);
    }, 30_000);
    const kill = () => {
      clearTimeout(timer);
      resolve(consumer.killNow());
    };
    if (point === 'request') {
      proxy.watchInsert('events', { onRequest: () => setTimeout(kill, Math.random() * 20) });
    } else if (point === 'executed') {
      proxy.watchInsert('events', {
        onResponse: () => {
          kill();
          return 'discard';
        },
      });
    } else {
      proxy.watchInsert('events', {
        onResponse: () => {
          setTimeout(kill, 2);
          return 'forward';
        },
      });
    }
  });
  if (pid === undefined) {
    return done(`(no insert seen within 30 s; killed idle)`, consumer.killNow());
  }
  return done(KILL_POINTS[point], pid);
}

/** Both store proxies refuse connections, then cut every answer, then pass again. */
export async function storeOutage(
  proxies: StoreProxy[],
  ms: number,
  during: () => Promise<void>,
): Promise<FaultRecord> {
  const fromMs = Date.now();
  const refuseMs = Math.round(ms * 0.6);
  for (const proxy of proxies) await proxy.setMode('refuse');
  const meanwhile = during();
  await sleep(refuseMs);
  for (const proxy of proxies) await proxy.setMode('drop');
  await sleep(ms - refuseMs);
  for (const proxy of proxies) await proxy.setMode('pass');
  await meanwhile;
  return {
    name: 'store unavailable',
    fromMs,
    toMs: Date.now(),
    detail: `connections refused for ${(refuseMs / 1000).toFixed(0)} s, then every answer cut (requests run, clients never told) for ${((ms - refuseMs) / 1000).toFixed(0)} s`,
  };
}

export async function brokersDown(broker: MockBroker, ms: number): Promise<FaultRecord> {
  const fromMs = Date.now();
  for (let id = 1; id <= BROKERS; id += 1) await broker.command(`down ${id}`);
  await sleep(ms);
  for (let id = 1; id <= BROKERS; id += 1) await broker.command(`up ${id}`);
  return {
    name: 'broker down',
    fromMs,
    toMs: Date.now(),
    detail: `all ${BROKERS} brokers down for ${(ms / 1000).toFixed(0)} s, then up`,
  };
}

/**
 * Broker 1 (the group's coordinator, and leader of some partitions) goes down; after a
 * few seconds its partitions' leadership and the group's coordination move to broker 2,
 * as a cluster's controller would do; later broker 1 comes back (as a follower).
 */
export async function failover(
  broker: MockBroker,
  admin: () => Admin,
  ms: number,
): Promise<FaultRecord> {
  const fromMs = Date.now();
  let led: { topic: string; partition: number }[] = [];
  try {
    const metadata = await withTimeout(5000, () =>
      admin().fetchTopicMetadata({ topics: [TOPICS.predictions, TOPICS.labels] }),
    );
    led = metadata.topics.flatMap((topic) =>
      topic.partitions
        .filter((p) => p.leader === 1)
        .map((p) => ({ topic: topic.name, partition: p.partitionId })),
    );
  } catch {
    led = [];
  }
  await broker.command('down 1');
  await sleep(Math.min(3000, ms / 3));
  for (const { topic, partition } of led) await broker.command(`leader ${topic} ${partition} 2`);
  await broker.command(`coordinator ${GROUP} 2`);
  await sleep(ms - Math.min(3000, ms / 3));
  await broker.command('up 1');
  return {
    name: 'broker failover',
    fromMs,
    toMs: Date.now(),
    detail: `broker 1 down; after ${(Math.min(3000, ms / 3) / 1000).toFixed(0)} s its ${led.length} partitions and the group's coordinator moved to broker 2; broker 1 back after ${(ms / 1000).toFixed(0)} s`,
  };
}

/**
 * Scale-out: a second consumer joins the group (a rebalance hands it some partitions while
 * the first may still be writing batches of them), works for `ms`, then stops gracefully
 * (SIGTERM: finishes and commits what it holds, leaves; another rebalance).
 */
export async function scaleOut(
  startSecond: () => SupervisedProcess,
  ms: number,
): Promise<FaultRecord> {
  const fromMs = Date.now();
  const second = startSecond();
  await sleep(ms);
  await second.stop();
  const ends = second.incarnations.map((i) => `pid ${i.pid} ${i.end ?? 'running'}`);
  return {
    name: 'consumer scale-out',
    fromMs,
    toMs: Date.now(),
    detail: `a second consumer joined the group for ${(ms / 1000).toFixed(0)} s (a rebalance each way), then stopped with SIGTERM (${ends.join(', ')})`,
  };
}
