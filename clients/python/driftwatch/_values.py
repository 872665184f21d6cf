"""Values as driftwatch's JSON wants them, whatever a notebook holds.

Rows from a DataFrame carry numpy scalars, pandas timestamps, NaN for a missing value and
pd.NA / NaT; Python's json module writes NaN and infinity as tokens JSON does not have.
Here a missing value becomes null, an infinite feature value becomes 1e309 (the number
JSON parsers read back as infinity: driftwatch stores it and reports it as a data-quality
finding), times become RFC 3339 in UTC.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from typing import Any, Mapping, Sequence


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA and NaT: a value that is not there."""
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, float):
        return math.isnan(value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            inner = item()
        except (TypeError, ValueError):
            return False
        return isinstance(inner, float) and math.isnan(inner)
    return False


def plain(value: Any) -> Any:
    """A JSON-ready Python value: None, bool, int, float (infinite allowed), str, dict, list."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(inner) for inner in value]
    item = getattr(value, "item", None)  # numpy scalars: int64, float32, bool_, str_
    if callable(item):
        return plain(item())
    raise TypeError(f"cannot send a {type(value).__name__} value ({value!r}) as JSON")


def rfc3339(moment: datetime) -> str:
    """UTC with milliseconds and Z; a naive datetime is taken as UTC (as naive pandas times are)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_json(value: Any) -> str:
    """JSON text of a plain value, writing infinity as 1e309 (json.dumps would write Infinity)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "1e309" if value > 0 else "-1e309"
        if math.isnan(value):
            return "null"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(to_json(inner) for inner in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} value as JSON")
