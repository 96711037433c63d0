"""Log in and out of the web interface."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..database import write_transaction
from ..errors import message
from . import access  # noqa: F401  (registers the user loaders)
from .access import public
from .accounts import attempt_login

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
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        remote = request.remote_addr or ""  # the client's, through TRUSTED_PROXIES only
        with write_transaction():
            result = attempt_login(username, password, remote)
        if result.user:
            login_user(result.user, remember=True)
            return redirect(_safe_next(request.args.get("next")) or url_for("web.home"))
        if result.wait_seconds:
            error = message("login_wait", seconds=result.wait_seconds)
            return render_template("auth/login.html", error=error, username=username), 429, \
                {"Retry-After": str(result.wait_seconds)}
        error = message("bad_login")
        return render_template("auth/login.html", error=error, username=username), 401
    return render_template("auth/login.html", error=error, username=username)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Ends this user's sessions everywhere: every session and remember cookie issued
    before (a copied cookie too) stops loading."""
    if current_user.is_authenticated:
        with write_transaction():
            current_user.end_sessions()
    logout_user()
    flash(message("logged_out"), "info")
    return redirect(url_for("auth.login"))
