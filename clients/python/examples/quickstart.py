# %% [markdown]
# # driftwatch from Python: send a model's predictions, see what drifted, get the alert
#
# A notebook in plain Python: each `# %%` is a cell (VS Code, PyCharm and Jupytext open it
# as one), and `python3 quickstart.py [current.csv]` runs it top to bottom as a script.
#
# Before it: a monitor for the model and a running service (docs/QUICKSTART.md):
#
#     driftwatch init --model card-fraud --baseline examples/baseline.csv
#     driftwatch serve
#
# Environment: DRIFTWATCH_URL (default http://127.0.0.1:8080), DRIFTWATCH_TOKEN (a token
# whose role may post, run and read, e.g. admin; none when the service has no tokens),
# DRIFTWATCH_MODEL (default card-fraud). pandas is used when it is installed.

# %%
import os
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from driftwatch import Client, PandasMissing, report  # noqa: E402

client = Client.from_env()
model = os.environ.get("DRIFTWATCH_MODEL", "card-fraud")
here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.join(here, "..", "..", "..", "examples")
current_file = sys.argv[1] if len(sys.argv) > 1 else os.path.join(examples, "current.csv")
print(client, "model", model)

# %% [markdown]
# ## The last hour's predictions
# examples/current.csv is the training data's model in production with drift planted on
# purpose: amounts grow on the web channel, a new merchant category appears. Each row gets
# the time it was made (spread over the last hour) and a prediction id (labels join on it).

# %%
try:
    import pandas

    predictions = pandas.read_csv(current_file)
except ImportError:
    import csv

    with open(current_file, newline="", encoding="utf-8") as handle:
        predictions = list(csv.DictReader(handle))
    for row in predictions:
        for name in ("amount", "account_age_days", "device_score", "tiny_rate", "score", "label"):
            row[name] = float(row[name]) if row[name] != "" else None
    pandas = None

# windows lie on the hourly schedule's grid: the last complete one ends on the hour
end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
count = len(predictions)
times = [end - timedelta(minutes=55) + timedelta(seconds=i * 3000 / count) for i in range(count)]
run_id = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
ids = [f"{model}-{run_id}-{i}" for i in range(count)]
if pandas is not None:
    predictions["ts"] = times
    predictions["prediction_id"] = ids
else:
    for row, ts, prediction_id in zip(predictions, times, ids):
        row["ts"], row["prediction_id"] = ts, prediction_id
print(f"{count} predictions from {current_file}")

# %% [markdown]
# ## Send them
# In batches; the answer says how many were stored and why any was refused (by its row).
# Sending the same rows again stores nothing twice.

# %%
answer = client.post_predictions(
    predictions,
    model=model,
    features=["amount", "account_age_days", "device_score", "tiny_rate", "merchant_category"],
    attributes=["channel", "country"],
    model_version="v1",
)
print(f"accepted {answer.accepted}, rejected {answer.rejected}, duplicates {answer.duplicates}")
for error in answer.errors[:5]:
    print(f"  row {error.index}: {error.reason}: {error.detail}")

# %% [markdown]
# ## Evaluate the last hour now
# The monitor runs hourly on its own; this asks for the last complete window now (role operator).

# %%
evaluation = client.run(model, end)
run = evaluation["run"]
print(
    f"window {run['window_start']} .. {run['window_end']}:"
    f" {run['status']}, {run['breaches']} breaches"
)

# %% [markdown]
# ## What drifted, and where
# The drift history, as a DataFrame when pandas is installed (else a list of dicts).

# %%
window = {"since": end - timedelta(milliseconds=1), "until": end}
try:
    breaches = client.history(model, status=["warn", "critical"], as_frame=True, **window)
    print(breaches[["status", "metric", "feature", "slice_key", "slice_value", "value"]].head(10))
except PandasMissing:
    for row in client.history(model, status=["warn", "critical"], limit=10, **window):
        print(
            row["status"],
            row["metric"],
            row["feature"],
            row["slice_key"],
            row["slice_value"],
            row["value"],
        )

# %% [markdown]
# ## The alerts
# An alert per check, feature and slice, firing until enough clear windows pass. Without
# routes in the monitor file nobody is notified, but the alerts are kept and shown here, in
# the dashboard (DRIFTWATCH_URL in a browser) and in `driftwatch alerts`. The run above went
# through the alert stage before it answered (when the service runs its own scheduler).

# %%
firing = client.alerts(model, state="firing")
mine = [alert for alert in firing if alert["last_window_end"] == run["window_end"]]
print(f"{len(firing)} alert(s) firing, {len(mine)} of them from this window")
for alert in sorted(mine, key=lambda a: (a["feature"], a["slice"])):
    if alert["metric"] == "psi":
        print(f"  {alert['severity']:8} psi  {alert['feature']:18} {alert['slice']}")
others = Counter(alert["metric"] for alert in mine if alert["metric"] != "psi")
if others:
    print("  and " + ", ".join(f"{count} {metric}" for metric, count in sorted(others.items())))

# %% [markdown]
# ## The one-shot report, no service needed
# Two datasets in, drift per feature and slice out (runs the `driftwatch` command).

# %%
drift = report(
    os.path.join(examples, "baseline.csv"),
    current_file,
    slice="channel",
    score="score",
    label="label",
)
drifted = [f"{f['name']} ({f['slice']})" for f in drift["features"] if f["drift"]]
print(
    f"report: {drift['summary']['drifted']} of {drift['summary']['entries']} entries drifted:"
    f" {', '.join(drifted[:6])}"
)

# %%
if not mine:
    sys.exit("no alert fired in this window: is DRIFTWATCH_MODEL the monitor's model?")
