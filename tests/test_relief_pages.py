"""Issue 12 pages: the province enters a decision and a hand-over, a commune records what it
handed out from its phone, the report form shows the ledger's rice figures read-only."""
import re

from sqlalchemy import select

from conftest import login, post_form
from coordination.extensions import db
from coordination.relief.models import ReliefAllocation, ReliefDelivery, ReliefDistribution

BOARD = "/events/MATMO-2025/relief"


def test_province_enters_a_decision_with_one_line_per_commune(client, users, matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    login(client, "tinh")
    page = client.get(BOARD + "/allocations/new").get_data(as_text=True)
    assert "Quyết định phân bổ hàng cứu trợ" in page and 'name="q_06040"' in page
    response = post_form(client, BOARD + "/allocations/new", {
        "decision_no": "2206/QĐ-UBND", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
        "deadline": "2025-10-12", "q_06040": "110.000,0", "q_06385": "130000", "q_06001": ""})
    assert response.status_code == 302
    allocation = db.session.scalar(select(ReliefAllocation))
    assert {(line.commune_code, line.quantity) for line in allocation.lines} == {("06040", 110_000),
                                                                        ("06385", 130_000)}
    board = client.get(BOARD).get_data(as_text=True)
    assert "2206/QĐ-UBND" in board and "240.000" in board


def test_a_bad_line_is_marked_beside_its_commune(client, users, matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    login(client, "tinh")
    response = post_form(client, BOARD + "/allocations/new", {
        "decision_no": "2206/QĐ-UBND", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
        "q_06040": "-5", "q_06385": "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="q_06040" name="q_06040" value="-5"', html)
    assert "Không được là số âm." in html and "&#39;abc&#39; không phải là số." in html
    assert db.session.scalar(select(ReliefAllocation)) is None


def test_province_records_a_hand_over_and_the_commune_confirms_it(app, client, users, matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    login(client, "tinh")
    post_form(client, BOARD + "/allocations/new", {
        "decision_no": "2206/QĐ-UBND", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
        "q_06040": "110000"})
    response = post_form(client, BOARD + "/deliveries/new", {
        "commune": "06040", "item": "gao", "quantity": "60000", "date": "2025-10-10",
        "document_no": "BB-01/BCHQS"})
    assert response.status_code == 302
    delivery = db.session.scalar(select(ReliefDelivery))
    assert delivery.quantity == 60_000 and delivery.confirmed_at is None
    commune = app.test_client()
    login(commune, "thatkhe")
    response = post_form(commune, f"{BOARD}/deliveries/{delivery.id}/confirm", {}, page=BOARD)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReliefDelivery, delivery.id).confirmed_at is not None


def test_commune_cannot_open_the_province_forms(client, users, matmo):
    login(client, "thatkhe")
    assert client.get(BOARD + "/allocations/new").status_code == 403
    assert client.get(BOARD + "/deliveries/new").status_code == 403


def test_commune_records_a_distribution_from_the_form_once(client, users, relief_matmo):
    login(client, "thatkhe")
    page = client.get(BOARD + "/distributions/new").get_data(as_text=True)
    assert "Xã Thất Khê" in page and 'name="commune"' in page
    sid = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
    body = {"commune": "06385", "item": "gao", "date": "2025-10-16", "village": "Thôn Khòn Nà",
            "households": "80", "people": "300", "quantity": "4500", "submission_id": sid}
    first = post_form(client, BOARD + "/distributions/new", body)
    again = post_form(client, BOARD + "/distributions/new", body)  # a double tap
    assert (first.status_code, again.status_code) == (302, 302)
    rows = list(db.session.scalars(select(ReliefDistribution).where(
        ReliefDistribution.submission_id == sid)))
    assert len(rows) == 1 and rows[0].commune_code == "06040"  # the form ignores another commune
    assert rows[0].quantity == 4_500


def test_a_distribution_above_stock_shows_the_reason_field(client, users, relief_matmo):
    login(client, "thatkhe")
    response = post_form(client, BOARD + "/distributions/new", {
        "item": "gao", "date": "2025-10-16", "village": "Thôn Khòn Nà", "households": "500",
        "people": "2000", "quantity": "30000", "submission_id": "form-over-1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "chỉ còn 20.000 kg" in html and 'id="reason"' in html


def test_commune_board_shows_only_its_own_line(client, users, relief_matmo):
    login(client, "thatkhe")
    html = client.get(BOARD).get_data(as_text=True)
    assert 'data-code="06040"' in html and 'data-code="06385"' not in html
    assert "Hữu Lũng" not in html  # not even in the hand-over list


def test_report_form_shows_ledger_rice_read_only_with_a_link(client, users, relief_matmo):
    login(client, "thatkhe")
    html = client.get("/report?event=MATMO-2025&date=2025-10-16").get_data(as_text=True)
    assert 'data-code="rice_received_kg"' in html
    assert 'value="110.000"' in html and 'value="90.000"' in html
    assert 'name="f_rice_received_kg"' not in html and 'name="f_rice_distributed_kg"' not in html
    assert 'name="f_houses_flooded"' in html
    assert "/events/MATMO-2025/relief?date=2025-10-16" in html


def test_a_village_name_is_shown_as_text_never_run(client, users, relief_matmo):
    assert relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "<script>alert(1)</script>",
                                   10, 150).status_code == 201
    login(client, "tinh")
    html = client.get(BOARD).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
