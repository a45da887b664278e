// The running total of a budget ballot (participation/budgets/vote.html), as boxes are ticked or
// points typed: the same sentence the server writes after "Vérifier mon bulletin", updated in the
// page's aria-live="polite" region so that a screen reader announces it. Without this script the
// page works the same, the figures coming from the server.
(function () {
  "use strict";
  var form = document.querySelector("form.budget-ballot");
  var region = document.getElementById("ballot-total");
  if (!form || !region) return;
  var text = region.querySelector(".budget-total__text");
  var kind = form.getAttribute("data-kind");
  var separator = region.getAttribute("data-thousands") || " ";

  function group(number) {
    return String(number).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  function euros(number) {
    return fill(region.getAttribute("data-euros"), { amount: group(number) });
  }

  function update() {
    var message;
    var over;
    if (kind === "approval_budget") {
      var amount = parseInt(form.getAttribute("data-amount"), 10) || 0;
      var total = 0;
      form.querySelectorAll('input[type="checkbox"][name="project"]:checked').forEach(function (box) {
        total += parseInt(box.getAttribute("data-cost"), 10) || 0;
      });
      over = total > amount;
      message = fill(region.getAttribute(over ? "data-text-over" : "data-text-within"), {
        total: euros(total), remaining: euros(amount - total), excess: euros(total - amount),
      });
    } else if (kind === "cumulative") {
      var points = parseInt(form.getAttribute("data-points"), 10) || 0;
      var given = 0;
      form.querySelectorAll("input.budget-project__points").forEach(function (input) {
        var value = parseInt(input.value, 10);
        if (value > 0) given += value;
      });
      over = given > points;
      message = fill(region.getAttribute(over ? "data-text-over" : "data-text-within"), {
        given: group(given), left: group(points - given), excess: group(given - points),
      });
    } else {
      return;
    }
    if (text.textContent !== message) text.textContent = message;
    text.classList.toggle("budget-total__text--over", over);
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
})();
