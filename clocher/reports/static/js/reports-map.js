/* Reports on a Leaflet map, progressive only: without this file, without Leaflet or without tiles,
   the page keeps its list (and, for agents, the plan). Needs js/map.js first (window.ClocherMap).

   [data-reports-map][data-geojson-url]: the public map of a commune, drawn from its GeoJSON.
   [data-reports-map][data-points]: the agents' map, drawn from the list already on the page
   (each [data-report-point] item carries its coordinates, status and link).

   A marker says its status three ways: colour, shape and glyph (reports-map.css), and in words
   for screen readers and in its popup. Text comes from the server or the page, never as HTML. */
(function () {
  "use strict";
  var L = window.L;
  var box = document.querySelector("[data-reports-map]");
  if (!L || !window.ClocherMap || !box) { return; }
  var data = window.ClocherMap.data;
  var statusLine = document.querySelector("[data-reports-map-status]");
  var say = function (text) { if (statusLine) { statusLine.textContent = text; } };
  var lang = document.documentElement.lang || "fr";

  function icon(status, label) {
    var holder = document.createElement("span");
    var shape = document.createElement("span");
    shape.className = "report-marker__shape";
    shape.setAttribute("aria-hidden", "true");
    var glyph = document.createElement("span");
    glyph.className = "report-marker__glyph";
    shape.appendChild(glyph);
    var words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = label;
    holder.appendChild(shape);
    holder.appendChild(words);
    return L.divIcon({
      className: "report-marker report-marker--" + status.replace(/[^a-z_]/g, ""),
      html: holder,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
      popupAnchor: [0, -14]
    });
  }

  // One line per fact, and the link to the report: built as nodes, so a category name is text.
  function popup(lines, href, linkText) {
    var content = document.createElement("div");
    lines.forEach(function (line) {
      if (!line) { return; }
      var p = document.createElement("p");
      p.textContent = line;
      content.appendChild(p);
    });
    var p = document.createElement("p");
    var a = document.createElement("a");
    a.href = href;
    a.textContent = linkText;
    p.appendChild(a);
    content.appendChild(p);
    return content;
  }

  function marker(point) {
    var label = point.title + " · " + point.statusLabel;
    var m = L.marker([point.lat, point.lon], { icon: icon(point.status, label), keyboard: true, title: label });
    m.bindPopup(popup([point.title, point.statusLabel, point.when], point.href, data(box, "msg-open")));
    return m;
  }

  function count(n) {
    var message = n === 0 ? data(box, "msg-loaded-none") : n === 1 ? data(box, "msg-loaded-one") : data(box, "msg-loaded");
    return message.replace("%(count)s", n.toLocaleString(lang));
  }

  function draw(points, truncated) {
    var bounds = data(box, "bounds").split(",").map(parseFloat);
    var map = window.ClocherMap.baseMap(box, { scrollWheelZoom: false });
    var layer = L.featureGroup(points.map(marker)).addTo(map);
    if (points.length) {
      map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [24, 24] });
    } else if (bounds.length === 4 && bounds.every(isFinite)) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
    } else {
      map.setView([46.6, 2.4], 6);
    }
    var legend = document.querySelector("[data-reports-legend]");
    if (legend) { legend.hidden = false; }
    // The plan drawn by the server says the same as this map: one of them is enough on screen.
    var plan = document.querySelector("[data-reports-plan]");
    if (plan) { plan.hidden = true; }
    say(count(points.length) + (truncated ? " " + data(box, "msg-truncated") : ""));
  }

  function finite(lat, lon) { return isFinite(lat) && isFinite(lon) && lat !== null && lon !== null; }

  // Agents: the points are the list's items.
  if (box.hasAttribute("data-points")) {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-report-point]"));
    var points = items.map(function (item) {
      var link = item.querySelector("a");
      return {
        lat: parseFloat(item.getAttribute("data-lat")),
        lon: parseFloat(item.getAttribute("data-lon")),
        status: item.getAttribute("data-status") || "",
        statusLabel: item.getAttribute("data-status-label") || "",
        title: link ? link.textContent : "",
        when: item.getAttribute("data-when") || "",
        href: link ? link.href : ""
      };
    }).filter(function (p) { return finite(p.lat, p.lon) && p.href; });
    draw(points, box.hasAttribute("data-truncated"));
    return;
  }

  // The public: the commune's GeoJSON, with the page's filters.
  if (!window.fetch) { return; }
  say(data(box, "msg-loading"));
  fetch(data(box, "geojson-url"), { headers: { "Accept": "application/geo+json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (collection) {
      var features = collection && Array.isArray(collection.features) ? collection.features : [];
      var points = features.map(function (f) {
        var c = f && f.geometry && Array.isArray(f.geometry.coordinates) ? f.geometry.coordinates : [];
        var p = f && f.properties ? f.properties : {};
        var when = p.created_at ? new Date(p.created_at) : null;
        return {
          lat: c[1], lon: c[0], status: String(p.status || ""), statusLabel: String(p.status_label || ""),
          title: data(box, "msg-number").replace("%(id)s", p.id) + " · " + String(p.category || ""),
          when: when && !isNaN(when) ? when.toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" }) : "",
          href: String(p.url || "")
        };
      }).filter(function (p) { return finite(p.lat, p.lon) && p.href; });
      draw(points, collection.truncated === true);
    })
    .catch(function () { say(data(box, "msg-failed")); });
})();
