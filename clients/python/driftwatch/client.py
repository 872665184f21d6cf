"""A small client of driftwatch's HTTP API.

    from driftwatch import Client
    client = Client("http://127.0.0.1:8080", token="dw_...")   # or Client.from_env()
    answer = client.post_predictions(frame, model="card-fraud", features=["amount", "country"])
    print(answer.accepted, answer.rejected, answer.errors[:3])
    client.history("card-fraud", status="critical", as_frame=True)

Standard library only (urllib, json); pandas only for DataFrames in and out.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from ._frames import Rows, rows_of, to_frame
from ._values import is_missing, plain, rfc3339, to_json

Json = Dict[str, Any]

DEFAULT_URL = "http://127.0.0.1:8080"
#: Events per POST: well under the service's body limit (64 MiB) for events of ~100 features.
DEFAULT_BATCH_SIZE = 5000
#: The API's largest page.
PAGE_SIZE = 1000

RESULT_TIMES = ("window_start", "window_end", "evaluated_at")
RUN_TIMES = ("window_start", "window_end")
ALERT_TIMES = ("since", "last_window_end", "silenced_until")


class DriftwatchError(Exception):
    """The service answered an error: its HTTP status, stable code (DW_...) and request id."""

    def __init__(self, status: int, code: str, message: str, request_id: Optional[str] = None):
        where = f" (request {request_id})" if request_id else ""
        super().__init__(f"{status} {code}: {message}{where}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class IngestError:
    """One refused event: its position in what was passed (0-based), why, and the detail."""

    index: int
    reason: str
    detail: str


@dataclass
class IngestResult:
    """What the service answered for every batch, summed: nothing refused goes unsaid."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: List[IngestError] = field(default_factory=list)
    #: Refused events beyond the ones listed (the service lists 1,000 per request).
    errors_omitted: int = 0
    batches: int = 0
    #: Each batch's answer as the service sent it (fields this client does not know included).
    answers: List[Json] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def raise_for_rejected(self) -> "IngestResult":
        """Raise if any event was refused; otherwise return self (for chaining)."""
        if self.rejected:
            listed = "; ".join(f"#{e.index} {e.reason}: {e.detail}" for e in self.errors[:5])
            raise ValueError(f"{self.rejected} event(s) refused: {listed}")
        return self


