/* Clocher service worker: keeps the app shell and the pages recently seen, for weak or no signal. */
"use strict";
var VERSION = "{{ version }}";
var SHELL_CACHE = "clocher-shell-" + VERSION;
var PAGES_CACHE = "clocher-pages";
var SHELL = {{ shell_json|safe }};
var OFFLINE_URL = {{ offline_json|safe }};
var MAX_PAGES = 30;
// Reports written without network (static/js/report-queue.js): sent again by background sync.
importScripts({{ queue_json|safe }});
// Personal and staff pages are never kept: a phone may be shared.
var PRIVATE_PREFIXES = ["/compte/", "/comptes/", "/gestion/", "/admin/", "/api/"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(SHELL);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("clocher-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  // Sent by app.js when someone signs out: forget the pages they saw.
  if (event.data === "clear-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

function isPrivate(url) {
  return PRIVATE_PREFIXES.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; });
}

function trim(cache) {
  return cache.keys().then(function (keys) {
    if (keys.length <= MAX_PAGES) { return null; }
    return Promise.all(keys.slice(0, keys.length - MAX_PAGES).map(function (key) {
      return cache.delete(key);
    }));
  });
}

function networkFirst(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
        return cache.delete(request).then(function () {
          return cache.put(request, copy);
        }).then(function () { return trim(cache); });
      }));
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (cached) {
      return cached || caches.match(OFFLINE_URL);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || isPrivate(url)) { return; }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(event));
    return;
  }
  if (SHELL.indexOf(url.pathname + url.search) !== -1 || url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (cached) {
      return cached || fetch(request);
    }));
  }
});

self.addEventListener("sync", function (event) {
  // Rejected while the network is still missing: the browser then tries again later.
  if (event.tag === self.ClocherOutbox.SYNC_TAG) {
    event.waitUntil(self.ClocherOutbox.flush());
  }
});

// Web Push (clocher/notifications/push.py): the payload is JSON {title, body, url, tag, urgent}.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  var title = data.title || self.registration.scope;
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    icon: "{% url 'icon' size=192 %}",
    badge: "{% url 'icon' size=192 %}",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    requireInteraction: Boolean(data.urgent),
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target;
  try { target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin); }
  catch (error) { target = new URL("/", self.location.origin); }
  // Only a page of this portal: a payload never sends anyone elsewhere.
  if (target.origin !== self.location.origin) { target = new URL("/", self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i += 1) {
      if (windows[i].url === target.href && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow(target.href);
  }));
});
