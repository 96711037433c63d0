"""Maps of an event: choropleth of communes, incidents, infrastructure, static PNG, GeoJSON API."""
from flask import Flask

from .incidents import Facility, Incident, load_power_plants  # noqa: F401  (models for create_app)


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and hooks."""
    from ..web import add_feature
    from .api import bp as api_bp
    from .views import bp

    add_feature(app, bp, api_bp, nav=("Bản đồ", "maps.event_map"))
