// The dashboard, drawn in the browser from the JSON API (no data is embedded in the pages).
// Plain JavaScript and uPlot, both served by driftwatch itself: nothing comes from a CDN.
'use strict';

const COLORS = { ok: '#2e7d32', warn: '#ef8f00', critical: '#c62828', muted: '#9ca3af' };
const SEVERITY = {
  critical: 0,
  warn: 1,
  no_data: 2,
  insufficient_data: 3,
  awaiting_data: 4,
  unknown: 4,
  ok: 5,
};

/**
 * One call to the JSON API. A failure says what was asked (`error.request`: "GET /v1/..."),
 * with the service's own message, or that the service could not be reached at all.
 */
async function api(path, init) {
  const request = `${(init && init.method) || 'GET'} ${path.split('?')[0]}`;
  let response;
  try {
    response = await fetch(path, {
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(init && init.body ? { 'content-type': 'application/json' } : {}),
      },
      ...init,
    });
  } catch {
    const error = new Error('the service did not answer (network error or the service is down)');
    error.request = request;
    throw error;
  }
  if (response.status === 401) {
    window.location.href = `/login?next=${encodeURIComponent(window.location.pathname)}`;
    throw new Error('not logged in');
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((body && body.error) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.code = body && body.code;
    error.request = request;
    throw error;
  }
  return body;
}

/** What failed, in words: "Could not load the labels chart: ... (GET /v1/models/x/labels)." */
function failure(what, error) {
  return el(
    'p',
    { class: 'error', 'data-failed': what },
    `Could not load ${what}: ${error.message}${error.request ? ` (${error.request})` : ''}.`,
  );
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

const badge = (status) => el('span', { class: `status ${status}`, 'data-status': status }, status);
const fmt = (value) =>
  value === null || value === undefined
    ? '–'
    : Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 0.001)
      ? value.toExponential(3)
      : value.toFixed(4);
const time = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z') : '–');
/** Time axes in UTC, as every time on the page, whatever the browser's own zone. */
const utc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
/**
 * A time axis whose tick labels are UTC ISO times, as every time on the page (uPlot's own are
 * the browser's "2:00pm 12/6/26"). The labels drawn are kept on the chart's node, for tests.
 */
const utcAxis = (node) => ({
  space: 130,
  values: (_u, ticks) => {
    const labels = ticks.map((t) => time(new Date(t * 1000).toISOString()));
    node.dataset.xTicks = labels.join('|');
    return labels;
  },
});
/** A time axis value (unix seconds) as the rest of the page writes times: UTC, to the minute. */
const axisTime = (_u, seconds) =>
  seconds === null || seconds === undefined ? '' : time(new Date(seconds * 1000).toISOString());
/** A legend value: blank, not uPlot's "--", while the cursor is off the chart. */
const legendValue = (_u, value) => (value === null || value === undefined ? '' : fmt(value));
/** Every series of a live legend without its own value formatter gets `legendValue`. */
const blankLegend = (series) =>
  series.map((s, i) => (i === 0 || s.value ? s : { ...s, value: legendValue }));
const sliceLabel = (r) => (r.slice_key ? `${r.slice_key}=${r.slice_value}` : r.slice_value);

/** A value from window summaries carries the bracket that contains the exact value. */
const valueText = (row) =>
  (row.value_lower === null || row.value_lower === undefined
    ? fmt(row.value)
    : `${fmt(row.value)} [${fmt(row.value_lower)}, ${fmt(row.value_upper)}]`) +
  // an estimate (CBPE) carries its sampling-error band beside it; estimation_error its estimate
  (row.estimated_value !== null && row.estimated_value !== undefined
    ? ` vs estimate ${fmt(row.estimated_value)}`
    : '') +
  (row.band_lower !== null && row.band_lower !== undefined
    ? ` band [${fmt(row.band_lower)}, ${fmt(row.band_upper)}]`
    : '');
const bracketTitle = (row) =>
  row.value_lower === null || row.value_lower === undefined
    ? 'exact'
    : 'computed from window summaries: the exact value lies in the bracket';

async function overview() {
  const models = await api('/v1/models');
  const body = document.querySelector('#models tbody');
  if (models.length === 0) {
    body.replaceChildren(
      el(
        'tr',
        { class: 'empty' },
        el(
          'td',
          { colspan: 8, class: 'hint', id: 'no-models' },
          'No models: this service has loaded no monitor files (see DRIFTWATCH_MONITORS_DIR).',
        ),
      ),
    );
    await alertsPanel();
    return;
  }
  body.replaceChildren(
    ...models.map((model) =>
      el(
        'tr',
        {
          class: 'clickable',
          'data-model': model.model,
          'data-status': model.status,
          onclick: () =>
            (window.location.href = `/dashboard/models/${encodeURIComponent(model.model)}`),
        },
        el(
          'td',
          {},
          el('a', { href: `/dashboard/models/${encodeURIComponent(model.model)}` }, model.model),
        ),
        el('td', {}, badge(model.status)),
        el('td', { class: 'strips' }, el('span', { class: 'hint' }, '…')),
        el('td', { class: 'incident' }, el('span', { class: 'hint' }, '…')),
        el('td', {}, time(model.last_run && model.last_run.window_end)),
        el(
          'td',
          { class: 'num' },
          model.last_run ? `${model.last_run.breaches} of ${model.last_run.checks}` : '–',
        ),
        el('td', { class: 'num' }, model.runs),
        el(
          'td',
          { title: model.monitor_hash },
          `${model.monitor_file || model.monitor} (${model.monitor_hash.slice(0, 12)})`,
        ),
      ),
    ),
  );
  const now = Date.now();
  await Promise.all(models.map((model) => modelHistory(model.model, now)));
  await alertsPanel();
}

const HOUR = 3_600_000;
/** The overview's strips: the last day in quarter hours, the last week in hours. */
const STRIPS = [
  { name: 'day', span: 24 * HOUR, cells: 96 },
  { name: 'week', span: 7 * 24 * HOUR, cells: 168 },
];

/** A model's last week and last incident, drawn into its overview row. */
async function modelHistory(model, now) {
  const row = document.querySelector(`#models tbody tr[data-model="${CSS.escape(model)}"]`);
  const runs = await runsSince(model, new Date(now - STRIPS[1].span));
  row
    .querySelector('td.strips')
    .replaceChildren(...STRIPS.map((strip) => statusStrip(strip, runs, now)));
  row.querySelector('td.incident').replaceChildren(await lastIncident(model));
}

/** Every evaluated window ending after `from`, newest first (paged; at most 10,000). */
async function runsSince(model, from) {
  const runs = [];
  for (let offset = 0; offset < 10_000; offset += 1000) {
    const query = new URLSearchParams({
      from: from.toISOString(),
      limit: '1000',
      offset: String(offset),
    });
    const page = await api(`/v1/models/${encodeURIComponent(model)}/runs?${query}`);
    runs.push(...page.items);
    if (page.next_offset === null || page.items.length === 0) break;
  }
  return runs;
}

/**
 * One small cell per stretch of time, coloured by the worst status of the windows ending in
 * it; a stretch without any window is drawn empty ("none"), not ok: silence is not health.
 */
