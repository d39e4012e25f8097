/* Idle logout, seen from the tablet.
 * - The notice stays hidden until the last minute before the session ends; then it appears
 *   as a bar at the top of the page, in the page's flow, so it never covers a control.
 * - While an emergency is open ([data-emergency-open] on the page, refreshed by the live
 *   parts) there is no countdown at all: the screen stays usable, the live refreshes keep
 *   the session, and the server does not end it while the emergency has no outcome.
 * - A touch or key press more than a minute after the last contact pings the server, so
 *   someone typing a long form is not logged out.
 * - "Stay logged in" pings the server; at zero the page locks itself before asking for the login
 *   page (which may not load: the tablet can be offline): nothing of it stays on the screen, and the
 *   service worker forgets the pages it kept for this user, so an offline tablet shows no board,
 *   and takes no entry in this user's name, until someone logs in again. Queued entries stay in
 *   the outbox for their user.
 */
(function () {
  "use strict";
  var box = document.getElementById("idle-timer");
  if (!box) { return; }
  var limit = parseInt(box.getAttribute("data-idle-seconds"), 10);
  if (!limit) { return; }
  var clock = box.querySelector(".idle-clock");
  var text = box.querySelector(".idle-text");
  var stay = box.querySelector(".idle-stay");
  var deadline = Date.now() + limit * 1000;
  var lastContact = Date.now();
  var WARN = 60;

  document.body.insertBefore(box, document.body.firstChild);

  function here() { return window.location.pathname + window.location.search; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function emergencyOpen() { return document.querySelector("[data-emergency-open]") !== null; }

  function show(on) {
    if (box.hidden === !on) { return; }
    box.hidden = !on;
    box.classList.toggle("idle-warning", on);
    box.setAttribute("aria-live", on ? "assertive" : "off");
    text.textContent = on
      ? box.getAttribute("data-text-warning") + " " + box.getAttribute("data-text-remaining")
      : box.getAttribute("data-text-remaining");
  }

  function restart() { deadline = Date.now() + limit * 1000; lastContact = Date.now(); show(false); tick(); }

  function ping() {
    return fetch(box.getAttribute("data-keepalive-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (r.ok && !r.redirected) { restart(); } else { window.location.reload(); } })
      .catch(function () { /* offline: the countdown goes on */ });
  }

  function forgetPages() {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker || typeof MessageChannel === "undefined") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { resolve(); };
      worker.postMessage({ type: "user", user: "", fresh: true }, [channel.port2]);
      window.setTimeout(resolve, 2000);  // an old worker does not answer: go on
    });
  }

  var locked = false;
  function lock() {
    if (locked) { return; }
    locked = true;
    var login = box.getAttribute("data-login-url") + "?expired=1&next=" + encodeURIComponent(here());
    while (document.body.firstChild) { document.body.removeChild(document.body.firstChild); }
    forgetPages().then(function () { window.location.assign(login); });
  }

  function tick() {
    if (emergencyOpen()) {
      deadline = Date.now() + limit * 1000;
      show(false);
      return;
    }
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    show(left <= WARN);
    if (left === 0) { lock(); }
  }

  function contact() {
    if (Date.now() - lastContact > WARN * 1000) { lastContact = Date.now(); ping(); }
  }

  stay.addEventListener("click", ping);
  document.addEventListener("pointerdown", contact, { passive: true });
  document.addEventListener("keydown", contact);
  show(false);
  tick();
  window.setInterval(tick, 1000);
}());
