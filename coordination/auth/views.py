"""Log in and out of the web interface."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from . import access  # noqa: F401  (registers the user loaders)
from .accounts import authenticate, login_blocked

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        remote = request.remote_addr or ""
        if login_blocked(username, remote):
            error = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."
            status = 429
        else:
            user = authenticate(username, password, remote)
            db.session.commit()
            if user:
                login_user(user, remember=True)
                return redirect(_safe_next(request.args.get("next")) or url_for("web.home"))
            error = "Tên đăng nhập hoặc mật khẩu không đúng."
            status = 401
        return render_template("auth/login.html", error=error, username=username), status
    return render_template("auth/login.html", error=error, username=username)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
