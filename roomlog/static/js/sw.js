/* roomlog service worker: the capture screens open without a connection.
 *
 * Pages (GET under /rooms/) are fetched from the network first; the last good copy is kept
 * in a cache of the logged-in user only and shown when the network fails. The pages tell
 * the worker who is logged in; when that changes (logout, timeout, another user) the other
 * users' cached pages are deleted, so nobody is ever shown a page cached for someone else.
 * Static files: network first, cache as fallback.
 *
 * A capture form posted while the tablet believes it is online (the Wi-Fi is up, the way to
 * the server is not, or the server answers 502/503/504) would end on the browser's error
 * page. The worker keeps such a post in the outbox (IndexedDB, the same store as outbox.js)
 * with its user, key and the time it was tapped, and sends the tablet back to the page it
 * came from, where the outbox shows it waiting. Other posts go to the network untouched.
 */
"use strict";

var STATIC = "roomlog-static-v1";
var PAGES = "roomlog-pages-";
var current = null;

function pagesCache(user) { return PAGES + user; }

function setUser(user) {
  current = user || "";
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf(PAGES) === 0 && (!current || n !== pagesCache(current));
    }).map(function (n) { return caches.delete(n); }));
  });
}

function currentUser() {
  // After a restart the worker has forgotten; the one pages cache left says whose it is.
  if (current !== null) { return Promise.resolve(current); }
  return caches.keys().then(function (names) {
    var mine = names.filter(function (n) { return n.indexOf(PAGES) === 0; })[0];
    current = mine ? mine.slice(PAGES.length) : "";
    return current;
  });
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = event.ports && event.ports[0];
  if (data.type === "user" && (data.fresh || current === null)) {
    // ``user: ""`` (idle.js at the timeout): forget every user's kept pages, and say when that is done.
    event.waitUntil(setUser(data.user).then(function () { if (reply) { reply.postMessage("done"); } }));
  } else if (reply) {
    reply.postMessage("done");
  }
});

function newKey() {
  var bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
}

function freshKeys(response) {
  // A kept page is shown again and again: every showing gets new form keys, so a tap on it is
  // never taken for a repeat of a tap made on an earlier showing.
  return response.text().then(function (html) {
    var fresh = html.replace(/<input[^>]*name="idempotency_key"[^>]*>/g, function (input) {
      return input.replace(/value="[^"]*"/, 'value="' + newKey() + '"');
    });
    return new Response(fresh, { status: response.status, headers: response.headers });
  });
}

function networkFirst(request, cacheName) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected && cacheName) {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function (error) {
    if (!cacheName) { throw error; }
    return caches.open(cacheName).then(function (cache) {
      return cache.match(request, { ignoreVary: true });
    }).then(function (hit) {
      if (!hit) { throw error; }
      return cacheName === STATIC ? hit : freshKeys(hit);
    });
  });
}

function keep(form, url) {
  var fields = [];
  form.forEach(function (value, name) {
    if (["outbox_user", "outbox_user_name", "outbox_room_name", "outbox_label", "tapped_at"].indexOf(name) < 0) { fields.push([name, String(value)]); }
  });
  var at = new Date().toISOString();
  fields.push(["tapped_at", at]);
  var key = form.get("idempotency_key");
  var room = /^\/rooms\/(\d+)\//.exec(url.pathname);
  var entry = {
    key: key, user: form.get("outbox_user"), who: form.get("outbox_user_name") || "",
    roomName: form.get("outbox_room_name") || "", room: room ? room[1] : "", url: url.pathname, fields: fields,
    label: form.get("outbox_label") || url.pathname, at: at, state: "waiting", error: "", result: "", ref: "", dependsOn: ""
  };
  return new Promise(function (resolve, reject) {
    var open = indexedDB.open("roomlog-outbox", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("entries", { keyPath: "seq", autoIncrement: true }); };
    open.onerror = function () { reject(open.error); };
    open.onsuccess = function () {
      var db = open.result;
      var tx = db.transaction("entries", "readwrite");
      tx.objectStore("entries").put(entry);
      tx.oncomplete = function () { db.close(); resolve(); };
      tx.onerror = function () { db.close(); reject(tx.error); };
    };
  });
}

function postOrKeep(event) {
  var copy = event.request.clone();
  var url = new URL(event.request.url);
  var back = event.request.referrer || url.origin + "/";
  function kept() {
    return copy.formData().then(function (form) {
      if (!form.get("outbox_user") || !form.get("idempotency_key")) { return null; }
      return keep(form, url).then(function () { return Response.redirect(back, 303); });
    }).catch(function () { return null; });
  }
  return fetch(event.request).then(function (response) {
    if ([502, 503, 504].indexOf(response.status) < 0) { return response; }
    return kept().then(function (redirect) { return redirect || response; });
  }, function (error) {
    return kept().then(function (redirect) {
      if (redirect) { return redirect; }
      throw error;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method === "POST" && request.mode === "navigate" && new URL(request.url).pathname.indexOf("/rooms/") === 0
      && !/\/check-in$/.test(new URL(request.url).pathname)) {
    event.respondWith(postOrKeep(event));
    return;
  }
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, STATIC));
  } else if (url.pathname.indexOf("/rooms/") === 0 && request.mode === "navigate") {
    event.respondWith(currentUser().then(function (user) {
      return networkFirst(request, user ? pagesCache(user) : null);
    }));
  }
});