function statusStrip(strip, runs, now) {
  const width = strip.span / strip.cells;
  const start = now - strip.span;
  const worst = new Array(strip.cells).fill(null);
  const counts = new Array(strip.cells).fill(0);
  for (const run of runs) {
    const index = Math.floor((Date.parse(run.window_end) - start) / width);
    if (index < 0 || index >= strip.cells) continue;
    counts[index] += 1;
    if (worst[index] === null || SEVERITY[run.status] < SEVERITY[worst[index]])
      worst[index] = run.status;
  }
  const isoMinute = (ms) => time(new Date(ms).toISOString());
  return el(
    'div',
    { class: 'strip', 'data-strip': strip.name, title: `the last ${strip.name}` },
    el('span', { class: 'strip-label' }, strip.name),
    ...worst.map((status, i) =>
      el('span', {
        class: `cell ${status || 'none'}`,
        'data-status': status || 'none',
        'data-windows': counts[i],
        title: `${isoMinute(start + i * width)} – ${isoMinute(start + (i + 1) * width)}: ${
          status ? `${status} (worst of ${counts[i]} windows)` : 'no window'
        }`,
      }),
    ),
  );
}

/**
 * The model's last incident: its open alert that fired last, or else the alert that was
 * resolved last; when, which check, and whether it is still open.
 */
async function lastIncident(model) {
  let page;
  try {
    page = await api(`/v1/alerts?${new URLSearchParams({ model, state: 'firing,resolved' })}`);
  } catch (error) {
    if (error.code === 'DW_NOT_IMPLEMENTED') return el('span', { class: 'hint' }, 'no alerting');
    throw error;
  }
  const newest = (alerts, key) =>
    alerts.reduce((best, a) => (best === null || a[key] > best[key] ? a : best), null);
  const firing = page.items.filter((a) => a.state === 'firing');
  const alert =
    newest(firing, 'since') ??
    newest(
      page.items.filter((a) => a.state === 'resolved'),
      'last_window_end',
    );
  if (!alert) return el('span', { class: 'hint', 'data-incident': 'none' }, 'none');
  const open = alert.state === 'firing';
  return el(
    'a',
    {
      href: alertHref(alert.alert_id),
      'data-incident': alert.alert_id,
      'data-state': alert.state,
      class: open ? 'open' : 'resolved',
    },
    badge(open ? alert.severity : 'ok'),
    ` ${open ? `firing since ${time(alert.since)}` : `resolved, last breach ${time(alert.last_window_end)}`}`,
    ` · ${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice}`,
  );
}

async function alertsPanel(model) {
  const panel = document.getElementById('alerts');
  try {
    const query = new URLSearchParams({
      state: 'pending,firing',
      limit: '50',
      ...(model ? { model } : {}),
    });
    const page = await api(`/v1/alerts?${query}`);
    if (page.items.length === 0) {
      panel.replaceChildren(el('p', { class: 'hint' }, 'No open alerts.'));
      return;
    }
    panel.replaceChildren(
      ...page.items.map((alert) => {
        const acked = alert.acknowledged;
        return el(
          'div',
          {
            class: 'alert',
            'data-alert': alert.alert_id,
            'data-state': acked ? 'acknowledged' : alert.state,
          },
          badge(alert.severity),
          el(
            'span',
            {},
            `${alert.model} · ${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice}`,
          ),
          el('span', { class: 'hint' }, `${alert.state} since ${time(alert.since)}`),
          el('span', { class: 'num', title: 'the value of its newest window' }, fmt(alert.value)),
          ...(alert.silenced_until
            ? [
                el(
                  'span',
                  { class: 'hint silenced', 'data-silenced-until': alert.silenced_until },
                  `silenced until ${time(alert.silenced_until)}`,
                ),
              ]
            : []),
          el('a', { class: 'why', href: alertHref(alert.alert_id) }, 'why it fired'),
          acked
            ? el('span', { class: 'hint ack' }, `acknowledged by ${acked.by}`)
            : el(
                'button',
                {
                  type: 'button',
                  onclick: () => acknowledge(alert.alert_id, () => alertsPanel(model)),
                },
                'Acknowledge',
              ),
        );
      }),
    );
  } catch (error) {
    panel.replaceChildren(
      el(
        'p',
        { class: 'hint' },
        error.code === 'DW_NOT_IMPLEMENTED'
          ? 'Alerting is not enabled in this service.'
          : `Alerts unavailable: ${error.message}`,
      ),
    );
  }
}

const alertHref = (alertId) => `/dashboard/alerts/${encodeURIComponent(alertId)}`;

async function acknowledge(alertId, redraw) {
  try {
    await api(`/v1/alerts/${encodeURIComponent(alertId)}/acknowledge`, {
      method: 'POST',
      body: JSON.stringify({ comment: 'acknowledged from the dashboard' }),
    });
  } catch (error) {
    window.alert(
      error.status === 403
        ? 'Your token may not acknowledge alerts (operator role needed).'
        : error.message,
    );
  }
  await redraw();
}

