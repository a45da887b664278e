// "Use my position" on a place's form: fills the latitude and longitude from the phone's location.
// Without JavaScript or without geolocation, nothing is added and the fields are typed by hand.
(function () {
  "use strict";
  const lat = document.getElementById("id_lat");
  const lon = document.getElementById("id_lon");
  if (!lat || !lon || !lat.form || !("geolocation" in navigator)) {
    return;
  }
  const texts = lat.form.dataset;
  const container = document.createElement("div");
  container.className = "bo-field";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "bo-button";
  button.textContent = texts.locateLabel || "";
  const status = document.createElement("p");
  status.className = "bo-help";
  status.setAttribute("role", "status");
  container.append(button, status);
  (lon.closest(".bo-field") || lon).after(container);

  button.addEventListener("click", function () {
    status.textContent = texts.locateWait || "";
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        status.textContent = texts.locateDone || "";
        button.disabled = false;
      },
      function () {
        status.textContent = texts.locateError || "";
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
