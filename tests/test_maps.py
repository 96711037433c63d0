"""Maps of affected areas: classes, area selection, statuses, the map page, its API and PNG."""
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from coordination.areas.loading import communes_intersecting, set_area
from coordination.database import retry_on_conflict
from coordination.extensions import db
from coordination.maps.classify import OUTSIDE_COLOR, ZERO_COLOR, classify
from coordination.maps.geometry import display_frame
from coordination.maps.incidents import Facility, Incident, load_power_plants
from coordination.maps.layers import map_frame
from coordination.reports.models import Report
from coordination.maps.static import render_map_png
from coordination.selection import Selection, parse_area
from coordination.reports.submission import Submission, submit_report
from conftest import login

XSS_NOTE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
MAP = "/events/MATMO-2025/map"


def file_report(user, commune, day, figures, note=""):
    sub = Submission(event="MATMO-2025", commune=commune, date=day,
                     submission_id=f"{commune}-{day}", figures=figures, note=note)
    retry_on_conflict(lambda: submit_report(user, sub, channel="api"))


def seed_matmo_day(users, at_local):
    """7/10: Hữu Lũng (then silent). 8/10 before 14h: Thất Khê (with an XSS note), Tràng Định,
    Đông Kinh; after 14h: Lộc Bình (late). Every other commune: missing."""
    admin = users["admin"]
    at_local(2025, 10, 7, 10, 0)
    file_report(admin, "06385", "2025-10-07", {"houses_collapsed": 4, "people_dead": 1})
    at_local(2025, 10, 8, 10, 0)
    file_report(admin, "06040", "2025-10-08", {"houses_collapsed": 12, "houses_flooded": 230,
                                               "rice_damaged_ha": 15.5}, note=XSS_NOTE)
    file_report(admin, "06046", "2025-10-08", {"houses_collapsed": 0, "houses_flooded": 40})
    file_report(admin, "05977", "2025-10-08", {"houses_collapsed": 3})
    at_local(2025, 10, 8, 16, 30)
    file_report(admin, "06529", "2025-10-08", {"houses_collapsed": 150})


@pytest.fixture
def matmo_day(users, matmo, at_local):
    seed_matmo_day(users, at_local)
    return matmo


def select_day(event, area=None, day="2025-10-08"):
    from datetime import date
    return Selection(event, date.fromisoformat(day), parse_area(area))


# --- classification -----------------------------------------------------------------

def test_zero_is_its_own_class_and_skewed_figures_get_natural_breaks():
    values = [0, 0, 0, 1, 2, 2, 3, 5, 8, 12, 40, 45, 300, np.nan]
    classes, index = classify(values)
    assert list(index[:3]) == [0, 0, 0] and index[-1] == -1
    assert len(classes.bins) == 5 and classes.bins[-1] == 300
    assert index[12] == 5 and index[3] == 1          # the one huge value has the top class alone
    assert list(index[3:13]) == sorted(index[3:13])   # classes follow the values
    assert classes.legend()[0] == (ZERO_COLOR, "0")


def test_few_distinct_values_get_one_class_each_and_quantiles_are_available():
    classes, index = classify([0, 3, 3, 7, np.nan])
    assert classes.bins == [3, 7] and list(index) == [0, 1, 1, 2, -1]
    assert [label for _, label in classes.legend()] == ["0", "3", "7"]
    classes, _ = classify(np.arange(1, 101), k=4, scheme="quantiles")
    assert classes.bins == [25, 50, 75, 100]  # legends show figures communes really reported


@pytest.mark.parametrize("scheme", ["natural", "quantiles"])
def test_many_communes_with_the_same_figure_still_get_a_legend(scheme):
    # 1,000 communes report 1 house, six report more: the sample holds fewer distinct
    # values than classes, which mapclassify refuses; no class may be left empty.
    values = np.array([1] * 1000 + [2, 3, 4, 5, 6, 7] + [5] * 199, dtype=float)
    classes, index = classify(values, scheme=scheme)
    assert classes.bins[-1] == 7 and 2 <= len(classes.bins) <= 5
    assert set(np.unique(index)) == set(range(1, len(classes.bins) + 1))
    assert all(low <= high for low, high in zip(classes.lows, classes.bins))


