"""`flask --app app backup [--to DIR]` and `flask --app app restore FILE [--force]`."""
from pathlib import Path

import click

from ..errors import InputError
from ..extensions import db
from ..formatting import vn_number
from ..timeutil import fmt_local
from .dump import BackupError
from .jobs import take_backup
from .restore import restore


@click.command("backup")
@click.option("--to", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the backup (default BACKUP_DIR, instance/backups).")
def backup_command(directory):
    """Back up the database now, while the service runs (SQLite backup API / pg_dump -Fc)."""
    try:
        run = take_backup(directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    size = vn_number(run.path.stat().st_size / 1024 / 1024, 1)
    click.echo(f"Đã sao lưu vào {run.path} ({size} MB, SHA-256 {run.backup.sha256}).")
    if run.removed:
        click.echo(f"Theo quy định lưu giữ, đã xóa {len(run.removed)} bản sao lưu cũ.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
def restore_command(file, force):
    """Restore a backup into an empty database (checksum first), then upgrade the schema."""
    target = db.engine.url.render_as_string(hide_password=True)
    try:
        done = restore(file, force)
    except InputError as exc:
        raise click.ClickException(" ".join(exc.messages.values())) from None
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    latest = fmt_local(done.latest_received_at) or "—"
    click.echo(f"Đã kiểm tra SHA-256 và khôi phục {file.name} vào {target}: "
               f"{done.versions} phiên bản báo cáo, báo cáo mới nhất nhận lúc {latest}. "
               f"Lược đồ đã được nâng cấp lên phiên bản hiện tại.")
