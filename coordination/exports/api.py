"""GET /api/v1/events/<code>/export?format=xlsx|csv|hxl|geojson|pdf|long&date=&area=&commune="""
from flask import Blueprint, request
from flask_login import current_user

from ..auth.access import login_required
from .download import export_response, parse_format, scope_for

bp = Blueprint("exports_api", __name__, url_prefix="/api/v1")


@bp.get("/events/<code>/export")
@login_required
def export(code):
    fmt = parse_format(request.args.get("format"))
    return export_response(scope_for(current_user, code, request.args), fmt)
