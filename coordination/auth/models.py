"""Accounts, roles and API tokens."""
import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow

# "gateway": an SMS gateway (API only): posts inbound SMS and drains the SMS outbox.
ROLES = {"admin": "Quản trị", "province": "Cấp tỉnh", "commune": "Cấp xã", "gateway": "Cổng SMS"}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), index=True)
    full_name: Mapped[str] = mapped_column(String(160), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Raised by a password reset or a log-out: every session and remember cookie
    # issued before carries the old number (see get_id) and no longer loads.
    auth_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_generation or 0}"

    def end_sessions(self) -> None:
        """Every session and remember cookie of this user stops working."""
        self.auth_generation = (self.auth_generation or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # only the hash is stored
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: issued before expiry existed
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    def usable(self, now: datetime) -> bool:
        return self.usable_at(self.expires_at, self.revoked_at, now)

    @staticmethod
    def usable_at(expires_at: datetime | None, revoked_at: datetime | None, now: datetime) -> bool:
        return revoked_at is None and (expires_at is None or expires_at > now)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "created_at": self.created_at,
                "last_used_at": self.last_used_at, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at}


class LoginAttempt(db.Model):
    """Failed logins, kept in the database so throttling holds across worker processes."""
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class LoginThrottle(db.Model):
    """Failed log-ins per key ("u:<username>" or "a:<address>"), one row updated under a lock.

    Counting in one locked row (not by counting rows after the fact) keeps
    concurrent guesses from all being evaluated before any is counted.
    """
    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    wait_until: Mapped[datetime | None] = mapped_column(DateTime)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
