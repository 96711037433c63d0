"""Creating accounts, issuing tokens and throttling log-ins."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..areas.models import Commune
from ..extensions import db
from ..timeutil import utcnow
from .models import ROLES, ApiToken, LoginAttempt, User, hash_token, new_token


class AccountError(ValueError):
    pass


def create_user(username: str, password: str, role: str, commune_code: str | None = None,
                full_name: str = "", phone: str = "", email: str = "") -> User:
    username = username.strip()
    if not username:
        raise AccountError("Tên đăng nhập không được để trống.")
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    if role == "commune":
        if not commune_code or db.session.get(Commune, commune_code) is None:
            raise AccountError("Tài khoản cấp xã cần mã xã/phường hợp lệ (--commune).")
    else:
        commune_code = None
    if len(password) < 8:
        raise AccountError("Mật khẩu cần ít nhất 8 ký tự.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"Tên đăng nhập '{username}' đã tồn tại.")
    user = User(username=username, role=role, commune_code=commune_code,
                full_name=full_name, phone=phone, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user: User) -> str:
    token = new_token()
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    return token


def _window_start():
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def login_blocked(username: str, remote_addr: str) -> bool:
    """Too many recent failures for this account, or from this address."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = _window_start()
    by_user = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.at >= since))
    by_addr = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.remote_addr == remote_addr, LoginAttempt.at >= since))
    return by_user >= limit or by_addr >= 4 * limit


# Checked against when the account does not exist, so an unknown username takes
# as long to refuse as a wrong password (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


def authenticate(username: str, password: str, remote_addr: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    elif user.active and user.check_password(password):
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == user.username))
        return user
    db.session.add(LoginAttempt(username=username.strip()[:80], remote_addr=remote_addr[:64]))
    return None
