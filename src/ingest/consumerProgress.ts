/**
 * Whether a consumer group makes progress, from what the brokers say alone: each
 * partition's high watermark and the group's committed offset. A partition with lag whose
 * committed offset has not advanced for `stallAfterMs` is stalled — a poison message
 * retried forever, a store that refuses every insert, a consumer that crashes and restarts
 * without committing, no consumer at all. "No data" is not a stall: a partition without
 * lag is caught up, however quiet. Pure: the lag monitor feeds it observations and a clock.
 */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** The partition's high watermark: the offset the next message will get. */
  high: number;
  /** Its first offset still kept. */
  low: number;
  /** The group's committed offset (the next to consume); -1 when it never committed. */
  committed: number;
}

export interface PartitionState {
  topic: string;
  partition: number;
  /**
   * Where the group resumes: its committed offset, or the partition's start when it
   * committed nothing there (or only offsets the partition no longer keeps).
   */
  committed: number;
  highWatermark: number;
  lag: number;
  /** When the committed offset last advanced, or the partition was last caught up. */
  lastProgressMs: number;
  stalled: boolean;
}

export interface ProgressReport {
  partitions: PartitionState[];
  stalled: boolean;
  /** When the offsets could last be read (the brokers answered). */
  lastObservedMs: number | undefined;
}

export interface ConsumerProgress {
  /** The offsets of every partition of the group's topics; returns those no longer there. */
  observe(offsets: readonly PartitionOffsets[]): { gone: [string, number][] };
  /** All partitions, or those `holds` keeps (one consumer's assignment). */
  report(holds?: (topic: string, partition: number) => boolean): ProgressReport;
}

export function createConsumerProgress(options: {
  stallAfterMs: number;
  now?: () => number;
}): ConsumerProgress {
  const now = options.now ?? Date.now;
  const partitions = new Map<string, Omit<PartitionState, 'lag' | 'stalled'>>();
  let lastObservedMs: number | undefined;

  return {
    observe(offsets) {
      const at = now();
      lastObservedMs = at;
      const seen = new Set<string>();
      for (const offset of offsets) {
        const key = `${offset.topic}/${offset.partition}`;
        seen.add(key);
        const resumesAt = Math.max(offset.committed, offset.low);
        const state = partitions.get(key);
        if (!state) {
          partitions.set(key, {
            topic: offset.topic,
            partition: offset.partition,
            committed: resumesAt,
            highWatermark: offset.high,
            lastProgressMs: at,
          });
          continue;
        }
        if (resumesAt > state.committed || offset.high <= resumesAt) state.lastProgressMs = at;
        state.committed = resumesAt;
        state.highWatermark = offset.high;
      }
      const gone: [string, number][] = [];
      for (const [key, state] of partitions) {
        if (seen.has(key)) continue;
        partitions.delete(key);
        gone.push([state.topic, state.partition]);
      }
      return { gone };
    },
    report(holds) {
      const at = now();
      const states = [...partitions.values()]
        .filter((state) => !holds || holds(state.topic, state.partition))
        .map((state) => {
          const lag = Math.max(0, state.highWatermark - state.committed);
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
