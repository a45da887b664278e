/* Step 1 of the report form: a map to put the pin on. A tap places it (and it can be dragged); the
   button places it at the centre of the map, marked by a cross, for keyboard and screen-reader
   users who move the map with the arrow keys. Either way the latitude and longitude fields are
   filled, and they stay the truth: typed, or filled by "Utiliser ma position", they move the pin.
   Without JavaScript or Leaflet, the fields alone do the job. */
(function () {
  "use strict";
  var Map = window.ClocherMap;
  var wrapper = document.querySelector("[data-pin]");
  if (!Map || !wrapper || !window.L) { return; }
  var L = window.L;
  var box = wrapper.querySelector("[data-pin-map]");
  var here = wrapper.querySelector("[data-pin-here]");
  var status = wrapper.querySelector("[data-pin-status]");
  var latInput = document.getElementById("id_lat");
  var lonInput = document.getElementById("id_lon");
  if (!box || !latInput || !lonInput) { return; }
  wrapper.hidden = false;

  var map = Map.baseMap(box, { scrollWheelZoom: false });
  var marker = null;

  function current() {
    var lat = parseFloat((latInput.value || "").replace(",", "."));
    var lon = parseFloat((lonInput.value || "").replace(",", "."));
    return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lat, lon] : null;
  }

  function pin(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { draggable: true, keyboard: false, alt: Map.data(box, "msg-marker") }).addTo(map);
      marker.on("dragend", function () { fill(marker.getLatLng()); });
    }
  }

  function fill(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    pin(latlng);
    status.textContent = status.getAttribute("data-msg-placed");
  }

  var start = current();
  var area = Map.data(box, "bounds").split(",").map(parseFloat);
  if (start) {
    map.setView(start, 17);
    pin(L.latLng(start[0], start[1]));
  } else if (area.length === 4 && area.every(isFinite)) {
    map.fitBounds([[area[0], area[1]], [area[2], area[3]]]);
  } else {
    map.setView([46.6, 2.4], 6);
  }

  map.on("click", function (event) { fill(event.latlng); });
  here.addEventListener("click", function () { fill(map.getCenter()); });

  // Typed coordinates, or "Utiliser ma position" (which announces a change), move the pin.
  function follow() {
    var point = current();
    if (!point) { return; }
    pin(L.latLng(point[0], point[1]));
    map.setView(point, Math.max(map.getZoom(), 17), { animate: false });
  }
  latInput.addEventListener("change", follow);
  lonInput.addEventListener("change", follow);
})();
