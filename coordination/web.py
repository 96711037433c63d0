"""Site-wide pieces: the home redirect, error pages, template filters."""
from datetime import date

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .auth.access import login_required
from .auth.models import ROLES
from .errors import InputError
from .events import EVENT_TYPES, open_events
from .timeutil import fmt_local

bp = Blueprint("web", __name__)

ERROR_TITLES = {400: "Yêu cầu không hợp lệ", 401: "Cần đăng nhập", 403: "Không có quyền truy cập",
                404: "Không tìm thấy", 405: "Phương thức không được hỗ trợ",
                409: "Xung đột dữ liệu", 413: "Dữ liệu gửi lên quá lớn",
                422: "Dữ liệu không hợp lệ", 429: "Quá nhiều yêu cầu", 500: "Lỗi hệ thống"}


@bp.route("/")
@login_required
def home():
    if current_user.role == "commune":
        return redirect(url_for("reports.form"))
    return redirect(url_for("reports.province_list"))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


def vn_number(value, decimals: int | None = None) -> str:
    """Vietnamese number format: 1.234.567,5 ('.' thousands, ',' decimals)."""
    if value is None or value == "":
        return ""
    number = float(value)
    if decimals is None:
        decimals = 0 if number == int(number) else 2
    text = f"{number:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{number:,.0f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _error(exc: HTTPException):
    code = exc.code or 500
    if request.path.startswith("/api/"):
        return jsonify(error=exc.name.lower().replace(" ", "_"),
                       message=ERROR_TITLES.get(code, exc.name)), code
    return render_template("error.html", code=code, title=ERROR_TITLES.get(code, exc.name),
                           description=getattr(exc, "vi_description", None)), code


def _input_error(exc: InputError):
    if request.path.startswith("/api/"):
        return jsonify(exc.as_json()), exc.status
    return render_template("error.html", code=exc.status, title=ERROR_TITLES.get(exc.status),
                           messages=exc.messages), exc.status


def _csrf_error(exc: CSRFError):
    return render_template("error.html", code=400, title="Phiên làm việc đã hết hạn",
                           description="Vui lòng tải lại trang và gửi lại biểu mẫu."), 400


def add_nav(app: Flask, label: str, endpoint: str) -> None:
    """A province-menu entry for a feature; `endpoint` takes the event code as `code`."""
    app.extensions.setdefault("nav", []).append((label, endpoint))


def nav_items() -> list[dict]:
    events = open_events()
    if not events:
        return []
    return [{"label": label, "url": url_for(endpoint, code=events[0].code)}
            for label, endpoint in current_app.extensions.get("nav", [])]


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(InputError, _input_error)
    app.add_template_filter(vn_number, "num")
    app.add_template_filter(vn_date, "vdate")
    app.add_template_filter(fmt_local, "localtime")
    app.jinja_env.globals.update(ROLES=ROLES, EVENT_TYPES=EVENT_TYPES, open_events=open_events,
                                  nav_items=nav_items)
