"""`flask --app app ...` commands: init-db, users, geodata, areas, catalog."""
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from .areas import loading
from .areas.geometry import clear_cache
from .areas.lookup import area_codes
from .areas.models import Commune
from .auth.accounts import AccountError, create_user, issue_token
from .auth.models import User
from .extensions import db
from .indicators import load_catalog
from .maps.incidents import load_power_plants


def seed_defaults() -> dict:
    """Default data: Lạng Sơn if no communes yet, and catalog indicators not yet present."""
    result = {}
    if not db.session.scalar(select(func.count(Commune.code))):
        result["lang_son"] = loading.load_lang_son()
    result["indicators_added"] = load_catalog()
    result["facilities"] = load_power_plants()
    db.session.commit()
    clear_cache()
    return result


def ensure_first_admin() -> str | None:
    """Create `admin` with a random password when no account exists; returns the password."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = secrets.token_urlsafe(12)
    create_user("admin", password, "admin", full_name="Quản trị hệ thống")
    db.session.commit()
    note = Path(current_app.instance_path) / "first-admin.txt"
    note.write_text(f"Tên đăng nhập: admin\nMật khẩu: {password}\n")
    note.chmod(0o600)
    return password


@click.command("init-db")
def init_db():
    """Create or upgrade the schema and load the default data (safe to run again)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    result = seed_defaults()
    if "lang_son" in result:
        click.echo(f"Đã nạp {result['lang_son']['added']} xã/phường Lạng Sơn và các vùng "
                   f"{', '.join(result['lang_son']['areas'])}.")
    click.echo(f"Danh mục chỉ tiêu: thêm {result['indicators_added']}.")
    password = ensure_first_admin()
    if password:
        click.echo(f"Tài khoản quản trị đầu tiên: admin / {password} "
                   f"(lưu tại instance/first-admin.txt)")


users = click.Group("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "province", "commune"]), required=True)
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
    try:
        user = create_user(username, password, role, commune_code, full_name, phone, email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")


@users.command("token")
@click.argument("username")
def users_token(username):
    """Print a new API token for the account (last line of output)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Không có tài khoản '{username}'.")
    token = issue_token(user)
    db.session.commit()
    click.echo(token)


@users.command("list")
def users_list():
    for u in db.session.scalars(select(User).order_by(User.username)):
        click.echo(f"{u.username}\t{u.role}\t{u.commune_code or ''}\t{u.phone}")


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
    added, updated = loading.upsert_units(gdf)
    db.session.commit()
    clear_cache()
    click.echo(f"Đã nạp {len(gdf)} đơn vị: thêm {added}, cập nhật {updated}.")


@geodata.command("areas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_areas(path):
    """Load named areas from a CSV (area_code, area_name, ma_xa)."""
    try:
        codes = loading.load_areas_csv(path)
    except loading.GeodataError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Đã nạp vùng: {', '.join(codes)}")


@geodata.command("area-from-polygon")
@click.argument("code")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_area_from_polygon(code, name, path):
    """Define an area as the communes intersecting the polygons of a file."""
    area = loading.area_from_polygon_file(code, name, path)
    db.session.commit()
    click.echo(f"Vùng {area.code}: {len(area_codes(area.code))} xã/phường.")


@geodata.command("former")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geodata_former(path):
    """Load a former→current commune table (old_ma_xa, old_ten, ..., new_ma_xa)."""
    count = loading.load_former_communes(path)
    db.session.commit()
    click.echo(f"Đã nạp {count} đơn vị cũ.")


@click.command("catalog-load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def catalog_load(path):
    """Add catalog indicators from a CSV (default: the built-in catalog)."""
    added = load_catalog(path) if path else load_catalog()
    db.session.commit()
    click.echo(f"Thêm {added} chỉ tiêu.")


def register(app: Flask) -> None:
    for command in (init_db, users, geodata, catalog_load):
        app.cli.add_command(command)
