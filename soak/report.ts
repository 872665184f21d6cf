import os from 'node:os';
import type { SummaryGrains } from './counts.js';
import { KAFKA_CODECS } from './protocol.js';
import { longestStall, type Stall } from './tally.js';
import type { RssSample, SoakResult } from './soak.js';

/** What the soak prints and records: the figures, then the verdict. */

export interface Verdict {
  ok: boolean;
  failures: string[];
}

export function verdictOf(result: SoakResult): Verdict {
  const failures: string[] = [];
  if (result.events.lost > 0) failures.push(`${result.events.lost} acknowledged predictions lost`);
  if (result.labels.lost > 0) failures.push(`${result.labels.lost} acknowledged labels lost`);
  if (result.events.doubleCounted > 0)
    failures.push(`${result.events.doubleCounted} events counted twice`);
  if (result.labels.doubleCounted > 0)
    failures.push(`${result.labels.doubleCounted} labels counted twice`);
  if (result.deadLetters.doubleCounted > 0)
    failures.push(`${result.deadLetters.doubleCounted} dead letters counted twice`);
  const summaryFailure = summariesDiffer(result.summaries);
  if (summaryFailure) failures.push(`Kafka store: ${summaryFailure}`);
  const http = result.http;
  if (http) {
    const events = http.counts.events;
    if (events.lost > 0) failures.push(`${events.lost} acknowledged HTTP events lost`);
    if (events.doubleCounted > 0)
      failures.push(`${events.doubleCounted} HTTP events counted twice`);
    const httpSummaries = summariesDiffer(http.counts.summaries);
    if (httpSummaries) failures.push(`HTTP store: ${httpSummaries}`);
    if (http.kills.filter((kill) => /^pid \d+/.test(kill.detail)).length === 0)
      failures.push('the HTTP ingest service was never killed');
  }
  if (!result.injections.ok) failures.push('hostile messages not handled as expected (see table)');
  const open = result.stalls.filter((stall) => stall.open);
  if (!result.drained || open.length > 0)
    failures.push(
      `the consumer did not catch up by the end (${open.map((s) => s.partition).join(', ') || 'lag left'})`,
    );
  if (result.retentionOvertook.length > 0)
    failures.push(
      `the broker dropped unread messages (5 MiB per partition) on ${result.retentionOvertook.join(', ')}: lower --rate`,
    );
  if (result.monitorRuns.runs === 0) failures.push('the monitors never ran');
  const unused = KAFKA_CODECS.filter((codec) => !result.producer.acknowledgedByCodec[codec]);
  if (unused.length > 0)
    failures.push(`no message was acknowledged with the codec(s) ${unused.join(', ')}`);
  if (result.producer.exitCode !== 0)
    failures.push(`the producer exited with ${result.producer.exitCode}: its counts are partial`);
  return { ok: failures.length === 0, failures };
}

/** What differs between the summaries and the stored events, or undefined when nothing does. */
function summariesDiffer(summaries: SummaryGrains): string | undefined {
  const differing = Object.entries(summaries.tables).filter(
    ([, table]) => table.differing > 0 || table.summarized !== summaries.distinctEvents,
  );
  if (differing.length === 0) return undefined;
  return `the drift summaries differ from the ${summaries.distinctEvents} distinct events stored: ${differing
    .map(
      ([name, table]) =>
        `${name} counts ${table.summarized} (${table.differing} grains differ${table.sample[0] ? `, e.g. ${table.sample[0]}` : ''})`,
    )
    .join('; ')}`;
}

