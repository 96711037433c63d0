"""Local time (Asia/Ho_Chi_Minh by default): stored times are UTC, shown local."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(utc_naive: datetime | None) -> datetime | None:
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(local_tz())


def to_utc_naive(local_dt: datetime) -> datetime:
    """A local wall-clock time (naive, or aware) as naive UTC."""
    if local_dt.tzinfo is None:
        local_dt = local_dt.replace(tzinfo=local_tz())
    return local_dt.astimezone(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(local_tz()).date()


def local_deadline_utc(day: date, at: time) -> datetime:
    """The deadline `at` on local `day`, as naive UTC."""
    return to_utc_naive(datetime.combine(day, at))


def fmt_local(utc_naive: datetime | None, pattern: str = "%H:%M %d/%m/%Y") -> str:
    local = to_local(utc_naive)
    return local.strftime(pattern) if local else ""


def iso_local(utc_naive: datetime | None) -> str | None:
    local = to_local(utc_naive)
    return local.isoformat(timespec="seconds") if local else None
