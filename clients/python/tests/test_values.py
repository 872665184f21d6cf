"""Values as the client writes them: no service needed."""

from __future__ import annotations

import json
import math
import os
import unittest
from datetime import datetime, timedelta, timezone

from driftwatch import Client, PandasMissing
from driftwatch._frames import rows_of, to_frame
from driftwatch._values import plain, rfc3339, to_json
from driftwatch.client import content_id

PANDAS = os.environ.get("DRIFTWATCH_TEST_PANDAS", "required")


class ValuesTest(unittest.TestCase):
    def test_missing_values_are_null_and_infinity_is_1e309(self) -> None:
        event = plain(
            {"a": float("nan"), "b": float("inf"), "c": -float("inf"), "d": None, "e": 1.5}
        )
        text = to_json(event)
        self.assertEqual(text, '{"a":null,"b":1e309,"c":-1e309,"d":null,"e":1.5}')
        # what any JSON parser (the service's included) reads back
        self.assertEqual(json.loads(text)["b"], math.inf)

    def test_times_are_rfc3339_utc_with_milliseconds(self) -> None:
        self.assertEqual(
            rfc3339(datetime(2026, 11, 22, 10, 0, 0, 123456)), "2026-11-22T10:00:00.123Z"
        )
        paris = timezone(timedelta(hours=1))
        self.assertEqual(
            rfc3339(datetime(2026, 11, 22, 11, 0, tzinfo=paris)), "2026-11-22T10:00:00.000Z"
        )

    def test_text_is_escaped_as_json(self) -> None:
        self.assertEqual(json.loads(to_json({"k": 'a "quoted"\nline'})), {"k": 'a "quoted"\nline'})

    def test_an_id_from_content_is_stable(self) -> None:
        event = {"model": "m", "ts": "2026-11-22T10:00:00.000Z", "features": {"x": 1}}
        self.assertEqual(content_id(event), content_id(dict(event)))
        self.assertNotEqual(content_id(event), content_id({**event, "features": {"x": 2}}))

    def test_one_mapping_is_not_many_rows(self) -> None:
        with self.assertRaises(TypeError):
            list(rows_of({"a": 1}))  # type: ignore[arg-type]

    def test_a_client_never_shows_its_token(self) -> None:
        client = Client("http://127.0.0.1:1", "dw_secret_value")
        self.assertNotIn("dw_secret_value", repr(client))

    def test_numpy_and_pandas_values_or_a_clear_message_without_pandas(self) -> None:
        if PANDAS == "blocked":
            with self.assertRaises(PandasMissing) as caught:
                to_frame([{"a": 1}])
            self.assertIn("pip install pandas", str(caught.exception))
            return
        import numpy
        import pandas

        frame = pandas.DataFrame(
            {
                "n": numpy.array([1, 2], dtype="int64"),
                "x": [0.5, numpy.nan],
                "t": pandas.to_datetime(["2026-11-22T10:00:00Z", None], utc=True),
                "s": pandas.array(["a", None], dtype="string"),
            }
        )
        rows = [plain(row) for row in rows_of(frame)]
        self.assertEqual(
            rows,
            [
                {"n": 1, "x": 0.5, "t": "2026-11-22T10:00:00.000Z", "s": "a"},
                {"n": 2, "x": None, "t": None, "s": None},
            ],
        )
        self.assertEqual(type(rows[0]["n"]), int)


if __name__ == "__main__":
    unittest.main()