function at(result: SoakResult, ms: number): string {
  const seconds = Math.round((ms - result.startedMs) / 1000);
  return `+${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function loads(values: readonly number[]): string {
  return values.map((value) => value.toFixed(2)).join(' / ');
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

function faultsDuring(result: SoakResult, stall: Stall): string {
  const names = result.faults
    .filter((fault) => fault.fromMs <= stall.toMs && fault.toMs + 5000 >= stall.fromMs)
    .map((fault) => fault.name);
  return names.length > 0 ? [...new Set(names)].join(', ') : 'no fault running';
}

/** RSS of one process every `stepMs`, the sample nearest each step. */
function rssSeries(samples: readonly RssSample[], process: RssSample['process'], stepMs: number) {
  const own = samples.filter((sample) => sample.process === process);
  const series: RssSample[] = [];
  for (const sample of own) {
    const last = series.at(-1);
    if (!last || sample.atMs - last.atMs >= stepMs) series.push(sample);
  }
  return series;
}

function rssPerIncarnation(samples: readonly RssSample[], process: RssSample['process']) {
  const byPid = new Map<number, number[]>();
  for (const sample of samples) {
    if (sample.process !== process) continue;
    let list = byPid.get(sample.pid);
    if (!list) byPid.set(sample.pid, (list = []));
    list.push(sample.mib);
  }
  return [...byPid].map(([pid, values]) => ({
    pid,
    first: values[0]!,
    max: Math.max(...values),
    last: values.at(-1)!,
    samples: values.length,
  }));
}

/** The figures as Markdown: printed, and appended to docs/RELIABILITY.md. */
export function renderMarkdown(result: SoakResult, command: string): string {
  const verdict = verdictOf(result);
  return [
    ...header(result, command, verdict),
    ...ledgerSection(result),
    ...httpSection(result),
    ...injectionSection(result),
    ...faultSection(result),
    ...processSection(result),
    ...memorySection(result),
    verdict.ok
      ? '**Verdict: passed** — nothing lost, nothing counted twice, the summaries equal to the stored events, every hostile message where it belongs.'
      : `**Verdict: FAILED** — ${verdict.failures.join('; ')}.`,
    '',
  ].join('\n');
}

function header(result: SoakResult, command: string, verdict: Verdict): string[] {
  const minutes = ((result.endedMs - result.startedMs) / 60_000).toFixed(1);
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const when = new Date(result.startedMs).toISOString().slice(0, 16).replace('T', ' ');
  return [
    `### ${when} UTC — ${verdict.ok ? 'passed' : 'FAILED'}`,
    '',
    `\`${command}\` — a ${result.options.minutes}-min run: ${result.options.rate} good ` +
      `predictions/s over Kafka${result.http ? ` and ${result.http.rate} events/s over HTTP` : ''} ` +
      `and the faults for its first 90%, then the consumer catching up ` +
      `(${minutes} min in all); consumers with ` +
      `\`KAFKA_SESSION_TIMEOUT_MS=${result.options.sessionTimeoutMs}\`.`,
    `Machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `node ${process.version}; load (1/5/15 min) before ${loads(result.load.before)}, after ` +
      `${loads(result.load.after)}, 1-min load averaged over the run ` +
      `${mean(result.load.samples).toFixed(2)} (shared with other work).`,
    '',
  ];
}

function ledgerSection(result: SoakResult): string[] {
  const row = (name: string, ledger: SoakResult['labels']) =>
    `| ${name} | ${ledger.produced} | ${ledger.stored} | **${ledger.lost}** | ` +
    `**${ledger.doubleCounted}** (table: ${ledger.counts.rows} rows, ${ledger.counts.distinct} ` +
    `distinct; view: ${ledger.counts.inserted} inserted) |`;
  const dead = result.deadLetters;
  const lines = [
    '| | produced (acknowledged) | stored | lost | double-counted |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('good predictions', result.events),
    row('labels', result.labels),
    `| dead letters | ${result.producer.injections.length} hostile (1 in 100) | ${dead.rows} rows | — | ` +
      `**${dead.doubleCounted}** (${dead.counts.distinct} distinct; view: ${dead.counts.inserted} inserted) |`,
    '',
  ];
  lines.push(
    `Drift summaries (the materialized views of migrations 0006, 0009 and 0011, fed by every insert ` +
      `into \`events\`): ${summaryLine(result.summaries)} (good, hostile-but-stored and 120-month ` +
      `events); ${result.summaries.rebuilds} rebuilds.`,
    '',
  );
  if (result.events.missingSample.length > 0)
    lines.push(`Missing (first 20): ${result.events.missingSample.join(', ')}`, '');
  lines.push(
    `Producer: ${result.producer.sendFailures} failed sends, each sent again whole (duplicates ` +
      `in the topic for the consumer to absorb); ${result.producer.pending} messages still ` +
      `unacknowledged at the end; ${result.events.unacknowledgedStored} events stored whose send ` +
      'was never acknowledged (not counted as produced).',
    `Codecs: the producer's sends take Kafka's codecs in turn; messages acknowledged by codec: ${KAFKA_CODECS.map(
      (codec) => `${codec} ${result.producer.acknowledgedByCodec[codec] ?? 0}`,
    ).join(', ')}.`,
    '',
  );
  return lines;
}

