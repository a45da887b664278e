/* Notifications on this device (notifications/_push_button.html). Permission is asked only when the
   button is pressed. Every sentence shown comes from the page, already translated. */
(function () {
  "use strict";
  var root = document.querySelector("[data-push]");
  if (!root) { return; }
  var ui = root.querySelector("[data-push-ui]");
  if (!ui) { return; }
  var status = root.querySelector("[data-push-status]");
  var subscribeButton = root.querySelector("[data-push-subscribe]");
  var unsubscribeButton = root.querySelector("[data-push-unsubscribe]");
  ui.hidden = false;

  function part(name) { return root.querySelector("[data-push-" + name + "]"); }
  function say(text) { status.textContent = text || ""; }
  function only(name) {
    ["ios", "unsupported", "denied"].forEach(function (other) { part(other).hidden = other !== name; });
    if (name) {
      subscribeButton.hidden = true;
      unsubscribeButton.hidden = true;
    }
  }
  function showSubscribed(subscribed) {
    only(null);
    subscribeButton.hidden = subscribed;
    unsubscribeButton.hidden = !subscribed;
  }

  // An iPhone or iPad (iPadOS says it is a Mac, but a Mac has no touch screen).
  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var standalone = navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  if (ios && !standalone) { only("ios"); return; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    only("unsupported");
    return;
  }
  if (Notification.permission === "denied") { only("denied"); return; }

  function csrfToken() {
    var field = root.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || root.dataset.msgFailed); }
        return data;
      });
    });
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function publicKey() {
    return fetch(root.dataset.keyUrl, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(root.dataset.msgFailed); }
      return response.json();
    }).then(function (data) { return data.publicKey; });
  }

  function subscribe() {
    say(root.dataset.msgWorking);
    subscribeButton.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission === "denied") { only("denied"); say(""); return null; }
      if (permission !== "granted") { say(root.dataset.msgRefused); return null; }
      return Promise.all([registration(), publicKey()]).then(function (found) {
        return found[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(found[1]) });
      }).then(function (subscription) {
        var body = subscription.toJSON();
        if (root.dataset.commune) { body.commune = root.dataset.commune; }
        return post(root.dataset.subscribeUrl, body);
      }).then(function (data) {
        showSubscribed(true);
        say(data.message || root.dataset.msgOn);
        unsubscribeButton.focus();
      });
    }).catch(function (error) {
      say((error && error.message) || root.dataset.msgFailed);
    }).then(function () { subscribeButton.disabled = false; });
  }

  function unsubscribe() {
    say(root.dataset.msgWorking);
    unsubscribeButton.disabled = true;
    registration().then(function (found) {
      return found.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return { message: root.dataset.msgOff }; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(root.dataset.unsubscribeUrl, { endpoint: endpoint });
      });
    }).then(function (data) {
      showSubscribed(false);
      say(data.message || root.dataset.msgOff);
      subscribeButton.focus();
    }).catch(function (error) {
      say((error && error.message) || root.dataset.msgFailed);
    }).then(function () { unsubscribeButton.disabled = false; });
  }

  subscribeButton.addEventListener("click", subscribe);
  unsubscribeButton.addEventListener("click", unsubscribe);
  showSubscribed(false);
  navigator.serviceWorker.getRegistration("/").then(function (found) {
    return found ? found.pushManager.getSubscription() : null;
  }).then(function (subscription) {
    if (subscription && Notification.permission === "granted") {
      showSubscribed(true);
      say(root.dataset.msgOn);
    }
  }).catch(function () { /* the button stays: pressing it tells what goes wrong */ });
})();
