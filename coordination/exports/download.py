"""What a user may export and the HTTP response of one export, shared by web and API.

Access: province and admin users export any area or commune; a commune
officer exports only their own commune (asking for an area, the province
being the default, or another commune is refused with 403 `forbidden_scope`
rather than silently narrowed, so a file never looks like a province table).
"""
from dataclasses import dataclass

from flask import Response, current_app, stream_with_context

from ..areas.models import Commune
from ..auth.access import commune_scope
from ..errors import InputError, message
from ..extensions import db
from ..selection import Selection, resolve
from .bulletin_pdf import write_bulletin_pdf
from .bulletin_xlsx import write_bulletin_xlsx
from .csv_ import write_csv, write_csv_vi
from .geojson import write_geojson
from .hxl import write_hxl
from .longtable import long_chunks
from .pdf import write_pdf
from .table import ConsolidatedTable, build_table, scope_slug
from .xlsx import write_xlsx

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {  # format: (writer, content type, file-name suffix)
    "xlsx": (write_xlsx, XLSX, ".xlsx"),
    "csv": (write_csv, CSV, ".csv"),
    "csv-vi": (write_csv_vi, CSV, "_excel-vn.csv"),
    "hxl": (write_hxl, CSV, "_hxl.csv"),
    "geojson": (write_geojson, "application/geo+json", ".geojson"),
    "pdf": (write_pdf, "application/pdf", ".pdf"),
    "long": (None, CSV, "_dai.csv"),  # streamed, see long_chunks
    "bulletin": (write_bulletin_pdf, "application/pdf", "_bao-cao-nhanh.pdf"),
    "bulletin-xlsx": (write_bulletin_xlsx, XLSX, "_bao-cao-nhanh.xlsx"),
}


@dataclass
class ExportScope:
    selection: Selection
    commune_code: str | None  # set when the export is one commune's


def scope_for(user, event_code: str, args) -> ExportScope:
    """The selection from the query string, narrowed and checked by the one access rule."""
    selection = resolve(event_code, args)
    commune = commune_scope(user, args.get("commune") or None, selection.area_code)
    if commune and db.session.get(Commune, commune) is None:
        raise InputError(404, {"commune": "not_found"},
                         {"commune": message("commune_not_found", code=commune)})
    return ExportScope(selection, commune)


def table_for(scope: ExportScope, change: bool = False) -> ConsolidatedTable:
    s = scope.selection
    return build_table(s.event, s.date, s.area, scope.commune_code, change=change)


def parse_format(value: str | None) -> str:
    if value not in FORMATS:
        raise InputError(400, {"format": "unknown_format"},
                         {"format": message("unknown_format", formats=", ".join(FORMATS))})
    return value


def filename(event_code: str, day, slug: str, fmt: str) -> str:
    """thiet-hai_MATMO-2025_2025-10-08_ky-cung.xlsx"""
    return f"thiet-hai_{event_code}_{day.isoformat()}_{slug}{FORMATS[fmt][2]}"


def export_response(scope: ExportScope, fmt: str) -> Response:
    writer, mimetype, _ = FORMATS[fmt]
    s = scope.selection
    if fmt == "long":
        body = stream_with_context(long_chunks(s.event, s.date, s.area, scope.commune_code,
                                               max_days=current_app.config["LONG_EXPORT_MAX_DAYS"]))
    else:
        body = writer(table_for(scope))
    response = Response(body, content_type=mimetype)
    slug = scope_slug(s.area, scope.commune_code)
    response.headers.set("Content-Disposition", "attachment",
                         filename=filename(s.event.code, s.date, slug, fmt))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
