/* Map page: commune name labels, click-to-locate for the incident/facility forms,
   filter changes submit at once. Names go in with textContent: never parsed as HTML. */
(function () {
  "use strict";

  function communeLayers(map) {
    var found = [];
    map.eachLayer(function (layer) {
      var p = layer.feature && layer.feature.properties;
      if (p && p.code && p.status) { found.push(layer); }
    });
    return found;
  }

  function labels(map) {
    var group = L.layerGroup();
    communeLayers(map).forEach(function (layer) {
      var p = layer.feature.properties;
      if (!p.in_area || p.label_lat == null) { return; }
      var span = document.createElement("span");
      span.textContent = p.short_name;
      group.addLayer(L.marker([p.label_lat, p.label_lon], {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "maps-label", html: span, iconSize: null})
      }));
    });
    group.addTo(map);
    function toggle() {
      map.getContainer().classList.toggle("maps-labels-off", map.getZoom() < 8.5);
    }
    map.on("zoomend", toggle);
    toggle();
  }

  function clickToLocate(map) {
    var marker = null;
    map.on("click", function (e) {
      var box = document.querySelector("details[open] form");
      if (!box || !box.querySelector(".maps-lat")) { return; }
      box.querySelector(".maps-lat").value = e.latlng.lat.toFixed(5);
      box.querySelector(".maps-lon").value = e.latlng.lng.toFixed(5);
      if (marker) { marker.setLatLng(e.latlng); }
      else { marker = L.circleMarker(e.latlng, {radius: 6, color: "#d63384", className: "maps-pick"}).addTo(map); }
    });
  }

  function autoSubmit() {
    var form = document.getElementById("map-filter");
    if (!form) { return; }
    ["f-indicator", "f-area"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.addEventListener("change", function () { form.submit(); }); }
    });
  }

  window.MapsPage = {
    init: function (mapName) {
      var map = window[mapName];
      labels(map);
      clickToLocate(map);
      autoSubmit();
      window.mapsMap = map;  // for tests and the console
    }
  };
})();
