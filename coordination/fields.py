"""Reading the fields of a form or a JSON body into values, every problem into `Problems`.

The one set of field readers for operations (events, schedules, relief, incidents,
requests): the same input gives the same code everywhere (`required`, `too_long`,
`invalid_date`, `invalid_time`, and the number codes of `numbers.py`).
`field` names the error when it differs from the key read (`lines.0.quantity`).
"""
from datetime import date, datetime, time

from .errors import Problems
from .numbers import MAX_VALUE, blank, read_number


def _absent(value, field: str, problems: Problems, required: bool) -> bool:
    """Nothing sent: an error if the field is required."""
    if value is None or value == "":
        if required:
            problems.add(field, "required")
        return True
    return False


def text(data, name: str, problems: Problems, *, required: bool = True, max_len: int = 80,
         field: str | None = None) -> str:
    """Stripped text; '' when absent (an error if required)."""
    field = field or name
    value = data.get(name)
    if _absent(value, field, problems, required):
        return ""
    if not isinstance(value, str):
        problems.add(field, "invalid")
        return ""
    value = value.strip()
    if "\x00" in value:
        problems.add(field, "invalid_characters")
    elif required and not value:
        problems.add(field, "required")
    elif len(value) > max_len:
        problems.add(field, "too_long")
    return value


def day(data, name: str, problems: Problems, *, required: bool = True,
        field: str | None = None) -> date | None:
    """A date written YYYY-MM-DD."""
    field = field or name
    value = data.get(name)
    if _absent(value, field, problems, required):
        return None
    try:
        if isinstance(value, str):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    problems.add(field, "invalid_date")
    return None


def clock(value, name: str, problems: Problems, default: time | None = None) -> time | None:
    """'14:00' → time(14, 0); empty → default; anything else → invalid_time."""
    if value in (None, "") and default is not None:
        return default
    text_ = value.strip() if isinstance(value, str) else ""
    try:
        if len(text_) != 5:
            raise ValueError(text_)
        return time.fromisoformat(text_)
    except ValueError:
        problems.add(name, "invalid_time")
        return None


def number(data, name: str, problems: Problems, *, whole: bool, positive: bool = False,
           required: bool = True, maximum: float = MAX_VALUE, field: str | None = None,
           **rules) -> float | None:
    """A number as people type it (the one parser, numbers.py, with its `rules`); whole
    ones as int."""
    field = field or name
    value = data.get(name)
    if blank(value):
        if required:
            problems.add(field, "required")
        return None
    found = read_number(problems, field, value, whole=whole, maximum=maximum, **rules)
    if found is not None and positive and found == 0:
        problems.add(field, "not_positive")
        return None
    if found is None:
        return None
    return int(found) if whole else found


def moment(data, name: str, problems: Problems, *, required: bool = False) -> datetime | None:
    """An ISO 8601 instant with its offset (2025-10-08T13:45:00+07:00), as given."""
    value = data.get(name)
    if _absent(value, name, problems, required):
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        problems.add(name, "invalid_datetime")
        return None
    return found
