"""Administration: events, accounts and the indicator catalog (admin role only)."""
from flask import Flask

from .views import bp


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and hooks."""
    app.register_blueprint(bp)
