"""Administrators load any province's units and define named areas from files."""
import geopandas as gpd
import pytest
import shapely
from sqlalchemy import select

from coordination.areas.geometry import commune_frame, nearest_commune
from coordination.areas.loading import GEODATA, communes_intersecting
from coordination.areas.lookup import area_codes, search_communes
from coordination.areas.models import Commune
from coordination.extensions import db


def test_lang_son_is_loaded_with_official_codes(app):
    communes = db.session.scalars(select(Commune)).all()
    assert len(communes) == 65
    thatkhe = db.session.get(Commune, "06040")
    assert thatkhe.name == "Xã Thất Khê" and thatkhe.kind == "Xã"
    assert 22.0 < thatkhe.label_lat < 22.5 and thatkhe.geom_wkb
    assert len(area_codes("ky-cung")) == 43 and len(area_codes("huu-lung")) == 8


@pytest.mark.parametrize("driver,suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_units_in_another_projection_are_reprojected_and_repaired(runner, tmp_path, driver, suffix):
    units = gpd.GeoDataFrame(
        {"MA": ["00001", "00002"], "TEN": ["Xã Mới Một", "Xã Mới Hai"]},
        geometry=[shapely.box(106.0, 21.0, 106.1, 21.1),
                  shapely.Polygon([(106.2, 21.0), (106.3, 21.1), (106.3, 21.0), (106.2, 21.1)])],
        crs=4326).to_crs(32648)  # UTM 48N, and the second ring is a self-crossing bow tie
    path = tmp_path / f"units{suffix}"
    units.to_file(path, driver=driver)

    result = runner.invoke(args=["geodata", "load", str(path), "--code-field", "MA",
                                 "--name-field", "TEN"])
    assert result.exit_code == 0, result.output
    assert "thêm 2" in result.output
    frame = commune_frame()
    new = frame[frame.code.isin(["00001", "00002"])]
    assert len(new) == 2 and new.geometry.is_valid.all()
    assert new.total_bounds == pytest.approx([106.0, 21.0, 106.3, 21.1], abs=1e-6)


def test_loading_with_a_wrong_column_is_a_clear_error(runner):
    result = runner.invoke(args=["geodata", "load", str(GEODATA / "lang_son_communes_2025.geojson"),
                                 "--code-field", "code"])
    assert result.exit_code != 0 and "Column 'code'" in result.output


def test_loading_the_same_file_again_changes_nothing(runner):
    path = str(GEODATA / "lang_son_communes_2025.geojson")
    result = runner.invoke(args=["geodata", "load", path])
    assert result.exit_code == 0 and "thêm 0, cập nhật 65" in result.output
    assert len(commune_frame()) == 65


def test_area_from_a_polygon_is_the_communes_it_covers(runner, tmp_path):
    thatkhe = commune_frame().set_index("code").geometry["06040"]
    polygon = gpd.GeoDataFrame(geometry=[thatkhe.buffer(-0.005)], crs=4326)
    assert communes_intersecting(polygon) == ["06040"]
    path = tmp_path / "flood.geojson"
    gpd.GeoDataFrame(geometry=[thatkhe.centroid.buffer(0.15)], crs=4326).to_file(path)
    result = runner.invoke(args=["geodata", "area-from-polygon", "lu-that-khe",
                                 "Vùng ngập Thất Khê", str(path)])
    assert result.exit_code == 0, result.output
    assert "06040" in area_codes("lu-that-khe") and len(area_codes("lu-that-khe")) > 1


def test_former_commune_names_find_the_current_unit(client, auth):
    assert search_communes("Vĩnh Trại")[0]["code"] == "05977"
    found = client.get("/api/v1/communes?q=vinh trai", headers=auth("province")).get_json()
    assert found["communes"][0]["name"] == "Phường Đông Kinh"
    assert "Vĩnh Trại" in found["communes"][0]["matched_former"]


def test_a_point_on_no_polygon_falls_to_the_nearest_commune(app):
    thatkhe = db.session.get(Commune, "06040")
    assert nearest_commune(thatkhe.label_lon, thatkhe.label_lat) == "06040"
    assert nearest_commune(105.0, 22.0) is not None  # far outside the province
