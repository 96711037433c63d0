"""Which backups to keep: the newest of each of the last 14 days, then one per week for 8 weeks.

The rule (`keep`) is a pure function of the files' times, so it is tested on long series
without a disk or a clock:

* daily: the newest backup of each of the `daily` most recent local days that have one;
* weekly: the newest backup of each of the `weekly` most recent ISO weeks (Monday to
  Sunday, local) older than the week of the oldest daily one. A week the daily ones
  already reach is not counted again, so a long daily series keeps exactly
  `daily + weekly` files, covering two weeks day by day and two months before them.

Days are local (TIMEZONE): a 02:30 backup belongs to the day the province calls it.
Days and weeks without a backup (the server was down) are skipped, not counted, so a
gap never deletes the backups from before it. The newest backup is always kept, and so
is every backup of the last 24 hours: one taken by hand before a risky change survives
the next one made the same day.
"""
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from .files import backup_files, checksum_path

RECENT = timedelta(hours=24)


def keep(times: Iterable[datetime], now: datetime, tz: tzinfo, daily: int = 14,
         weekly: int = 8) -> set[datetime]:
    """The times (aware) of the backups to keep at `now`; every other one may be deleted."""
    newest_first = sorted(set(times), reverse=True)
    day_of = {t: t.astimezone(tz).date() for t in newest_first}
    days: dict[date, datetime] = {}  # day → its newest backup
    for t in newest_first:
        if len(days) < daily or day_of[t] in days:
            days.setdefault(day_of[t], t)
    weeks: dict[date, datetime] = {}  # Monday → the week's newest backup
    daily_from = _monday(min(days)) if days else date.max
    for t in newest_first:
        monday = _monday(day_of[t])
        if monday < daily_from and (len(weeks) < weekly or monday in weeks):
            weeks.setdefault(monday, t)
    recent = {t for t in newest_first if t > now - RECENT}
    # the newest is kept even with daily = weekly = 0: retention never deletes every backup
    return set(days.values()) | set(weeks.values()) | recent | set(newest_first[:1])


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def prune(directory: Path, now: datetime, tz: tzinfo, daily: int, weekly: int) -> list[Path]:
    """Delete the backups `keep` does not keep (with their .sha256); returns what went."""
    files = backup_files(directory)
    kept = keep(files.values(), now, tz, daily, weekly)
    removed = []
    for path, moment in sorted(files.items(), key=lambda item: item[1]):
        if moment not in kept:
            checksum_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
