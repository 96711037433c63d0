"""The long table for analysts: commune × date × indicator over the event.

One summary per day (the same aggregation as the daily table, so each day's
numbers equal the API summary for that date), streamed in chunks of rows so
memory stays at one day's table however long the event runs.

Bounded work: the last date is never after today or the event's end (the
selection refuses those), and one request covers at most LONG_EXPORT_MAX_DAYS
days ending at that date. Rows are sent at the end of every day that has any,
so a client that leaves is noticed at the next write and the generator is
closed there (GeneratorExit) instead of building the remaining days.
"""
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import islice

from ..areas.models import Area
from ..events import Event
from .csv_ import write_rows
from .table import build_table

HEADER = ["date", "commune_code", "commune_name", "indicator", "indicator_label", "unit",
          "value", "report_date", "status"]


def event_days(event: Event, last: date, max_days: int | None = None) -> list[date]:
    """The event's days up to `last`; with max_days, only that many, ending at `last`."""
    end = min(last, event.end_date) if event.end_date else last
    start = event.start_date
    if max_days is not None and (end - start).days + 1 > max_days:
        start = end - timedelta(days=max_days - 1)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def long_chunks(event: Event, last: date, area: Area | None = None,
                commune_code: str | None = None, rows_per_chunk: int = 5000,
                max_days: int | None = None) -> Iterator[bytes]:
    """CSV bytes: the header, then the rows in chunks; only figures that exist become rows."""
    yield write_rows([HEADER]).encode("utf-8")
    for day in event_days(event, last, max_days):
        table = build_table(event, day, area, commune_code)
        indicators = [(i.code, i.label, i.unit) for i in table.indicators]
        rows = ([day.isoformat(), c.code, c.name, code, label, unit, c.figures[code],
                 c.report_date.isoformat(), c.status]
                for c in table.rows for code, label, unit in indicators if code in c.figures)
        while chunk := list(islice(rows, rows_per_chunk)):
            yield write_rows(chunk, bom=False).encode("utf-8")
