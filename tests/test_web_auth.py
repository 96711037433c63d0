"""Officers log in and out of the web pages; guessing passwords is slowed down; forms need CSRF."""
from sqlalchemy import func, select

from coordination.extensions import db
from coordination.reports.models import Report
from conftest import PASSWORD, csrf_from, login


def test_officer_logs_in_lands_on_the_form_and_logs_out(client, users, matmo):
    response = login(client, "thatkhe")
    assert response.status_code == 302
    form = client.get("/", follow_redirects=True)
    assert "Báo cáo thiệt hại · Xã Thất Khê" in form.get_data(as_text=True)
    out = client.post("/logout", data={"csrf_token": csrf_from(form.get_data(as_text=True))})
    assert out.headers["Location"].endswith("/login")
    assert client.get("/report").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_a_vietnamese_message(client, users):
    response = login(client, "thatkhe", "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    unknown = login(client, "khong-co-ai", "sai-mat-khau")
    assert unknown.status_code == 401  # the same answer: no hint whether the account exists
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown.get_data(as_text=True)


def test_after_five_failures_even_the_right_password_waits(client, users, at_local):
    at_local(2025, 10, 8, 9, 0)  # the clock stands still: the 1-second wait cannot pass
    for _ in range(5):
        assert login(client, "thatkhe", "doan-mo").status_code == 401
    blocked = login(client, "thatkhe", PASSWORD)
    assert blocked.status_code == 429
    # a short wait (issue 14: others' failures must not lock the owner out for 15 minutes)
    assert "vui lòng đợi 1 giây rồi thử lại" in blocked.get_data(as_text=True)
    assert blocked.headers["Retry-After"] == "1"
    # a colleague in the same office (same address) is not locked out by it
    assert login(client, "huulung").status_code == 302


def test_guessing_across_many_accounts_from_one_address_is_throttled(client, users):
    for n in range(20):
        login(client, f"doan-{n}", "doan-mo")
    assert login(client, "tinh").status_code == 429


def test_session_cookie_is_httponly_and_samesite(client, users):
    response = login(client, "thatkhe")
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_form_posted_without_csrf_token_is_refused_and_nothing_stored(client, users, matmo):
    login(client, "thatkhe")
    page = client.get("/report").get_data(as_text=True)
    submission = page.split('name="submission_id" value="')[1].split('"')[0]
    response = client.post("/report", data={"submission_id": submission, "event": "MATMO-2025",
                                            "date": "2025-10-08", "f_houses_collapsed": "3"})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "thatkhe", "password": PASSWORD})
    assert response.status_code == 400


def test_login_does_not_redirect_to_another_site(client, users):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=//evil.example/x", data={
        "username": "thatkhe", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
