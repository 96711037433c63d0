"""The province dashboard (the landing page of province and admin users) and the trend API."""
from flask import Flask



def register(app: Flask) -> None:
    from ..web import add_feature
    from .api import bp as api_bp
    from .views import bp

    add_feature(app, bp, api_bp, nav=("Tổng quan", "dashboard.dashboard"))
