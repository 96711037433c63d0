"""The offline-first phone form: service worker, web app manifest and icons.

The form page itself (reports/views.py) keeps an IndexedDB outbox (static/js/outbox.js,
static/js/report-form.js) and sends through POST /report/submit; this package serves
what makes the page open with no network after one online visit:

- GET /sw.js — the service worker, at the root so its scope covers /report. It
  precaches the form page, its assets and the indicator catalog; pages are
  network-first (fresh figures when online), static assets cache-first. Its cache
  name carries a hash of the assets, so a new deployment replaces the old cache.
- GET /manifest.webmanifest — name "Báo cáo thiệt hại", start_url /report, icons.
"""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, make_response, render_template, url_for

from ..auth.access import public

bp = Blueprint("offline", __name__)

# What the form needs to open offline (paths under static/).
SHELL_ASSETS = ("vendor/bootstrap-5.3.3/bootstrap.min.css",
                "vendor/bootstrap-5.3.3/bootstrap.bundle.min.js",
                "css/app.css", "js/outbox.js", "js/report-form.js", "js/logout-guard.js",
                "icons/icon-192.png", "icons/icon-512.png")


@lru_cache(maxsize=1)
def _assets_hash(static_folder: str, template: str) -> str:
    digest = hashlib.sha256(Path(template).read_bytes())
    for name in SHELL_ASSETS:
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


def _no_cache(response):
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    template = Path(current_app.root_path).parent / "templates" / "offline" / "sw.js"
    version = _assets_hash(current_app.static_folder, str(template))
    shell = [url_for("static", filename=name) for name in SHELL_ASSETS]
    pages = [url_for("reports.form"), url_for("api.list_indicators")]
    body = render_template("offline/sw.js", version=version, shell=shell, pages=pages,
                           form_url=url_for("reports.form"),
                           outbox_js=url_for("static", filename="js/outbox.js"))
    response = make_response(body)
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(response)


@bp.get("/manifest.webmanifest")
@public
def manifest():
    def icon(size):
        return {"src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
    response = make_response({
        "name": "Báo cáo thiệt hại", "short_name": "Báo cáo",
        "description": "Báo cáo thiệt hại thiên tai hằng ngày của xã/phường, gửi được cả khi mất sóng.",
        "lang": "vi", "start_url": url_for("reports.form"), "scope": "/",
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#0d6efd",
        "icons": [icon(192), icon(512)]})
    response.headers["Content-Type"] = "application/manifest+json"
    return _no_cache(response)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
