"""Administrators set up events; everyone with an account can list them."""


def test_admin_creates_an_event_for_some_communes(client, auth):
    response = client.post("/api/v1/events", headers=auth("admin"), json={
        "code": "BACKHE-2025", "name": "Vỡ đập thủy điện Bắc Khê 1", "type": "flood",
        "start_date": "2025-10-07", "communes": ["06019", "06040"]})
    assert response.status_code == 201
    assert response.get_json()["communes"] == ["06019", "06040"]
    listed = client.get("/api/v1/events", headers=auth("thatkhe")).get_json()["events"]
    assert [e["code"] for e in listed] == ["BACKHE-2025"] and listed[0]["deadline"] == "14:00"


def test_event_input_errors_are_listed_per_field(client, auth, matmo):
    response = client.post("/api/v1/events", headers=auth("admin"), json={
        "code": "MATMO-2025", "type": "typhoon", "start_date": "2025-10-08",
        "end_date": "2025-10-01", "communes": ["99999"]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "code": "exists", "name": "required", "type": "invalid", "end_date": "before_start",
        "communes": "unknown_commune"}
    assert "99999" in response.get_json()["messages"]["communes"]


def test_only_admins_create_events(client, auth):
    body = {"code": "X", "name": "X", "start_date": "2025-10-07"}
    assert client.post("/api/v1/events", headers=auth("province"), json=body).status_code == 403
    assert client.post("/api/v1/events", headers=auth("thatkhe"), json=body).status_code == 403


def test_catalog_and_areas_are_listed(client, auth):
    indicators = client.get("/api/v1/indicators", headers=auth("thatkhe")).get_json()["indicators"]
    codes = {i["code"] for i in indicators}
    assert {"people_dead", "houses_collapsed", "rice_distributed_kg",
            "economic_loss_million_vnd"} <= codes
    groups = list(dict.fromkeys(i["group"] for i in indicators))
    assert groups == ["Người", "Nhà ở", "Giáo dục", "Y tế", "Nông nghiệp", "Thủy lợi",
                      "Giao thông", "Điện, thông tin", "Hàng cứu trợ", "Ước tính thiệt hại"]
    areas = client.get("/api/v1/areas", headers=auth("province")).get_json()["areas"]
    assert {a["code"]: len(a["communes"]) for a in areas} == {"huu-lung": 8, "ky-cung": 43}


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/reports" in spec["paths"]
