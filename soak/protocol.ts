/** What the soak's producer process and the harness say to each other (IPC). */

export interface ProducerSettings {
  bootstrap: string;
  topics: { predictions: string; labels: string };
  partitions: { predictions: number; labels: number };
  /** Good predictions per second, steady. */
  rate: number;
  /** One message in this many is a hostile one (100: 1%). */
  badEvery: number;
  /** One label per this many good predictions. */
  labelEvery: number;
  /** A 120-month batch this often. */
  monthsEveryMs: number;
  seed: number;
}

/** One hostile message (or a 120-month batch) acknowledged by the broker. */
export interface Injection {
  cls: string;
  /** The dead-letter reason it must get, or 'stored'. */
  expect: string;
  /** SHA-256 of the payload: how its dead letter is found. */
  sha256: string;
  /** For classes expected to be stored: the event ids that must be in `events`. */
  eventIds: string[];
}

export interface ProducerProgress {
  type: 'progress' | 'done';
  /** Good predictions g-0 .. g-(goodAcked-1) are acknowledged by the broker. */
  goodAcked: number;
  /** Labels for p-g-0, p-g-<labelEvery>, ... acknowledged: this many. */
  labelsAcked: number;
  /** Injections acknowledged since the previous report. */
  injections: Injection[];
  /** Messages made and not yet acknowledged (waiting while sends fail). */
  pending: number;
  sendFailures: number;
  lastError: string | null;
  /** Messages acknowledged, by the codec their batch was sent with (issue 18.9: every codec). */
  acknowledgedByCodec: Partial<Record<KafkaCodecName, number>>;
}

/** Kafka's codecs, which the producer's sends take in turn. */
export const KAFKA_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCodecName = (typeof KAFKA_CODECS)[number];

export type HarnessCommand = { type: 'stop' };