async function modelView(model) {
  let detail;
  try {
    detail = await api(`/v1/models/${encodeURIComponent(model)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    await unknownModel(model);
    return;
  }
  document.getElementById('model-status').replaceChildren(badge(detail.status));
  document.getElementById('model-meta').textContent =
    `monitor ${detail.monitor_file || detail.monitor} · sha256 ${detail.monitor_hash.slice(0, 16)} · schedule ${detail.schedule} · window ${detail.window_seconds / 60} min · ${detail.runs} runs`;
  const latest = detail.latest;
  const state = modelState(detail);
  if (state) document.getElementById('model-meta').after(state);
  document.getElementById('window').textContent = latest.length
    ? `ending ${time(latest[0].window_end)}`
    : '(not evaluated yet)';
  const metrics = [...new Set(latest.filter((r) => r.feature).map((r) => r.metric))];
  const select = document.getElementById('metric');
  select.replaceChildren(...metrics.map((m) => el('option', { value: m }, m)));
  select.value = metrics.includes('psi') ? 'psi' : metrics[0] || '';
  const statusFilter = document.getElementById('status-filter');
  const renderRows = () =>
    renderResults(
      model,
      latest.filter(
        (r) =>
          r.feature &&
          r.metric === select.value &&
          (statusFilter.value === 'all' || r.status === statusFilter.value),
      ),
      emptyResults(latest, select.value, statusFilter.value),
    );
  const render = () => {
    renderRows();
    return panel('heatmap', 'the heatmap', () =>
      heatmap(model, select.value, latest[0] && latest[0].window_end, detail),
    );
  };
  select.addEventListener('change', () => void render());
  statusFilter.addEventListener('change', renderRows);
  await render();
  await panel('quality', 'the label checks', () => qualityTable(model, latest));
  await panel('labels', 'the labels chart (AUROC and coverage)', () => labelsChart(model));
  await panel('performance', 'the estimated performance', () => performancePanel(model));
  await modelAlerts(model);
}

/** Runs `draw`; when it fails, the panel says what failed instead of the whole page. */
async function panel(id, what, draw) {
  try {
    await draw();
  } catch (error) {
    if (error.message === 'not logged in') throw error;
    document.getElementById(id).replaceChildren(failure(what, error));
  }
}

/** A model page for a name the service does not monitor: which names it does, and the way back. */
async function unknownModel(model) {
  const models = await api('/v1/models').catch(() => null);
  const known = models ? models.map((m) => m.model).sort() : null;
  document.title = `no model ${model} · driftwatch`;
  document
    .querySelector('main')
    .replaceChildren(
      el('h1', {}, 'Unknown model'),
      el(
        'p',
        { id: 'not-found' },
        `No model named "${model}". `,
        known === null
          ? 'The list of models could not be loaded.'
          : known.length === 0
            ? 'This service monitors no models yet (no monitor files loaded).'
            : `Known models: ${known.join(', ')}.`,
      ),
      el(
        'p',
        {},
        el('a', { id: 'back', href: '/dashboard' }, '← all models'),
        ...(known || []).flatMap((name) => [
          ' · ',
          el('a', { href: `/dashboard/models/${encodeURIComponent(name)}` }, name),
        ]),
      ),
    );
}

/** A plain line for a model that has not been evaluated, or that waits for its first event. */
function modelState(detail) {
  if (detail.runs === 0 || detail.latest.length === 0)
    return el(
      'p',
      { id: 'model-state', class: 'notice', 'data-state': 'no_runs' },
      `No runs yet: the monitor has not evaluated a window of ${detail.model}. Its schedule is ${detail.schedule}; the first window is evaluated at the next tick once events arrive.`,
    );
  if (detail.status === 'awaiting_data')
    return el(
      'p',
      { id: 'model-state', class: 'notice', 'data-state': 'awaiting_data' },
      `Awaiting data: ${detail.model} has not sent its first event yet, so nothing is checked and nothing pages. Checks start with its first event.`,
    );
  return null;
}

/** Why the newest window's table is empty: nothing evaluated, or nothing of this status. */
function emptyResults(latest, metric, status) {
  if (latest.length === 0) return 'No results yet: the model has no evaluated window.';
  if (!metric) return 'The newest window has only model-level checks (no per-feature results).';
  if (status === 'all') return `No ${metric} results in the newest window.`;
  return `No ${status} results for ${metric} in the newest window (choose "all" to see every row).`;
}

// ---- the model page's alerts, grouped by what an on-call person does with them ----

/** Needs someone first; done with last. An alert sits in the first group it belongs to. */
const ALERT_GROUPS = [
  { name: 'firing', title: 'Firing, not acknowledged' },
  { name: 'pending', title: 'Pending (breached, not yet firing)' },
  { name: 'acknowledged', title: 'Acknowledged' },
  { name: 'silenced', title: 'Silenced (state changes, no notices)' },
  { name: 'resolved', title: 'Resolved' },
];

function alertGroup(alert) {
  if (alert.state === 'resolved') return 'resolved';
  if (alert.silences.length > 0) return 'silenced';
  if (alert.acknowledged) return 'acknowledged';
  return alert.state === 'pending' ? 'pending' : 'firing';
}

/** Every page of a list endpoint (at most `most` items). */
async function allPages(path, query, most = 5000) {
  const items = [];
  for (let offset = 0; offset < most; offset += 1000) {
    const page = await api(
      `${path}?${new URLSearchParams({ ...query, limit: '1000', offset: String(offset) })}`,
    );
    items.push(...page.items);
    if (page.next_offset === null || page.items.length === 0) break;
  }
  return items;
}

/**
 * The model's alerts in groups (firing, pending, acknowledged, silenced, resolved), each with
 * its value, the threshold its severity crossed, its state, its silence (who, why, until)
 * and a link to why it fired.
 */
async function modelAlerts(model) {
  const node = document.getElementById('alerts');
  let alerts;
  try {
    alerts = await allPages('/v1/alerts', { model, state: 'pending,firing,resolved' });
  } catch (error) {
    if (error.message === 'not logged in') throw error;
    node.replaceChildren(
      error.code === 'DW_NOT_IMPLEMENTED'
        ? el('p', { class: 'hint', id: 'no-alerts' }, 'Alerting is not enabled in this service.')
        : failure("the model's alerts", error),
    );
    return;
  }
  if (alerts.length === 0) {
    node.replaceChildren(
      el(
        'p',
        { class: 'hint', id: 'no-alerts' },
        `No alerts for ${model}: no check has breached its threshold long enough to fire.`,
      ),
    );
    return;
  }
  const groups = ALERT_GROUPS.map((group) => ({
    ...group,
    alerts: alerts
      .filter((alert) => alertGroup(alert) === group.name)
      .sort((a, b) => (b.last_window_end > a.last_window_end ? 1 : -1)),
  })).filter((group) => group.alerts.length > 0);
  node.replaceChildren(
    ...groups.map((group) =>
      el(
        'section',
        { class: 'alert-group', 'data-group': group.name },
        el('h3', {}, `${group.title} `, el('span', { class: 'sub' }, `(${group.alerts.length})`)),
        table(
          ['severity', 'check · feature · slice', 'state', 'value', 'threshold', 'silence', ''],
          group.alerts.map((alert) => alertCells(alert, () => modelAlerts(model))),
          (i) => ({
            class: 'alert-row',
            'data-alert': group.alerts[i].alert_id,
            'data-state': group.alerts[i].state,
          }),
        ),
      ),
    ),
  );
}

/**
 * One alert's row. The service says which silences cover it and the threshold its verdict
 * crossed (as in force then), so nothing here re-derives the silence rule or reads today's
 * monitor file.
 */
function alertCells(alert, redraw) {
  // a check without a numeric threshold (new_categories) fires on any breach
  const threshold = alert.threshold !== null ? `${alert.severity} ≥ ${fmt(alert.threshold)}` : '–';
  const stateText =
    alert.state === 'resolved'
      ? `resolved · last breach ${time(alert.last_window_end)}`
      : `${alert.state} since ${time(alert.since)}` +
        (alert.acknowledged ? ` · acknowledged by ${alert.acknowledged.by}` : '');
  const silence = alert.silences.length
    ? el(
        'span',
        { class: 'silenced', 'data-silenced-until': alert.silenced_until },
        ...alert.silences.map((s, i) =>
          el(
            'span',
            { class: 'silence-line', 'data-silence': s.silence_id },
            i > 0 ? '; ' : '',
            el('span', { class: 'by' }, `by ${s.by}`),
            ', ',
            el('span', { class: 'reason' }, `“${s.reason}”`),
            ', ',
            el('span', { class: 'until' }, `until ${time(s.until)}`),
          ),
        ),
      )
    : '–';
  const open = alert.state !== 'resolved' && !alert.acknowledged;
  return [
    badge(alert.state === 'resolved' ? 'ok' : alert.severity),
    `${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice}`,
    { class: 'state', text: stateText },
    num(fmt(alert.value)),
    { class: 'num threshold', text: threshold },
    silence,
    el(
      'span',
      { class: 'actions' },
      el('a', { class: 'why', href: alertHref(alert.alert_id) }, 'why it fired'),
      ...(open
        ? [
            ' ',
            el(
              'button',
              { type: 'button', onclick: () => acknowledge(alert.alert_id, redraw) },
              'Acknowledge',
            ),
          ]
        : []),
    ),
  ];
}

function renderResults(model, rows, empty = 'No results match.') {
  rows.sort(
    (a, b) =>
      SEVERITY[a.status] - SEVERITY[b.status] ||
      a.feature.localeCompare(b.feature) ||
      sliceLabel(a).localeCompare(sliceLabel(b)),
  );
  const body = document.querySelector('#results tbody');
  if (rows.length === 0) {
    body.replaceChildren(
      el('tr', { class: 'empty' }, el('td', { colspan: 6, class: 'hint' }, empty)),
    );
    return;
  }
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = el(
        'tr',
        {
          class: 'clickable',
          'data-feature': row.feature,
          'data-slice': sliceLabel(row),
          'data-check': row.check_id,
          'data-status': row.status,
        },
        el('td', {}, el('a', { href: '#history', class: 'feature' }, row.feature)),
        el('td', {}, sliceLabel(row)),
        el('td', {}, row.check_id),
        el('td', { class: 'num', title: bracketTitle(row) }, valueText(row)),
        el('td', { class: 'num' }, `${fmt(row.warn_threshold)} / ${fmt(row.critical_threshold)}`),
        el('td', {}, badge(row.status)),
      );
      tr.addEventListener('click', (event) => {
        event.preventDefault();
        body.querySelectorAll('tr.selected').forEach((other) => other.classList.remove('selected'));
        tr.classList.add('selected');
        void panel('history', 'the drift history', () => historyChart(model, row));
        void histogramChart(model, row.feature, sliceLabel(row), row.window_end);
      });
      return tr;
    }),
  );
}

/** The heatmap's span: the day before the newest window. */
const HEATMAP_SPAN = 24 * HOUR;

/** A metric's results over the heatmap's span, oldest window first (paged; at most 20,000). */
async function metricResults(model, metric, newest) {
  const rows = [];
  const from = new Date(Date.parse(newest) - HEATMAP_SPAN).toISOString();
  for (let offset = 0; offset < 20_000; offset += 1000) {
    const query = new URLSearchParams({
      model,
      metric,
      from,
      limit: '1000',
      offset: String(offset),
    });
    const page = await api(`/v1/results?${query}`);
    rows.push(...page.items);
    if (page.next_offset === null || page.items.length === 0) break;
  }
  return rows.filter((r) => r.feature).reverse();
}

/**
 * Features × slices × time: one row per check, feature and slice, one column per window,
 * each cell coloured by that window's status (hover for the value). A click opens that
 * window's drift chart and histogram.
 */
async function heatmap(model, metric, newest, detail) {
  const node = document.getElementById('heatmap');
  if (!metric || !newest) {
    node.dataset.rows = '0';
    node.replaceChildren(
      el(
        'p',
        { class: 'hint', id: 'heatmap-empty' },
        !newest
          ? `Nothing to map yet: no window of ${model} has been evaluated${detail && detail.status === 'awaiting_data' ? ' (awaiting its first event)' : ''}.`
          : 'Nothing to map: the newest window has only model-level checks, no feature or slice.',
      ),
    );
    return;
  }
  const results = await metricResults(model, metric, newest);
  const windows = [...new Set(results.map((r) => r.window_end))].sort();
  const rowKey = (r) => `${r.check_id} · ${r.feature} · ${sliceLabel(r)}`;
  const rows = new Map();
  for (const result of results) {
    const key = rowKey(result);
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key).set(result.window_end, result);
  }
  const keys = [...rows.keys()].sort();
  const column = (end) => windows.indexOf(end);
  node.dataset.rows = String(keys.length);
  node.dataset.windows = String(windows.length);
  const open = (cell, result) => {
    node.querySelectorAll('.cell.selected').forEach((other) => other.classList.remove('selected'));
    cell.classList.add('selected');
    void panel('history', 'the drift history', () => historyChart(model, result));
    void histogramChart(model, result.feature, sliceLabel(result), result.window_end);
    document.getElementById('history').scrollIntoView({ block: 'start' });
  };
  const grid = el(
    'div',
    { class: 'heatmap-grid' },
    ...keys.map((key) => {
      const byWindow = rows.get(key);
      const cells = windows.map((end) => {
        const result = byWindow.get(end);
        if (!result) return el('span', { class: 'cell none', 'data-status': 'none' });
        const cell = el('button', {
          type: 'button',
          class: `cell ${result.status}`,
          'data-status': result.status,
          'data-window-end': end,
          'data-column': column(end),
          title: `${key} · window ending ${time(end)} · ${result.status} · ${valueText(result)}`,
        });
        cell.addEventListener('click', () => open(cell, result));
        return cell;
      });
      const [first] = byWindow.values();
      return el(
        'div',
        {
          class: 'heatmap-row',
          'data-check': first.check_id,
          'data-feature': first.feature,
          'data-slice': sliceLabel(first),
        },
        el('span', { class: 'heatmap-label', title: key }, key),
        ...cells,
      );
    }),
  );
  node.replaceChildren(
    grid,
    el(
      'p',
      { class: 'hint heatmap-axis' },
      windows.length
        ? `${windows.length} window${windows.length === 1 ? '' : 's'}, ending ${time(windows[0])} to ${time(windows.at(-1))} (UTC); click a cell for its chart and histogram.`
        : 'No windows in the last day.',
    ),
  );
}

function chartWidth(node) {
  return Math.max(300, node.clientWidth - 10);
}

const MARKED_EVENTS = ['firing', 'escalated', 'resolved'];
const MARKER_COLORS = { warn: COLORS.warn, critical: COLORS.critical, resolved: COLORS.ok };

/**
 * The alert transitions of one check, feature and slice (the alert's identity), from the
 * audit trail: where on the time axis it fired, escalated and resolved. Without alerting
 * in this service there are none to draw.
 */
async function alertTransitions(model, row, slice) {
  const query = new URLSearchParams({
    model,
    check_id: row.check_id,
    feature: row.feature,
    slice,
    event: MARKED_EVENTS.join(','),
    limit: '1000',
  });
  try {
    const page = await api(`/v1/alerts/events?${query}`);
    return page.items;
  } catch (error) {
    if (error.code === 'DW_NOT_IMPLEMENTED') return [];
    throw error;
  }
}

/**
 * A uPlot plugin drawing each alert transition as a dashed vertical line at the end of the
 * window that caused it, with a flag naming it (hover for the details). Lines are DOM
 * elements on uPlot's overlay, placed again whenever the size or the x scale changes.
 */
function alertMarkersPlugin(transitions) {
  let layer = null;
  const place = (u) => {
    if (!layer) return;
    const width = u.over.clientWidth;
    layer.replaceChildren(
      ...transitions.flatMap((transition) => {
        const left = u.valToPos(Date.parse(transition.window_end) / 1000, 'x');
        if (!(left >= 0 && left <= width)) return [];
        const color =
          transition.event === 'resolved'
            ? MARKER_COLORS.resolved
            : MARKER_COLORS[transition.severity] || COLORS.critical;
        const marker = el(
          'div',
          {
            class: `alert-marker ${transition.event}`,
            'data-event': transition.event,
            'data-severity': transition.severity || '',
            'data-time': transition.window_end,
          },
          el(
            'span',
            {
              class: 'flag',
              title: `${transition.event}${transition.severity ? ` (${transition.severity})` : ''} · window ending ${time(transition.window_end)} · value ${fmt(transition.value)}${transition.suppressed_by ? ` · not notified: ${transition.suppressed_by}` : ''}`,
            },
            transition.event === 'resolved' ? '✓' : transition.event === 'escalated' ? '▲' : '!',
          ),
        );
        // CSSOM, not a style attribute: the page's CSP allows no inline styles.
        marker.style.left = `${left}px`;
        marker.style.borderLeftColor = color;
        marker.firstChild.style.background = color;
        return [marker];
      }),
    );
  };
  return {
    hooks: {
      ready: [
        (u) => {
          layer = el('div', { class: 'alert-markers' });
          u.over.append(layer);
          place(u);
        },
      ],
      setSize: [place],
      setScale: [(u, key) => key === 'x' && place(u)],
    },
  };
}

/**
 * The check's value as a step line, its warn and critical thresholds, breach points, and
 * the alert's transitions (fired, escalated, resolved) marked on the time axis.
 */
async function historyChart(model, row) {
  const node = document.getElementById('history');
  const slice = sliceLabel(row);
  const query = new URLSearchParams({ check_id: row.check_id, feature: row.feature, slice });
  const [series, transitions] = await Promise.all([
    api(`/v1/models/${encodeURIComponent(model)}/series?${query}`),
    alertTransitions(model, row, slice),
  ]);
  document.getElementById('history-title').textContent =
    // a model-level check (f1, ece) has no feature to name
    `${[row.check_id, row.feature, slice].filter(Boolean).join(' · ')}${series.bucket_seconds ? ` · ${series.bucket_seconds / 60}-min buckets` : ''}`;
  const points = series.points;
  const xs = points.map((p) => Date.parse(p.window_end) / 1000);
  const values = points.map((p) => p.value);
  const warn = points.map((p) => p.warn_threshold);
  const critical = points.map((p) => p.critical_threshold);
  const breaches = points.map((p) =>
    p.status === 'warn' || p.status === 'critical' ? p.value : null,
  );
  const lastWarn = warn.filter((v) => v !== null).at(-1) ?? null;
  const lastCritical = critical.filter((v) => v !== null).at(-1) ?? null;
  node.replaceChildren();
  node.dataset.points = String(points.length);
  node.dataset.warn = lastWarn === null ? '' : String(lastWarn);
  node.dataset.critical = lastCritical === null ? '' : String(lastCritical);
  node.dataset.breaches = String(breaches.filter((v) => v !== null).length);
  node.dataset.alertMarkers = String(transitions.length);
  const stepped = uPlot.paths.stepped({ align: 1 });
  new uPlot(
    {
      width: chartWidth(node),
      height: 280,
      tzDate: utc,
      scales: { x: { time: true } },
      plugins: [alertMarkersPlugin(transitions)],
      series: blankLegend([
        { label: 'window end (UTC)', value: axisTime },
        {
          label: `${row.metric} value`,
          stroke: '#1d4ed8',
          width: 2,
          paths: stepped,
          points: { show: false },
        },
        {
          label: 'warn threshold',
          stroke: COLORS.warn,
          dash: [6, 4],
          width: 1.5,
          points: { show: false },
          paths: stepped,
        },
        {
          label: 'critical threshold',
          stroke: COLORS.critical,
          dash: [6, 4],
          width: 1.5,
          points: { show: false },
          paths: stepped,
        },
        {
          label: 'breaches',
          stroke: COLORS.critical,
          width: 0,
          paths: () => null,
          points: { show: true, size: 8, fill: COLORS.critical },
        },
      ]),
      axes: [utcAxis(node), { label: row.metric }],
    },
    [xs, values, warn, critical, breaches],
    node,
  );
  node.append(
    el(
      'p',
      { class: 'legend-thresholds' },
      el('span', { class: 'warn' }, `warn ≥ ${fmt(lastWarn)}`),
      ' · ',
      el('span', { class: 'critical' }, `critical ≥ ${fmt(lastCritical)}`),
      ` · ${points.length} windows, ${node.dataset.breaches} breached`,
      ...markerLegend(transitions),
    ),
  );
}

/** "· alert: 1 fired, 1 escalated, 1 resolved", each in its marker's colour. */
function markerLegend(transitions) {
  if (transitions.length === 0) return [' · no alert transitions'];
  const counts = MARKED_EVENTS.map((event) => [
    event,
    transitions.filter((t) => t.event === event).length,
  ]).filter(([, n]) => n > 0);
  return [
    ' · alert: ',
    ...counts.flatMap(([event, n], i) => [
      ...(i > 0 ? [', '] : []),
      el('span', { class: `marker-key ${event}` }, `${n} ${event}`),
    ]),
  ];
}

/** Baseline and current shares per bin (or category), side by side. */
async function histogramChart(model, feature, slice, windowEnd) {
  const node = document.getElementById('histogram');
  const query = new URLSearchParams({ feature, slice, window_end: windowEnd });
  let histogram;
  try {
    histogram = await api(`/v1/models/${encodeURIComponent(model)}/histogram?${query}`);
  } catch (error) {
    node.replaceChildren(failure('the histogram', error));
    return;
  }
  document.getElementById('histogram-title').textContent =
    `${feature} · ${slice} · window ending ${time(histogram.window_end)}`;
  const share = (counts) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return counts.map((c) => c / total);
  };
  const labels = histogram.categories || binLabels(histogram.edges || []);
  node.replaceChildren();
  node.dataset.bins = String(labels.length);
  node.dataset.windowEnd = histogram.window_end;
  drawShares(
    node,
    labels,
    share(histogram.reference),
    share(histogram.current),
    `baseline v${histogram.baseline_version}`,
  );
}

/** Two shares per bin as bars side by side; the y axis starts at zero, so equal looks equal. */
function drawShares(node, labels, reference, current, referenceLabel) {
  const xs = labels.map((_, i) => i);
  const top = Math.max(0, ...reference, ...current) * 1.1 || 1;
  const bars = uPlot.paths.bars;
  new uPlot(
    {
      width: chartWidth(node),
      height: 240,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [0, top] } },
      // the series' names only: a live legend would read "--" until the cursor is on a bin
      legend: { live: false },
      series: [
        {},
        {
          label: referenceLabel,
          stroke: '#6b7280',
          fill: 'rgba(107,114,128,0.45)',
          paths: bars({ size: [0.4, 60], align: -1 }),
          points: { show: false },
        },
        {
          label: 'current',
          stroke: '#1d4ed8',
          fill: 'rgba(29,78,216,0.45)',
          paths: bars({ size: [0.4, 60], align: 1 }),
          points: { show: false },
        },
      ],
      axes: [
        {
          values: (_u, ticks) => ticks.map((t) => labels[t] ?? ''),
          space: 56,
          font: '10px system-ui, sans-serif',
        },
        { label: 'share' },
      ],
    },
    [xs, reference, current],
    node,
  );
}

function binLabels(edges) {
  if (edges.length === 0) return ['all'];
  const short = (v) => Number(v.toPrecision(3));
  return [
    `< ${short(edges[0])}`,
    ...edges.slice(1).map((edge, i) => `${short(edges[i])}–${short(edge)}`),
    `≥ ${short(edges.at(-1))}`,
  ];
}

async function labelsChart(model) {
  const node = document.getElementById('labels');
  const series = await api(`/v1/models/${encodeURIComponent(model)}/labels`);
  if (series.points.length === 0) {
    node.replaceChildren(
      el(
        'p',
        { class: 'hint' },
        'No AUROC results yet (labels arrive late, or the monitor has no auroc check).',
      ),
    );
    return;
  }
  node.replaceChildren();
  const xs = series.points.map((p) => Date.parse(p.window_end) / 1000);
  new uPlot(
    {
      width: chartWidth(node),
      height: 240,
      tzDate: utc,
      scales: { x: { time: true }, auroc: { range: [0, 1] }, coverage: { range: [0, 1] } },
      series: blankLegend([
        { label: 'window end (UTC)', value: axisTime },
        {
          label: 'AUROC',
          scale: 'auroc',
          stroke: '#7c3aed',
          width: 2,
          paths: uPlot.paths.stepped({ align: 1 }),
        },
        { label: 'label coverage', scale: 'coverage', stroke: '#059669', dash: [4, 4], width: 1.5 },
      ]),
      axes: [
        utcAxis(node),
        { scale: 'auroc', label: 'AUROC' },
        { scale: 'coverage', side: 1, label: 'coverage', grid: { show: false } },
      ],
    },
    [xs, series.points.map((p) => p.auroc), series.points.map((p) => p.coverage)],
    node,
  );
}

// ---- quality once labels are due: accuracy, F1, log loss, ECE... (any label check) ----

/** The newest window's checks judged on a label window (they say which), worst first. */
function qualityTable(model, latest) {
  const rows = latest
    .filter((r) => !r.feature && r.details && r.details.label_window)
    .sort(
      (a, b) =>
        SEVERITY[a.status] - SEVERITY[b.status] ||
        a.check_id.localeCompare(b.check_id) ||
        sliceLabel(a).localeCompare(sliceLabel(b)),
    );
  const body = document.querySelector('#quality tbody');
  if (rows.length === 0) {
    body.replaceChildren(
      el(
        'tr',
        { class: 'empty' },
        el('td', { colspan: 7, class: 'hint' }, 'No label checks (or none due yet).'),
      ),
    );
    return;
  }
  body.replaceChildren(
    ...rows.map((row) => {
      const labelWindow = row.details.label_window;
      const tr = el(
        'tr',
        {
          class: 'clickable',
          'data-check': row.check_id,
          'data-metric': row.metric,
          'data-slice': sliceLabel(row),
          'data-status': row.status,
          'data-value': row.value === null ? '' : String(row.value),
        },
        el('td', {}, el('a', { href: '#history' }, row.check_id)),
        el('td', {}, row.metric),
        el('td', {}, sliceLabel(row)),
        el('td', { class: 'num', title: bracketTitle(row) }, valueText(row)),
        el('td', { class: 'num' }, `${fmt(row.warn_threshold)} / ${fmt(row.critical_threshold)}`),
        el('td', {}, badge(row.status)),
        el('td', {}, `${time(labelWindow.start)} .. ${time(labelWindow.end)}`),
      );
      tr.addEventListener('click', (event) => {
        event.preventDefault();
        body.querySelectorAll('tr.selected').forEach((other) => other.classList.remove('selected'));
        tr.classList.add('selected');
        void historyChart(model, row);
        if (Array.isArray(row.details.reliability)) reliabilityChart(row);
      });
      return tr;
    }),
  );
}

/**
 * An ece result's reliability curve: per non-empty bin, the fraction of positives against
 * the mean predicted score (sklearn's calibration_curve), beside the diagonal of a
 * calibrated model.
 */
function reliabilityChart(row) {
  const node = document.getElementById('reliability');
  const points = row.details.reliability;
  document.getElementById('reliability-title').textContent =
    `${row.check_id} · ${sliceLabel(row)} · ${row.details.bins} bins · ECE ${fmt(row.value)}`;
  node.replaceChildren();
  node.dataset.points = String(points.length);
  const xs = points.map((p) => p.mean_predicted);
  new uPlot(
    {
      width: chartWidth(node),
      height: 240,
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      series: blankLegend([
        { label: 'mean predicted', value: legendValue },
        {
          label: 'fraction positive',
          stroke: '#7c3aed',
          width: 2,
          points: { show: true, size: 6, fill: '#7c3aed' },
        },
        {
          label: 'calibrated',
          stroke: '#64748b',
          dash: [4, 4],
          width: 1,
          points: { show: false },
        },
      ]),
      axes: [{ label: 'mean predicted score' }, { label: 'fraction positive' }],
    },
    [xs, points.map((p) => p.fraction_positive), xs],
    node,
  );
}

// ---- estimated and realized performance (GET /v1/models/:model/performance) ----

/**
 * CBPE's estimate of a metric over time (a line, with its band shaded) and the realized
 * value once the labels of a window arrived (points, at the window the labels are of). The
 * arrays drawn are kept on the chart's node (data-drawn), for tests.
 */
async function performancePanel(model) {
  const node = document.getElementById('performance');
  const select = document.getElementById('performance-metric');
  const series = await api(`/v1/models/${encodeURIComponent(model)}/performance`);
  document.getElementById('performance-assumptions').textContent = series.assumptions;
  if (series.metrics.length === 0) {
    select.replaceChildren();
    node.replaceChildren(
      el(
        'p',
        { class: 'hint' },
        'No estimated performance yet (the monitor has no estimated_* check, or no run has stored one).',
      ),
    );
    return;
  }
  select.replaceChildren(...series.metrics.map((m) => el('option', { value: m.metric }, m.metric)));
  select.value = series.metrics.some((m) => m.metric === 'roc_auc')
    ? 'roc_auc'
    : series.metrics[0].metric;
  const draw = () =>
    performanceChart(
      node,
      series.metrics.find((m) => m.metric === select.value),
    );
  select.onchange = draw;
  draw();
}

function performanceChart(node, metric) {
  const seconds = (iso) => Date.parse(iso) / 1000;
  const xs = [
    ...new Set([
      ...metric.estimated.map((p) => seconds(p.window_end)),
      ...metric.realized.map((p) => seconds(p.window_end)),
    ]),
  ].sort((a, b) => a - b);
  const at = (points, read) => {
    const byX = new Map(points.map((p) => [seconds(p.window_end), read(p)]));
    return xs.map((x) => (byX.has(x) ? byX.get(x) : null));
  };
  const drawn = {
    metric: metric.metric,
    x: xs,
    estimate: at(metric.estimated, (p) => p.value),
    band_lower: at(metric.estimated, (p) => p.band_lower),
    band_upper: at(metric.estimated, (p) => p.band_upper),
    realized: at(metric.realized, (p) => p.value),
  };
  node.replaceChildren();
  node.dataset.metric = metric.metric;
  node.dataset.drawn = JSON.stringify(drawn);
  node.dataset.outsideBand = String(metric.realized.filter((p) => p.within_band === false).length);
  new uPlot(
    {
      width: chartWidth(node),
      height: 240,
      tzDate: utc,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      series: blankLegend([
        { label: 'window end (UTC)', value: axisTime },
        { label: `estimated ${metric.metric}`, stroke: '#2563eb', width: 2 },
        { label: 'band upper', stroke: 'rgba(37, 99, 235, 0.35)', width: 1 },
        { label: 'band lower', stroke: 'rgba(37, 99, 235, 0.35)', width: 1 },
        {
          label: `realized (${metric.realized_check})`,
          stroke: '#dc2626',
          width: 0,
          paths: () => null,
          points: { show: true, size: 8, fill: '#dc2626' },
        },
      ]),
      bands: [{ series: [2, 3], fill: 'rgba(37, 99, 235, 0.12)' }],
      axes: [utcAxis(node), { label: metric.metric }],
    },
    [drawn.x, drawn.estimate, drawn.band_upper, drawn.band_lower, drawn.realized],
    node,
  );
}

// ---- one alert's page: why it fired (GET /v1/alerts/:id/explanation) ----

const percent = (value) => `${(value * 100).toFixed(1)}%`;
/** A value with the bracket that contains the exact value, unless it is exact. */
const bracketText = (b, show = fmt) =>
  b.lower === b.upper ? show(b.value) : `${show(b.value)} [${show(b.lower)}, ${show(b.upper)}]`;
const CHOSEN = {
  fired: 'the window that fired it',
  escalated: 'the window that escalated it',
  pending: 'its latest pending window',
  requested: 'the window asked for',
  latest: 'the last window it saw',
};

function binLabel(bin) {
  const short = (v) => Number(v.toPrecision(3));
  if (bin.category !== null) return bin.category;
  if (bin.lower_edge === null && bin.upper_edge === null) return 'all';
  if (bin.lower_edge === null) return `< ${short(bin.upper_edge)}`;
  if (bin.upper_edge === null) return `≥ ${short(bin.lower_edge)}`;
  return `${short(bin.lower_edge)}–${short(bin.upper_edge)}`;
}

/** A table from a header and rows of cells (text or nodes); `attributes(row index)` per row. */
function table(header, rows, attributes = () => ({})) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...header.map((name) => el('th', {}, name)))),
    el(
      'tbody',
      {},
      ...rows.map((cells, i) =>
        el(
          'tr',
          attributes(i),
          ...cells.map((cell) =>
            typeof cell === 'object' && cell !== null && !(cell instanceof Node)
              ? el('td', { class: cell.class || '' }, cell.text)
              : el('td', {}, cell),
          ),
        ),
      ),
    ),
  );
}
const num = (text) => ({ class: 'num', text });

async function alertView(alertId) {
  let explanation;
  try {
    explanation = await api(`/v1/alerts/${encodeURIComponent(alertId)}/explanation`);
  } catch (error) {
    if (error.status !== 404 && error.status !== 400 && error.code !== 'DW_NOT_IMPLEMENTED')
      throw error;
    // An unknown (or ambiguous) id, or no alerting: said plainly, not an empty page.
    document
      .querySelector('main')
      .replaceChildren(
        el('h1', {}, 'Alert'),
        el(
          'p',
          { id: 'not-found', class: 'hint' },
          error.code === 'DW_NOT_IMPLEMENTED'
            ? 'Alerting is not enabled in this service.'
            : `${error.message}. The open alerts are on the models page.`,
        ),
      );
    return;
  }
  const { alert } = explanation;
  document.title = `${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice} · driftwatch`;
  document
    .getElementById('alert-state')
    .replaceChildren(
      badge(alert.state === 'resolved' ? 'ok' : alert.severity || 'unknown'),
      ' ',
      el('span', { class: 'sub', 'data-state': alert.state }, alert.state),
    );
  document
    .getElementById('alert-meta')
    .replaceChildren(
      el('a', { href: `/dashboard/models/${encodeURIComponent(alert.model)}` }, alert.model),
      ` · ${alert.check_id} · ${alert.feature || '(model)'} · ${alert.slice} · ${alert.state}` +
        `${alert.since ? ` since ${time(alert.since)}` : ''} · episode ${alert.episode}` +
        `${alert.resolved_at ? ` · resolved ${time(alert.resolved_at)}` : ''}`,
    );
  silencesPanel(explanation.silences);
  whyPanel(explanation);
  sharesChart(explanation.distribution);
  binsTable(explanation.distribution);
  attributionTables(explanation.attribution);
  featuresTable(explanation.features, alert.slice);
  transitionsTable(explanation.transitions);
  document.getElementById('basis').textContent = `Computed from ${explanation.basis}.`;
}

/** Who silenced it, why, and until when: it still changes state, but sends no notice. */
function silencesPanel(silences) {
  const node = document.getElementById('silences');
  if (silences.length === 0) {
    node.replaceChildren(el('p', { class: 'hint', id: 'not-silenced' }, 'Not silenced.'));
    return;
  }
  node.replaceChildren(
    ...silences.map((silence) => {
      const scope = [silence.matches.check_id, silence.matches.feature, silence.matches.slice]
        .filter((part) => part !== null)
        .join(' · ');
      return el(
        'div',
        { class: 'alert silence', 'data-silence': silence.silence_id },
        el('span', { class: 'status no_data' }, 'silenced'),
        el('span', { class: 'until' }, `until ${time(silence.until)}`),
        el('span', { class: 'by' }, `by ${silence.by}`),
        el('span', { class: 'reason' }, `“${silence.reason}”`),
        el(
          'span',
          { class: 'hint' },
          `${scope || 'the whole model'} · since ${time(silence.since)} · state still changes, no notices`,
        ),
      );
    }),
  );
}

function whyPanel(explanation) {
  const { window: chosen, result, distribution: d, notes } = explanation;
  const lines = [];
  if (chosen)
    lines.push(
      el(
        'p',
        { id: 'why-window' },
        `Window ${time(chosen.start)} – ${time(chosen.end)}: ${CHOSEN[chosen.chosen] || chosen.chosen}.`,
      ),
    );
  if (result) {
    const thresholds = [
      result.warn_threshold !== null ? `warn ≥ ${fmt(result.warn_threshold)}` : null,
      result.critical_threshold !== null ? `critical ≥ ${fmt(result.critical_threshold)}` : null,
    ].filter(Boolean);
    lines.push(
      el(
        'p',
        { id: 'why-result', 'data-status': result.status },
        badge(result.status),
        ` ${result.metric} ${valueText(result)}`,
        result.p_value !== null ? `, p ${fmt(result.p_value)}` : '',
        thresholds.length ? ` (${thresholds.join(', ')})` : '',
        ` · baseline ${result.baseline} v${result.baseline_version}, ${result.n_reference} against ${result.n_current} values`,
      ),
    );
  }
  if (d && d.ks) {
    const moved = d.ks.direction === 'less_below' ? 'values moved up' : 'values moved down';
    lines.push(
      el(
        'p',
        { id: 'why-ks' },
        `The CDFs differ most at ${fmt(d.ks.x)}: baseline ${bracketText(d.ks.reference_cdf, percent)} at or below, the window ${bracketText(d.ks.current_cdf, percent)} (gap ${bracketText(d.ks.gap)}: ${moved}).`,
      ),
    );
  }
  if (d && d.kind === 'categorical') {
    const list = (items) =>
      items.length === 0 ? 'none' : items.map((c) => `${c.category} (${c.count})`).join(', ');
    lines.push(el('p', { id: 'why-new' }, `New categories: ${list(d.new_categories)}.`));
    lines.push(
      el('p', { id: 'why-vanished' }, `Vanished categories: ${list(d.vanished_categories)}.`),
    );
  }
  for (const note of notes) lines.push(el('p', { class: 'hint note' }, note));
  document.getElementById('why').replaceChildren(...lines);
}

/** The baseline's and the window's share of each bin, side by side, from zero. */
function sharesChart(d) {
  const node = document.getElementById('shares');
  if (!d) {
    node.replaceChildren(el('p', { class: 'hint' }, 'No distribution to compare for this check.'));
    return;
  }
  document.getElementById('shares-title').textContent =
    `${d.slice} · ${d.sizes.reference} baseline values, ${d.sizes.current} in the window`;
  const labels = d.bins.map(binLabel);
  node.replaceChildren();
  node.dataset.bins = String(labels.length);
  drawShares(
    node,
    labels,
    d.bins.map((bin) => bin.reference_share.value),
    d.bins.map((bin) => bin.current_share.value),
    'baseline',
  );
}

function binsTable(d) {
  const node = document.getElementById('bins');
  if (!d) {
    node.replaceChildren(el('p', { class: 'hint' }, 'No bins for this check.'));
    return;
  }
  const shown = d.moved_most.slice(0, 5).map((index) => d.bins[index]);
  node.replaceChildren(
    el(
      'p',
      { class: 'hint' },
      `The bins' parts sum to PSI ${bracketText(d.psi)} and Jensen-Shannon ${bracketText(d.jensen_shannon)}.`,
    ),
    table(
      ['bin', 'baseline', 'window', 'PSI part', 'of PSI', 'of JS'],
      shown.map((bin) => [
        binLabel(bin),
        num(bracketText(bin.reference_share, percent)),
        num(bracketText(bin.current_share, percent)),
        num(bracketText(bin.psi)),
        num(percent(bin.psi_share)),
        num(percent(bin.jensen_shannon_share)),
      ]),
      (i) => ({ 'data-bin': shown[i].index }),
    ),
  );
}

