"""An administrator sets up (and later upgrades) the service with one command."""
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from coordination.areas.models import Commune
from coordination.auth.models import User
from coordination.extensions import db
from coordination.indicators import Indicator

from conftest import PG_URL, make_app


@pytest.fixture
def empty_app(backend, tmp_path):
    """An app on a database with no tables at all, as on a fresh machine."""
    if backend.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    else:
        name = f"{make_url(PG_URL).database}_setup"  # beside the suite's own database
        url = str(make_url(PG_URL).set(database=name))
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    app = make_app(url, tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def counts():
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (Commune, Indicator, User)]


def test_init_db_sets_up_lang_son_and_a_first_admin_once(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert "Đã nạp 65 xã/phường Lạng Sơn" in first.output
    assert "Tài khoản quản trị đầu tiên: admin /" in first.output
    assert (Path(empty_app.instance_path) / "first-admin.txt").exists()
    before = counts()
    assert before[0] == 65 and before[1] >= 28 and before[2] == 1

    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, again.output
    assert "Danh mục chỉ tiêu: thêm 0." in again.output
    assert "Tài khoản quản trị đầu tiên" not in again.output
    db.session.expire_all()
    assert counts() == before


def test_migrations_build_exactly_the_schema_of_the_models(empty_app):
    assert empty_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_upgrading_a_database_with_reports_keeps_every_report_and_the_deadline(empty_app):
    """A province that ran the first release upgrades: its event keeps its 16:00 deadline (now
    the event's daily schedule), its report versions keep their channel and figures."""
    from flask_migrate import upgrade
    directory = empty_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO communes (code, name, short_name, kind, province_code, "
                          "province_name, updated_at) VALUES ('06040', 'Xã Thất Khê', 'Thất Khê', "
                          "'Xã', '20', 'Lạng Sơn', '2025-10-01 00:00:00')"))
        conn.execute(text("INSERT INTO indicators (code, label, unit, group_code, group_label, "
                          "group_order, position, hxl, whole_number, is_active) VALUES "
                          "('people_dead', 'Số người chết', 'người', 'nguoi', 'Người', 1, 1, '', "
                          "true, true)"))
        conn.execute(text("INSERT INTO events (id, code, name, type, start_date, whole_province, "
                          "deadline, description, created_at) VALUES (1, 'MATMO-2025', 'Matmo', "
                          "'storm', '2025-10-06', true, '16:00:00', '', '2025-10-06 00:00:00')"))
        conn.execute(text("INSERT INTO reports (id, event_id, commune_code, report_date, "
                          "latest_version, first_received_at, on_time) VALUES "
                          "(1, 1, '06040', '2025-10-08', 1, '2025-10-08 06:00:00', true)"))
        conn.execute(text("INSERT INTO report_versions (id, report_id, version, submission_id, "
                          "body_hash, received_at, on_time, note, correction_reason, source) VALUES "
                          "(1, 1, 1, 's1', 'h', '2025-10-08 06:00:00', true, '', '', 'web')"))
        conn.execute(text("INSERT INTO report_figures (version_id, indicator_code, value) "
                          "VALUES (1, 'people_dead', 2)"))
    upgrade(directory=directory)
    with db.engine.connect() as conn:
        schedules = conn.execute(text("SELECT kind, deadline, due_day, active FROM "
                                      "reporting_schedules")).all()
        version = conn.execute(text("SELECT channel, no_damage FROM report_versions")).one()
        figure = conn.execute(text("SELECT value, carried FROM report_figures")).one()
    assert [(k, str(d)[:5], day, bool(a)) for k, d, day, a in schedules] == [("daily", "16:00", 0, True)]
    assert (version[0], bool(version[1])) == ("web", False)
    assert (figure[0], bool(figure[1])) == (2, False)