class Client:
    """driftwatch's HTTP API: post events, read history, results, runs and alerts."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: Optional[str] = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **options: Any) -> "Client":
        """DRIFTWATCH_URL (default http://127.0.0.1:8080) and DRIFTWATCH_TOKEN (as the CLI)."""
        return cls(
            environ.get("DRIFTWATCH_URL", DEFAULT_URL),
            environ.get("DRIFTWATCH_TOKEN") or None,
            **options,
        )

    def __repr__(self) -> str:  # never the token
        return f"Client({self.url!r}, token={'set' if self._token else 'none'})"

    # ---- ingest ----

    def post_events(
        self,
        events: Rows,
        *,
        type: Optional[str] = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> IngestResult:
        """Events already in driftwatch's shape (dicts, or DataFrame rows), in batches.

        Each event says its kind in "type" (prediction, feature, label), or `type=` says it
        for all. Refused events come back in `errors` with their index in `events`.
        """
        query = {"type": type} if type else {}
        return self._post_batches((plain(event) for event in rows_of(events)), batch_size, query)

    def post_predictions(
        self,
        data: Rows,
        *,
        model: str,
        features: Sequence[str],
        attributes: Sequence[str] = (),
        score: Optional[str] = "score",
        prediction: Optional[str] = None,
        ts: str = "ts",
        prediction_id: Optional[str] = "prediction_id",
        event_id: Optional[str] = None,
        model_version: Optional[str] = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> IngestResult:
        """Prediction events from flat rows (a DataFrame, or dicts): one column per feature.

        `features` and `attributes` (slice fields such as country) name columns; `score`
        (0..1) and/or `prediction` the model's output; `ts` when it was made. Ids come from
        `prediction_id` (and `event_id`, else the prediction id); without an id column each
        event's id is a hash of its content, so posting the same rows twice stores them once
        (labels, which join by prediction id, then cannot be sent).
        """
        columns = {"ts": ts, "features": features, "attributes": attributes}

        def events() -> Iterator[Json]:
            for index, row in enumerate(rows_of(data)):
                check_columns(row, index, columns, score, prediction, prediction_id, event_id)
                event: Json = {
                    "type": "prediction",
                    "model": model,
                    "ts": plain(row[ts]),
                    "features": {name: feature_value(row[name]) for name in features},
                }
                if model_version is not None:
                    event["model_version"] = model_version
                if score is not None:
                    event["score"] = plain(row[score])
                if prediction is not None:
                    event["prediction"] = plain(row[prediction])
                if attributes:
                    event["attributes"] = {
                        name: plain(row[name]) for name in attributes if not is_missing(row[name])
                    }
                identity = plain(row[prediction_id]) if prediction_id else content_id(event)
                event["prediction_id"] = str(identity)
                event["event_id"] = str(plain(row[event_id])) if event_id else str(identity)
                yield event

        return self._post_batches(events(), batch_size, {})

    def post_labels(
        self,
        data: Rows,
        *,
        model: str,
        label: str = "label",
        prediction_id: str = "prediction_id",
        ts: str = "ts",
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> IngestResult:
        """Label events (0/1 for a binary model) from rows with prediction id, label and time."""

        def events() -> Iterator[Json]:
            for index, row in enumerate(rows_of(data)):
                for name in (label, prediction_id, ts):
                    if name not in row:
                        raise ValueError(
                            f"row {index}: no column {name!r} (columns: {', '.join(row)})"
                        )
                value = plain(row[label])
                if isinstance(value, float) and value.is_integer():
                    value = int(value)  # 1.0 from a float column is the label 1
                yield {
                    "type": "label",
                    "model": model,
                    "prediction_id": str(plain(row[prediction_id])),
                    "label": value,
                    "ts": plain(row[ts]),
                }

        return self._post_batches(events(), batch_size, {})

    def _post_batches(
        self, events: Iterable[Json], batch_size: int, query: Mapping[str, str]
    ) -> IngestResult:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        result = IngestResult()
        batch: List[str] = []
        first = 0
        for event in events:
            batch.append(to_json(event))
            if len(batch) >= batch_size:
                self._post_batch(batch, first, query, result)
                first += len(batch)
                batch = []
        if batch:
            self._post_batch(batch, first, query, result)
        return result

    def _post_batch(
        self, lines: List[str], first: int, query: Mapping[str, str], result: IngestResult
    ) -> None:
        # Resending a whole batch is safe: the service stores each event id once.
        answer = self._request(
            "POST",
            "/v1/events",
            query=query,
            body=("\n".join(lines) + "\n").encode("utf-8"),
            content_type="application/x-ndjson",
            accept_statuses=(207,),
        )
        result.batches += 1
        result.answers.append(answer)
        result.accepted += int(answer.get("accepted", 0))
        result.rejected += int(answer.get("rejected", 0))
        result.duplicates += int(answer.get("duplicates", 0))
        result.errors_omitted += int(answer.get("errors_omitted", 0))
        for error in answer.get("errors", []):
            result.errors.append(
                IngestError(
                    index=first + int(error.get("index", 0)),
                    reason=str(error.get("reason", "")),
                    detail=str(error.get("detail", "")),
                )
            )

    # ---- reading ----

    def models(self) -> List[Json]:
        """Every monitored model with its status, worst first."""
        return list(self._request("GET", "/v1/models"))

    def model(self, model: str) -> Json:
        """One model: its features, slices, checks and the results of its newest window."""
        return self._request("GET", f"/v1/models/{quote(model)}")

    def history(
        self,
        model: Optional[str] = None,
        *,
        feature: Optional[str] = None,
        slice: Optional[str] = None,
        metric: Optional[str] = None,
        status: Union[str, Sequence[str], None] = None,
        check_id: Optional[str] = None,
        since: Union[datetime, str, None] = None,
        until: Union[datetime, str, None] = None,
        limit: Optional[int] = None,
        as_frame: bool = False,
    ) -> Any:
        """The drift history: every stored result, newest window first (GET /v1/results).

        `slice` is "all", a value ("web") or key=value ("channel=web"); `status` one or more
        of ok, warn, critical, insufficient_data, no_data; `since` < window_end <= `until`.
        A list of dicts, or a DataFrame with `as_frame=True` (pandas).
        """
        query = {
            "model": model,
            "feature": feature,
            "slice": slice,
            "metric": metric,
            "status": status if isinstance(status, str) or status is None else ",".join(status),
            "check_id": check_id,
            "from": time_param(since),
            "to": time_param(until),
        }
        rows = self._pages("/v1/results", query, limit)
        return to_frame(rows, RESULT_TIMES) if as_frame else rows

    def results(self, model: str, *, as_frame: bool = False) -> Any:
        """Every result of the model's newest evaluated window."""
        rows = list(self.model(model).get("latest", []))
        return to_frame(rows, RESULT_TIMES) if as_frame else rows

    def runs(
        self,
        model: str,
        *,
        since: Union[datetime, str, None] = None,
        until: Union[datetime, str, None] = None,
        limit: Optional[int] = None,
        as_frame: bool = False,
    ) -> Any:
        """The model's evaluated windows, newest first."""
        query = {"from": time_param(since), "to": time_param(until)}
        rows = self._pages(f"/v1/models/{quote(model)}/runs", query, limit)
        return to_frame(rows, RUN_TIMES) if as_frame else rows

    def alerts(
        self,
        model: Optional[str] = None,
        *,
        state: Union[str, Sequence[str], None] = None,
        limit: Optional[int] = None,
        as_frame: bool = False,
    ) -> Any:
        """Alerts, newest first; state one or more of pending, firing, resolved."""
        query = {
            "model": model,
            "state": state if isinstance(state, str) or state is None else ",".join(state),
        }
        rows = self._pages("/v1/alerts", query, limit)
        return to_frame(rows, ALERT_TIMES) if as_frame else rows

    def status(self) -> Json:
        """Events stored per kind and dead letters."""
        return self._request("GET", "/v1/status")

    # ---- operating (role operator) ----

    def run(self, model: str, window_end: Union[datetime, str, None] = None) -> Json:
        """Evaluate the window ending at `window_end` now and store it.

        `window_end` must be a tick of the monitor's schedule; without it, the service evaluates
        the last complete scheduled window. Answers {"run": {...}, "results": [...], "alerts":
        {"taken": ..., "message": ...}} (what the alert stage did with the window). Running a
        window again replaces its results.
        """
        body = {} if window_end is None else {"window_end": time_param(window_end)}
        return self._request(
            "POST",
            f"/v1/models/{quote(model)}/runs",
            body=to_json(body).encode("utf-8"),
            content_type="application/json",
        )

    # ---- HTTP ----

    def _pages(
        self, path: str, query: Mapping[str, Optional[str]], limit: Optional[int]
    ) -> List[Json]:
        rows: List[Json] = []
        offset = 0
        while limit is None or len(rows) < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(rows))
            page = self._request(
                "GET", path, query={**query, "limit": str(size), "offset": str(offset)}
            )
            rows.extend(page.get("items", []))
            next_offset = page.get("next_offset")
            if next_offset is None:
                break
            offset = int(next_offset)
        return rows

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Optional[str]]] = None,
        body: Optional[bytes] = None,
        content_type: Optional[str] = None,
        accept_statuses: Sequence[int] = (),
    ) -> Any:
        params = {key: value for key, value in (query or {}).items() if value is not None}
        url = self.url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        headers = {"accept": "application/json", "user-agent": "driftwatch-python/0.1"}
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        if content_type:
            headers["content-type"] = content_type
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return decode(response.read())
            except urllib.error.HTTPError as error:
                payload = error.read()
                if error.code in accept_statuses:
                    return decode(payload)
                # Busy, rate-limited or the store away: the service says when to come back.
                if error.code in (429, 503) and attempt < self.retries:
                    time.sleep(retry_delay(error.headers.get("retry-after"), attempt))
                    continue
                raise api_error(error.code, payload) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if attempt < self.retries:
                    time.sleep(retry_delay(None, attempt))
                    continue
                reason = getattr(error, "reason", error)
                raise ConnectionError(
                    f"driftwatch at {self.url} does not answer: {reason}"
                ) from None
        raise AssertionError("unreachable")


