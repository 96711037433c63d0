"""Admin pages: events, accounts, the indicator catalog. Logic lives in the sibling modules."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..areas.models import Commune
from ..auth.access import admin_required
from ..auth.accounts import all_users, issue_token, revoke_token, user_tokens
from ..auth.models import ROLES, ApiToken, User
from ..backup import last_backup
from ..database import write_transaction
from ..errors import InputError, message
from ..events import EVENT_TYPES, Event, close_event
from ..extensions import db
from ..indicators import Indicator
from ..reports.models import Report
from ..reports.submission import forget_catalog
from ..timeutil import utcnow
from ..settings import SPECS, get_settings, update_settings
from .accounts import account_from_form, reset_password, set_active
from .catalog import NEW_GROUP, all_indicators, catalog_groups, indicator_from_form, set_sms_code
from .events import communes_by_district, event_from_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.access_level = "admin"  # every page (checked by _admins_only below)


@bp.before_request
@admin_required
def _admins_only():
    """Every page here is for administrators (401 → login, 403 otherwise)."""


def _page(page, errors=None, status=200):
    template, context = page()
    return render_template(template, **context, errors=errors or {},
                           form=request.form if errors else {}), status


def _write(action, page, success: str, back: str):
    """Run a write; bad input shows `page` again with field errors (422), else go `back`
    with the notice `success` (a catalogue text)."""
    try:
        with write_transaction(conflict=("form", "exists")):  # a twin created meanwhile
            action()
    except InputError as exc:
        return _page(page, exc.messages, exc.status)
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
    return render_template("admin/index.html", counts=counts, backup=last_backup())


# --- events -------------------------------------------------------------------------

def events_page():
    events = list(db.session.scalars(select(Event).order_by(Event.start_date.desc(), Event.code)))
    reports = dict(db.session.execute(
        select(Report.event_id, func.count(Report.id)).group_by(Report.event_id)).all())
    return "admin/events.html", dict(events=events, reports=reports, types=EVENT_TYPES,
                                     districts=communes_by_district())


@bp.route("/events", methods=["GET", "POST"])
def events():
    return _list_or_create(events_page, event_from_form, message("event_created"))


@bp.post("/events/<code>/close")
def close(code):
    event = db.first_or_404(select(Event).where(Event.code == code))
    with write_transaction():
        close_event(event)
    flash(message("event_closed_now", code=event.code), "success")
    return redirect(url_for("admin.events"))


# --- accounts -----------------------------------------------------------------------

def users_page():
    users = all_users()
    communes = list(db.session.execute(select(Commune.code, Commune.name).order_by(Commune.name)))
    return "admin/users.html", dict(users=users, roles=ROLES, communes=communes,
                                    names=dict(communes))


@bp.route("/users", methods=["GET", "POST"])
def users():
    return _list_or_create(users_page, account_from_form, message("account_created"))


@bp.post("/users/<id:user_id>/active")
def user_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    return _write(lambda: set_active(user, active, current_user), users_page,
                  message("account_unlocked" if active else "account_locked",
                          username=user.username), "admin.users")


@bp.post("/users/<id:user_id>/password")
def user_password(user_id):
    user = db.get_or_404(User, user_id)
    with write_transaction():
        password = reset_password(user)
    return _shown_once("Mật khẩu mới", password, user, message("password_shown_once"))


@bp.post("/users/<id:user_id>/token")
def user_token(user_id):
    user = db.get_or_404(User, user_id)
    with write_transaction():
        token = issue_token(user, name=request.form.get("name", ""))
    return _shown_once("Mã truy cập API (token)", token, user, message("token_shown_once"))


@bp.get("/users/<id:user_id>/tokens")
def user_token_list(user_id):
    """The user's API tokens (never the secrets): name, dates, state; revoke one by one."""
    user = db.get_or_404(User, user_id)
    return render_template("admin/tokens.html", user=user, tokens=user_tokens(user),
                           now=utcnow())


@bp.post("/users/<id:user_id>/tokens/<id:token_id>/revoke")
def user_token_revoke(user_id, token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        abort(404)
    with write_transaction():
        revoke_token(token)
    flash(message("token_revoked", id=token.id), "success")
    return redirect(url_for("admin.user_token_list", user_id=user_id))


# --- indicator catalog --------------------------------------------------------------

@bp.after_request
def _refresh_catalog(response):
    """A catalog edit is seen at once in this worker (others refresh within CATALOG_TTL)."""
    if request.method == "POST" and (request.endpoint or "").startswith("admin.indicator"):
        forget_catalog()
    return response


def indicators_page():
    options = [(code, label) for code, label, _ in catalog_groups()]
    return "admin/indicators.html", dict(indicators=all_indicators(), group_options=options,
                                         new_group=NEW_GROUP)


@bp.route("/indicators", methods=["GET", "POST"])
def indicators():
    return _list_or_create(indicators_page, indicator_from_form, message("indicator_added"))


@bp.post("/indicators/<code>/active")
def indicator_active(code):
    indicator = db.get_or_404(Indicator, code)
    active = request.form.get("active") == "1"
    return _write(lambda: setattr(indicator, "is_active", active), indicators_page,
                  message("indicator_reused" if active else "indicator_retired", code=code),
                  "admin.indicators")


@bp.post("/indicators/<code>/sms")
def indicator_sms(code):
    indicator = db.get_or_404(Indicator, code)
    raw = request.form.get("sms_code", "")

    def action():
        try:
            set_sms_code(indicator, raw)
        except InputError as exc:  # shown above the table, not on the "add" form's field
            raise InputError(422, {"form": exc.errors["sms_code"]},
                             {"form": f"{indicator.label}: {exc.messages['sms_code']}"}) from None
    return _write(action, indicators_page, message("sms_code_saved", code=code),
                  "admin.indicators")
# --- settings (agency block of official documents) ------------------------------------

def settings_page():
    return "admin/settings.html", dict(specs=SPECS, values=get_settings())


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _page(settings_page)
    return _write(lambda: update_settings(request.form), settings_page,
                  message("settings_saved"), "admin.settings")
