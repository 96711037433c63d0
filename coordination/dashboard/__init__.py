"""The province dashboard (the landing page of province and admin users) and the trend API."""
from flask import Flask

from ..extensions import csrf


def register(app: Flask) -> None:
    from ..web import add_nav
    from .api import bp as api_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, like the main API
    add_nav(app, "Tổng quan", "dashboard.dashboard")
