"""Consolidated damage tables (bảng tổng hợp thiệt hại) and their exports."""
from flask import Flask


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and hooks."""
    from ..extensions import csrf
    from ..web import add_nav
    from .api import bp as api_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # GET only, bearer tokens
    add_nav(app, "Bảng tổng hợp", "exports.table")
