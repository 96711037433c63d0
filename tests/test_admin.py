"""An administrator runs events, accounts and the indicator catalog from the web pages."""
import re

import pytest
from sqlalchemy import select

from coordination.auth.models import ApiToken, User
from coordination.events import EventCommune, get_event
from coordination.extensions import db
from coordination.indicators import Indicator

from conftest import PASSWORD, login, post_form


@pytest.fixture
def admin_client(client, users):
    login(client, "admin")
    return client


def test_admin_creates_a_province_wide_event(admin_client):
    response = post_form(admin_client, "/admin/events", {
        "code": "MUA-LU-2026", "name": "Mưa lũ tháng 11/2026", "type": "flood",
        "start_date": "2026-11-20", "deadline": "15:30", "scope": "province"})
    assert response.status_code == 302
    event = get_event("MUA-LU-2026")
    assert event.whole_province and event.type == "flood"
    assert event.deadline.strftime("%H:%M") == "15:30"
    assert "MUA-LU-2026" in admin_client.get("/admin/events").get_data(as_text=True)


def test_admin_creates_an_event_for_selected_communes(admin_client):
    post_form(admin_client, "/admin/events", {
        "code": "SAT-LO-2026", "name": "Sạt lở đất", "type": "landslide",
        "start_date": "2026-11-01", "end_date": "2026-11-10", "scope": "communes",
        "communes": ["06040", "06385"]})
    event = get_event("SAT-LO-2026")
    assert not event.whole_province
    assert sorted(db.session.scalars(select(EventCommune.commune_code))) == ["06040", "06385"]


def test_the_scope_picker_groups_communes_and_knows_former_names(admin_client):
    html = admin_client.get("/admin/events").get_data(as_text=True)
    assert 'id="commune-search"' in html
    assert html.count('name="communes"') == 65
    assert 'data-search="xa that khe' in html  # accent-free, for the search box


def test_bad_event_input_shows_vietnamese_field_errors(admin_client, matmo):
    response = post_form(admin_client, "/admin/events", {
        "code": "MATMO-2025", "name": "", "type": "volcano", "start_date": "08/10/2025",
        "deadline": "2 giờ", "scope": "communes"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Đã tồn tại.", "Bắt buộc nhập.", "Ngày không hợp lệ",
                    "Giờ không hợp lệ", "Chọn ít nhất một xã/phường"):
        assert message in html
    assert 'value="2 giờ"' in html  # what was typed stays in the form


def test_an_end_date_before_the_start_is_refused(admin_client):
    response = post_form(admin_client, "/admin/events", {
        "code": "X-1", "name": "X", "type": "storm", "start_date": "2026-11-10",
        "end_date": "2026-11-01", "scope": "province"})
    assert response.status_code == 422
    assert "Ngày kết thúc phải sau ngày bắt đầu." in response.get_data(as_text=True)
    assert get_event("X-1") is None


def test_admin_closes_an_event(admin_client, matmo):
    response = post_form(admin_client, "/admin/events/MATMO-2025/close", {}, page="/admin/events")
    assert response.status_code == 302
    db.session.expire_all()
    assert not get_event("MATMO-2025").is_open


def test_only_admins_reach_the_admin_pages(app, users):
    assert app.test_client().get("/admin/").status_code == 302  # anonymous → login
    for who in ("tinh", "thatkhe"):
        client = app.test_client()
        login(client, who)
        assert client.get("/admin/events").status_code == 403
        response = post_form(client, "/admin/users", {"username": "ke-gian", "role": "admin",
                                                      "password": PASSWORD,
                                                      "password_confirm": PASSWORD}, page="/")
        assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.username == "ke-gian")) is None


# --- accounts -----------------------------------------------------------------------

def test_admin_creates_a_commune_officer_who_can_log_in(admin_client, client, app):
    response = post_form(admin_client, "/admin/users", {
        "username": "vanquan", "full_name": "Hoàng Văn Quân", "role": "commune",
        "commune": "06040", "phone": "0911 222 333", "email": "quan@example.vn",
        "password": "mat-khau-moi-1", "password_confirm": "mat-khau-moi-1"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "vanquan"))
    assert (user.role, user.commune_code, user.phone) == ("commune", "06040", "0911 222 333")
    fresh = app.test_client()
    assert login(fresh, "vanquan", "mat-khau-moi-1").status_code == 302


def test_bad_account_input_shows_every_field_error(admin_client):
    response = post_form(admin_client, "/admin/users", {
        "username": "thatkhe", "role": "commune", "commune": "", "phone": "abc",
        "email": "not-an-email", "password": "short", "password_confirm": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("đã tồn tại", "cần chọn xã/phường", "Số điện thoại không hợp lệ",
                    "email không hợp lệ", "ít nhất 8 ký tự"):
        assert message in html
    mismatch = post_form(admin_client, "/admin/users", {
        "username": "moi", "role": "province", "password": PASSWORD, "password_confirm": "khac"})
    assert "không khớp" in mismatch.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "moi")) is None


