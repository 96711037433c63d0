"""Backup files on disk: names that carry their UTC time, and a SHA-256 file beside each.

`coordination-20251008T070000Z.sqlite` (SQLite backup API copy) or `….dump` (pg_dump -Fc);
a second backup in the same second gets `-2`, `-3` …. `<file>.sha256` is in sha256sum's
format, so `sha256sum -c coordination-….dump.sha256` checks a file by hand too. A file
appears under its final name only when complete (written beside it, then linked): a
backup that failed half-way leaves nothing that looks like a backup.
"""
import hashlib
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

EXTENSIONS = {"sqlite": "sqlite", "postgresql": "dump"}
NAME = re.compile(r"^coordination-(\d{8}T\d{6}Z)(?:-\d+)?\.(sqlite|dump)$")
SQLITE_MAGIC, PGDUMP_MAGIC = b"SQLite format 3\x00", b"PGDMP"


def backup_time(name: str) -> datetime | None:
    """The UTC time (aware) in a backup file's name; None for any other file."""
    match = NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def backup_files(directory: Path) -> dict[Path, datetime]:
    """Every backup in the folder with its time (checksum files and partial writes left out)."""
    if not directory.is_dir():
        return {}
    found = {path: backup_time(path.name) for path in directory.iterdir() if path.is_file()}
    return {path: moment for path, moment in found.items() if moment is not None}


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def read_checksum(path: Path) -> str | None:
    """The hex digest recorded beside a file, or None when there is no usable one."""
    try:
        text = checksum_path(path).read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    digest = text.split()[0].lower() if text.split() else ""
    return digest if re.fullmatch(r"[0-9a-f]{64}", digest) else None


def scratch(directory: Path) -> Path:
    """A private file to write a backup into, in the folder it will be published in."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".coordination-", suffix=".partial", dir=directory)
    os.close(fd)
    return Path(name)


def publish(written: Path, backend: str, moment: datetime) -> tuple[Path, str]:
    """Give a complete backup its final name and write its checksum; returns (path, sha256).

    Linking (not renaming) never replaces an existing file, so two backups made in one
    second both survive. A crash between the link and the checksum leaves a file without
    its .sha256, which restore refuses: never a backup that passes unchecked."""
    _fsync(written)
    digest = sha256_of(written)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        target = written.with_name(
            f"coordination-{stamp}{'' if n == 1 else f'-{n}'}.{EXTENSIONS[backend]}")
        try:
            os.link(written, target)
        except FileExistsError:
            continue
        written.unlink()
        sums = scratch(written.parent)
        sums.write_text(f"{digest}  {target.name}\n", encoding="ascii")
        _fsync(sums)
        os.replace(sums, checksum_path(target))
        _fsync(written.parent)
        return target, digest
    raise RuntimeError("no free backup file name")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clear_leftovers(directory: Path, older_than: datetime) -> None:
    """Delete the scratch files of runs killed mid-way (never those of a run still going)."""
    if not directory.is_dir():
        return
    for path in directory.glob(".coordination-*.partial"):
        try:
            if datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) < older_than:
                path.unlink()
        except FileNotFoundError:
            pass