/** Events each summary grain counts against the distinct stored events, and grains that differ. */
function summaryLine(summaries: SummaryGrains): string {
  const tables = Object.entries(summaries.tables)
    .map(
      ([name, table]) =>
        `${table.summarized} in \`${name}\` (${table.differing} of its grains differ)`,
    )
    .join(', ');
  return `events counted: ${tables}, for ${summaries.distinctEvents} distinct events stored`;
}

function httpSection(result: SoakResult): string[] {
  const http = result.http;
  if (!http) return [];
  const events = http.counts.events;
  const ended = http.incarnations.filter((i) => i.end !== undefined);
  const killed = ended.filter((i) => i.end === 'SIGKILL (soak)').length;
  const answers = Object.entries(http.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([status, n]) => `${status} ×${n}`)
    .join(', ');
  const kills = http.kills.map((kill) => `${at(result, kill.atMs)} ${kill.detail}`).join('; ');
  return [
    `**HTTP ingest** (\`serve --role api\` on an embedded store of its own, so a SIGKILL takes ` +
      `the engine down mid-insert; ${http.rate} events/s posted as NDJSON bodies of 500 and 6,000 ` +
      `events, each resent whole until answered 200):`,
    '',
    '| | acknowledged | stored | lost | double-counted |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| HTTP events | ${events.produced} | ${events.stored} | **${events.lost}** | ` +
      `**${events.doubleCounted}** (table: ${events.rows} rows, ${events.distinct} distinct; ` +
      `summaries: see below) |`,
    '',
    `Its drift summaries: ${summaryLine(http.counts.summaries)}.` +
      `${events.missingSample.length > 0 ? ` Missing (first 20): ${events.missingSample.join(', ')}.` : ''}`,
    `${http.bodies} bodies, ${http.resends} sends again after a failed one; answers: ${answers}. ` +
      `${http.incarnations.length} service processes, ${killed} SIGKILLed by the soak: ${kills}. ` +
      `Gaps the restarts found and repaired (\`summary gap repaired\` log lines): ${http.repairsLogged}.`,
    '',
  ];
}

function injectionSection(result: SoakResult): string[] {
  const lines = [
    '| hostile class | expected | injected | as expected | other outcome | missing |',
    '| --- | --- | ---: | ---: | --- | ---: |',
  ];
  for (const c of result.injections.classes) {
    const other = Object.entries(c.otherReasons).map(([reason, n]) => `${reason} ${n}`);
    const expected = c.expect === 'stored' ? 'stored' : `\`${c.expect}\``;
    lines.push(
      `| ${c.cls} | ${expected} | ${c.injected} | ${c.asExpected} | ${other.join(', ') || '—'} | ${c.missing} |`,
    );
  }
  const byReason = Object.entries(result.deadLetters.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `\`${reason}\` ${n}`);
  const unexpected = Object.entries(result.injections.unexpected).map(([r, n]) => `${r} ${n}`);
  lines.push(
    '',
    `Dead letters by reason: ${byReason.join(', ') || 'none'}. Dead letters of good messages: ` +
      `${unexpected.join(', ') || 'none'}. Features of 1e309 stored as +inf: ${result.infinitiesStored}.`,
    '',
  );
  return lines;
}

function faultSection(result: SoakResult): string[] {
  const lines = [
    '| at | fault | what | every partition consuming again after |',
    '| --- | --- | --- | ---: |',
  ];
  for (const fault of result.faults) {
    const after = fault.progressAfterMs === undefined ? 'never' : seconds(fault.progressAfterMs);
    lines.push(`| ${at(result, fault.fromMs)} | ${fault.name} | ${fault.detail} | ${after} |`);
  }
  const longest = longestStall(result.stalls);
  const stall = longest
    ? `${seconds(longest.toMs - longest.fromMs)} on ${longest.partition}, ` +
      `${at(result, longest.fromMs)}–${at(result, longest.toMs)} (${faultsDuring(result, longest)})` +
      `${longest.open ? ', **never ended**' : ''}`
    : 'none';
  lines.push(
    '',
    `**Longest stall** (a partition with lag and no committed progress, sampled every second): ` +
      `${stall}. ${result.drained ? 'The consumer caught up with everything produced.' : '**The consumer did not catch up.**'}`,
    '',
  );
  return lines;
}

