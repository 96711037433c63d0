"""`flask --app app ...` commands: init-db, users, events, geodata, areas, catalog.

Each command is an entry point: it turns its arguments into an operation's and runs
it in `write_transaction()`; a refused input becomes a clear message and exit 1.
"""
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from .areas import loading
from .areas.geometry import clear_cache
from .areas.lookup import area_codes
from .areas.models import Commune
from .auth.access import role_label
from .auth.accounts import create_user, issue_token, revoke_token, user_tokens
from .auth.models import ROLES, ApiToken, User
from .database import write_transaction
from .errors import InputError, message
from .events import EVENT_TYPES, Event, close_event, create_event, get_event
from .security import MAX_ID
from .timeutil import fmt_local, utcnow
from .extensions import db
from .indicators import load_catalog
from .maps.incidents import load_power_plants


T = TypeVar("T")


def run(action: Callable[[], T]) -> T:
    """Run an operation in one write transaction; its refusal is the command's error."""
    try:
        with write_transaction():
            return action()
    except InputError as exc:
        raise click.ClickException(" ".join(f"{k}: {v}" for k, v in exc.messages.items())) from None


def seed_defaults() -> dict:
    """Default data: Lạng Sơn if no communes yet, and catalog indicators not yet present."""
    result = {}
    if not db.session.scalar(select(func.count(Commune.code))):
        result["lang_son"] = loading.load_lang_son()
    result["indicators_added"] = load_catalog()
    result["facilities"] = load_power_plants()
    db.session.flush()
    return result


def ensure_first_admin() -> str | None:
    """Create `admin` with a random password when no account exists; returns the password."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = secrets.token_urlsafe(12)
    create_user("admin", password, "admin", full_name="Quản trị hệ thống")
    note = Path(current_app.instance_path) / "first-admin.txt"
    note.write_text(f"Tên đăng nhập: admin\nMật khẩu: {password}\n")
    note.chmod(0o600)
    return password


@click.command("init-db")
def init_db():
    """Create or upgrade the schema and load the default data (safe to run again)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    result = run(seed_defaults)
    clear_cache()
    if "lang_son" in result:
        click.echo(f"Đã nạp {result['lang_son']['added']} xã/phường Lạng Sơn và các vùng "
                   f"{', '.join(result['lang_son']['areas'])}.")
    click.echo(f"Danh mục chỉ tiêu: thêm {result['indicators_added']}.")
    password = run(ensure_first_admin)
    if password:
        click.echo(f"Tài khoản quản trị đầu tiên: admin / {password} "
                   f"(lưu tại instance/first-admin.txt)")


users = click.Group("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--commune", "commune_code", help="Commune code for a commune account.")
@click.option("--phone", default="")
@click.option("--full-name", default="")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username, role, commune_code, phone, full_name, email, password_stdin):
    """Create an account (the password is prompted for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    user = run(lambda: create_user(username, password, role, commune_code, full_name, phone, email))
    click.echo(f"Đã tạo tài khoản {user.username} ({role_label(user)}).")


def _user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(message("account_not_found", username=username))
    return user


@users.command("token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (e.g. 'cổng SMS').")
@click.option("--days", type=int, default=None,
              help="Days until it expires (default API_TOKEN_DAYS; 0 = never).")
def users_token(username, name, days):
    """Print a new API token for the account (last line of output)."""
    user = _user_named(username)
    token = run(lambda: issue_token(user, name=name, days=days))
    click.echo(token)


@users.command("tokens")
@click.argument("username")
def users_tokens(username):
    """List the account's API tokens (id, name, issued, last used, expires, state)."""
    now = utcnow()
    for t in user_tokens(_user_named(username)):
        state = "revoked" if t.revoked_at else ("active" if t.usable(now) else "expired")
        click.echo("\t".join([str(t.id), t.name or "-", fmt_local(t.created_at),
                              fmt_local(t.last_used_at) or "-",
                              fmt_local(t.expires_at) or "never", state]))


