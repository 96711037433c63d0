"""Creating accounts, issuing tokens and throttling log-ins."""
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..areas.models import Commune
from ..errors import Problems
from ..phones import normalise_phone
from ..extensions import db
from ..timeutil import utcnow
from .access import OFFICER
from .models import ROLES, ApiToken, LoginAttempt, LoginThrottle, User, hash_token, new_token


USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")
PHONE = re.compile(r"^\+?[0-9 .]{8,15}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_user(username: str, password: str, role: str, commune_code: str | None = None,
                full_name: str = "", phone: str = "", email: str = "",
                problems: Problems | None = None) -> User:
    """Add an account; every field is checked at once (the admin form shows them all)."""
    problems = problems or Problems()
    username, phone, email = username.strip(), phone.strip(), email.strip()
    if not USERNAME.match(username):
        problems.add("username", "invalid", say="bad_username")
    elif db.session.scalar(select(User.id).where(User.username == username)):
        problems.add("username", "exists", say="username_exists", username=username)
    if role not in ROLES:
        problems.add("role", "invalid", say="bad_role")
    elif role == "commune" and (not commune_code or db.session.get(Commune, commune_code) is None):
        problems.add("commune", "required", say="commune_required")
    if len(password) < 8:
        problems.add("password", "too_short", say="password_too_short")
    if phone and not PHONE.match(phone):
        problems.add("phone", "invalid", say="bad_phone")
    if email and not EMAIL.match(email):
        problems.add("email", "invalid", say="bad_email")
    if len(full_name) > 160:
        problems.add("full_name", "too_long")
    problems.raise_if_any(422)
    user = User(username=username, role=role, commune_code=commune_code if role == "commune" else None,
                full_name=full_name.strip(), phone=phone, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def all_users() -> list[User]:
    """Every account, grouped by role, for the administrator's list."""
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def commune_officers(codes) -> dict[str, list[User]]:
    """Active commune officers per commune: who to call or remind."""
    found: dict[str, list[User]] = {}
    for user in db.session.scalars(select(User).where(
            User.role == OFFICER, User.active.is_(True), User.commune_code.in_(list(codes)))
            .order_by(User.full_name)):
        found.setdefault(user.commune_code, []).append(user)
    return found


def officers_with_phone(sender: str) -> list[User]:
    """Active commune officers whose registered phone is this (normalised) number.

    Phones are stored as typed ("0912 345 678"): SQL narrows to those ending with the same
    last 9 digits once separators are dropped, Python then compares the normalised forms.
    """
    if not sender:
        return []
    digits = User.phone
    for separator in (" ", ".", "-"):
        digits = func.replace(digits, separator, "")
    candidates = db.session.scalars(select(User).where(
        User.role == OFFICER, User.active.is_(True), digits.like(f"%{sender[-9:]}"))
        .order_by(User.id))
    return [u for u in candidates if normalise_phone(u.phone) == sender]


def issue_token(user: User, name: str = "", days: int | None = None) -> str:
    """A new API token for the user, shown once; it expires after `days`
    (default API_TOKEN_DAYS; 0 = never). Older tokens stay valid until revoked."""
    token = new_token()
    days = current_app.config["API_TOKEN_DAYS"] if days is None else days
    expires = utcnow() + timedelta(days=days) if days and days > 0 else None
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name.strip()[:80],
                            expires_at=expires))
    db.session.flush()
    return token


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def revoke_token(token: ApiToken) -> None:
    """The token stops working at once (idempotent: the first revocation time is kept)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()


# --- log-in throttle ------------------------------------------------------------------
#
# Two counters, each one row locked for the attempt (SQLite: the write lock of the
# POST; PostgreSQL: SELECT ... FOR UPDATE), so concurrent guesses are counted one
# after another and none is evaluated past the limit:
# - per username: after LOGIN_MAX_FAILURES failures, each further attempt must wait a
#   delay doubling from 1 s up to LOGIN_MAX_DELAY_SECONDS. Other people's failures can
#   delay the real owner by at most that, never lock them out for the whole window.
# - per client address: LOGIN_MAX_FAILURES_PER_ADDRESS failures in LOGIN_WINDOW_MINUTES
#   block that address until the window ends. Behind a reverse proxy the address is
#   the client's only if TRUSTED_PROXIES is set (see security.py).


@dataclass
class LoginResult:
    user: User | None
    wait_seconds: int = 0  # > 0: refused without checking the password


def _locked_rows(keys: list[str]) -> dict[str, LoginThrottle]:
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    db.session.execute(insert(LoginThrottle.__table__).values(
        [{"key": k, "failures": 0, "window_start": now} for k in keys]).on_conflict_do_nothing())
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                              .order_by(LoginThrottle.key).with_for_update()
                              .execution_options(populate_existing=True))
    return {row.key: row for row in rows}


def _seconds_until(moment, now) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def attempt_login(username: str, password: str, remote_addr: str) -> LoginResult:
    """One log-in attempt, counted atomically; run inside write_transaction()."""
    config = current_app.config
    now = utcnow()
    username = username.strip()[:80]
    user_key, addr_key = f"u:{username}", f"a:{remote_addr[:64]}"
    rows = _locked_rows(sorted({user_key, addr_key}))
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    for row in rows.values():
        if row.window_start <= now - window:
            row.failures, row.window_start = 0, now
    by_user, by_addr = rows[user_key], rows[addr_key]
    if by_addr.failures >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        return LoginResult(None, _seconds_until(by_addr.window_start + window, now))
    if by_user.wait_until and by_user.wait_until > now:
        return LoginResult(None, _seconds_until(by_user.wait_until, now))
    user = authenticate(username, password, remote_addr)
    if user is not None:
        by_user.failures, by_user.wait_until = 0, None
        return LoginResult(user)
    by_addr.failures += 1
    by_user.failures += 1
    over = by_user.failures - config["LOGIN_MAX_FAILURES"]
    if over >= 0:
        delay = min(2 ** min(over, 16), config["LOGIN_MAX_DELAY_SECONDS"])
        by_user.wait_until = now + timedelta(seconds=delay)
    return LoginResult(None)


# Checked against when the account does not exist, so an unknown username takes
# as long to refuse as a wrong password (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


def authenticate(username: str, password: str, remote_addr: str) -> User | None:
    """Checks the password; a failure is also kept in login_attempts (an audit trail)."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    elif user.active and user.check_password(password):
        return user
    db.session.add(LoginAttempt(username=username.strip()[:80], remote_addr=remote_addr[:64]))
    return None
