/* The roadworks map of an article (Leaflet), progressive only: without this file, Leaflet or the
   tiles, the page keeps the dates and the streets written out. The geometry is GeoJSON the server
   validated (points or lines, in France). */
(function () {
  "use strict";
  var L = window.L;
  var box = document.querySelector("[data-works-map]");
  if (!L || !box) { return; }
  function data(name) { return box.getAttribute("data-" + name) || ""; }
  var geometry;
  try { geometry = JSON.parse(data("geometry")); } catch (error) { return; }
  box.hidden = false;
  var map = L.map(box, { zoomControl: false, scrollWheelZoom: false });
  L.control.zoom({ zoomInTitle: data("msg-zoom-in"), zoomOutTitle: data("msg-zoom-out") }).addTo(map);
  var failed = false;
  var tiles = L.tileLayer(data("tile-url"), { attribution: data("attribution"), maxZoom: 19 });
  tiles.on("tileerror", function () {
    if (failed) { return; }
    failed = true;
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = data("msg-tiles");
    box.parentNode.insertBefore(p, box.nextSibling);
  });
  tiles.addTo(map);
  var layer = L.geoJSON(geometry, {
    style: function () { return { color: "#b3261e", weight: 6, opacity: 0.9 }; },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 9, color: "#b3261e", weight: 3, fillOpacity: 0.6 });
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, { maxZoom: 17, padding: [24, 24] }); }
}());
