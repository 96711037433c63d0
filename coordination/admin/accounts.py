"""Accounts from the admin pages: every field checked at once, passwords shown once."""
import secrets

from ..auth.accounts import create_user
from ..auth.models import User
from ..errors import InputError, Problems, message


def account_from_form(form) -> User:
    """The admin form: create_user's rules plus the form's own (password typed twice)."""
    problems = Problems()
    if form.get("password", "") != form.get("password_confirm", ""):
        problems.add("password_confirm", "mismatch", say="password_mismatch")
    return create_user(form.get("username", ""), form.get("password", ""), form.get("role", ""),
                       form.get("commune") or None, form.get("full_name", ""),
                       form.get("phone", ""), form.get("email", ""), problems)


def set_active(user: User, active: bool, by: User) -> None:
    if user.id == by.id and not active:
        raise InputError(422, {"active": "self"}, {"active": message("self_lock")})
    user.active = active


def reset_password(user: User) -> str:
    """A new random password for the officer, told to them once (never stored in clear)."""
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    user.end_sessions()  # whoever held the old password is logged out everywhere
    return password
