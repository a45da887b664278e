/* Clocher: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // Offline support is a bonus: the site works the same without it.
    });
  });
  // A phone may be shared: signing out forgets the pages kept for offline reading.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.hasAttribute && form.hasAttribute("data-signs-out") && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("clear-pages");
    }
  });
})();
