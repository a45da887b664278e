/* The directory's maps (Leaflet), progressive only: without this file, or without tiles, the page
   keeps its address, its links and the list. Markers come from the API as [[id, lat, lon, category]]. */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  function data(box, name) { return box.getAttribute("data-" + name) || ""; }

  // Leaflet guesses its marker images' addresses from a CSS rule, which fails once static files
  // are fingerprinted. clocher.css names the images (collectstatic rewrites those addresses): a
  // hidden element with its class tells the real ones.
  function cssUrl(className) {
    var probe = document.createElement("div");
    probe.className = className;
    probe.hidden = true;
    document.body.appendChild(probe);
    var value = window.getComputedStyle(probe).backgroundImage || "";
    document.body.removeChild(probe);
    var found = /url\(["']?([^"')]+)["']?\)/.exec(value);
    return found ? found[1] : "";
  }
  var iconUrl = cssUrl("leaflet-icon-url");
  if (iconUrl && L.Icon && L.Icon.Default) {
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({
      iconUrl: iconUrl,
      iconRetinaUrl: cssUrl("leaflet-icon-2x-url") || iconUrl,
      shadowUrl: cssUrl("leaflet-shadow-url")
    });
  }

  function note(box, text) {
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    box.parentNode.insertBefore(p, box.nextSibling);
  }

  function baseMap(box, options) {
    box.hidden = false;
    var map = L.map(box, Object.assign({ zoomControl: false }, options || {}));
    L.control.zoom({ zoomInTitle: data(box, "msg-zoom-in"), zoomOutTitle: data(box, "msg-zoom-out") }).addTo(map);
    var failed = false;
    var layer = L.tileLayer(data(box, "tile-url"), { attribution: data(box, "attribution"), maxZoom: 19 });
    layer.on("tileerror", function () {
      // Once is enough: the markers stay usable on a plain background.
      if (!failed) { failed = true; note(box, data(box, "msg-tiles")); }
    });
    layer.addTo(map);
    return map;
  }

  // For the other maps (reports): the same tiles, controls and "no tiles" note.
  window.ClocherMap = { baseMap: baseMap, data: data };

  // One place: one marker, no scroll-wheel trap on a long page.
  var placeBox = document.querySelector("[data-place-map]");
  if (placeBox) {
    var lat = parseFloat(data(placeBox, "lat"));
    var lon = parseFloat(data(placeBox, "lon"));
    if (isFinite(lat) && isFinite(lon)) {
      var placeMap = baseMap(placeBox, { scrollWheelZoom: false });
      placeMap.setView([lat, lon], 16);
      L.marker([lat, lon], { alt: data(placeBox, "name"), keyboard: false }).addTo(placeMap);
    }
  }

  // Every place: clustered, added in chunks so 5,000 markers never freeze a phone.
  var box = document.querySelector("[data-full-map]");
  if (!box || !L.markerClusterGroup || !window.fetch) { return; }
  var status = document.querySelector("[data-map-status]");
  var select = document.querySelector("[data-map-category]");
  var labels = {};
  try { labels = JSON.parse(data(box, "category-labels") || "{}"); } catch (error) { labels = {}; }
  var say = function (text) { if (status) { status.textContent = text; } };
  var placeUrl = data(box, "place-url");
  var markerLabel = data(box, "msg-marker");

  var map = baseMap(box);
  var centerLat = parseFloat(data(box, "center-lat"));
  var centerLon = parseFloat(data(box, "center-lon"));
  var bounds = data(box, "bounds").split(",").map(parseFloat);
  var placed = true;
  if (isFinite(centerLat) && isFinite(centerLon)) {
    map.setView([centerLat, centerLon], parseInt(data(box, "zoom"), 10) || 13);
  } else if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
  } else {
    map.setView([46.6, 2.4], 6);
    placed = false;
  }

  var cluster = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    removeOutsideVisibleBounds: true,
    maxClusterRadius: 60
  });
  map.addLayer(cluster);
  // Per category: a place has several categories and a marker carries only its first one.
  var loaded = {};

  function open(id) { window.location.assign(placeUrl.replace(/0\/$/, id + "/")); }

  function toMarkers(rows) {
    if (!Array.isArray(rows)) { rows = []; }
    return rows.filter(function (row) {
      return Array.isArray(row) && isFinite(row[1]) && isFinite(row[2]);
    }).map(function (row) {
      var label = labels[row[3]] || "";
      var marker = L.marker([row[1], row[2]], { alt: (label ? label + " : " : "") + markerLabel, keyboard: true });
      marker.on("click", function () { open(row[0]); });
      marker.on("keypress", function (event) {
        if (event.originalEvent && event.originalEvent.key === "Enter") { open(row[0]); }
      });
      return marker;
    });
  }

  function show(markers, fit) {
    cluster.clearLayers();
    cluster.addLayers(markers);
    var count = markers.length;
    var message = count === 0 ? data(box, "msg-loaded-none") : count === 1 ? data(box, "msg-loaded-one") : data(box, "msg-loaded");
    say(message.replace("%(count)s", count.toLocaleString(document.documentElement.lang || "fr")));
    if (fit && markers.length) { map.fitBounds(cluster.getBounds()); }
  }

  // A portal with more places than one answer holds: the server says so, and the map then asks
  // for the box it shows each time it stops moving, instead of keeping one list per category.
  var byView = false;
  var pending = null;

  function viewBox() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(5); }).join(",");
  }

  function load(category, fit) {
    if (!byView && loaded[category]) { show(loaded[category], fit); return; }
    say(data(box, "msg-loading"));
    var params = [];
    if (category) { params.push("category=" + encodeURIComponent(category)); }
    if (byView) { params.push("bbox=" + viewBox()); }
    var url = data(box, "markers-url") + (params.length ? "?" + params.join("&") : "");
    if (pending && pending.abort) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", signal: pending ? pending.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        var truncated = response.headers.get("X-Markers-Truncated") === "1";
        return response.json().then(function (rows) { return { rows: rows, truncated: truncated }; });
      })
      .then(function (answer) {
        var markers = toMarkers(answer.rows);
        if (answer.truncated && !byView) {
          // Too many for one answer: from now on, ask for what the map shows.
          byView = true;
          if (fit && markers.length) { show(markers, true); }
          load(category, false);
          return;
        }
        if (!byView) { loaded[category] = markers; }
        show(markers, fit);
        if (answer.truncated) { say(data(box, "msg-zoom")); }
      })
      .catch(function (error) { if (!error || error.name !== "AbortError") { say(data(box, "msg-failed")); } });
  }

  var moved = null;
  map.on("moveend", function () {
    if (!byView) { return; }
    window.clearTimeout(moved);
    moved = window.setTimeout(function () { load(select ? select.value : "", false); }, 300);
  });

  load(select ? select.value : "", !placed);
  if (select) { select.addEventListener("change", function () { load(select.value, false); }); }
})();
