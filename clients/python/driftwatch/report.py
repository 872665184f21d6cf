"""The one-shot report (`driftwatch report`) from Python: two datasets in, drift per feature out.

The service has no report route: the report runs the `driftwatch` command on this machine
(an embedded store of its own, nothing to serve). Files are passed as they are; DataFrames
are written to CSV in a temporary directory first.

    from driftwatch import report, report_frame
    drift = report("train.csv", "last_week.parquet", slice="channel")
    report_frame(drift)          # one row per feature and slice value (pandas)
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._frames import is_frame, pandas_module

Dataset = Union[str, "os.PathLike[str]", Any]  # a path, or a pandas DataFrame


class ReportError(Exception):
    """`driftwatch report` refused (bad input: status 2) or failed; the message is its own."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"driftwatch report exited with status {status}: {message}")
        self.status = status


def driftwatch_command(environ: Mapping[str, str] = os.environ) -> List[str]:
    """DRIFTWATCH_COMMAND ("node /path/to/bin/driftwatch.js"), else driftwatch on PATH, else npx."""
    configured = environ.get("DRIFTWATCH_COMMAND")
    if configured:
        return shlex.split(configured)
    found = shutil.which("driftwatch")
    if found:
        return [found]
    return ["npx", "--no-install", "driftwatch"]


def report(
    baseline: Dataset,
    current: Dataset,
    *,
    slice: Optional[str] = None,
    score: Optional[str] = None,
    label: Optional[str] = None,
    threshold: Optional[float] = None,
    features: Optional[Sequence[str]] = None,
    ignore: Optional[Sequence[str]] = None,
    exact: bool = False,
    command: Union[str, Sequence[str], None] = None,
    timeout: Optional[float] = None,
) -> Dict[str, Any]:
    """The report as JSON (schemas/report.schema.json): one entry per feature and slice value."""
    base = (
        driftwatch_command()
        if command is None
        else (shlex.split(command) if isinstance(command, str) else list(command))
    )
    with tempfile.TemporaryDirectory(prefix="driftwatch-report-") as scratch:
        args = [
            *base,
            "report",
            "--baseline",
            dataset_path(baseline, scratch, "baseline"),
            "--current",
            dataset_path(current, scratch, "current"),
            "--format",
            "json",
        ]
        for flag, value in (("--slice", slice), ("--score", score), ("--label", label)):
            if value is not None:
                args += [flag, value]
        if threshold is not None:
            args += ["--threshold", repr(float(threshold))]
        if features:
            args += ["--features", ",".join(features)]
        if ignore:
            args += ["--ignore", ",".join(ignore)]
        if exact:
            args.append("--exact")
        try:
            finished = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, check=False
            )
        except FileNotFoundError as error:
            raise ReportError(
                127,
                f"cannot run {base[0]!r}: install driftwatch (npm install -g driftwatch)"
                " or set DRIFTWATCH_COMMAND",
            ) from error
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise ReportError(finished.returncode, lines[-1] if lines else "(no message)")
    parsed: Dict[str, Any] = json.loads(finished.stdout)
    return parsed


def dataset_path(data: Dataset, scratch: str, name: str) -> str:
    if is_frame(data):
        path = os.path.join(scratch, f"{name}.csv")
        data.to_csv(path, index=False)
        return path
    return os.fspath(data)


def report_frame(drift: Mapping[str, Any]) -> Any:
    """The report's features as a DataFrame: a row per feature and slice, nested fields flattened."""
    pandas = pandas_module("report_frame")
    return pandas.json_normalize(list(drift.get("features", [])))
