"""driftwatch's Python client: post events, read drift history, results and alerts, run the report.

Standard library only; pandas optional (DataFrames in, and out with as_frame=True).
See clients/python/README.md.
"""

from ._frames import PandasMissing
from .client import Client, DriftwatchError, IngestError, IngestResult
from .report import ReportError, report, report_frame

__all__ = [
    "Client",
    "DriftwatchError",
    "IngestError",
    "IngestResult",
    "PandasMissing",
    "ReportError",
    "report",
    "report_frame",
]
__version__ = "0.1.0"
