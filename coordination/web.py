"""Site-wide pieces: the home redirect, error pages, template filters."""
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .auth.access import (entry_channel, is_admin, is_officer, is_staff, login_required,
                          may_write, public, role_label)
from .auth.models import ROLES
from .errors import InputError
from .events import EVENT_TYPES, open_events
from .formatting import fmt_local, vn_date, vn_number
from .http import api_error

bp = Blueprint("web", __name__)

ERROR_TITLES = {400: "Yêu cầu không hợp lệ", 401: "Cần đăng nhập", 403: "Không có quyền truy cập",
                404: "Không tìm thấy", 405: "Phương thức không được hỗ trợ",
                409: "Xung đột dữ liệu", 413: "Dữ liệu gửi lên quá lớn",
                422: "Dữ liệu không hợp lệ", 429: "Quá nhiều yêu cầu", 500: "Lỗi hệ thống"}


@bp.route("/")
@login_required
def home():
    if is_officer(current_user):
        return redirect(url_for("reports.form"))
    events = open_events()  # newest first
    if events:
        return redirect(url_for("dashboard.dashboard", code=events[0].code))
    return redirect(url_for("reports.province_list"))


@bp.route("/healthz")
@public
def healthz():
    """Reachability for load balancers and the phone's outbox: tiny, no auth, never cached."""
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


def _error(exc: HTTPException):
    code = exc.code or 500
    if request.path.startswith("/api/"):
        # keep the exception's own headers (a 405 must say Allow)
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return api_error(code, headers)
    return render_template("error.html", code=code, title=ERROR_TITLES.get(code, exc.name),
                           description=getattr(exc, "vi_description", None)), code


def _input_error(exc: InputError):
    if request.path.startswith("/api/"):
        return jsonify(exc.as_json()), exc.status
    return render_template("error.html", code=exc.status, title=ERROR_TITLES.get(exc.status),
                           messages=exc.messages), exc.status


def _csrf_error(exc: CSRFError):
    if request.path.startswith("/api/"):
        return api_error(400, code="csrf_failed")
    return render_template("error.html", code=400, title="Phiên làm việc đã hết hạn",
                           description="Vui lòng tải lại trang và gửi lại biểu mẫu."), 400


def add_nav(app: Flask, label: str, endpoint: str) -> None:
    """A province-menu entry for a feature; `endpoint` takes the event code as `code`."""
    app.extensions.setdefault("nav", []).append((label, endpoint))


def add_feature(app: Flask, pages, api=None, nav: tuple[str, str] | None = None,
                commands=()) -> None:
    """What every feature's `register(app)` does: its pages, its JSON API (bearer tokens,
    so exempt from the cookie CSRF check), a province-menu entry, its CLI commands."""
    from .extensions import csrf

    app.register_blueprint(pages)
    if api is not None:
        app.register_blueprint(api)
        csrf.exempt(api)
    if nav:
        add_nav(app, *nav)
    for command in commands:
        app.cli.add_command(command)


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
                                  nav_items=nav_items, is_admin=is_admin, is_officer=is_officer,
                                  is_staff=is_staff, role_label=role_label,
                                  may_write=may_write, entry_channel=entry_channel)
