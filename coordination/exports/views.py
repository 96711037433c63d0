"""Web pages: the consolidated table and its downloads (session login)."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from ..areas.lookup import all_areas
from ..auth.access import is_staff, login_required
from .download import FORMATS, export_response, parse_format, scope_for, table_for

bp = Blueprint("exports", __name__)
FORMAT_LABELS = {"xlsx": "Excel (XLSX)", "pdf": "Bản tin PDF", "csv": "CSV", "hxl": "HXL (CSV)",
                 "geojson": "GeoJSON", "long": "Bảng dài cả đợt (CSV)",
                 "csv-vi": "CSV cho Excel tiếng Việt (dấu ;)",
                 "bulletin": "Báo cáo nhanh (PDF)", "bulletin-xlsx": "Báo cáo nhanh (Excel)"}


@bp.get("/events/<code>/table")
@login_required
def table(code):
    scope = scope_for(current_user, code, request.args)
    consolidated = table_for(scope, change=request.args.get("change") == "1")
    params = {k: v for k, v in (("date", scope.selection.date.isoformat()),
                                ("area", scope.selection.area_code),
                                ("commune", request.args.get("commune"))) if v}
    areas = all_areas() if is_staff(current_user) else []
    return render_template("exports/table.html", table=consolidated, params=params,
                           areas=areas, formats=[(f, FORMAT_LABELS[f]) for f in FORMATS],
                           change=consolidated.previous is not None)


@bp.get("/events/<code>/download")
@login_required
def download(code):
    fmt = parse_format(request.args.get("format"))
    return export_response(scope_for(current_user, code, request.args), fmt)
