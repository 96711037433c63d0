"""Many communes report at once before 14:00: nothing fails, nothing is counted twice."""
import threading
import uuid

from sqlalchemy import func, select

from coordination.extensions import db
from coordination.relief.models import ReliefDistribution
from coordination.reports.models import Report, ReportVersion

COMMUNES = ["06040", "06385", "06019", "06046", "06058", "06391", "06415", "05977"]


def _in_threads(target, count):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _post(app, token, body):
    with app.test_client() as client:
        response = client.post("/api/v1/reports", json=body,
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()


def test_concurrent_writers_all_succeed(app, tokens, matmo):
    def submit_five(i):
        return [_post(app, tokens["admin"], {
            "event": "MATMO-2025", "commune": COMMUNES[i], "date": "2025-10-08",
            "submission_id": str(uuid.uuid4()), "figures": {"houses_collapsed": n}})[0]
            for n in range(5)]

    statuses = _in_threads(submit_five, len(COMMUNES))
    assert statuses == [[201] * 5] * len(COMMUNES)
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 40
    assert db.session.scalar(select(func.max(Report.latest_version))) == 5


def test_the_same_submission_sent_concurrently_is_stored_once(app, tokens, matmo):
    body = {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08",
            "submission_id": "retry-on-bad-network", "figures": {"houses_collapsed": 2}}
    results = _in_threads(lambda i: _post(app, tokens["thatkhe"], body), 6)
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({(r["id"], r["version"]) for _, r in results}) == 1
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 1


def test_concurrent_corrections_of_one_day_are_all_kept_in_order(app, tokens, matmo):
    """The day's report and the commune's latest figures are read again under the write lock:
    six corrections sent at once make versions 1…6, none lost, none numbered twice."""
    def correct(i):
        return _post(app, tokens["thatkhe"], {
            "event": "MATMO-2025", "commune": "06040", "date": "2025-10-08",
            "submission_id": f"correction-{i}", "figures": {"houses_collapsed": 10 + i},
            "correction_reason": "Rà soát lại số liệu"})

    results = _in_threads(correct, 6)
    assert sorted(status for status, _ in results) == [201] * 6
    assert sorted(answer["version"] for _, answer in results) == [1, 2, 3, 4, 5, 6]
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 6
    assert db.session.scalar(select(Report.latest_version)) == 6


def test_twenty_distributions_at_once_never_give_out_more_than_was_delivered(
        app, tokens, matmo, at_local):
    """1,000 kg delivered to Thất Khê; twenty batches of 100 kg sent at the same moment (the
    officer's phone and the province's desk): exactly ten fit, the others are refused with
    what is left, and the ledger never holds more than was delivered (issue 20)."""
    at_local(2025, 10, 10, 9, 0)
    url = "/api/v1/events/MATMO-2025/relief"
    province = {"Authorization": f"Bearer {tokens['province']}"}
    with app.test_client() as client:
        assert client.post(url + "/allocations", headers=province, json={
            "decision_no": "1/QĐ", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
            "lines": [{"commune": "06040", "quantity": 1000}]}).status_code == 201
        assert client.post(url + "/deliveries", headers=province, json={
            "commune": "06040", "item": "gao", "quantity": 1000, "date": "2025-10-10",
            "document_no": "BB-01"}).status_code == 201

    def distribute(i):
        who = tokens["thatkhe"] if i % 2 else tokens["province"]
        with app.test_client() as client:
            response = client.post(url + "/distributions", headers={
                "Authorization": f"Bearer {who}"}, json={
                "commune": "06040", "item": "gao", "date": "2025-10-10", "village": f"Thôn {i}",
                "households": 5, "people": 20, "quantity": 100,
                "submission_id": str(uuid.uuid4())})
            return response.status_code, response.get_json()

    results = _in_threads(distribute, 20)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 10 + [422] * 10, results
    assert all(body["errors"]["quantity"] == "exceeds_delivered"
               for status, body in results if status == 422)
    db.session.commit()
    given = db.session.scalar(select(func.sum(ReliefDistribution.quantity)))
    assert given == 1000
