"""The client against a running driftwatch service (npm test starts one and runs these twice,
with pandas and with pandas blocked: test/integration/python-client.integration.test.ts).

Environment:
  DRIFTWATCH_TEST_URL                      the service
  DRIFTWATCH_TEST_{INGEST,READ,OPERATOR}_TOKEN   one token per role
  DRIFTWATCH_TEST_MODEL                    a model the service monitors (a binary fraud model)
  DRIFTWATCH_TEST_WINDOW_END               the end of this run's own window (RFC 3339)
  DRIFTWATCH_TEST_EXAMPLES                 the repository's examples/ folder
  DRIFTWATCH_TEST_PANDAS                   required | blocked
  DRIFTWATCH_COMMAND                       how to run the driftwatch CLI (for the report)
"""

from __future__ import annotations

import csv
import os
import time
import unittest
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

from driftwatch import (
    Client,
    DriftwatchError,
    IngestError,
    PandasMissing,
    ReportError,
    report,
    report_frame,
)

FEATURES = ["amount", "account_age_days", "device_score", "tiny_rate", "merchant_category"]
ATTRIBUTES = ["channel", "country"]
PANDAS = os.environ.get("DRIFTWATCH_TEST_PANDAS", "required")


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: these tests run against a driftwatch service "
            "(npm test starts one: test/integration/python-client.integration.test.ts)"
        )
    return value


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_csv(path: str, limit: int) -> List[Dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows: List[Dict[str, Any]] = []
        for row in csv.DictReader(handle):
            rows.append(
                {
                    key: (
                        value
                        if key in ("merchant_category", "channel", "country")
                        else float(value)
                    )
                    if value != ""
                    else None
                    for key, value in row.items()
                }
            )
            if len(rows) == limit:
                break
        return rows


class ServiceTest(unittest.TestCase):
    """Posting (batched, errors surfaced), running, reading history, results, runs and alerts."""

    rows = 3000

    @classmethod
    def setUpClass(cls) -> None:
        url = required("DRIFTWATCH_TEST_URL")
        cls.ingest = Client(url, required("DRIFTWATCH_TEST_INGEST_TOKEN"))
        cls.reader = Client(url, required("DRIFTWATCH_TEST_READ_TOKEN"))
        cls.operator = Client(url, required("DRIFTWATCH_TEST_OPERATOR_TOKEN"))
        cls.model = required("DRIFTWATCH_TEST_MODEL")
        cls.window_end = parse_time(required("DRIFTWATCH_TEST_WINDOW_END"))
        cls.examples = required("DRIFTWATCH_TEST_EXAMPLES")
        cls.run_id = uuid.uuid4().hex[:12]
        # this run's window: the drifted current file, spread over the hour before window_end
        rows = read_csv(os.path.join(cls.examples, "current.csv"), cls.rows)
        start = cls.window_end - timedelta(minutes=55)
        for i, row in enumerate(rows):
            row["ts"] = start + timedelta(seconds=i * 3000 / len(rows))
            row["prediction_id"] = f"{cls.run_id}-{i}"
        cls.sent: Any = rows
        if PANDAS == "required":
            import pandas

            cls.sent = pandas.DataFrame(rows)  # the DataFrame path: numpy values, NaN, Timestamps
        cls.posted = cls.ingest.post_predictions(
            cls.sent,
            model=cls.model,
            features=FEATURES,
            attributes=ATTRIBUTES,
            model_version="v1",
            batch_size=1000,
        )
        cls.labelled = cls.ingest.post_labels(cls.sent, model=cls.model, batch_size=1000)
        cls.evaluation = cls.operator.run(cls.model, cls.window_end)

    def test_posts_every_row_in_batches_with_the_answer_summed(self) -> None:
        self.assertEqual(
            (self.posted.accepted, self.posted.rejected, self.posted.batches, self.posted.errors),
            (self.rows, 0, 3, []),
        )
        self.assertTrue(self.posted.ok)
        self.assertEqual((self.labelled.accepted, self.labelled.rejected), (self.rows, 0))

    def test_refused_events_are_named_by_their_index_in_what_was_passed(self) -> None:
        events = [
            {
                "type": "prediction",
                "event_id": f"{self.run_id}-list-{i}",
                "prediction_id": f"{self.run_id}-list-{i}",
                "model": f"{self.model}-list",
                "ts": self.window_end - timedelta(minutes=30),
                "features": {"amount": float(i)},
                "score": 7 if i == 137 else 0.5,
            }
            for i in range(250)
        ]
        first = self.ingest.post_events(events, batch_size=100)
        self.assertEqual((first.accepted, first.rejected, first.batches), (249, 1, 3))
        self.assertEqual(len(first.errors), 1)
        error = first.errors[0]
        self.assertIsInstance(error, IngestError)
        self.assertEqual((error.index, error.reason), (137, "invalid"))
        self.assertIn('"score"', error.detail)
        with self.assertRaises(ValueError) as caught:
            first.raise_for_rejected()
        self.assertIn("#137 invalid", str(caught.exception))
        # sent again, nothing counts twice
        again = self.ingest.post_events(events, batch_size=100)
        self.assertEqual((again.duplicates, again.rejected), (249, 1))

    def test_an_infinite_feature_value_is_an_observation_not_an_error(self) -> None:
        answer = self.ingest.post_events(
            [
                {
                    "type": "prediction",
                    "event_id": f"{self.run_id}-inf",
                    "prediction_id": f"{self.run_id}-inf",
                    "model": f"{self.model}-list",
                    "ts": self.window_end - timedelta(minutes=30),
                    "features": {"amount": float("inf"), "missing": float("nan")},
                    "score": 0.5,
                }
            ]
        )
        self.assertEqual((answer.accepted, answer.rejected), (1, 0))

    def test_tokens_are_checked_and_never_shown(self) -> None:
        anonymous = Client(self.reader.url)
        with self.assertRaises(DriftwatchError) as caught:
            anonymous.history(self.model)
        self.assertEqual(
            (caught.exception.status, caught.exception.code), (401, "DW_UNAUTHENTICATED")
        )
        token = required("DRIFTWATCH_TEST_INGEST_TOKEN")
        with self.assertRaises(DriftwatchError) as caught:
            self.ingest.history(self.model)  # an ingest token posts events, reads nothing
        self.assertEqual((caught.exception.status, caught.exception.code), (403, "DW_FORBIDDEN"))
        self.assertNotIn(token, str(caught.exception))
        self.assertNotIn(token, repr(self.ingest))

    def test_run_evaluates_the_window_and_finds_the_planted_drift(self) -> None:
        run = self.evaluation["run"]
        self.assertEqual(parse_time(run["window_end"]), self.window_end)
        self.assertEqual(run["status"], "critical")
        fired = {
            (r["metric"], r["feature"], r["slice_key"], r["slice_value"])
            for r in self.evaluation["results"]
            if r["status"] == "critical"
        }
        self.assertIn(("psi", "amount", "channel", "web"), fired)

    def test_history_as_dicts_or_as_a_dataframe(self) -> None:
        window = {"since": self.window_end - timedelta(milliseconds=1), "until": self.window_end}
        rows = self.reader.history(self.model, metric="psi", status=["critical"], **window)
        self.assertGreater(len(rows), 0)
        self.assertTrue(all(r["status"] == "critical" and r["metric"] == "psi" for r in rows))
        self.assertIn(
            ("amount", "channel", "web"),
            {(r["feature"], r["slice_key"], r["slice_value"]) for r in rows},
        )
        everything = self.reader.history(self.model, **window)
        self.assertEqual(len(everything), len(self.evaluation["results"]))  # paged through
        limited = self.reader.history(self.model, limit=7, **window)
        self.assertEqual(len(limited), 7)
        if PANDAS == "blocked":
            with self.assertRaises(PandasMissing):
                self.reader.history(self.model, as_frame=True, **window)
            return
        frame = self.reader.history(
            self.model, metric="psi", status="critical", as_frame=True, **window
        )
        self.assertEqual(len(frame), len(rows))
        self.assertEqual(str(frame["window_end"].dtype), "datetime64[ns, UTC]")
        self.assertEqual(set(frame["status"]), {"critical"})

    def test_results_are_the_newest_windows(self) -> None:
        latest = self.reader.results(self.model)
        ends = {r["window_end"] for r in latest}
        self.assertEqual(len(ends), 1)
        self.assertGreaterEqual(parse_time(ends.pop()), self.window_end)
        runs = self.reader.runs(self.model)
        mine = [run for run in runs if parse_time(run["window_end"]) == self.window_end]
        self.assertEqual([run["status"] for run in mine], ["critical"])
        if PANDAS == "required":
            frame = self.reader.runs(self.model, as_frame=True)
            self.assertEqual(len(frame), len(runs))

    def test_alerts_fire_for_the_drifted_window(self) -> None:
        deadline = time.monotonic() + 30
        found: List[Dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = [
                alert
                for alert in self.reader.alerts(self.model, state="firing")
                if (alert["metric"], alert["feature"], alert["slice"])
                == ("psi", "amount", "channel=web")
            ]
            if found:
                break
            time.sleep(0.5)
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["severity"], "critical")
        if PANDAS == "required":
            frame = self.reader.alerts(self.model, state=["firing", "pending"], as_frame=True)
            self.assertIn("since", frame.columns)

    def test_ingest_status(self) -> None:
        status = self.reader.status()
        self.assertGreaterEqual(status["events"]["predictions"], self.rows)


class ReportTest(unittest.TestCase):
    """The one-shot report through the CLI: files, DataFrames, and its errors."""

    def setUp(self) -> None:
        examples = required("DRIFTWATCH_TEST_EXAMPLES")
        self.baseline = os.path.join(examples, "baseline.csv")
        self.current = os.path.join(examples, "current.csv")

    def test_report_of_two_files(self) -> None:
        drift = report(self.baseline, self.current, slice="channel", score="score", label="label")
        entries = {(f["name"], f["slice"]): f for f in drift["features"]}
        self.assertTrue(entries[("amount", "web")]["drift"])
        self.assertFalse(entries[("account_age_days", "all")]["drift"])  # planted: it does not move
        self.assertIn("classification", drift)
        if PANDAS == "blocked":
            with self.assertRaises(PandasMissing):
                report_frame(drift)
            return
        import pandas

        frame = report_frame(drift)
        self.assertEqual(len(frame), len(drift["features"]))
        # the same data as DataFrames (written to CSV for the CLI) gives the same report
        from_frames = report(
            pandas.read_csv(self.baseline),
            pandas.read_csv(self.current),
            slice="channel",
            score="score",
            label="label",
        )
        by_frames = {(f["name"], f["slice"]): f for f in from_frames["features"]}
        self.assertEqual(set(by_frames), set(entries))
        self.assertAlmostEqual(
            by_frames[("amount", "web")]["psi"], entries[("amount", "web")]["psi"], places=12
        )

    def test_a_bad_file_is_a_report_error_naming_it(self) -> None:
        with self.assertRaises(ReportError) as caught:
            report(self.baseline, os.path.join(os.path.dirname(self.baseline), "no-such.csv"))
        self.assertEqual(caught.exception.status, 2)
        self.assertIn("no-such.csv", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