def decode(payload: bytes) -> Any:
    text = payload.decode("utf-8")
    return json.loads(text) if text.strip() else {}


def api_error(status: int, payload: bytes) -> DriftwatchError:
    try:
        body = decode(payload)
    except ValueError:
        body = {"error": payload.decode("utf-8", "replace")[:500]}
    if not isinstance(body, dict):
        body = {"error": str(body)}
    return DriftwatchError(
        status,
        str(body.get("code", f"HTTP_{status}")),
        str(body.get("error", "")),
        body.get("request_id"),
    )


def retry_delay(retry_after: Optional[str], attempt: int) -> float:
    try:
        if retry_after is not None:
            return min(float(retry_after), 30.0)
    except ValueError:
        pass
    return min(0.5 * 2**attempt, 10.0)


def quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def time_param(value: Union[datetime, str, None]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    return rfc3339(value)


def feature_value(value: Any) -> Any:
    """A feature is a number, a string or null: a bool counts as 1 or 0."""
    converted = plain(value)
    if isinstance(converted, bool):
        return int(converted)
    return converted


def content_id(event: Mapping[str, Any]) -> str:
    """An id from what the event says, so the same row posted twice is one event."""
    digest = hashlib.sha256(to_json(event).encode("utf-8")).hexdigest()
    return f"sha256-{digest[:32]}"


def check_columns(
    row: Mapping[str, Any],
    index: int,
    columns: Mapping[str, Any],
    *single: Optional[str],
) -> None:
    wanted: List[str] = []
    for value in columns.values():
        wanted.extend([value] if isinstance(value, str) else list(value))
    wanted.extend(name for name in single if name)
    missing = [name for name in wanted if name not in row]
    if missing:
        raise ValueError(
            f"row {index}: no column {', '.join(repr(m) for m in missing)}"
            f" (columns: {', '.join(map(str, row))})"
        )