def test_no_reports_at_all_gives_only_the_zero_and_missing_classes():
    classes, index = classify([np.nan, np.nan])
    assert classes.bins == [] and list(index) == [-1, -1]


# --- area selection and status per commune ------------------------------------------

def test_an_area_given_as_a_list_selects_its_communes_and_greys_the_others(app, matmo_day):
    set_area("test-two", "Hai xã thử", ["06040", "06385"])
    db.session.commit()
    frame, _ = map_frame(select_day(matmo_day, "test-two"), "houses_collapsed")
    assert len(frame) == 65
    assert sorted(frame.loc[frame["in_area"], "code"]) == ["06040", "06385"]
    outside = frame[~frame["in_area"]]
    assert set(outside["status"]) == {"outside"} and set(outside["color"]) == {OUTSIDE_COLOR}
    assert outside["value"].isna().all()       # Lộc Bình's 150 is not classified here


def test_an_area_drawn_as_a_polygon_selects_the_communes_it_crosses(app, matmo_day):
    that_khe = display_frame().set_index("code").loc["06040"]
    point = shapely.Point(that_khe["label_lon"], that_khe["label_lat"])
    codes = communes_intersecting(gpd.GeoDataFrame(geometry=[point.buffer(0.01)], crs=4326))
    assert codes == ["06040"]
    wide = communes_intersecting(gpd.GeoDataFrame(geometry=[point.buffer(0.15)], crs=4326))
    assert "06040" in wide and len(wide) > 3
    set_area("quanh-that-khe", "Quanh Thất Khê", wide)
    db.session.commit()
    frame, _ = map_frame(select_day(matmo_day, "quanh-that-khe"), "houses_collapsed")
    assert sorted(frame.loc[frame["in_area"], "code"]) == wide


def test_each_commune_is_reported_stale_or_missing_and_late_reports_are_flagged(app, matmo_day):
    frame, classes = map_frame(select_day(matmo_day), "houses_collapsed")
    row = frame.set_index("code")
    assert row.loc["06040", "status"] == "reported" and row.loc["06040", "value"] == 12
    assert row.loc["06046", "value"] == 0 and row.loc["06046", "class"] == 0
    assert row.loc["06385", "status"] == "stale" and row.loc["06385", "value"] == 4
    assert row.loc["06529", "late"] and not row.loc["06040", "late"]
    missing = frame[frame["status"] == "missing"]
    assert len(missing) == 60 and (missing["class"] == -1).all() and missing["value"].isna().all()
    assert row.loc["06529", "class"] == len(classes.bins)  # the largest value, darkest class


def test_display_geometry_is_simplified_once_per_process(app):
    first, again = display_frame(), display_frame()
    assert first is again
    assert shapely.is_valid(first.geometry.values).all()
    from coordination.areas.geometry import commune_frame
    assert (shapely.get_num_coordinates(first.geometry.values).sum()
            < shapely.get_num_coordinates(commune_frame().geometry.values).sum() / 2)


# --- infrastructure --------------------------------------------------------------------

def test_power_plants_are_seeded_once_and_loading_again_adds_nothing(app):
    assert db.session.scalar(select(func.count(Facility.id))) == 2   # seed_defaults loaded them
    assert load_power_plants() == 0
    names = set(db.session.scalars(select(Facility.name)))
    assert names == {"Cam Son", "Na Duong"}


# --- the map page, its PNG and the API ----------------------------------------------------

@pytest.fixture
def province(client, users):
    login(client, "tinh")
    return client


