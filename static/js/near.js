/* The directory's phone helpers, progressive only: every page works without this file.
   - "Près de moi": fills the form's hidden lat/lon from the browser's location before it is sent;
     when the location is refused or unknown, the form goes as it is and the server measures from
     the commune's centre.
   - "Partager": the Web Share API where the phone has it (the e-mail and SMS links stay). */
(function () {
  "use strict";

  function fixed(value) { return (Math.round(value * 100000) / 100000).toFixed(5); }

  var form = document.querySelector("[data-near-form]");
  if (form && "geolocation" in navigator) {
    var near = form.elements.namedItem("near");
    var lat = form.elements.namedItem("lat");
    var lon = form.elements.namedItem("lon");
    var box = form.querySelector("[data-near-box]");
    var button = form.querySelector("[data-near-button]");
    var status = form.querySelector("[data-near-status]");
    var locating = false;

    var say = function (key) { if (status) { status.textContent = form.getAttribute("data-msg-" + key) || ""; } };

    var locate = function (done) {
      if (locating) { return; }
      locating = true;
      say("searching");
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = fixed(position.coords.latitude);
        lon.value = fixed(position.coords.longitude);
        done(true);
      }, function (error) {
        locating = false;
        lat.value = "";
        lon.value = "";
        say(error && error.code === 1 ? "denied" : "unavailable");
        done(false);
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    };

    if (near && lat && lon) {
      if (box && button) {
        box.hidden = false;
        button.addEventListener("click", function () {
          near.checked = true;
          locate(function () { form.submit(); });
        });
      }
      form.addEventListener("submit", function (event) {
        if (!near.checked) {
          // A position from an earlier search is not sent when "near me" is off.
          lat.value = "";
          lon.value = "";
          return;
        }
        if (lat.value && lon.value) { return; }
        event.preventDefault();
        locate(function () { form.submit(); });
      });
    }
  }

  var share = document.querySelector("[data-share]");
  if (share && navigator.share) {
    var item = share.closest("[data-share-item]");
    if (item) { item.hidden = false; }
    share.addEventListener("click", function () {
      navigator.share({
        title: share.getAttribute("data-share-title") || document.title,
        url: share.getAttribute("data-share-url") || window.location.href
      }).catch(function () {
        // Cancelled by the person, or not allowed: nothing to do.
      });
    });
  }
})();
