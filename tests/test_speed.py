"""Speed on a weak link: the app compresses what it sends, static files are fingerprinted and
cached for a year, and pages holding a user's data are never stored by a cache."""
import gzip
import re

import brotli
import pytest

from conftest import login
from conftest import EVENT

BR = {"Accept-Encoding": "gzip, deflate, br"}  # what Chromium sends
GZIP = {"Accept-Encoding": "gzip, deflate"}


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress,
            None: lambda data: data}[encoding](response.data)


def static_links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_a_phone_on_a_weak_link_gets_the_login_page_in_brotli_or_gzip(client):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    for headers, encoding in ((BR, "br"), (GZIP, "gzip")):
        page = client.get("/login", headers=headers)
        assert page.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in page.headers["Vary"]
        assert len(page.data) < 0.6 * len(plain.data)
        assert "Đăng nhập" in decoded(page).decode()


def test_json_geojson_and_html_pages_of_the_province_are_compressed(client, auth, damage):
    urls = {f"/api/v1/events/{EVENT}/summary?date=2025-10-08": "application/json",
            f"/api/v1/events/{EVENT}/map.geojson?date=2025-10-08": "application/geo+json",
            f"/api/v1/events/{EVENT}/export?format=geojson&date=2025-10-08": "application/geo+json",
            f"/api/v1/events/{EVENT}/export?format=csv&date=2025-10-08": "text/csv"}
    for url, mimetype in urls.items():
        response = client.get(url, headers={**auth("province"), **BR})
        assert response.status_code == 200, url
        assert response.mimetype == mimetype
        assert response.headers["Content-Encoding"] == "br", url
        assert decoded(response) == client.get(url, headers=auth("province")).data
    login(client, "tinh")
    table = client.get(f"/events/{EVENT}/table?date=2025-10-08", headers=GZIP)
    assert table.headers["Content-Encoding"] == "gzip"
    assert "Tổng cộng" in decoded(table).decode()


def test_the_streamed_long_csv_is_compressed_chunk_by_chunk_and_complete(app, client, auth, damage):
    url = f"/api/v1/events/{EVENT}/export?format=long&date=2025-10-08"
    plain = client.get(url, headers=auth("province"))
    for headers, encoding in ((BR, "br"), (GZIP, "gzip")):
        streamed = client.get(url, headers={**auth("province"), **headers}, buffered=False)
        assert streamed.is_streamed and "Content-Length" not in streamed.headers
        assert streamed.headers["Content-Encoding"] == encoding
        body = b"".join(streamed.response)
        streamed.close()
        assert {"br": brotli.decompress, "gzip": gzip.decompress}[encoding](body) == plain.data


def test_already_compressed_files_are_sent_as_they_are(client, auth, damage):
    for fmt in ("xlsx", "pdf"):
        response = client.get(f"/api/v1/events/{EVENT}/export?format={fmt}&date=2025-10-08",
                              headers={**auth("province"), **BR})
        assert response.status_code == 200 and "Content-Encoding" not in response.headers, fmt
    png = client.get(f"/events/{EVENT}/map.png?date=2025-10-08",
                     headers={**auth("province"), **BR})
    login(client, "tinh")
    png = client.get(f"/events/{EVENT}/map.png?date=2025-10-08", headers=BR)
    assert png.mimetype == "image/png" and "Content-Encoding" not in png.headers
    leaflet_png = client.get("/static/vendor/leaflet-1.9.4/images/layers.png", headers=BR)
    assert leaflet_png.status_code == 200 and "Content-Encoding" not in leaflet_png.headers


def test_a_server_drawn_svg_chart_is_compressed(app, client):
    svg = '<svg xmlns="http://www.w3.org/2000/svg">' + '<rect width="1" height="2"/>' * 200 + "</svg>"
    app.add_url_rule("/test-chart.svg", "test_chart", lambda: (svg, 200, {"Content-Type": "image/svg+xml"}))
    response = client.get("/test-chart.svg", headers=BR)
    assert response.headers["Content-Encoding"] == "br" and decoded(response).decode() == svg


def test_static_files_carry_their_content_hash_and_are_cached_for_a_year(client):
    links = static_links(client.get("/login").get_data(as_text=True))
    assert any("app.css" in link for link in links) and any("nav.js" in link for link in links)
    assert not any("bootstrap.bundle" in link for link in links)  # 80 KB of JS nobody needs
    for link in links:
        assert re.search(r"\?v=[0-9a-f]{12}$", link), link
        response = client.get(link, headers=BR)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "br"  # CSS and JS
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers["Vary"]
        assert decoded(response) == client.get(link.split("?")[0]).data
        again = client.get(link, headers={**BR, "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_a_static_file_asked_without_or_with_a_stale_hash_is_revalidated(client):
    link = next(link for link in static_links(client.get("/login").get_data(as_text=True))
                if "app.css" in link)
    path = link.split("?")[0]
    for url in (path, path + "?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/nope.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_pages_and_api_answers_holding_private_data_are_never_stored(app, client, auth, damage):
    assert client.get("/login").headers["Cache-Control"] == "no-store"  # it holds a CSRF token
    assert client.get(f"/api/v1/events/{EVENT}/summary?date=2025-10-08",
                      headers=auth("province")).headers["Cache-Control"] == "no-store"
    commune = app.test_client()
    login(commune, "thatkhe")
    form = commune.get("/report")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    login(client, "tinh")
    for url in (f"/events/{EVENT}/table", f"/events/{EVENT}/map", f"/events/{EVENT}/reports"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    export = client.get(f"/events/{EVENT}/download?format=csv")
    assert export.headers["Cache-Control"] == "private, no-store"  # the export's own header stays


@pytest.mark.browser
def test_the_navbar_menu_opens_on_a_phone_without_bootstrap_js(users, offline_page, live_server):
    from conftest import PASSWORD, PHONE
    page = offline_page(**PHONE)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("load")  # the stylesheet folds the menu: wait until it applies
    menu = page.locator("#nav")
    assert not menu.is_visible()
    page.click(".navbar-toggler")
    assert menu.is_visible() and page.get_by_text("Báo cáo các xã").is_visible()
    page.click(".navbar-toggler")
    assert not menu.is_visible()
    assert page.blocked_requests == []
