"""Defences that hold for every request: headers, ids, JSON depth, proxies, API CSRF.

- Every response carries a Content-Security-Policy whose scripts are 'self' plus a
  per-request nonce (`csp_nonce()` in templates), no 'unsafe-inline' for scripts;
  frames are refused (frame-ancestors 'none' + X-Frame-Options), the referrer stays
  on this site, and types are not sniffed.
- Path ids use the `id` converter: anything above 2^31−1 (the largest id PostgreSQL's
  integer column holds) is a 404 before a query is made; `parse_id` does the same
  for ids read from query strings.
- A JSON body nested deeper than MAX_JSON_DEPTH is refused with 400 before any view,
  authentication or other guard reads it (the parser's RecursionError, which used to
  become a 500, is caught; what parses is measured without recursion).
- Client addresses come through werkzeug's ProxyFix only for the configured number
  of trusted reverse proxies (TRUSTED_PROXIES, default 0: the socket's address).
- An API write authenticated by the session cookie (not a bearer token) must carry
  a valid X-CSRFToken header, like every form of the site.
- After an unhandled error the session is rolled back, so the error page can still
  read the database (PostgreSQL refuses every query in a failed transaction).
"""
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, got_request_exception, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .errors import InputError
from .extensions import csrf, db

MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 64
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IdConverter(IntegerConverter):
    """`<id:report_id>`: a positive database id; larger values match no row → 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """An id typed in a query string, or None when it cannot name a row."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


# --- JSON depth ----------------------------------------------------------------------

def _too_deep(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return False


def reject_deep_json() -> None:
    if not request.is_json or not request.content_length:
        return
    refused = InputError(400, {"body": "too_deep"})
    try:  # the C parser refuses deep nesting with RecursionError (no crash)
        body = request.get_json(silent=True)
    except RecursionError:
        raise refused from None
    if _too_deep(body, MAX_JSON_DEPTH):
        raise refused


# --- headers ---------------------------------------------------------------------------

def csp_nonce() -> str:
    """This response's script nonce: `<script nonce="{{ csp_nonce() }}">`."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _tile_source(template: str) -> str:
    """'https://{s}.tile.osm.org/{z}/{x}/{y}.png' → 'https://*.tile.osm.org' for img-src."""
    parts = urlsplit(template.replace("{s}", "x"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc
    if "{s}" in template:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f" {parts.scheme}://{host}"


def content_security_policy(nonce: str) -> str:
    tiles = _tile_source(current_app.config.get("MAP_TILES") or "")
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",  # Leaflet and folium set inline styles
        f"img-src 'self' data: blob:{tiles}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


# --- API writes with the session cookie ---------------------------------------------------

def _bearer() -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


def csrf_for_cookie_api_writes() -> None:
    """Bearer-token writes need no CSRF token (a browser cannot forge that header
    cross-site); a write that authenticates with the session or remember cookie does."""
    if (request.method in UNSAFE_METHODS and request.path.startswith("/api/")
            and not _bearer() and current_user.is_authenticated):
        csrf.protect()


class TrustedProxies:
    """werkzeug's ProxyFix for TRUSTED_PROXIES hops, read from the config at each request.

    With 0 (the default) X-Forwarded-* headers are ignored: anyone could send them.
    With n, the n-th address from the right of X-Forwarded-For is the client's
    (the address the outermost trusted proxy saw), likewise proto and host.
    """

    def __init__(self, flask_app: Flask, wsgi_app):
        self.flask_app, self.wsgi_app = flask_app, wsgi_app

    def __call__(self, environ, start_response):
        hops = int(self.flask_app.config.get("TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        return ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)(environ, start_response)


def _rollback_after_error(_sender, **_extra) -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a broken connection must not hide the first error
        pass


def register(app: Flask) -> None:
    app.config.setdefault("TRUSTED_PROXIES", 0)
    app.wsgi_app = TrustedProxies(app, app.wsgi_app)
    # The JSON depth check runs first of all (the NUL guard parses the body too).
    app.before_request_funcs.setdefault(None, []).insert(0, reject_deep_json)
    app.before_request(csrf_for_cookie_api_writes)
    app.after_request(security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    got_request_exception.connect(_rollback_after_error, app, weak=False)
