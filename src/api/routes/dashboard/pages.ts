/**
 * The dashboard's HTML shells. Everything on them is drawn by /assets/dashboard.js from the
 * JSON API, so the pages carry no data and no inline script (the CSP forbids both).
 */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `login`: whether the service has a login (tokens); without one there is nothing to log out of. */
function layout(
  title: string,
  body: string,
  attributes: Record<string, string> = {},
  login = true,
): string {
  const data = Object.entries(attributes)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · driftwatch</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body${data}>
<header><a class="brand" href="/dashboard">driftwatch</a><nav><a href="/dashboard">models</a><a href="/docs">API</a>${login ? '<button id="logout" type="button">log out</button>' : ''}</nav></header>
<main>
${body}
</main>
<script src="/assets/uPlot.iife.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}

export function overviewPage(login = true): string {
  return layout(
    'models',
    `<h1>Models</h1>
<p class="hint">Status of each model's newest window, worst first; its windows over the last day and week (each cell the worst status of the windows ending in it, times UTC; empty: no window) and its last incident.</p>
<table id="models"><thead><tr><th>model</th><th>status</th><th>last day · week</th><th>last incident</th><th>newest window</th><th>checks fired</th><th>runs</th><th>monitor file</th></tr></thead><tbody></tbody></table>
<h2>Open alerts</h2>
<div id="alerts"></div>`,
    { page: 'overview' },
    login,
  );
}

export function modelPage(model: string, login = true): string {
  return layout(
    model,
    `<h1 id="title">${escapeHtml(model)} <span id="model-status"></span></h1>
<p class="hint" id="model-meta"></p>
<h2>Features × slices × time <span class="sub">the last day's windows, coloured by status</span></h2>
<label>metric <select id="metric"></select></label>
<div id="heatmap" class="panel"></div>
<section class="panels">
<div class="panel wide"><h2>Drift over time <span id="history-title" class="sub"></span></h2><div id="history" class="chart"><p class="hint">Click a feature below to see its history.</p></div></div>
<div class="panel"><h2>Baseline against current <span id="histogram-title" class="sub"></span></h2><div id="histogram" class="chart"><p class="hint">Click a heatmap cell or a feature below to see its histogram.</p></div></div>
<div class="panel"><h2>Labels: AUROC and coverage</h2><div id="labels" class="chart"></div></div>
<div class="panel wide"><h2>Performance: estimated before labels, realized after <label class="sub">metric <select id="performance-metric"></select></label></h2><div id="performance" class="chart"></div><p class="hint" id="performance-assumptions"></p></div>
</section>
<h2>Quality once labels are due <span class="sub">the newest window's label checks, each judged on its label window; click one for its history</span></h2>
<section class="panels">
<div class="panel wide"><table id="quality"><thead><tr><th>check</th><th>metric</th><th>slice</th><th>value</th><th>thresholds</th><th>status</th><th>label window</th></tr></thead><tbody></tbody></table></div>
<div class="panel"><h2>Reliability curve <span id="reliability-title" class="sub"></span></h2><div id="reliability" class="chart"><p class="hint">Click an ece check to see its reliability curve.</p></div></div>
</section>
<h2>Newest window <span id="window" class="sub"></span></h2>
<label>status <select id="status-filter"><option value="all">all</option><option value="critical">critical</option><option value="warn">warn</option><option value="no_data">no_data</option><option value="insufficient_data">insufficient_data</option><option value="awaiting_data">awaiting_data</option><option value="ok">ok</option></select></label>
<table id="results"><thead><tr><th>feature</th><th>slice</th><th>check</th><th>value</th><th>thresholds</th><th>status</th></tr></thead><tbody></tbody></table>
<h2>Alerts <span class="sub">grouped by what they need: firing first, resolved last</span></h2>
<div id="alerts"></div>`,
    { page: 'model', model },
    login,
  );
}

/**
 * One alert's page, where notifications link (DRIFTWATCH_PUBLIC_URL/dashboard/alerts/ID):
 * drawn from GET /v1/alerts/:id/explanation, why it fired and who silenced it.
 */
export function alertPage(alertId: string, login = true): string {
  return layout(
    `alert ${alertId}`,
    `<h1 id="title">Alert <span class="sub">${escapeHtml(alertId)}</span> <span id="alert-state"></span></h1>
<p class="hint" id="alert-meta"></p>
<div id="silences"></div>
<section class="panels">
<div class="panel"><h2>Baseline against the window <span id="shares-title" class="sub"></span></h2><div id="shares" class="chart"></div></div>
<div class="panel"><h2>Why it fired</h2><div id="why"></div></div>
</section>
<h2>The bins that moved most</h2>
<div id="bins"></div>
<h2>Which slice explains it</h2>
<div id="attribution"></div>
<h2>Features of this slice by PSI</h2>
<div id="features"></div>
<h2>What happened, oldest first</h2>
<div id="transitions"></div>
<p class="hint" id="basis"></p>`,
    { page: 'alert', alert: alertId },
    login,
  );
}

export function loginPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>log in · driftwatch</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body data-page="login">
<main class="login">
<h1>driftwatch</h1>
<form id="login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required placeholder="dw_...">
<button type="submit">log in</button>
<p id="login-error" class="error" role="alert"></p>
</form>
<p class="hint">Any token with the read role or above. It is kept in an HttpOnly cookie for this site only.</p>
</main>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}
