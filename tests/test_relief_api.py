"""Issue 12: national-reserve rice for Matmo, from Quyết định 2206/QĐ-UBND to households."""
import io
import uuid
from datetime import date

import openpyxl
from sqlalchemy import func, select

from conftest import RELIEF_EXPECTED_FLAGS, RELIEF_NORMAL
from coordination.extensions import db
from coordination.relief.ledger import ledger_figures, ledger_items_for
from coordination.relief.models import ReliefDistribution
from coordination.reports.aggregation import summarize

RICE = ("rice_received_kg", "rice_distributed_kg", "people_receiving_rice")


def pipeline(client, auth, who="province", **params):
    response = client.get("/api/v1/events/MATMO-2025/relief",
                          query_string={"item": "gao", **params}, headers=auth(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_decision_allocates_two_thousand_tonnes_to_eighteen_communes(client, auth, relief_matmo):
    allocation = relief_matmo.allocation
    assert allocation["decision_no"] == "2206/QĐ-UBND"
    assert len(allocation["lines"]) == 18 and allocation["total"] == 2_000_000
    board = pipeline(client, auth)
    assert board["item"] == "gao" and board["unit"] == "kg"
    assert board["totals"]["allocated"] == 2_000_000
    assert len(board["communes"]) == 18


def test_pipeline_of_a_commune_reads_allocated_delivered_distributed_remaining(client, auth, relief_matmo):
    board = pipeline(client, auth)
    thatkhe = next(c for c in board["communes"] if c["code"] == "06040")
    assert thatkhe["name"] == "Xã Thất Khê"
    assert (thatkhe["allocated"], thatkhe["delivered"], thatkhe["distributed"], thatkhe["remaining"]) \
        == (110_000, 110_000, 90_000, 20_000)
    assert (thatkhe["people"], thatkhe["households"], thatkhe["kg_per_person"]) == (6_000, 1_510, 15)
    assert thatkhe["days_since_delivery"] == 5
    totals = board["totals"]
    assert totals["delivered"] == sum(c["delivered"] for c in board["communes"])
    assert totals["remaining"] == totals["delivered"] - totals["distributed"]
    # as of an earlier day only what happened by then counts
    earlier = next(c for c in pipeline(client, auth, date="2025-10-11")["communes"]
                   if c["code"] == "06040")
    assert (earlier["delivered"], earlier["distributed"]) == (110_000, 15_000)


def test_every_flag_is_raised_exactly_where_expected_and_nowhere_else(client, auth, relief_matmo):
    board = pipeline(client, auth, date="2025-10-16")
    raised = {c["code"]: set(c["flags"]) for c in board["communes"]}
    assert raised == RELIEF_EXPECTED_FLAGS


def test_flags_follow_the_date_idle_after_three_days_late_only_after_the_deadline(client, auth, relief_matmo):
    on_deadline = {c["code"]: set(c["flags"]) for c in pipeline(client, auth, date="2025-10-12")["communes"]}
    assert "late_delivery" not in on_deadline["06046"]  # the deadline day itself is still in time
    two_days_idle = {c["code"]: set(c["flags"]) for c in pipeline(client, auth, date="2025-10-14")["communes"]}
    assert "idle_stock" not in two_days_idle["06037"]
    assert "idle_stock" in {f for c in pipeline(client, auth, date="2025-10-15")["communes"]
                            if c["code"] == "06037" for f in c["flags"]}


def test_a_replayed_distribution_is_answered_from_storage(client, auth, relief_matmo):
    sid = str(uuid.uuid4())
    first = relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 300, 4_500,
                                    submission_id=sid)
    again = relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 300, 4_500,
                                    submission_id=sid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(ReliefDistribution)
                             .where(ReliefDistribution.submission_id == sid)) == 1
    thatkhe = next(c for c in pipeline(client, auth)["communes"] if c["code"] == "06040")
    assert thatkhe["distributed"] == 94_500


def test_a_submission_id_reused_for_another_distribution_is_a_conflict(client, auth, relief_matmo):
    sid = str(uuid.uuid4())
    assert relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 300, 4_500,
                                   submission_id=sid).status_code == 201
    reused = relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 300, 5_000,
                                     submission_id=sid)
    assert reused.status_code == 409
    assert reused.get_json()["errors"] == {"submission_id": "conflict"}


def test_commune_cannot_distribute_for_another_commune(client, auth, relief_matmo):
    response = relief_matmo.distribute("thatkhe", "06385", "2025-10-16", "Thôn Ba Nàng", 10, 150)
    assert response.status_code == 403
    assert response.get_json()["errors"] == {"commune": "forbidden"}