const STATISTIC_WORDS = {
  psi: 'PSI',
  ks: "KS's D at its location",
  null_rate: 'the null rate shift',
  positive_rate: 'the predicted positive rate shift',
};

function attributionTables(attribution) {
  const node = document.getElementById('attribution');
  if (!attribution) {
    node.replaceChildren(
      el('p', { class: 'hint' }, 'This check is not a sum over slices: no attribution.'),
    );
    return;
  }
  node.replaceChildren(
    el(
      'p',
      { class: 'hint' },
      `${STATISTIC_WORDS[attribution.statistic] || attribution.statistic} in all (${fmt(attribution.value)}), split into the slices of each key; largest contribution first.`,
    ),
    ...attribution.keys.map((key) =>
      el(
        'div',
        { class: 'attribution', 'data-key': key.key },
        el('h3', {}, key.key),
        table(
          ['slice', 'contribution', 'share', 'baseline values', 'window values'],
          key.slices.map((slice) => [
            slice.alert_slice ? `${slice.slice} (this alert)` : slice.slice,
            num(bracketText(slice.contribution)),
            num(percent(slice.share)),
            num(slice.reference_size),
            num(slice.current_size),
          ]),
          (i) => ({
            'data-slice': key.slices[i].slice,
            class: key.slices[i].alert_slice ? 'selected' : '',
          }),
        ),
      ),
    ),
  );
}