def test_province_sees_the_choropleth_with_legend_summary_and_export_link(province, matmo_day):
    response = province.get(MAP + "?indicator=houses_collapsed&date=2025-10-08&area=ky-cung")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Lưu vực sông Kỳ Cùng" in html and "Đơn vị: cái" in html
    assert "Chưa báo cáo" in html and "Ngoài vùng chọn" in html
    assert 'href="/events/MATMO-2025/table?date=2025-10-08&amp;area=ky-cung"' in html
    counts = re.sub(r"\s+", " ", html[html.index('id="map-counts"'):html.index('id="map-totals"')])
    assert "Đã báo cáo: <strong>4</strong>/43" in counts and "1 muộn" in counts
    assert "Chưa báo cáo trong ngày: <strong class=\"status-missing\">39</strong>" in counts
    assert "165 cái" in html      # 12 + 0 + 3 + 150 in the area; Hữu Lũng is outside
    assert html.count('"className": "commune commune-outside"') == 1  # one style, 22 communes


def test_stale_figures_say_which_day_they_are_from(province, matmo_day):
    html = province.get(MAP + "?date=2025-10-08&area=huu-lung").get_data(as_text=True)
    assert "Số liệu ngày 07/10" in decoded(html)


def decoded(html: str) -> str:
    """The page with the map data as the browser decodes it (folium embeds JSON with \\u escapes)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def test_the_page_loads_nothing_from_the_internet_without_tiles(province, matmo_day):
    html = province.get(MAP + "?date=2025-10-08").get_data(as_text=True)
    assert re.findall(r"https?://", html) == []
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html
    assert not re.search(r"jquery|bootstrap@|awesome|fontawesome|cdn", html, re.I)


def test_a_configured_tile_template_is_the_only_external_url(app, province, matmo_day):
    app.config["MAP_TILES"] = "https://tiles.example.vn/{z}/{x}/{y}.png"
    html = province.get(MAP + "?date=2025-10-08").get_data(as_text=True)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"https://tiles.example.vn/{z}/{x}/{y}.png"}


BAD = [("?indicator=bogus", 404, "indicator"), ("?area=atlantis", 404, "area"),
       ("?date=08-10-2025", 400, "date"), ("?date=2025-02-30", 400, "date")]


def test_bad_parameters_get_a_clear_message_not_a_500(province, auth, matmo):
    for query, status, field in BAD:
        page = province.get(MAP + query)
        assert page.status_code == status
        assert re.search(r"Không (có|tìm thấy)|không hợp lệ", page.get_data(as_text=True))
        assert province.get("/events/MATMO-2025/map.png" + query).status_code == status
        api = province.get("/api/v1/events/MATMO-2025/map.geojson" + query, headers=auth("province"))
        assert api.status_code == status and field in api.get_json()["errors"]
    assert province.get("/events/NOPE/map").status_code == 404
    assert province.get("/api/v1/events/NOPE/map.geojson",
                        headers=auth("province")).status_code == 404


def test_only_provincial_roles_open_the_map(client, users, auth, matmo):
    assert client.get(MAP).status_code == 302   # to the login page
    login(client, "thatkhe")
    assert client.get(MAP).status_code == 403
    assert client.get("/events/MATMO-2025/map.png").status_code == 403
    assert client.get("/api/v1/events/MATMO-2025/map.geojson",
                      headers=auth("thatkhe")).status_code == 403


def test_the_map_data_is_a_geojson_feature_collection(client, auth, matmo_day):
    response = client.get("/api/v1/events/MATMO-2025/map.geojson?date=2025-10-08&area=ky-cung",
                          headers=auth("province"))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 43
    frame = gpd.GeoDataFrame.from_features(body["features"], crs=4326)
    minx, miny, maxx, maxy = frame.total_bounds
    assert 106 < minx < maxx < 108 and 21 < miny < maxy < 23     # longitude/latitude degrees
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert by_code["06040"] == {"code": "06040", "name": "Xã Thất Khê", "value": 12.0,
                                "status": "reported", "report_date": "2025-10-08",
                                "stale": False, "on_time": True,
                                "report_id": by_code["06040"]["report_id"]}
    assert by_code["06001"]["status"] == "missing" and by_code["06001"]["value"] is None


def test_the_static_png_has_the_same_selection(province, matmo_day):
    response = province.get("/events/MATMO-2025/map.png?date=2025-10-08&area=ky-cung")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    png = render_map_png(select_day(matmo_day, "ky-cung"), "houses_flooded")
    assert png[:4] == b"\x89PNG" and len(png) > 50_000


# --- user text is escaped ------------------------------------------------------------------

def test_a_note_with_html_is_escaped_in_the_popup_and_the_page(province, matmo_day):
    popup = province.get("/events/MATMO-2025/map/communes/06040?date=2025-10-08")
    assert popup.status_code == 200
    html = popup.get_data(as_text=True)
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html and "<img" not in html and "<script" not in html
    page = province.get(MAP + "?date=2025-10-08").get_data(as_text=True)
    assert "__xss" not in page      # notes travel only in the escaped popup


def test_a_popup_shows_the_grouped_figures_with_units_report_time_and_link(province, matmo_day):
    html = province.get("/events/MATMO-2025/map/communes/06040?date=2025-10-08"
                        "&indicator=houses_flooded").get_data(as_text=True)
    for text in ("Xã Thất Khê", "Nhà ở", "12 cái", "230 cái", "Nông nghiệp", "15,5 ha",
                 "nhận lúc 10:00 08/10/2025", "Đúng hạn"):
        assert text in html
    report_id = db.session.scalar(select(Report.id).where(Report.commune_code == "06040"))
    assert f'href="/reports/{report_id}"' in html
    stale = province.get("/events/MATMO-2025/map/communes/06385?date=2025-10-08")
    assert "Số liệu ngày 07/10" in stale.get_data(as_text=True)
    missing = province.get("/events/MATMO-2025/map/communes/06001?date=2025-10-08")
    assert "Chưa báo cáo" in missing.get_data(as_text=True)
    outside = province.get("/events/MATMO-2025/map/communes/06385?date=2025-10-08&area=ky-cung")
    assert outside.status_code == 404


# --- incidents and infrastructure -------------------------------------------------------------

def _incident_form(client, **fields):
    from conftest import csrf_from
    token = csrf_from(client.get("/events/MATMO-2025/incidents/new").get_data(as_text=True))
    return client.post("/events/MATMO-2025/incidents/new", data={"csrf_token": token, **fields})


def test_province_records_an_incident_at_a_clicked_point_and_sees_it_on_the_map(province, matmo):
    response = _incident_form(province, kind="dam_breach", lat="21.90", lon="106.60",
                              description="Vỡ đập <b>Khuổi Áng</b>", next=MAP + "?date=2025-10-08")
    assert response.status_code == 303 and response.location.endswith(MAP + "?date=2025-10-08")
    incident = db.session.scalar(select(Incident))
    assert (incident.lat, incident.lon, incident.kind) == (21.90, 106.60, "dam_breach")
    assert incident.commune_code  # the commune under the point
    html = province.get(MAP + "?date=2025-10-08").get_data(as_text=True)
    text = decoded(html)
    assert "Vỡ đập &lt;b&gt;Khuổi Áng&lt;/b&gt;" in text and '"className": "incident"' in html


def test_without_a_point_an_incident_sits_on_its_commune_label_point(province, matmo):
    _incident_form(province, kind="isolated", commune="06040", description="Thôn Nà Cà bị chia cắt")
    from coordination.maps.incidents import event_incidents
    (item,) = event_incidents(matmo)
    label = display_frame().set_index("code").loc["06040"]
    assert (item["lat"], item["lon"]) == (label["label_lat"], label["label_lon"])
    assert item["approximate"]


def test_a_commune_officer_records_incidents_only_for_their_own_commune(client, users, matmo):
    login(client, "thatkhe")
    response = _incident_form(client, kind="landslide", commune="06385", description="Sạt lở")
    assert response.status_code == 303
    assert db.session.scalar(select(Incident.commune_code)) == "06040"


def test_an_incident_needs_a_place_and_a_csrf_token(province, matmo):
    response = _incident_form(province, kind="landslide", description="Sạt lở")
    assert response.status_code == 422
    assert "bấm vào bản đồ" in response.get_data(as_text=True)
    bad = _incident_form(province, kind="landslide", description="x", lat="abc", lon="106")
    assert bad.status_code == 422
    no_token = province.post("/events/MATMO-2025/incidents/new",
                             data={"kind": "other", "description": "x", "commune": "06040"})
    assert no_token.status_code == 400
    assert db.session.scalar(select(func.count(Incident.id))) == 0


def test_admins_add_reservoirs_to_the_infrastructure_layer(client, users, matmo):
    from conftest import csrf_from
    login(client, "admin")
    token = csrf_from(client.get(MAP).get_data(as_text=True))
    response = client.post("/facilities", data={
        "csrf_token": token, "kind": "reservoir", "name": "Hồ Bản Lải", "lat": "21.62",
        "lon": "106.85", "next": MAP})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(Facility.id))) == 3
    assert "Hồ Bản Lải" in decoded(client.get(MAP).get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login(client, "tinh")
    token = csrf_from(client.get(MAP).get_data(as_text=True))
    assert client.post("/facilities", data={"csrf_token": token, "kind": "dam", "name": "X",
                                            "lat": "21.6", "lon": "106.8"}).status_code == 403


# --- the PNG is a map for print --------------------------------------------------------

def test_the_png_names_the_province_the_hour_and_has_north_arrow_scale_and_source(matmo_day):
    import os

    from coordination.maps.static import map_figure

    fig = map_figure(select_day(matmo_day), "houses_collapsed")
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for t in fig.axes[0].texts]
    assert fig._suptitle.get_text() == ("Bão số 11 (Matmo) và mưa lũ\n"
                                        "Nhà bị sập đổ, cuốn trôi (thiệt hại hoàn toàn) (cái) – "
                                        "Tỉnh Lạng Sơn\ntính đến 14 giờ ngày 08/10/2025")
    assert "B" in texts and "Hướng Bắc" in texts and fig.patches  # north arrow
    assert any(t.endswith(" km") for t in texts)  # scale bar
    assert any(t.startswith("Nguồn: báo cáo thiệt hại của các xã, phường") for t in texts)
    # The legend sits beside the map, not over it.
    renderer = fig.canvas.get_renderer()
    legend, = fig.legends
    assert not legend.get_window_extent(renderer).overlaps(fig.axes[0].get_window_extent(renderer))
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0] == "0" and "Chưa báo cáo" in labels  # Tràng Định reported 0
    # Names have a white halo and never overlap; the most affected are always named.
    names = [t for t in fig.axes[0].texts if t.get_path_effects()]
    assert len(names) > 30 and "Thất Khê" in {t.get_text() for t in names}
    boxes = [t.get_window_extent(renderer) for t in names]
    assert not [(a, b) for n, a in enumerate(boxes) for b in boxes[n + 1:] if a.overlaps(b)]
    if os.environ.get("KEEP_DOCUMENTS"):
        fig.savefig(os.path.join(os.environ["KEEP_DOCUMENTS"], "map-test.png"))


def test_the_png_legend_has_no_empty_class(matmo_day):
    from coordination.maps.static import map_figure

    fig = map_figure(select_day(matmo_day, "huu-lung"), "houses_collapsed")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # Hữu Lũng's 4 (stale) is the only figure: no "0" class, no class without a commune.
    assert labels == ["4", "Số liệu trước ngày 08/10", "Chưa báo cáo", "Ngoài vùng chọn"]
    assert "Vùng ngập lũ sông Thương – Hữu Lũng" in fig._suptitle.get_text()
