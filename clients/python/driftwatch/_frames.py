"""pandas, only when asked for: the client works without it.

`rows_of` takes a DataFrame or any iterable of mappings; `to_frame` turns the API's lists
of dicts into a DataFrame with its time columns parsed. pandas is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, Mapping, Sequence, Union

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import pandas

Row = Dict[str, Any]
Rows = Union[Iterable[Mapping[str, Any]], "pandas.DataFrame"]


class PandasMissing(ImportError):
    """pandas is needed for this call and is not installed."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs pandas, which is not installed: "
            "`sudo apt-get install python3-pandas` (Debian) or `pip install pandas`; "
            "without it the client answers lists of dicts"
        )


def pandas_module(what: str) -> Any:
    try:
        import pandas  # noqa: PLC0415 - imported lazily on purpose
    except ImportError as error:
        raise PandasMissing(what) from error
    return pandas


def is_frame(data: Any) -> bool:
    """A pandas DataFrame, told apart without importing pandas."""
    kind = type(data)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


def rows_of(data: Rows) -> Iterator[Row]:
    if is_frame(data):
        columns = [str(column) for column in data.columns]
        for values in data.itertuples(index=False, name=None):
            yield dict(zip(columns, values))
        return
    if isinstance(data, Mapping):
        raise TypeError("expected many rows (a list of dicts or a DataFrame), got one mapping")
    for row in data:
        yield dict(row)


def to_frame(rows: Sequence[Mapping[str, Any]], times: Sequence[str] = ()) -> "pandas.DataFrame":
    pandas = pandas_module("as_frame=True")
    frame = pandas.DataFrame(list(rows))
    for column in times:
        if column in frame.columns:
            frame[column] = pandas.to_datetime(frame[column], utc=True)
    return frame
