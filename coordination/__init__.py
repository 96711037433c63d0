"""Điều phối ứng phó thiên tai: daily damage reporting for Vietnamese provinces."""
from pathlib import Path

from flask import Flask

from . import assets, config, guard, security
from .database import configure_engine
from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_mapping(config.load(app.instance_path))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"  # "strong" logs out phones that change network

    guard.register(app)
    security.register(app)  # after guard: its JSON depth check runs first
    app.url_map.converters["id"] = security.IdConverter  # before any route is added
    assets.register(app)  # compression, fingerprinted static files, cache headers
    _register(app)
    return app


def _register(app: Flask) -> None:
    from . import admin, backup, cli, dashboard, deadlines, exports, maps, offline, relief, sms, web
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .reports import bp as reports_bp

    for bp in (auth_bp, reports_bp, api_bp):
        app.register_blueprint(bp)
    for feature in (dashboard, admin, maps, deadlines, exports, offline, relief, sms, backup):
        feature.register(app)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    cli.register(app)
    web.register(app)
    from .auth.access import record_token_use
    app.after_request(record_token_use)
