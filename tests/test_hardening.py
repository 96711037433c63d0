"""Issue 14: the defects found by fuzzing and attack stay closed (both backends)."""
import csv
import io
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select, text

from conftest import PASSWORD, csrf_from, login, post_form
from coordination.areas.models import Area
from coordination.auth.models import ApiToken, LoginThrottle
from coordination.deadlines.schedules import ensure_default_schedule
from coordination.events import create_event
from coordination.extensions import db
from coordination.reports.models import Report

SUMMARY = "/api/v1/events/MATMO-2025/summary"
EXPORT = "/api/v1/events/MATMO-2025/export"


def _code(response, field):
    return response.get_json()["errors"].get(field)


# --- 1. dates are bounded by today and the event's end --------------------------------

@pytest.mark.parametrize("url", [
    SUMMARY, EXPORT + "?format=long", EXPORT + "?format=csv",
    "/api/v1/events/MATMO-2025/map.geojson", "/api/v1/events/MATMO-2025/compliance",
    "/api/v1/events/MATMO-2025/reports"])
def test_a_date_after_today_is_refused_everywhere(client, auth, matmo, at_local, url):
    at_local(2025, 10, 8, 9, 0)
    ensure_default_schedule(matmo)
    db.session.commit()
    sep = "&" if "?" in url else "?"
    for bad in ("9999-12-31", "2025-10-10", ""):
        response = client.get(f"{url}{sep}date={bad}", headers=auth("province"))
        assert response.status_code == 400, (url, bad)
        assert _code(response, "date") == "invalid_date"
    assert client.get(f"{url}{sep}date=2025-10-08", headers=auth("province")).status_code == 200
    # tomorrow is refused too, except on the compliance board (who is pending next)
    tomorrow = client.get(f"{url}{sep}date=2025-10-09", headers=auth("province")).status_code
    assert tomorrow == (200 if "compliance" in url else 400)


def test_a_date_after_the_events_end_is_refused(client, auth, users, at_local):
    at_local(2025, 10, 20, 9, 0)
    create_event({"code": "LU-2025", "name": "Lũ tháng 10", "type": "flood",
                  "start_date": "2025-10-01", "end_date": "2025-10-10"})
    db.session.commit()
    late = client.get("/api/v1/events/LU-2025/summary?date=2025-10-11", headers=auth("province"))
    assert late.status_code == 400 and _code(late, "date") == "invalid_date"
    assert "2025-10-10" in late.get_json()["messages"]["date"]
    assert client.get("/api/v1/events/LU-2025/summary?date=2025-10-10",
                      headers=auth("province")).status_code == 200


def test_the_long_export_covers_at_most_the_configured_days(app, client, auth, matmo, at_local,
                                                            post_report):
    at_local(2025, 10, 8, 9, 0)
    for day in ("2025-10-06", "2025-10-07", "2025-10-08"):
        assert post_report("thatkhe", date=day, figures={"houses_collapsed": 1}).status_code == 201
    app.config["LONG_EXPORT_MAX_DAYS"] = 2
    response = client.get(EXPORT + "?format=long&date=2025-10-08", headers=auth("province"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    assert {row[0] for row in rows} == {"2025-10-07", "2025-10-08"}


def test_the_long_export_stops_building_days_when_the_client_leaves(app, client, auth, matmo,
                                                                     at_local, post_report):
    """The stream yields after every day with rows; closing it (what a server does when the
    client is gone) ends the generator there, so no further day is built."""
    at_local(2025, 10, 8, 9, 0)
    for day in ("2025-10-06", "2025-10-07", "2025-10-08"):
        post_report("thatkhe", date=day, figures={"houses_collapsed": 1})
    response = client.get(EXPORT + "?format=long&date=2025-10-08", headers=auth("province"),
                          buffered=False)
    chunks = iter(response.response)
    assert b"commune_code" in next(chunks)  # the header
    first_day = next(csv.reader(io.StringIO(next(chunks).decode())))
    response.close()
    assert first_day[0] == "2025-10-06"
    with pytest.raises(StopIteration):
        next(chunks)


# --- 2. sessions and tokens -----------------------------------------------------------

def _cookies(client):
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name)}