function featuresTable(features, slice) {
  const node = document.getElementById('features');
  if (features.length === 0) {
    node.replaceChildren(el('p', { class: 'hint' }, `No features ranked in ${slice}.`));
    return;
  }
  node.replaceChildren(
    table(
      ['feature', 'PSI', 'share', ''],
      features.map((rank) => [
        rank.feature,
        num(rank.psi ? bracketText(rank.psi) : '–'),
        num(percent(rank.share)),
        rank.drift ? badge('drift') : '',
      ]),
      (i) => ({ 'data-feature': features[i].feature }),
    ),
  );
}

function transitionsTable(transitions) {
  const node = document.getElementById('transitions');
  if (transitions.length === 0) {
    node.replaceChildren(el('p', { class: 'hint' }, 'No transitions yet.'));
    return;
  }
  node.replaceChildren(
    table(
      ['window end', 'event', 'severity', 'verdict', 'value', 'notified'],
      transitions.map((t) => [
        time(t.window_end),
        t.event,
        t.severity || '–',
        t.verdict_status,
        num(fmt(t.value)),
        t.notified ? 'yes' : t.suppressed_by ? `no (${t.suppressed_by})` : 'no',
      ]),
      (i) => ({ 'data-event': transitions[i].event }),
    ),
  );
}

