/* "Est-ce celui-ci ?" while the resident fills the form: choosing a category in the report form
   fetches the open reports of that category within 50 m (the same page, asked with GET) and shows
   them above, with a line under the choice. Without this file, the "Voir les signalements proches"
   button does the same with a page load. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-report-form]");
  var select = form && form.querySelector("select[name=category]");
  var status = form && form.querySelector("[data-nearby-status]");
  if (!select || !status || !window.fetch || !window.DOMParser) { return; }

  function value(name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }

  select.addEventListener("change", function () {
    var category = select.value;
    if (!category) { status.textContent = ""; return; }
    var url = form.action + "?lat=" + encodeURIComponent(value("lat")) + "&lon=" +
      encodeURIComponent(value("lon")) + "&category=" + encodeURIComponent(category);
    window.fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      var page = new window.DOMParser().parseFromString(html, "text/html");
      var fresh = page.querySelector("[data-nearby]");
      var here = document.querySelector("[data-nearby]");
      if (!fresh || !here) { return; }
      here.replaceWith(document.adoptNode(fresh));
      var pick = document.getElementById("id_pick");
      if (pick) { pick.value = category; }
      var found = fresh.querySelectorAll(".report-list > li").length;
      status.textContent = "";
      if (found) {
        status.appendChild(document.createTextNode(status.getAttribute("data-msg-some") + " "));
        var link = document.createElement("a");
        link.href = "#nearby-title";
        link.textContent = status.getAttribute("data-msg-link");
        status.appendChild(link);
      } else {
        status.textContent = status.getAttribute("data-msg-none");
      }
    })["catch"](function () {
      status.textContent = "";  // offline or refused: the button above still works
    });
  });
})();
