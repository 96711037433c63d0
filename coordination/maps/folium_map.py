"""The folium map of an event, with every asset served by the app and no tiles by default."""
import folium
import geopandas as gpd
from folium.template import Template
from flask import url_for
from folium.utilities import JsCode
from markupsafe import escape

from ..indicators import Indicator
from .geometry import feature_collection, outline

# Tooltip/popup HTML is built (and escaped) on the server, see popups.py. Commune popups
# are fetched when opened (window.mapsPopupUrl), so a national page carries no popup text.
BIND = JsCode("""function(feature, layer) {
    var p = feature.properties;
    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }
    if (p.lazy && window.mapsPopupUrl) {
        layer.bindPopup("…", {maxWidth: 360});
        layer.on("popupopen", function (e) {
            fetch(window.mapsPopupUrl.replace("__CODE__", encodeURIComponent(p.code)),
                  {credentials: "same-origin"})
                .then(function (r) { return r.ok ? r.text() : "Không tải được số liệu."; })
                .then(function (html) { e.popup.setContent(html); });
        });
    }
}""")
INCIDENT_COLORS = {"dam_breach": "#08519c", "isolated": "#6a51a3", "landslide": "#8c510a",
                   "other": "#252525"}
FACILITY_COLORS = {"power_plant": "#e6550d", "dam": "#3182bd", "reservoir": "#3182bd"}


class PageMap(folium.Map):
    """folium.Map without the standalone-page header (html/body sizing, viewport lock)."""
    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }
            .leaflet-container { font-size: {{ this.font_size }}; }</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
                ...{{ this.options|tojavascript }}
            });
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
    """)


def vendored_assets(m: folium.Map) -> None:
    """Only Leaflet, from static/vendor: no jQuery, Bootstrap or icon fonts from a CDN."""
    m.default_js = [("leaflet", url_for("static", filename="vendor/leaflet-1.9.4/leaflet.js"))]
    m.default_css = [("leaflet_css", url_for("static", filename="vendor/leaflet-1.9.4/leaflet.css"))]


def layer_name(text: str) -> str:
    """A layer name as Leaflet's layer control will show it: HTML-escaped text."""
    return str(escape(text))


def commune_style(feature: dict) -> dict:
    p = feature["properties"]
    return {"fillColor": p["fill"], "fillOpacity": 0.85 if p["status"] != "outside" else 0.6,
            "color": "#444" if p["status"] != "outside" else "#fff",
            "weight": 0.8, "dashArray": "4 3" if p["status"] == "stale" else None,
            "className": f"commune commune-{p['status']}"}


def point_style(feature: dict) -> dict:
    p = feature["properties"]
    return {"radius": 8 if p["layer"] == "incident" else 7, "color": "#fff", "weight": 2,
            "fillColor": p["fill"], "fillOpacity": 0.95, "className": p["layer"]}


def build_map(frame: gpd.GeoDataFrame, selection, indicator: Indicator, points: dict,
              tiles: str = "", attribution: str = "") -> PageMap:
    """`frame` carries tip/popup columns; `points` maps layer name → GeoJSON FeatureCollection."""
    inside = frame[frame["in_area"]] if frame["in_area"].any() else frame
    minx, miny, maxx, maxy = inside.total_bounds
    m = PageMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9,
                control_scale=True, zoom_snap=0.25)
    vendored_assets(m)
    if tiles:
        folium.TileLayer(tiles, attr=attribution, name="Nền bản đồ", overlay=False).add_to(m)
    # Leaflet's layer control renders layer names as HTML: every name is escaped here.
    folium.GeoJson(_communes_geojson(frame), name=layer_name(f"{indicator.label} ({indicator.unit})"),
                   style_function=commune_style, on_each_feature=BIND, control=False).add_to(m)
    if selection.area is not None and frame["in_area"].any():
        folium.GeoJson(gpd.GeoSeries([outline(inside.geometry.values)], crs=4326).__geo_interface__,
                       name=layer_name(f"Ranh giới {selection.area_name}"), interactive=False,
                       style_function=lambda _: {"color": "#111", "weight": 3,
                                                 "className": "area-outline"}).add_to(m)
    for name, collection in points.items():
        folium.GeoJson(collection, name=layer_name(name), marker=folium.CircleMarker(),
                       style_function=point_style, on_each_feature=BIND).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _communes_geojson(frame: gpd.GeoDataFrame) -> dict:
    return feature_collection(frame, ["code", "name", "short_name", "label_lat", "label_lon",
                                      "status", "value", "fill", "tip", "lazy", "in_area"])


def points_geojson(rows: list[dict], layer: str) -> dict:
    """[{lat, lon, kind, tip, popup}] → FeatureCollection for a CircleMarker layer."""
    colors = INCIDENT_COLORS if layer == "incident" else FACILITY_COLORS
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": str(i),
         "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {"layer": layer, "kind": r["kind"], "fill": colors[r["kind"]],
                        "tip": r["tip"], "popup": r["popup"]}}
        for i, r in enumerate(rows)]}


def page_parts(m: folium.Map) -> dict:
    """Header (asset links), body and script of the map, to embed in our own page."""
    root = m.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(),
            "script": root.script.render(), "name": m.get_name()}

