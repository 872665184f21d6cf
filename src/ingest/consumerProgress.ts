/**
 * Whether a consumer makes progress, from what it commits and what the broker reports:
 * a partition with lag that has committed nothing for `stallAfterMs` is stalled — a
 * poison message retried forever, a store that refuses every insert, a consumer stuck in
 * its loop. "No data" is not a stall: a partition without lag is caught up, however quiet.
 * Pure: the Kafka module feeds it observations and a clock.
 */
export interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to consume, as committed; -1 when the group has committed nothing yet. */
  committed: number;
  /** The partition's high watermark when last observed; -1 when unknown. */
  highWatermark: number;
  lag: number;
  /** When the committed offset last advanced, or the partition was last caught up. */
  lastProgressMs: number;
  stalled: boolean;
}

export interface ProgressReport {
  partitions: PartitionState[];
  stalled: boolean;
  /** When the watermarks could last be read (the broker answered). */
  lastObservedMs: number | undefined;
}

export interface ConsumerProgress {
  assign(assignment: Record<string, readonly number[]>): { revoked: [string, number][] };
  committed(topic: string, partition: number, nextOffset: number): void;
  observe(
    watermarks: Record<string, Record<number, { high: number; low: number; committed: number }>>,
  ): void;
  report(): ProgressReport;
}

export function createConsumerProgress(options: {
  stallAfterMs: number;
  now?: () => number;
}): ConsumerProgress {
  const now = options.now ?? Date.now;
  const partitions = new Map<string, Omit<PartitionState, 'lag' | 'stalled'>>();
  let lastObservedMs: number | undefined;
  const keyOf = (topic: string, partition: number) => `${topic}/${partition}`;

  return {
    assign(assignment) {
      const next = new Set<string>();
      for (const [topic, numbers] of Object.entries(assignment)) {
        for (const partition of numbers) {
          const key = keyOf(topic, partition);
          next.add(key);
          if (!partitions.has(key)) {
            partitions.set(key, {
              topic,
              partition,
              committed: -1,
              highWatermark: -1,
              lastProgressMs: now(),
            });
          }
        }
      }
      const revoked: [string, number][] = [];
      for (const [key, state] of partitions) {
        if (next.has(key)) continue;
        partitions.delete(key);
        revoked.push([state.topic, state.partition]);
      }
      return { revoked };
    },
    committed(topic, partition, nextOffset) {
      const state = partitions.get(keyOf(topic, partition));
      if (!state || nextOffset <= state.committed) return;
      state.committed = nextOffset;
      state.lastProgressMs = now();
    },
    observe(watermarks) {
      lastObservedMs = now();
      for (const state of partitions.values()) {
        const seen = watermarks[state.topic]?.[state.partition];
        if (!seen) continue;
        state.highWatermark = seen.high;
        // The group's committed offset (another member's, before this one joined) or,
        // when nothing was ever committed, the partition's start.
        const committed = Math.max(
          seen.committed,
          state.committed,
          seen.committed < 0 ? seen.low : -1,
        );
        if (committed > state.committed) {
          state.committed = committed;
          state.lastProgressMs = now();
        }
        if (state.highWatermark - state.committed <= 0) state.lastProgressMs = now();
      }
    },
    report() {
      const at = now();
      const states = [...partitions.values()].map((state) => {
        const lag =
          state.highWatermark < 0 ? 0 : Math.max(0, state.highWatermark - state.committed);
        return {
          ...state,
          lag,
          stalled: lag > 0 && at - state.lastProgressMs > options.stallAfterMs,
        };
      });
      return {
        partitions: states,
        stalled: states.some((state) => state.stalled),
        lastObservedMs,
      };
    },
  };
}