@users.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id):
    """Revoke one API token by its id (see `users tokens USERNAME`)."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None:
        raise click.ClickException(message("token_not_found", id=token_id))
    run(lambda: revoke_token(token))
    click.echo(f"Đã thu hồi token #{token_id}.")


@users.command("list")
def users_list():
    for u in db.session.scalars(select(User).order_by(User.username)):
        click.echo(f"{u.username}\t{role_label(u)}\t{u.commune_code or ''}\t{u.phone}")


geodata = click.Group("geodata", help="Load administrative units and areas.")


@geodata.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code-field", default="ma_xa", show_default=True)
@click.option("--name-field", default="ten_day_du", show_default=True)
def geodata_load(path, code_field, name_field):
    """Load or update units from GeoJSON, GeoPackage or Shapefile (reprojected to EPSG:4326)."""
    try:
        gdf = loading.read_units(path, code_field, name_field)
    except loading.GeodataError as exc:
        raise click.ClickException(str(exc)) from exc
    added, updated = run(lambda: loading.upsert_units(gdf))
    clear_cache()
    click.echo(f"Đã nạp {len(gdf)} đơn vị: thêm {added}, cập nhật {updated}.")


@geodata.command("areas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_areas(path):
    """Load named areas from a CSV (area_code, area_name, ma_xa)."""
    try:
        codes = run(lambda: loading.load_areas_csv(path))
    except loading.GeodataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã nạp vùng: {', '.join(codes)}")


@geodata.command("area-from-polygon")
@click.argument("code")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_area_from_polygon(code, name, path):
    """Define an area as the communes intersecting the polygons of a file."""
    area = run(lambda: loading.area_from_polygon_file(code, name, path))
    click.echo(f"Vùng {area.code}: {len(area_codes(area.code))} xã/phường.")


@geodata.command("former")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_former(path):
    """Load a former→current commune table (old_ma_xa, old_ten, ..., new_ma_xa)."""
    count = run(lambda: loading.load_former_communes(path))
    click.echo(f"Đã nạp {count} đơn vị cũ.")


@click.command("catalog-load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def catalog_load(path):
    """Add catalog indicators from a CSV (default: the built-in catalog)."""
    added = run(lambda: load_catalog(path) if path else load_catalog())
    click.echo(f"Thêm {added} chỉ tiêu.")


events = click.Group("events", help="Disaster events and their daily reporting schedule.")


@events.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--type", "kind", type=click.Choice(list(EVENT_TYPES)), default="other",
              show_default=True)
@click.option("--start", "start_date", required=True, help="First day (YYYY-MM-DD).")
@click.option("--end", "end_date", default="", help="Last day (YYYY-MM-DD), if known.")
@click.option("--deadline", default="14:00", show_default=True,
              help="Daily reporting deadline, local time (HH:MM).")
@click.option("--commune", "communes", multiple=True,
              help="A commune code of the event's scope (repeat); none = the whole province.")
def events_create(code, name, kind, start_date, end_date, deadline, communes):
    """Create an event with its daily reporting schedule."""
    event = run(lambda: create_event({"code": code, "name": name, "type": kind,
                                      "start_date": start_date, "end_date": end_date,
                                      "deadline": deadline, "communes": list(communes)}))
    click.echo(f"Đã tạo sự kiện {event.code}: báo cáo hằng ngày trước "
               f"{event.deadline:%H:%M}.")


@events.command("list")
def events_list():
    for e in db.session.scalars(select(Event).order_by(Event.start_date.desc())):
        state = "đang mở" if e.is_open else "đã kết thúc"
        click.echo(f"{e.code}\t{e.start_date}\t{e.deadline:%H:%M}\t{state}\t{e.name}")


@events.command("close")
@click.argument("code")
def events_close(code):
    """Close an event: no new reports, its schedule stops."""
    event = get_event(code)
    if event is None:
        raise click.ClickException(message("event_not_found", code=code))
    run(lambda: close_event(event))
    click.echo(f"Đã kết thúc sự kiện {code}.")


def register(app: Flask) -> None:
    for command in (init_db, users, events, geodata, catalog_load):
        app.cli.add_command(command)