function login() {
  const form = document.getElementById('login');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = document.getElementById('token').value.trim();
    const response = await fetch('/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      document.getElementById('login-error').textContent = body.error || 'login failed';
      return;
    }
    window.location.href = sameOriginTarget(
      new URLSearchParams(window.location.search).get('next'),
    );
  });
}

// Where to go after logging in: `next` only when the browser itself resolves it to this
// origin. Prefix checks are not enough: browsers read "/\\host", "/\thost" (a tab) or
// "/.//host" as other hosts, and "javascript:" is not a path at all. The resolved absolute
// URL is used, never the text, so what was checked is where the browser goes.
function sameOriginTarget(next) {
  if (!next) return '/dashboard';
  try {
    const target = new URL(next, window.location.origin);
    return target.origin === window.location.origin ? target.href : '/dashboard';
  } catch {
    return '/dashboard';
  }
}

function start() {
  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
      window.location.href = '/login';
    });
  }
  const page = document.body.dataset.page;
  const run =
    page === 'overview'
      ? overview()
      : page === 'model'
        ? modelView(document.body.dataset.model)
        : page === 'alert'
          ? alertView(document.body.dataset.alert)
          : page === 'login'
            ? Promise.resolve(login())
            : Promise.resolve();
  run
    .then(() => document.body.setAttribute('data-ready', 'true'))
    .catch((error) => {
      document.querySelector('main').prepend(failure('this page', error));
      document.body.setAttribute('data-ready', 'error');
    });
}

start();