function processSection(result: SoakResult): string[] {
  const ended = result.consumer.incarnations.filter((i) => i.end !== undefined);
  const killed = ended.filter((i) => i.end === 'SIGKILL (soak)').length;
  const selfExits = ended.filter((i) => i.end !== 'SIGKILL (soak)' && i.end !== 'exit 0');
  const readiness = result.consumer.readiness;
  const reasons = [...new Set(readiness.map((r) => shortDetail(r.detail)))]
    .slice(0, 3)
    .map((d) => `“${d}”`);
  const notReady =
    readiness.length === 0
      ? 'never said not ready'
      : `said not ready ${readiness.length} times, the longest for ` +
        `${seconds(Math.max(...readiness.map((r) => r.toMs - r.fromMs)))}; reasons: ${reasons.join('; ')}`;
  const statuses = Object.entries(result.monitorRuns.byStatus).map(([s, n]) => `${s} ${n}`);
  const failures = result.scheduler.failures;
  return [
    `Consumer: ${result.consumer.incarnations.length} processes (\`serve --role ingest --kafka\`), ` +
      `${killed} SIGKILLed by the soak, ${selfExits.length} exited by themselves` +
      `${selfExits.length ? ` (${summarize(selfExits.map((i) => i.end ?? ''))})` : ''}; its /readyz ${notReady}.`,
    `Monitors (\`serve --role scheduler\`, every minute on the same events): ` +
      `${result.monitorRuns.runs} windows evaluated (${statuses.join(', ')}), ${missedWindows(result)}; ` +
      `${failures.length} failed runs reported${failures.length ? ` (first: ${failures[0]?.slice(0, 200)})` : ''}; ` +
      `${result.scheduler.incarnations.length} scheduler process(es).`,
    '',
  ];
}

function memorySection(result: SoakResult): string[] {
  const series = rssSeries(result.rss, 'consumer', 30_000).map(
    (sample) => `${at(result, sample.atMs)} ${sample.mib.toFixed(0)}`,
  );
  const perProcess = rssPerIncarnation(result.rss, 'consumer').map(
    (p) => `${p.pid}: ${p.first.toFixed(0)} / ${p.max.toFixed(0)} / ${p.last.toFixed(0)}`,
  );
  const peak = (process: RssSample['process']) =>
    Math.max(0, ...result.rss.filter((s) => s.process === process).map((s) => s.mib)).toFixed(0);
  return [
    `**Peak RSS**: consumer ${peak('consumer')} MiB, scheduler ${peak('scheduler')} MiB, ` +
      `the soak's own process ${peak('store')} MiB (it holds the embedded store, the proxies ` +
      'and the observers).',
    `**RSS of the consumer** (MiB, sampled every 2 s; shown every 30 s): ${series.join(', ')}.`,
    `Per consumer process (pid: first / max / last): ${perProcess.join('; ')}.`,
    '',
  ];
}

/** "exit 1 ×7, signal SIGTERM" */
function summarize(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => (n > 1 ? `${item} ×${n}` : item)).join(', ');
}

function missedWindows(result: SoakResult): string {
  const missed = result.monitorRuns.missedWindows;
  if (missed.length === 0) return 'no minute missed';
  return `**${missed.length} minute window(s) never evaluated** (ending ${missed.map((ms) => at(result, ms)).join(', ')})`;
}

function shortDetail(detail: string): string {
  try {
    const parsed = JSON.parse(detail) as {
      checks?: Record<string, { ok: boolean; detail?: string }>;
    };
    const failing = Object.entries(parsed.checks ?? {}).filter(([, check]) => !check.ok);
    if (failing.length > 0)
      return failing
        .map(([name, check]) => `${name}: ${check.detail ?? 'not ok'}`)
        .join('; ')
        .slice(0, 160);
  } catch {
    // not JSON: as it came
  }
  return detail.slice(0, 160);
}