def test_commune_reads_only_its_own_line(client, auth, relief_matmo):
    own = pipeline(client, auth, who="thatkhe")
    assert [c["code"] for c in own["communes"]] == ["06040"]
    assert own["totals"]["allocated"] == 110_000
    other = client.get("/api/v1/events/MATMO-2025/relief?item=gao&commune=06385",
                       headers=auth("thatkhe"))
    assert other.status_code == 403
    assert other.get_json()["errors"] == {"scope": "forbidden_scope"}


def test_only_province_allocates_and_delivers(client, auth, relief_matmo):
    url = relief_matmo.url
    allocation = client.post(url + "/allocations", headers=auth("thatkhe"), json={
        "decision_no": "1/QĐ", "decision_date": "2025-10-10", "item": "gao", "unit": "kg",
        "lines": [{"commune": "06040", "quantity": 1}]})
    delivery = client.post(url + "/deliveries", headers=auth("thatkhe"), json={
        "commune": "06040", "item": "gao", "quantity": 1, "date": "2025-10-10", "document_no": "x"})
    assert (allocation.status_code, delivery.status_code) == (403, 403)


def test_distributing_more_than_delivered_needs_a_reason(client, auth, relief_matmo):
    refused = relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 2_000, 30_000)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["errors"] == {"quantity": "exceeds_delivered", "reason": "required"}
    assert "20.000 kg" in body["messages"]["quantity"]
    accepted = relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "Thôn Khòn Nà", 2_000, 30_000,
                                       reason="Mượn gạo của xã bên, sẽ hoàn trả khi nhận đợt 2")
    assert accepted.status_code == 201
    line = next(c for c in pipeline(client, auth)["communes"] if c["code"] == "06040")
    assert "over_distributed" in line["flags"]


def test_bad_input_gets_field_level_errors(client, auth, relief_matmo):
    url = relief_matmo.url
    response = client.post(url + "/allocations", headers=auth("province"), json={
        "decision_no": "", "decision_date": "09/10/2025", "item": "vang", "unit": "kg",
        "deadline": "2025-10-01", "lines": [{"commune": "99999", "quantity": -1},
                                            {"commune": "06040", "quantity": "abc"}]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "decision_no": "required", "decision_date": "invalid_date", "item": "unknown_item",
        "lines.0.commune": "commune_not_found", "lines.0.quantity": "negative",
        "lines.1.quantity": "not_a_number"}
    distribution = relief_matmo.distribute("thatkhe", "06040", "2025-10-20", "", 5, 1.5,
                                           households=9)
    assert distribution.status_code == 422
    assert distribution.get_json()["errors"] == {
        "date": "future_date", "village": "required", "households": "more_households_than_people"}
    not_json = client.post(url + "/deliveries", headers=auth("province"), data="x",
                           content_type="application/json")
    assert not_json.status_code == 400


def test_commune_confirms_receipt_of_its_own_delivery_only(client, auth, relief_matmo):
    board = client.get(relief_matmo.url + "?item=gao", headers=auth("province")).get_json()
    assert board
    from coordination.relief.models import ReliefDelivery
    ids = {d.commune_code: d.id for d in db.session.scalars(select(ReliefDelivery))}
    url = f"{relief_matmo.url}/deliveries/{ids['06040']}/confirm"
    assert client.post(url, headers=auth("other")).status_code == 403
    confirmed = client.post(url, headers=auth("thatkhe"))
    assert confirmed.status_code == 200 and confirmed.get_json()["confirmed_at"]


def test_the_report_rice_figures_are_the_ledger(client, auth, matmo, post_report, at_local):
    at_local(2025, 10, 8, 10, 0)
    typed = post_report("thatkhe", date="2025-10-08", figures={"rice_received_kg": 5_000,
                                                               "houses_flooded": 12})
    assert typed.status_code == 201  # no ledger yet: typed rice figures stand
    assert ledger_items_for(matmo) == set()
    assert summarize(matmo, date(2025, 10, 8)).totals["rice_received_kg"] == 5_000


def test_once_allocated_the_report_shows_the_ledger_and_refuses_typed_rice(
        client, auth, relief_matmo, matmo, post_report):
    assert ledger_items_for(matmo) == set(RICE)
    summary = summarize(matmo, date(2025, 10, 16))
    ledger = ledger_figures(matmo, date(2025, 10, 16))
    by_code = {c.code: c for c in summary.communes}
    board = {c["code"]: c for c in pipeline(client, auth)["communes"]}
    for code, line in board.items():
        assert by_code[code].figures["rice_received_kg"] == line["delivered"] == ledger[code]["rice_received_kg"]
        assert by_code[code].figures["rice_distributed_kg"] == line["distributed"]
        assert by_code[code].figures["people_receiving_rice"] == line["people"]
    totals = pipeline(client, auth)["totals"]
    assert summary.totals["rice_received_kg"] == totals["delivered"]
    assert summary.totals["rice_distributed_kg"] == totals["distributed"]
    assert "rice_received_kg" not in by_code["05977"].figures  # Đông Kinh: no rice allocated
    refused = post_report("thatkhe", date="2025-10-16",
                          figures={"rice_distributed_kg": 90_000, "houses_flooded": 14})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"figures.rice_distributed_kg": "from_ledger"}
    accepted = post_report("thatkhe", date="2025-10-16", figures={"houses_flooded": 14})
    assert accepted.status_code == 201
    # the summary API (and so maps and exports) reads the ledger too
    api = client.get("/api/v1/events/MATMO-2025/summary?date=2025-10-16", headers=auth("province"))
    assert api.get_json()["totals"]["rice_distributed_kg"] == totals["distributed"]


