import { describe, expect, it } from 'vitest';
import { loadIngestConfig, loadKafkaConfig } from './config.js';

describe('the ingest section of the configuration', () => {
  it('has documented defaults', () => {
    expect(loadIngestConfig({})).toEqual({
      maxEventBytes: 1024 * 1024,
      maxBodyBytes: 64 * 1024 * 1024,
      maxDepth: 32,
      earliestEventMs: Date.UTC(2000, 0, 1),
      maxFutureSkewMs: 3_600_000,
      deadLetterPayloadBytes: 64 * 1024,
      httpConcurrency: 8,
      stallAfterMs: 60_000,
      lingerMessages: 20_000,
      lingerMs: 200,
      httpLingerMs: 200,
      finerGraceMs: 120_000,
      retention: {
        eventsDays: 0,
        deadLettersDays: 30,
        fiveMinuteSummaryDays: 0,
        hourSummaryDays: 0,
        finerSummaryDays: 35,
      },
    });
  });

  it('reads every setting from the environment', () => {
    const config = loadIngestConfig({
      DRIFTWATCH_MAX_EVENT_BYTES: '2048',
      DRIFTWATCH_MAX_BODY_BYTES: '4096',
      DRIFTWATCH_MAX_EVENT_DEPTH: '8',
      DRIFTWATCH_EARLIEST_EVENT_TIME: '2020-01-01T00:00:00Z',
      DRIFTWATCH_MAX_FUTURE_SKEW_SECONDS: '60',
      DRIFTWATCH_DEAD_LETTER_PAYLOAD_BYTES: '512',
      DRIFTWATCH_HTTP_INGEST_CONCURRENCY: '3',
      DRIFTWATCH_KAFKA_STALL_SECONDS: '10',
      DRIFTWATCH_INGEST_LINGER_MESSAGES: '5000',
      DRIFTWATCH_INGEST_LINGER_MS: '0',
      DRIFTWATCH_INGEST_HTTP_LINGER_MS: '30',
      DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES: '3',
      DRIFTWATCH_EVENTS_RETENTION_DAYS: '400',
      DRIFTWATCH_DEAD_LETTERS_RETENTION_DAYS: '0',
      DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS: '35',
      DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS: '400',
      DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS: '10',
    });
    expect(config).toEqual({
      maxEventBytes: 2048,
      maxBodyBytes: 4096,
      maxDepth: 8,
      earliestEventMs: Date.UTC(2020, 0, 1),
      maxFutureSkewMs: 60_000,
      deadLetterPayloadBytes: 512,
      httpConcurrency: 3,
      stallAfterMs: 10_000,
      lingerMessages: 5000,
      lingerMs: 0,
      httpLingerMs: 30,
      finerGraceMs: 180_000,
      retention: {
        eventsDays: 400,
        deadLettersDays: 0,
        fiveMinuteSummaryDays: 35,
        hourSummaryDays: 400,
        finerSummaryDays: 10,
      },
    });
  });

  it('refuses a linger beyond its bounds, naming the setting', () => {
    expect(() => loadIngestConfig({ DRIFTWATCH_INGEST_LINGER_MESSAGES: '25001' })).toThrow(
      'DRIFTWATCH_INGEST_LINGER_MESSAGES must be at most 25000, got 25001',
    );
    expect(() => loadIngestConfig({ DRIFTWATCH_INGEST_LINGER_MESSAGES: '0' })).toThrow(
      'DRIFTWATCH_INGEST_LINGER_MESSAGES must be an integer >= 1',
    );
    expect(() => loadIngestConfig({ DRIFTWATCH_INGEST_LINGER_MS: '1001' })).toThrow(
      'DRIFTWATCH_INGEST_LINGER_MS must be at most 1000, got 1001',
    );
  });

  it("refuses an earliest event time before 1970, where the summaries' grains wrap around", () => {
    expect(() =>
      loadIngestConfig({ DRIFTWATCH_EARLIEST_EVENT_TIME: '1969-12-31T23:59:59Z' }),
    ).toThrow(/DRIFTWATCH_EARLIEST_EVENT_TIME must not be before 1970-01-01T00:00:00Z/);
    expect(
      loadIngestConfig({ DRIFTWATCH_EARLIEST_EVENT_TIME: '1970-01-01T00:00:00Z' }).earliestEventMs,
    ).toBe(0);
  });

  it('refuses hour summaries that would expire before the five-minute ones', () => {
    const message =
      /DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS \((40|0 = forever)\) must not exceed DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS \(30\)/;
    expect(() =>
      loadIngestConfig({
        DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS: '40',
        DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS: '30',
      }),
    ).toThrow(message);
    expect(() => loadIngestConfig({ DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS: '30' })).toThrow(message);
    expect(
      loadIngestConfig({ DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS: '30' }).retention,
    ).toMatchObject({ fiveMinuteSummaryDays: 30, hourSummaryDays: 0 });
  });

  it('keeps the finer cells no longer than the hour summaries', () => {
    const retention = (env: Record<string, string>) => loadIngestConfig(env).retention;
    expect(retention({})).toMatchObject({ hourSummaryDays: 0, finerSummaryDays: 35 });
    const hour = {
      DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS: '7',
      DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS: '14',
    };
    expect(retention(hour)).toMatchObject({ finerSummaryDays: 14 });
    expect(retention({ ...hour, DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS: '0' })).toMatchObject({
      finerSummaryDays: 14,
    });
    expect(retention({ ...hour, DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS: '3' })).toMatchObject({
      finerSummaryDays: 3,
    });
    expect(retention({ DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS: '0' })).toMatchObject({
      finerSummaryDays: 0,
    });
  });

  it.each([
    [
      'DRIFTWATCH_MAX_EVENT_BYTES',
      '1e6',
      /DRIFTWATCH_MAX_EVENT_BYTES must be an integer >= 1024, got "1e6"/,
    ],
    ['DRIFTWATCH_EVENTS_RETENTION_DAYS', '-1', /must be an integer >= 0/],
    ['DRIFTWATCH_EARLIEST_EVENT_TIME', 'last year', /must be an RFC 3339 time/],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadIngestConfig({ [name]: value })).toThrow(message);
  });
});

describe('the Kafka section of the configuration', () => {
  it('takes the consumer session timeout, heartbeating every third of it (at most every 3 s)', () => {
    expect(loadKafkaConfig({})).toMatchObject({ sessionTimeout: 30_000, heartbeatInterval: 3000 });
    expect(loadKafkaConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' })).toMatchObject({
      sessionTimeout: 6000,
      heartbeatInterval: 2000,
    });
    expect(() => loadKafkaConfig({ KAFKA_SESSION_TIMEOUT_MS: '6s' })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS must be an integer >= 1000, got "6s"/,
    );
  });
});
