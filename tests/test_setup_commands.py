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
        url = str(make_url(PG_URL).set(database="coordination_setup_test"))
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS coordination_setup_test WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE coordination_setup_test"))
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
