"""Who may do what: loading the user and guarding views by role."""
from datetime import timedelta
from functools import wraps

from flask import abort, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select, update

from ..database import write_transaction
from ..extensions import db, login_manager
from ..timeutil import utcnow
from .models import ApiToken, User, hash_token


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.active else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip())))
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    _touch(token)
    return user


def _touch(token: ApiToken) -> None:
    """Record token use at most hourly, in a short write of its own (not in a read transaction)."""
    now = utcnow()
    if token.last_used_at and now - token.last_used_at < timedelta(hours=1):
        return
    with write_transaction():
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id)
                           .values(last_used_at=now))


def wants_json() -> bool:
    return request.path.startswith("/api/")


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return jsonify(error="unauthorized", message="Cần đăng nhập (Authorization: Bearer)."), 401
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
