"""Relief pipeline: allocation decisions → deliveries → distributions to households (issue 12).

Models, operations (operations.py), pipeline with flags (pipeline.py), the
ledger-derived report figures (ledger.py), API, pages, map image and exports.
"""
from flask import Flask

from .models import (ReliefAllocation, ReliefAllocationLine, ReliefDelivery,  # noqa: F401
                     ReliefDistribution, ReliefStock)


def register(app: Flask) -> None:
    """Register this feature's blueprints and menu entry."""
    from ..derived import register as register_derived
    from ..web import add_feature
    from .api import bp as api_bp
    from .ledger import PROVIDER
    from .views import bp

    register_derived(app, PROVIDER)  # the rice figures of reports come from the ledger
    add_feature(app, bp, api_bp, nav=("Cứu trợ", "relief.board"))