def test_typed_figures_from_before_the_ledger_are_replaced_by_it(client, auth, matmo, post_report, at_local):
    at_local(2025, 10, 8, 10, 0)
    assert post_report("thatkhe", date="2025-10-08",
                       figures={"rice_received_kg": 5_000}).status_code == 201
    at_local(2025, 10, 10, 10, 0)
    client.post("/api/v1/events/MATMO-2025/relief/allocations", headers=auth("province"), json={
        "decision_no": "2206/QĐ-UBND", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
        "lines": [{"commune": "06040", "quantity": 110_000}]})
    client.post("/api/v1/events/MATMO-2025/relief/deliveries", headers=auth("province"), json={
        "commune": "06040", "item": "gao", "quantity": 60_000, "date": "2025-10-10",
        "document_no": "BB-01"})
    summary = summarize(matmo, date(2025, 10, 10))
    assert summary.totals["rice_received_kg"] == 60_000
    thatkhe = next(c for c in summary.communes if c.code == "06040")
    assert thatkhe.figures["rice_received_kg"] == 60_000


def test_xlsx_export_has_the_four_sheets_and_no_live_formula(client, auth, relief_matmo):
    relief_matmo.distribute("thatkhe", "06040", "2025-10-16", "=HYPERLINK(\"http://x\")", 10, 150)
    from conftest import login
    login(client, "tinh")
    response = client.get("/events/MATMO-2025/relief/export.xlsx?item=gao&date=2025-10-16")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["allocations", "deliveries", "distributions", "pipeline"]
    villages = [row[3] for row in book["distributions"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in villages
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    pipeline_rows = list(book["pipeline"].iter_rows(min_row=2, values_only=True))
    assert pipeline_rows[-1][1] == "Tổng cộng" and pipeline_rows[-1][2] == 2_000_000


def test_public_posting_pdf_lists_villages_and_no_names(client, auth, relief_matmo):
    from pypdf import PdfReader

    from conftest import login
    login(client, "thatkhe")
    response = client.get("/events/MATMO-2025/relief/06040/posting.pdf?item=gao")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for village in ("Thôn Bản Rẹ", "Thôn Nà Pàn", "Khu phố 1", "2206/QĐ-UBND"):
        assert village in text
    assert "90.000" in text and "Nguyễn Văn An" not in text
    assert client.get("/events/MATMO-2025/relief/06385/posting.pdf").status_code == 403


def test_the_map_image_colours_communes(client, auth, relief_matmo):
    from conftest import login
    login(client, "tinh")
    response = client.get("/events/MATMO-2025/relief/map.png?item=gao")
    assert response.status_code == 200 and response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_all_nine_normal_communes_have_no_flag(client, auth, relief_matmo):
    board = {c["code"]: c for c in pipeline(client, auth)["communes"]}
    assert all(board[code]["flags"] == [] for code in RELIEF_NORMAL)


def test_an_out_of_range_delivery_id_is_404(client, auth, matmo):
    """Like every id in a path (issue 14): PostgreSQL's integer ends at 2^31−1."""
    url = "/api/v1/events/MATMO-2025/relief/deliveries/99999999999999999999/confirm"
    response = client.post(url, headers=auth("thatkhe"))
    assert response.status_code == 404 and set(response.get_json()) == {"errors", "messages"}
