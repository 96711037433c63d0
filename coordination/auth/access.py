"""Who may do what: loading the user and guarding views by role."""
from datetime import timedelta
from functools import cache, wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select, update

from ..database import write_transaction
from ..errors import InputError
from ..extensions import db, login_manager
from ..http import api_error
from ..security import parse_id
from ..timeutil import utcnow
from .models import ApiToken, User, hash_token


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


def role_required(*roles: str):
    """Require a logged-in user with one of the roles (401 if anonymous, 403 if not allowed)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


login_required = role_required("admin", "province", "commune")
provincial_required = role_required("admin", "province")
admin_required = role_required("admin")
gateway_required = role_required("gateway")  # SMS gateways only (API tokens)


def commune_scope(user: User, requested: str | None, area_code: str | None = None) -> str | None:
    """The one access rule for "which commune may this user look at".

    A commune officer is always narrowed to their own commune, and asking for
    another one, or for an area, is a 403 `forbidden_scope` (never a silently
    narrowed answer that looks like a province table); province and admin users
    get what they asked for (None = everything).
    """
    if user.role == "commune":
        if area_code or (requested and requested != user.commune_code):
            raise InputError(403, {"scope": "forbidden_scope"})
        return user.commune_code
    return requested or None


def require_writer(user: User, commune_code: str) -> None:
    """Writing for a commune: its own officers, and province/admin staff entering for it."""
    if not user.can_write_for(commune_code):
        raise InputError(403, {"commune": "own_commune_only"})
