/* Clocher: reports written without network wait on the device (IndexedDB) and leave when it is back.

   Loaded by every page and by the service worker (importScripts). The report form posts with
   fetch(); when the network fails, the form's fields and files are kept in the "outbox" store with a
   fresh idempotency key, so that sending the same report twice (the page and the service worker
   both retrying, or an answer lost on the way back) still makes one report on the server.
   Without IndexedDB or fetch, nothing here runs and the form posts as a plain HTML form. */
(function (root) {
  "use strict";
  if (!root.indexedDB || !root.fetch || !root.FormData || !root.Promise) { return; }

  var DB_NAME = "clocher-reports";
  var STORE = "outbox";
  var SYNC_TAG = "clocher-outbox";
  var TOKEN = /name="csrfmiddlewaretoken" value="([^"]+)"/;
  var ERROR_LIST = /<ul class="errorlist[^"]*"[^>]*>([\s\S]*?)<\/ul>/g;
  var ITEM = /<li>([\s\S]*?)<\/li>/g;
  var LEAD = /<main[^>]*>[\s\S]*?<\/h1>\s*<p>([\s\S]*?)<\/p>/;
  var REPORT_PAGE = /\/signalements\/\d+\/$/;
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'", "&nbsp;": " " };

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction; resolves with what `work` left in `out.value` once it is committed.
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var out = { value: undefined };
        work(transaction.objectStore(STORE), out);
        transaction.oncomplete = function () { db.close(); resolve(out.value); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function all() {
    return withStore("readonly", function (store, out) {
      var request = store.getAll();
      request.onsuccess = function () {
        out.value = request.result.sort(function (a, b) { return a.created - b.created; });
      };
    });
  }

  function put(item) {
    return withStore("readwrite", function (store) { store.put(item); }).then(function () { return item; });
  }

  function remove(key) {
    return withStore("readwrite", function (store) { store["delete"](key); });
  }

  // The form's fields as [name, value] pairs: strings and files, both kept by IndexedDB. The key is
  // the one the failed attempt carried: if the server got it after all, the retry finds that report.
  function keep(form, action) {
    var data = new FormData(form);
    var key = data.get("idempotency_key") || newKey();
    var entries = [];
    var summary = "";
    data.forEach(function (value, name) {
      if (name === "idempotency_key") { value = key; }
      if (typeof value !== "string" && value.size === 0) { return; }  // an empty file input
      if (name === "description") { summary = value.slice(0, 120); }
      entries.push([name, value]);
    });
    return put({ key: key, action: action, entries: entries, summary: summary, created: Date.now(), state: "waiting" });
  }

  function field(item, name) {
    for (var i = 0; i < item.entries.length; i += 1) {
      if (item.entries[i][0] === name) { return item.entries[i][1]; }
    }
    return "";
  }

  function text(html) {
    return html.replace(/<[^>]*>/g, "").replace(/&[#a-z0-9]+;/gi, function (entity) {
      return ENTITIES[entity] || entity;
    }).trim();
  }

  // The errors of a form page returned by the server, as sentences.
  function errorsIn(html) {
    var errors = [];
    var list;
    while ((list = ERROR_LIST.exec(html)) !== null) {
      var item;
      while ((item = ITEM.exec(list[1])) !== null) { errors.push(text(item[1])); }
    }
    return errors;
  }

  // A fresh CSRF token, from the form page of the same point: the one kept may have expired when the
  // resident signed in or out since.
  function freshToken(item) {
    var url = item.action + "?lat=" + encodeURIComponent(field(item, "lat")) +
      "&lon=" + encodeURIComponent(field(item, "lon"));
    return root.fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      var found = TOKEN.exec(html);
      return found ? found[1] : "";
    });
  }

  function post(item, token) {
    var body = new FormData();
    item.entries.forEach(function (entry) {
      var value = entry[0] === "csrfmiddlewaretoken" && token ? token : entry[1];
      body.append(entry[0], value);
    });
    return root.fetch(item.action, {
      method: "POST", body: body, credentials: "same-origin", redirect: "follow",
      headers: { "X-Requested-With": "clocher-outbox" }
    });
  }

  // Sends one kept report. Resolves with its new state; rejects when the network is still missing.
  function send(item) {
    return post(item).then(function (response) {
      if (response.status !== 403) { return response; }
      return freshToken(item).then(function (token) { return token ? post(item, token) : response; });
    }).then(function (response) {
      if (response.redirected && response.ok && REPORT_PAGE.test(new URL(response.url).pathname)) {
        item.state = "sent";
        item.url = response.url;
        item.entries = [];  // photos and contact details need not stay on the phone once sent
        return put(item);
      }
      if (response.status === 200 || response.status === 400 || response.status === 413) {
        // The form with its errors, or a page (or a line of text) saying what is wrong with it.
        return response.text().then(function (html) {
          var errors = errorsIn(html);
          var lead = LEAD.exec(html);
          if (!errors.length && lead) { errors.push(text(lead[1])); }
          if (!errors.length && html.indexOf("<") === -1) { errors.push(html.slice(0, 300)); }
          item.state = "refused";
          item.errors = errors;
          return put(item);
        });
      }
      // 403 twice, 429, 5xx: the server may answer better later; keep the report as it is.
      return item;
    });
  }

  var flushing = null;

  // Sends every waiting report, one after the other. Rejects if the network failed on the way, so
  // that the service worker's background sync tries again later.
  function flush() {
    if (flushing) { return flushing; }
    // One sender at a time across the page and the service worker (Web Locks): the second reads
    // the store after the first has marked what it sent, so a kept report never leaves twice.
    var locks = root.navigator && root.navigator.locks;
    var run = function () { return all().then(sendWaiting); };
    flushing = (locks ? locks.request(SYNC_TAG, run) : run()).then(function (result) { flushing = null; return result; },
      function (error) { flushing = null; throw error; });
    return flushing;
  }

  function sendWaiting(items) {
    var chain = Promise.resolve();
    items.forEach(function (item) {
      if (item.state !== "waiting") { return; }
      chain = chain.then(function () { return send(item); });
    });
    return chain;
  }

  function askForSync() {
    if (!root.navigator || !root.navigator.serviceWorker) { return Promise.resolve(); }
    return root.navigator.serviceWorker.ready.then(function (registration) {
      return registration.sync ? registration.sync.register(SYNC_TAG) : null;
    })["catch"](function () { return null; });
  }

  // The pages: the report form posts with fetch() and keeps the report when the network fails;
  // every page tries to send what waits and says what became of it.
  function pageSide(document) {
    var HINT = "clocher-outbox";

    // Inside <main>, which a form page returned by the server replaces: looked up each time.
    function outbox() { return document.querySelector("[data-outbox]"); }

    function say(name) {
      var box = outbox();
      return box ? box.getAttribute("data-msg-" + name) || "" : "";
    }

    // Most phones never keep a report: without this hint, pages do not even open the database.
    function hinted(value) {
      try {
        if (value === undefined) { return root.localStorage.getItem(HINT) === "1"; }
        if (value) { root.localStorage.setItem(HINT, "1"); } else { root.localStorage.removeItem(HINT); }
      } catch (error) {
        return true;  // storage refused (private mode): look every time
      }
      return value;
    }

    function line(parent, tag, content, className) {
      var node = document.createElement(tag);
      if (content) { node.textContent = content; }
      if (className) { node.className = className; }
      parent.appendChild(node);
      return node;
    }

    function render(items) {
      var box = outbox();
      hinted(items.length > 0);
      if (!box) { return; }
      var list = box.querySelector("ul");
      list.textContent = "";
      items.forEach(function (item) {
        var li = line(list, "li");
        line(li, "p", say(item.state), "outbox__state");
        if (item.summary) { line(li, "p", "« " + item.summary + " »", "outbox__summary"); }
        if (item.state === "sent") {
          var link = line(li, "a", say("see"));
          link.href = item.url;
          remove(item.key);  // said once is enough
        }
        if (item.state === "refused") {
          if (item.errors && item.errors.length) {
            var errors = line(li, "ul", "", "errorlist");
            item.errors.forEach(function (error) { line(errors, "li", error); });
          }
          var drop = line(li, "button", say("drop"), "button button--secondary");
          drop.type = "button";
          drop.addEventListener("click", function () { remove(item.key).then(refresh); });
        }
      });
      box.hidden = items.length === 0;
    }

    function refresh() { return all().then(render); }

    function tryNow() {
      if (!hinted()) { return Promise.resolve(); }
      if (root.navigator.onLine === false) { return refresh(); }
      return flush().then(refresh, refresh);
    }

    root.addEventListener("online", tryNow);
    tryNow()["catch"](function () { return null; });

    setUpForm();

    function setUpForm() {
      var form = document.querySelector("form[data-report-form]");
      if (!form) { return; }
      var key = form.querySelector("[name=idempotency_key]");
      var status = form.querySelector("[data-report-status]");
      // A page kept for offline use may be filled more than once: each report gets its own key.
      if (key) { key.value = newKey(); }

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        status.textContent = form.getAttribute("data-msg-sending");
        root.fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "follow",
          headers: { "X-Requested-With": "clocher-outbox" }
        }).then(function (response) {
          if (response.redirected && response.ok) {
            root.location.assign(response.url);
            return null;
          }
          return response.text().then(function (html) {
            // Form errors: the server's page takes the place of this one, as after a plain post.
            var page = new root.DOMParser().parseFromString(html, "text/html");
            var main = page.querySelector("main");
            if (!main) { throw new Error("no page"); }
            document.title = page.title;
            document.querySelector("main").replaceWith(document.adoptNode(main));
            setUpForm();
            var alert = document.querySelector("main [role=alert], main .errorlist");
            var focus = alert || document.querySelector("main");
            focus.setAttribute("tabindex", "-1");
            focus.focus();
            return null;
          });
        }, function () {
          // No network: the report waits on the phone.
          return keep(form, form.action).then(function () {
            hinted(true);
            form.reset();
            if (key) { key.value = newKey(); }
            button.disabled = false;
            status.textContent = form.getAttribute("data-msg-kept");
            askForSync();
            return refresh();
          });
        })["catch"](function () {
          button.disabled = false;
          status.textContent = form.getAttribute("data-msg-failed");
        });
      });
    }
  }

  root.ClocherOutbox = {
    SYNC_TAG: SYNC_TAG, all: all, keep: keep, remove: remove, put: put, send: send, flush: flush,
    askForSync: askForSync, newKey: newKey
  };
  if (root.document) { pageSide(root.document); }
})(self);