def _client_with(app, cookies: dict):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_a_password_reset_ends_the_old_session_and_remember_cookies(app, client, users):
    assert login(client, "thatkhe").status_code == 302
    stolen = _cookies(client)
    assert set(stolen) == {"session", "remember_token"}
    assert _client_with(app, stolen).get("/report").status_code == 200  # the copy works today

    admin = app.test_client()
    login(admin, "admin")
    reset = post_form(admin, f"/admin/users/{users['thatkhe'].id}/password", {}, page="/admin/users")
    assert reset.status_code == 200

    for cookies in (stolen, {"remember_token": stolen["remember_token"]}):
        assert _client_with(app, cookies).get("/report").status_code == 302  # back to log-in
    assert client.get("/report").status_code == 302


def test_logout_ends_a_copied_session_and_remember_cookie(app, client, users):
    login(client, "thatkhe")
    copied = _cookies(client)
    page = client.get("/report").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert _client_with(app, copied).get("/report").status_code == 302
    assert _client_with(app, {"remember_token": copied["remember_token"]}).get(
        "/report").status_code == 302
    assert login(client, "thatkhe").status_code == 302  # logging in again works


def test_an_api_token_expires_after_the_configured_days(app, client, users, at_local, runner):
    app.config["API_TOKEN_DAYS"] = 30
    at_local(2025, 10, 8, 9, 0)
    token = runner.invoke(args=["users", "token", "thatkhe", "--name", "cổng SMS"]).output.split()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/indicators", headers=headers).status_code == 200
    at_local(2025, 11, 7, 8, 0)
    assert client.get("/api/v1/indicators", headers=headers).status_code == 200
    at_local(2025, 11, 7, 10, 0)
    assert client.get("/api/v1/indicators", headers=headers).status_code == 401


def test_an_admin_lists_and_revokes_tokens_one_by_one(app, client, users):
    login(client, "admin")
    officer = users["thatkhe"]
    secrets = []
    for name in ("điện thoại cán bộ", "cổng SMS"):
        page = post_form(client, f"/admin/users/{officer.id}/token", {"name": name},
                         page=f"/admin/users/{officer.id}/tokens")
        secrets.append(csrf_from_secret(page.get_data(as_text=True)))
    listing = client.get(f"/admin/users/{officer.id}/tokens").get_data(as_text=True)
    assert "điện thoại cán bộ" in listing and "cổng SMS" in listing
    assert secrets[0] not in listing and secrets[1] not in listing  # never shown again
    first = db.session.scalar(select(ApiToken).where(ApiToken.name == "điện thoại cán bộ"))
    revoked = post_form(client, f"/admin/users/{officer.id}/tokens/{first.id}/revoke", {},
                        page=f"/admin/users/{officer.id}/tokens")
    assert revoked.status_code == 302
    assert "Đã thu hồi" in client.get(f"/admin/users/{officer.id}/tokens").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/indicators",
                   headers={"Authorization": f"Bearer {secrets[0]}"}).status_code == 401
    assert api.get("/api/v1/indicators",
                   headers={"Authorization": f"Bearer {secrets[1]}"}).status_code == 200
    # another user's token id under this user: 404, nothing revoked
    other = post_form(client, f"/admin/users/{users['other'].id}/tokens/{first.id + 1}/revoke",
                      {}, page=f"/admin/users/{officer.id}/tokens")
    assert other.status_code == 404


def csrf_from_secret(html: str) -> str:
    import re
    return re.search(r'id="secret" value="([^"]+)"', html).group(1)