def test_a_locked_account_cannot_log_in_until_reopened(admin_client, users, app):
    officer = users["thatkhe"]
    post_form(admin_client, f"/admin/users/{officer.id}/active", {"active": "0"},
              page="/admin/users")
    assert login(app.test_client(), "thatkhe").status_code == 401
    post_form(admin_client, f"/admin/users/{officer.id}/active", {"active": "1"},
              page="/admin/users")
    assert login(app.test_client(), "thatkhe").status_code == 302


def test_admin_cannot_lock_themselves_out(admin_client, users):
    response = post_form(admin_client, f"/admin/users/{users['admin'].id}/active",
                         {"active": "0"}, page="/admin/users")
    assert response.status_code == 422
    assert "Không thể tự khóa" in response.get_data(as_text=True)


def test_a_reset_password_is_shown_once_and_replaces_the_old_one(admin_client, users, app):
    response = post_form(admin_client, f"/admin/users/{users['thatkhe'].id}/password", {},
                         page="/admin/users")
    assert response.headers["Cache-Control"] == "no-store"
    new_password = re.search(r'id="secret" value="([^"]+)"', response.get_data(as_text=True))[1]
    assert login(app.test_client(), "thatkhe").status_code == 401
    assert login(app.test_client(), "thatkhe", new_password).status_code == 302


def test_an_issued_api_token_is_shown_once_and_works(admin_client, users, matmo):
    response = post_form(admin_client, f"/admin/users/{users['thatkhe'].id}/token", {},
                         page="/admin/users")
    token = re.search(r'id="secret" value="([^"]+)"', response.get_data(as_text=True))[1]
    assert db.session.scalar(select(ApiToken.token_hash)) != token  # only the hash is kept
    api = admin_client.application.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/events", headers=bearer).status_code == 200


# --- indicator catalog --------------------------------------------------------------

def test_admin_adds_an_indicator_to_an_existing_group(admin_client, app, matmo):
    response = post_form(admin_client, "/admin/indicators", {
        "code": "boats_lost", "label": "Số tàu thuyền bị chìm, mất tích", "unit": "chiếc",
        "group": "giao_thong", "hxl": "#affected +boats", "whole_number": "1"})
    assert response.status_code == 302
    boats = db.session.get(Indicator, "boats_lost")
    assert (boats.group_label, boats.hxl, boats.whole_number) == (
        "Giao thông", "#affected +boats", True)
    form = app.test_client()
    login(form, "thatkhe")
    assert 'name="f_boats_lost"' in form.get("/report").get_data(as_text=True)


def test_admin_adds_an_indicator_in_a_new_group(admin_client):
    post_form(admin_client, "/admin/indicators", {
        "code": "wells_polluted", "label": "Giếng nước bị ô nhiễm", "unit": "giếng",
        "group": "__new__", "group_code": "nuoc_sach", "group_label": "Nước sạch",
        "position": "1"})
    wells = db.session.get(Indicator, "wells_polluted")
    assert (wells.group_code, wells.group_label, wells.whole_number) == (
        "nuoc_sach", "Nước sạch", False)


def test_bad_indicator_input_shows_field_errors(admin_client):
    response = post_form(admin_client, "/admin/indicators", {
        "code": "people_dead", "label": "", "unit": "", "group": "", "hxl": "affected",
        "position": "đầu"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("đã có trong danh mục", "Nhập tên chỉ tiêu", "Nhập đơn vị tính",
                    "Chọn nhóm chỉ tiêu", "Thẻ HXL", "Thứ tự phải là số nguyên"):
        assert message in html


def test_a_deactivated_indicator_leaves_the_form(admin_client, app, matmo):
    post_form(admin_client, "/admin/indicators/poultry_lost/active", {"active": "0"},
              page="/admin/indicators")
    assert db.session.get(Indicator, "poultry_lost").is_active is False
    form = app.test_client()
    login(form, "thatkhe")
    html = form.get("/report").get_data(as_text=True)
    assert 'name="f_livestock_lost"' in html and 'name="f_poultry_lost"' not in html


def test_a_new_indicator_can_be_reported_at_once(admin_client, post_report, matmo, at_local):
    """The worker's cached catalog is refreshed by the admin's edit, not 30 s later."""
    at_local(2025, 10, 8, 9, 0)
    assert post_report("thatkhe", figures={"houses_collapsed": 1}).status_code == 201  # cached
    post_form(admin_client, "/admin/indicators", {
        "code": "boats_lost", "label": "Số tàu thuyền bị chìm, mất tích", "unit": "chiếc",
        "group": "giao_thong", "whole_number": "1"})
    sent = post_report("thatkhe", figures={"houses_collapsed": 1, "boats_lost": 2})
    assert sent.status_code == 201, sent.get_json()
