"""Consolidated damage tables (bảng tổng hợp thiệt hại) and their exports."""
from flask import Flask


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and hooks."""
    from ..web import add_feature
    from .api import bp as api_bp
    from .views import bp

    add_feature(app, bp, api_bp, nav=("Bảng tổng hợp", "exports.table"))
