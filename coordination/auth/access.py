"""Who may do what: loading the user and guarding views by role."""
from datetime import timedelta
from functools import cache, wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select, update

from ..database import write_transaction
from ..errors import InputError, message
from ..extensions import db, login_manager
from ..http import api_error
from ..security import parse_id
from ..timeutil import utcnow
from .models import ROLES, ApiToken, User, hash_token


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """From the session or remember cookie: "<id>:<auth_generation>" (see User.get_id).

    A cookie from before a password reset or log-out names an older generation and
    loads nobody."""
    number, _, generation = str(user_id).partition(":")
    number = parse_id(number)
    user = db.session.get(User, number) if number else None
    if user is None or not user.active or generation != str(user.auth_generation or 0):
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    found = db.session.execute(_token_statement(),
                               {"b_hash": hash_token(header[7:].strip())}).first()
    if found is None:
        return None
    user, token_id, expires_at, revoked_at, last_used_at = found
    now = utcnow()
    if not ApiToken.usable_at(expires_at, revoked_at, now) or not user.active:
        return None
    if not last_used_at or now - last_used_at >= TOUCH_EVERY:
        g.token_to_touch = token_id  # written after the response (the loader only reads)
    return user


@cache
def _token_statement():
    """The user and the token's dates in one statement, built once (every API request)."""
    return (select(User, ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at,
                   ApiToken.last_used_at)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("b_hash")))


TOUCH_EVERY = timedelta(hours=1)


def record_token_use(response):
    """After a successful request: note the token's use, at most hourly, in a short write of
    its own, so a submission's transaction and the loader never write for it."""
    token_id = g.pop("token_to_touch", None)
    if token_id is not None and response.status_code < 500:
        with write_transaction():
            db.session.execute(update(ApiToken).where(ApiToken.id == token_id)
                               .values(last_used_at=utcnow()))
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return api_error(401)
    return redirect(url_for("auth.login", next=request.full_path))


# --- the one access rule ----------------------------------------------------------------
#
# Every read and write of the service asks the functions below; no role is named
# anywhere else. Roles (models.ROLES):
#   commune   reads and writes its own commune only (web, offline outbox, API, SMS);
#   province  reads every commune, writes for one only as an entry on its behalf
#             (channel `phone`: what a commune phoned in, always labelled), and runs the
#             province's own actions (allocations, deliveries, reviews);
#   admin     everything, through any channel (the deployment's administrator);
#   gateway   an SMS gateway: posts inbound SMS and drains the outbox, reads nothing else.

OFFICER, PROVINCE, ADMIN, GATEWAY = "commune", "province", "admin", "gateway"
ON_BEHALF = "phone"  # the channel of an entry made by province staff for a commune

# Who may open a route, by the level its decorator declares (the route walk test reads it).
LEVELS = {
    "reader": (ADMIN, PROVINCE, OFFICER),  # anyone who reads figures
    "staff": (ADMIN, PROVINCE),             # the province's own pages and actions
    "admin": (ADMIN,),
    "gateway": (GATEWAY,),
}


def is_officer(user) -> bool:
    """A commune officer (bound to one commune)."""
    return bool(user and user.is_authenticated and user.role == OFFICER)


def is_staff(user) -> bool:
    """Province or admin staff."""
    return bool(user and user.is_authenticated and user.role in LEVELS["staff"])


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == ADMIN)


def allows(level: str, user) -> bool:
    """Whether a route of this level opens for the user (anonymous: never)."""
    return bool(user and user.is_authenticated and user.role in LEVELS[level])


def own_commune(user) -> str | None:
    """The commune an officer is bound to; None for staff (who see every commune)."""
    return user.commune_code if is_officer(user) else None


def may_read(user, commune_code: str) -> bool:
    """May the user read this commune's figures?"""
    if is_officer(user):
        return user.commune_code == commune_code
    return is_staff(user)


def may_write(user, commune_code: str, channel: str) -> bool:
    """May the user write for this commune through this channel? (See the roles above.)"""
    if not (user and user.is_authenticated and user.active):
        return False
    if user.role == ADMIN:
        return True
    if user.role == OFFICER:
        return user.commune_code == commune_code and channel != ON_BEHALF
    return user.role == PROVINCE and channel == ON_BEHALF


def require_write(user, commune_code: str, channel: str) -> None:
    """403 `forbidden` on `commune` unless may_write, with a message that says why."""
    if not may_write(user, commune_code, channel):
        why = "on_behalf_only" if is_staff(user) else "own_commune_only"
        raise InputError(403, {"commune": "forbidden"}, {"commune": message(why)})


def require_staff(user) -> None:
    """A province action (allocations, deliveries, reviews): 403 `forbidden` for others."""
    if not is_staff(user):
        raise InputError(403, {"request": "forbidden"})


def entry_channel(user, channel: str) -> str:
    """The channel a page or form labels a write with: the officer's own, or `phone` for
    staff entering for a commune (what it phoned in)."""
    return ON_BEHALF if is_staff(user) else channel


def role_label(user) -> str:
    return ROLES.get(user.role, user.role)


def access(level: str):
    """A view for the users of `level` (401 if anonymous, 403 if not allowed). The level is
    kept on the view (`access_level`) so every route's rule can be checked from outside."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allows(level, current_user):
                abort(403)
            return view(*args, **kwargs)
        wrapped.access_level = level
        return wrapped
    return decorator


def public(view):
    """A view anyone may open (log-in page, health check, assets)."""
    view.access_level = "public"
    return view


def declared(level: str):
    """A view that checks the log-in itself (to answer in its own way) declares its level."""
    def decorator(view):
        view.access_level = level
        return view
    return decorator


login_required = access("reader")
provincial_required = access("staff")
admin_required = access("admin")
gateway_required = access("gateway")  # SMS gateways only (API tokens)


def commune_scope(user: User, requested: str | None, area_code: str | None = None) -> str | None:
    """The one access rule for "which commune may this user look at".

    A commune officer is always narrowed to their own commune, and asking for
    another one, or for an area, is a 403 `forbidden_scope` (never a silently
    narrowed answer that looks like a province table); province and admin users
    get what they asked for (None = everything).
    """
    if is_officer(user):
        if area_code or (requested and requested != user.commune_code):
            raise InputError(403, {"scope": "forbidden_scope"})
        return user.commune_code
    if not is_staff(user):
        raise InputError(403, {"scope": "forbidden_scope"})
    return requested or None
