/* roomlog service worker: the capture screens open without a connection.
 *
 * Pages (GET under /rooms/) are fetched from the network first; the last good copy is kept
 * in a cache of the logged-in user only and shown when the network fails. The pages tell
 * the worker who is logged in; when that changes (logout, timeout, another user) the other
 * users' cached pages are deleted, so nobody is ever shown a page cached for someone else.
 * Static files: network first, cache as fallback. Nothing else is cached or intercepted:
 * posts go to the network (the outbox in outbox.js keeps what cannot be sent).
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
  if (data.type === "user" && (data.fresh || current === null)) {
    event.waitUntil(setUser(data.user));
  }
});

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
      if (hit) { return hit; }
      throw error;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
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
