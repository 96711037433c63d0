"""Accounts from the admin pages: every field checked at once, passwords shown once."""
import re
import secrets

from sqlalchemy import select

from ..areas.models import Commune
from ..auth.accounts import AccountError, create_user
from ..auth.models import ROLES, User
from ..errors import InputError
from ..extensions import db

PHONE = re.compile(r"^\+?[0-9 .]{8,15}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def account_errors(form) -> dict[str, str]:
    """Vietnamese message per field. create_user stops at its first problem; a form shows all."""
    errors = {}
    username = form.get("username", "").strip()
    role = form.get("role", "")
    password = form.get("password", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,80}", username):
        errors["username"] = "Tên đăng nhập 3–80 ký tự: chữ không dấu, số, dấu . _ -"
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = f"Tên đăng nhập '{username}' đã tồn tại."
    if role not in ROLES:
        errors["role"] = "Chọn vai trò."
    elif role == "commune" and db.session.get(Commune, form.get("commune", "")) is None:
        errors["commune"] = "Tài khoản cấp xã cần chọn xã/phường."
    if len(password) < 8:
        errors["password"] = "Mật khẩu cần ít nhất 8 ký tự."
    elif password != form.get("password_confirm", ""):
        errors["password_confirm"] = "Hai lần nhập mật khẩu không khớp."
    phone = form.get("phone", "").strip()
    if phone and not PHONE.match(phone):
        errors["phone"] = "Số điện thoại không hợp lệ."
    email = form.get("email", "").strip()
    if email and not EMAIL.match(email):
        errors["email"] = "Địa chỉ email không hợp lệ."
    if len(form.get("full_name", "")) > 160:
        errors["full_name"] = "Họ tên quá dài."
    return errors


def account_from_form(form) -> User:
    messages = account_errors(form)
    if messages:
        raise InputError(422, {k: "invalid" for k in messages}, messages)
    try:
        return create_user(form["username"], form["password"], form["role"],
                           form.get("commune") or None, form.get("full_name", "").strip(),
                           form.get("phone", "").strip(), form.get("email", "").strip())
    except AccountError as exc:  # a rule of create_user the form does not know yet
        raise InputError(422, {"username": "invalid"}, {"username": str(exc)}) from None


def set_active(user: User, active: bool, by: User) -> None:
    if user.id == by.id and not active:
        raise InputError(422, {"active": "self"},
                         {"active": "Không thể tự khóa tài khoản đang đăng nhập."})
    user.active = active


def reset_password(user: User) -> str:
    """A new random password for the officer, told to them once (never stored in clear)."""
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    return password