def test_tokens_are_listed_and_revoked_from_the_command_line(runner, client, users):
    token = runner.invoke(args=["users", "token", "thatkhe", "--name", "máy tính bảng"]
                          ).output.split()[-1]
    listed = runner.invoke(args=["users", "tokens", "thatkhe"])
    assert listed.exit_code == 0 and "máy tính bảng" in listed.output and "active" in listed.output
    token_id = listed.output.split("\t")[0]
    revoked = runner.invoke(args=["users", "revoke-token", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(args=["users", "tokens", "thatkhe"]).output
    assert client.get("/api/v1/indicators",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["users", "revoke-token", "99999999999"]).exit_code != 0


# --- 3. out-of-range ids are 404, and a database error still shows its page ------------

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999999"]


@pytest.mark.parametrize("huge", HUGE)
def test_out_of_range_ids_answer_404(app, client, auth, users, matmo, huge):
    for url in (f"/api/v1/notifications/{huge}/sent", f"/api/v1/notifications/{huge}/failed"):
        response = client.post(url, headers=auth("admin"))
        assert response.status_code == 404, url
        assert set(response.get_json()) == {"errors", "messages"}
    compliance = client.get(f"/api/v1/events/MATMO-2025/compliance?schedule={huge}",
                            headers=auth("admin"))
    assert compliance.status_code == 404
    login(client, "admin")
    for url in (f"/reports/{huge}", f"/reports/1/receipt/{huge}", f"/reports/{huge}/receipt/1",
                f"/versions/{huge}", f"/admin/users/{huge}/tokens",
                f"/events/MATMO-2025/compliance?schedule={huge}"):
        assert client.get(url).status_code == 404, url
    page = client.get("/admin/users").get_data(as_text=True)
    token = csrf_from(page)
    for url in (f"/admin/users/{huge}/active", f"/admin/users/{huge}/password",
                f"/admin/users/{huge}/token", f"/events/MATMO-2025/schedule/{huge}/active",
                f"/admin/users/1/tokens/{huge}/revoke"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_after_a_database_error_the_error_page_still_renders(app, client, users):
    @app.get("/_test/broken")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, "tinh")
    response = client.get("/_test/broken")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.get_data(as_text=True)
    assert client.get("/reports", follow_redirects=True).status_code == 200


# --- 4. deeply nested JSON --------------------------------------------------------------

@pytest.mark.parametrize("depth", [65, 900, 5000, 100_000])
def test_deeply_nested_json_is_refused_before_anything_else(client, auth, depth):
    body = "[" * depth + "]" * depth
    for headers in ({}, auth("thatkhe")):
        response = client.post("/api/v1/reports", data=body, headers=headers,
                                content_type="application/json")
        assert response.status_code == 400
        assert response.get_json()["errors"] == {"body": "too_deep"}
    nested = '{"a":' * depth + "1" + "}" * depth
    response = client.post("/api/v1/reports", data=nested, content_type="application/json")
    assert response.status_code == 400 and _code(response, "body") == "too_deep"


def test_ordinary_nesting_is_read_normally(client, auth, matmo):
    body = {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08",
            "submission_id": "", "figures": {"x": [[[[1]]]]}}
    response = client.post("/api/v1/reports", json=body, headers=auth("thatkhe"))
    assert response.status_code == 422


# --- 5. log-in throttle ---------------------------------------------------------------

def test_concurrent_wrong_guesses_are_counted_one_by_one(app, users, live_server, at_local):
    """Ten guesses at once: no more than the limit of five are ever checked."""
    at_local(2025, 10, 8, 9, 0)  # the clock stands still, so the wait never ends
    app.config["WTF_CSRF_ENABLED"] = False
    barrier = threading.Barrier(10)
    codes = []

    def guess(n):
        data = urllib.parse.urlencode({"username": "thatkhe", "password": f"doan-{n}"}).encode()
        barrier.wait()
        try:
            codes.append(urllib.request.urlopen(live_server + "/login", data=data, timeout=60).status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [401] * 5 + [429] * 5
    db.session.expire_all()
    assert db.session.get(LoginThrottle, "u:thatkhe").failures == 5


def test_others_failures_only_delay_the_owner_briefly(app, client, users, at_local):
    at_local(2025, 10, 8, 9, 0)
    for n in range(5):  # five different places guess the officer's password
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert login(stranger, "thatkhe", "doan-mo").status_code == 401
    waiting = login(client, "thatkhe")
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    at_local(2025, 10, 8, 9, 0, 2)
    assert login(client, "thatkhe").status_code == 302


def test_the_wait_grows_but_stays_short(app, users, at_local):
    app.config["LOGIN_MAX_DELAY_SECONDS"] = 30
    offset, waits = 0, []
    for n in range(12):
        at_local(2025, 10, 8, 9, offset // 60, offset % 60)
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert login(stranger, "thatkhe", "doan-mo").status_code == 401
        if n >= 4:  # from the fifth failure on, even the owner waits a little
            probe = login(app.test_client(), "thatkhe")
            assert probe.status_code == 429
            waits.append(int(probe.headers["Retry-After"]))
            offset += waits[-1]
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    at_local(2025, 10, 8, 9, offset // 60, offset % 60)
    assert login(app.test_client(), "thatkhe").status_code == 302


def test_the_client_address_comes_from_trusted_proxies_only(app, users):
    app.config["TRUSTED_PROXIES"] = 1

    def behind_proxy(client_ip):
        c = app.test_client()
        c.environ_base.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_ip)
        return c

    for n in range(20):  # one guesser behind the proxy
        login(behind_proxy("203.0.113.66"), f"doan-{n}", "doan-mo")
    assert login(behind_proxy("203.0.113.66"), "tinh").status_code == 429
    assert login(behind_proxy("203.0.113.7"), "tinh").status_code == 302  # a colleague is not

    app.config["TRUSTED_PROXIES"] = 0  # no proxy trusted: a forged header changes nothing
    for n in range(20):
        login(behind_proxy(f"192.0.2.{n}"), f"doan-{n}", "doan-mo")
    assert login(behind_proxy("192.0.2.200"), "huulung").status_code == 429


# --- 6. stored XSS through names on the map ----------------------------------------------

XSS = "<img src=x onerror=alert(1)>"


def test_an_area_name_reaches_the_map_escaped(client, users, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    db.session.get(Area, "ky-cung").name = XSS
    db.session.commit()
    login(client, "tinh")
    html = client.get("/events/MATMO-2025/map?date=2025-10-08&area=ky-cung").get_data(as_text=True)
    assert XSS not in html
    # the layer name, a JSON string in folium's script, holds the HTML-escaped text
    assert '"Ranh gi\\u1edbi \\u0026lt;img src=x onerror=alert(1)\\u0026gt;"' in html


def test_an_area_name_in_the_layer_control_is_text_in_a_browser(app, users, matmo, at_local,
                                                                offline_page, live_server):
    at_local(2025, 10, 8, 9, 0)
    db.session.get(Area, "ky-cung").name = XSS
    db.session.commit()
    page = offline_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    dialogs, violations = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server + "/events/MATMO-2025/map?date=2025-10-08&area=ky-cung")
    control = page.locator(".leaflet-control-layers")
    control.wait_for()
    assert f"Ranh giới {XSS}" in control.inner_text()
    assert control.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == [] and violations == []
    assert page.locator("path.commune").count() == 65  # the map script ran under the CSP
    page.screenshot(path="/tmp/hard-map-xss.png")


# --- 7. API writes with the session cookie need a CSRF token ----------------------------

def _report(submission_id="web-cookie-1"):
    return {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08",
            "submission_id": submission_id, "figures": {"houses_collapsed": 1}}


def test_a_cookie_authenticated_api_write_needs_a_csrf_token(client, users, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    login(client, "thatkhe")
    forged = client.post("/api/v1/reports", json=_report())
    assert forged.status_code == 400 and forged.get_json()["errors"] == {"request": "csrf_failed"}
    assert db.session.scalar(select(func.count(Report.id))) == 0
    token = csrf_from(client.get("/report").get_data(as_text=True))
    sent = client.post("/api/v1/reports", json=_report(), headers={"X-CSRFToken": token})
    assert sent.status_code == 201


def test_a_bearer_token_write_needs_no_csrf_token(client, auth, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    assert client.post("/api/v1/reports", json=_report(), headers=auth("thatkhe")).status_code == 201


# --- 8. security headers on every response -------------------------------------------------

def test_every_response_carries_the_security_headers(client, users, matmo):
    login(client, "tinh")
    nonces = set()
    for url in ("/login", "/", "/reports", "/api/v1/events", "/api/v1/nope",
                "/static/css/app.css", "/events/MATMO-2025/map?date=2025-10-06"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src, url
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        nonces.add(script_src)
    assert len(nonces) == 7  # a new nonce per response
    html = client.get("/events/MATMO-2025/map?date=2025-10-06")
    nonce = html.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    body = html.get_data(as_text=True)
    assert body.count(f'<script nonce="{nonce}">') == 3


def test_no_template_has_an_inline_event_handler_or_an_unnonced_inline_script():
    import re
    from pathlib import Path
    for path in Path("templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", source), path
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag or "nonce=" in tag or "application/json" in tag, (path, tag)


# --- 9. bounded error bodies -----------------------------------------------------------------

def test_too_many_figures_are_one_error(client, auth, matmo):
    body = {**_report("many"), "figures": {f"x{n}": 1 for n in range(100_000)}}
    response = client.post("/api/v1/reports", json=body, headers=auth("thatkhe"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"figures": "too_many"}
    assert len(response.get_data()) < 1000


def test_an_answer_lists_at_most_fifty_field_errors(client, auth, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    body = {**_report("unknowns"), "figures": {f"x{n}": 1 for n in range(150)}}
    response = client.post("/api/v1/reports", json=body, headers=auth("thatkhe"))
    errors = response.get_json()["errors"]
    assert response.status_code == 422 and len(errors) == 51
    assert errors["_truncated"] == "truncated"
    assert "100" in response.get_json()["messages"]["_truncated"]


# --- 10. conformance details ----------------------------------------------------------------

def test_405_keeps_allow_and_the_error_shape(client):
    response = client.delete("/api/v1/events")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert set(response.get_json()) == {"errors", "messages"}


def test_an_empty_submission_id_is_refused(client, auth, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    response = client.post("/api/v1/reports", json=_report(""), headers=auth("thatkhe"))
    assert response.status_code == 422 and _code(response, "submission_id") == "required"


def test_the_404_schema_is_one_shape(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, answer in operation.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                assert "oneOf" not in schema, (method, path, status)
    errors = spec["components"]["schemas"]["FieldErrors"]
    assert set(errors["required"]) == {"errors", "messages"}


def test_an_admin_revokes_a_token_in_a_browser_under_the_csp(app, users, offline_page, live_server):
    """site.js asks before revoking (no inline handler), the page runs with no CSP violation."""
    from coordination.auth.accounts import issue_token
    issue_token(users["thatkhe"], name="cổng SMS")
    db.session.commit()
    violations, dialogs = [], []
    for name, options in (("desktop", {"viewport": {"width": 1280, "height": 800}}),
                          ("phone", {"viewport": {"width": 390, "height": 844}, "is_mobile": True})):
        page = offline_page(locale="vi-VN", **options)
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        page.goto(live_server + "/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        for other in ("/admin/events", "/admin/indicators"):  # pages with scripts of their own
            page.goto(live_server + other)
        page.goto(live_server + "/admin/users")
        page.select_option("#role", "commune")  # the page's nonced script shows the commune field
        assert page.locator("#commune-field").is_visible()
        page.locator("#user-thatkhe a", has_text="Các token").click()
        page.wait_for_selector("#tokens")
        page.screenshot(path=f"/tmp/hard-tokens-{name}.png", full_page=True)
    answer = {"accept": False}
    page.on("dialog", lambda d: (dialogs.append(d.message),
                                 d.accept() if answer["accept"] else d.dismiss()))
    page.click("#tokens button[type=submit]")  # dismissed: nothing happens
    page.wait_for_timeout(200)
    assert len(dialogs) == 1 and "Thu hồi token" in dialogs[0]
    assert "Đang dùng" in page.inner_text("#tokens")
    answer["accept"] = True
    with page.expect_navigation():
        page.click("#tokens button[type=submit]")
    assert "Đã thu hồi" in page.inner_text("#tokens")
    assert violations == []
