/* "Ma position": fills the latitude and longitude fields of the report form. Without it, they are typed. */
(function () {
  "use strict";
  var box = document.querySelector("[data-report-locate]");
  if (!box || !("geolocation" in navigator)) { return; }
  var button = box.querySelector("[data-locate-button]");
  var status = box.querySelector("[data-locate-status]");
  box.hidden = false;
  function say(key) { status.textContent = box.getAttribute("data-msg-" + key) || ""; }
  button.addEventListener("click", function () {
    button.disabled = true;
    say("searching");
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("id_lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("id_lon").value = position.coords.longitude.toFixed(6);
      // The pin map (report-pin.js) follows the fields.
      document.getElementById("id_lon").dispatchEvent(new Event("change"));
      say("found");
      button.disabled = false;
    }, function (error) {
      say(error && error.code === 1 ? "denied" : "unavailable");
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
