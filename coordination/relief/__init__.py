"""Relief pipeline: allocation decisions → deliveries → distributions to households (issue 12).

Models, operations (operations.py), pipeline with flags (pipeline.py), the
ledger-derived report figures (ledger.py), API, pages, map image and exports.
"""
from flask import Flask

from .models import (ReliefAllocation, ReliefAllocationLine, ReliefDelivery,  # noqa: F401
                     ReliefDistribution)


def register(app: Flask) -> None:
    """Register this feature's blueprints and menu entry."""
    from ..extensions import csrf
    from ..web import add_nav
    from .api import bp as api_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, like the main API
    add_nav(app, "Cứu trợ", "relief.board")
