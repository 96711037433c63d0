"""Speed on a weak link: compression, fingerprinted static files, cache headers.

- Responses are compressed by the app itself (Flask-Compress): brotli when the
  client accepts it, else gzip, for HTML, JSON, CSS, JS, GeoJSON, SVG and CSV.
  Streamed responses (the long CSV export) are compressed chunk by chunk, never
  buffered whole. PNG, XLSX and PDF are already compressed and left alone.
- `url_for('static', filename=...)` adds `v=<content hash>` (an url_defaults hook,
  so templates and folium need no change). A static request whose `v` matches the
  file's current hash is served `public, max-age=31536000, immutable`; any other
  is served `no-cache` (revalidated with the ETag). Static files are compressed
  once per process at the highest level and kept in memory (the folder is small).
- Every other response that does not say otherwise gets `Cache-Control: no-store`:
  pages and API answers hold a user's data (and forms hold a CSRF token).
"""
import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "no-store"

COMPRESSIBLE = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/geo+json", "application/problem+json", "application/xml",
    "application/manifest+json", "image/svg+xml",
]

compress = Compress()


@dataclass
class Asset:
    """One static file: its bytes, content hash and compressed variants (made on first use)."""
    path: str
    mtime: float
    data: bytes
    digest: str
    variants: dict[str, bytes] = field(default_factory=dict)

    def encoded(self, algorithm: str | None) -> bytes:
        if algorithm is None:
            return self.data
        if algorithm not in self.variants:
            self.variants[algorithm] = (brotli.compress(self.data, quality=11) if algorithm == "br"
                                        else gzip.compress(self.data, 9, mtime=0))
        return self.variants[algorithm]


_assets: dict[str, Asset] = {}


def _asset(path: str) -> Asset | None:
    """The file at `path` (under the static folder), re-read when its mtime changes."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    cached = _assets.get(path)
    if cached is None or cached.mtime != mtime:
        if not os.path.isfile(path):
            return None
        data = Path(path).read_bytes()
        cached = _assets[path] = Asset(path, mtime, data, hashlib.sha256(data).hexdigest()[:12])
    return cached


def fingerprint(filename: str) -> str | None:
    path = safe_join(current_app.static_folder, filename)
    asset = _asset(path) if path else None
    return asset.digest if asset else None


def _add_fingerprint(endpoint: str, values: dict) -> None:
    """url_for('static', filename=...) → /static/...?v=<hash> (unless a v is given)."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        digest = fingerprint(values["filename"])
        if digest:
            values["v"] = digest


def _accepted(mimetype: str) -> str | None:
    if mimetype not in COMPRESSIBLE:
        return None
    quality = {}
    for part in request.headers.get("Accept-Encoding", "").lower().split(","):
        name, _, params = part.partition(";")
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            quality[name.strip()] = float(q)
        except ValueError:
            quality[name.strip()] = 1.0
    return next((a for a in ("br", "gzip") if quality.get(a, 0) > 0), None)


def serve_static(filename: str) -> Response:
    path = safe_join(current_app.static_folder, filename)
    asset = _asset(path) if path else None
    if asset is None:
        abort(404)
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    algorithm = _accepted(mimetype)
    response = current_app.response_class(asset.encoded(algorithm), mimetype=mimetype)
    if algorithm:
        response.headers["Content-Encoding"] = algorithm
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(asset.digest + (f"-{algorithm}" if algorithm else ""))
    response.last_modified = asset.mtime
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == asset.digest else "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


def _private_by_default(response: Response) -> Response:
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = PRIVATE
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The cookie session, not saved on static responses: no Set-Cookie and no `Vary: Cookie`
    there (a browser would not reuse an immutable file once the session cookie changed)."""

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSIBLE)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)
    app.url_defaults(_add_fingerprint)
    app.view_functions["static"] = serve_static
    app.after_request(_private_by_default)
    app.session_interface = SessionInterface()
