"""Admin pages: events, accounts, the indicator catalog. Logic lives in the sibling modules."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..areas.models import Commune
from ..auth.access import admin_required
from ..auth.accounts import issue_token
from ..auth.models import ROLES, User
from ..database import write_transaction
from ..errors import InputError
from ..events import EVENT_TYPES, Event, close_event
from ..extensions import db
from ..indicators import Indicator
from ..reports.models import Report
from .accounts import account_from_form, reset_password, set_active
from .catalog import NEW_GROUP, all_indicators, catalog_groups, indicator_from_form
from .events import communes_by_district, event_from_form

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def _admins_only():
    """Every page here is for administrators (401 → login, 403 otherwise)."""


def _page(page, errors=None, status=200):
    template, context = page()
    return render_template(template, **context, errors=errors or {},
                           form=request.form if errors else {}), status


def _write(action, page, success: str, back: str):
    """Run a write; bad input shows `page` again with field errors (422), else go `back`."""
    try:
        with write_transaction():
            action()
    except InputError as exc:
        return _page(page, exc.messages, 422)
    flash(success, "success")
    return redirect(url_for(back))


def _list_or_create(page, create, success: str):
    """GET: the list with an empty form; POST: create from the form."""
    if request.method == "GET":
        return _page(page)
    return _write(lambda: create(request.form), page, success, back=request.endpoint)


def _shown_once(title: str, secret: str, user: User, hint: str):
    """A secret (token, password) is rendered once and never cached or flashed into the cookie."""
    response = render_template("admin/shown_once.html", title=title, secret=secret, user=user,
                               hint=hint)
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/")
def index():
    counts = {
        "events": db.session.scalar(select(func.count(Event.id)).where(Event.closed_at.is_(None))),
        "users": db.session.scalar(select(func.count(User.id)).where(User.active)),
        "indicators": db.session.scalar(select(func.count()).select_from(Indicator)
                                        .where(Indicator.is_active)),
    }
    return render_template("admin/index.html", counts=counts)


# --- events -------------------------------------------------------------------------

def events_page():
    events = list(db.session.scalars(select(Event).order_by(Event.start_date.desc(), Event.code)))
    reports = dict(db.session.execute(
        select(Report.event_id, func.count(Report.id)).group_by(Report.event_id)).all())
    return "admin/events.html", dict(events=events, reports=reports, types=EVENT_TYPES,
                                     districts=communes_by_district())


@bp.route("/events", methods=["GET", "POST"])
def events():
    return _list_or_create(events_page, event_from_form, "Đã tạo sự kiện.")


@bp.post("/events/<code>/close")
def close(code):
    event = db.first_or_404(select(Event).where(Event.code == code))
    with write_transaction():
        close_event(event)
    flash(f"Đã kết thúc sự kiện {event.code}; không nhận báo cáo mới.", "success")
    return redirect(url_for("admin.events"))


# --- accounts -----------------------------------------------------------------------

def users_page():
    users = list(db.session.scalars(select(User).order_by(User.role, User.username)))
    communes = list(db.session.execute(select(Commune.code, Commune.name).order_by(Commune.name)))
    return "admin/users.html", dict(users=users, roles=ROLES, communes=communes,
                                    names=dict(communes))


@bp.route("/users", methods=["GET", "POST"])
def users():
    return _list_or_create(users_page, account_from_form, "Đã tạo tài khoản.")


@bp.post("/users/<int:user_id>/active")
def user_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    return _write(lambda: set_active(user, active, current_user), users_page,
                  f"Đã {'mở lại' if active else 'khóa'} tài khoản {user.username}.", "admin.users")


@bp.post("/users/<int:user_id>/password")
def user_password(user_id):
    user = db.get_or_404(User, user_id)
    with write_transaction():
        password = reset_password(user)
    return _shown_once("Mật khẩu mới", password, user,
                       "Báo mật khẩu này cho người dùng qua kênh an toàn; "
                       "trang này chỉ hiện một lần.")


@bp.post("/users/<int:user_id>/token")
def user_token(user_id):
    user = db.get_or_404(User, user_id)
    with write_transaction():
        token = issue_token(user)
    return _shown_once("Mã truy cập API (token)", token, user,
                       "Dùng trong tiêu đề Authorization: Bearer …; trang này chỉ hiện một lần.")


# --- indicator catalog --------------------------------------------------------------

def indicators_page():
    options = [(code, label) for code, label, _ in catalog_groups()]
    return "admin/indicators.html", dict(indicators=all_indicators(), group_options=options,
                                         new_group=NEW_GROUP)


@bp.route("/indicators", methods=["GET", "POST"])
def indicators():
    return _list_or_create(indicators_page, indicator_from_form, "Đã thêm chỉ tiêu vào danh mục.")


@bp.post("/indicators/<code>/active")
def indicator_active(code):
    indicator = db.get_or_404(Indicator, code)
    active = request.form.get("active") == "1"
    return _write(lambda: setattr(indicator, "is_active", active), indicators_page,
                  f"Đã {'dùng lại' if active else 'ngừng dùng'} chỉ tiêu {code}.", "admin.indicators")
