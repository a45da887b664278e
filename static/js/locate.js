/* "Use my location": shown only when the browser can locate; finds the commune through the API. */
(function () {
  "use strict";
  var box = document.querySelector("[data-locate]");
  if (!box || !("geolocation" in navigator) || !window.fetch) { return; }
  var button = box.querySelector("[data-locate-button]");
  var status = box.querySelector("[data-locate-status]");
  box.hidden = false;

  function say(key) { status.textContent = box.getAttribute("data-msg-" + key) || ""; }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("searching");
    navigator.geolocation.getCurrentPosition(function (position) {
      var url = box.getAttribute("data-api-url") +
        "?lat=" + encodeURIComponent(position.coords.latitude.toFixed(5)) +
        "&lon=" + encodeURIComponent(position.coords.longitude.toFixed(5));
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 404) { throw new Error("outside"); }
          if (!response.ok) { throw new Error("unavailable"); }
          return response.json();
        })
        .then(function (data) {
          if (!data || !data.code) { throw new Error("outside"); }
          say("found");
          window.location.assign(box.getAttribute("data-commune-url").replace("00000", encodeURIComponent(data.code)));
        })
        .catch(function (error) {
          say(error && error.message === "outside" ? "outside" : "unavailable");
          button.disabled = false;
        });
    }, function (error) {
      say(error && error.code === 1 ? "denied" : "unavailable");
      button.disabled = false;
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
})();
