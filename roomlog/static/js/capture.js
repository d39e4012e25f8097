/* roomlog capture screens — progressive enhancement only; every page works without it.
 * 1. Forms marked data-once ignore a second submit while the first is on its way
 *    (the server's idempotency key makes a repeat harmless anyway).
 * 2. Elements with data-since show the elapsed time and tick every few seconds.
 * 3. Live parts ([data-live-url]: the board, an emergency's timeline) are re-fetched every
 *    data-live-seconds (default 20) while the page is visible.
 */
(function () {
  "use strict";

  function once(root) {
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      if (form.dataset.onceBound) { return; }
      form.dataset.onceBound = "1";
      form.addEventListener("submit", function (event) {
        if (form.dataset.sending) { event.preventDefault(); return; }
        form.dataset.sending = "1";
        window.setTimeout(function () { delete form.dataset.sending; }, 10000);
      });
    });
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      if (isNaN(since)) { return; }
      var seconds = Math.max(0, Math.floor((now - since) / 1000));
      var minutes = Math.floor(seconds / 60);
      el.textContent = el.hasAttribute("data-seconds")
        ? minutes + ":" + pad(seconds % 60)
        : minutes + " min";
    });
  }

  function live(box) {
    var seconds = parseInt(box.dataset.liveSeconds || "20", 10);
    window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(box.dataset.liveUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          box.innerHTML = html;
          once(box);
          tick();
        })
        .catch(function () { /* offline: keep what is shown */ });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    once(document);
    tick();
    window.setInterval(tick, 5000);
    document.querySelectorAll("[data-live-url]").forEach(live);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { delete form.dataset.sending; });
  });
}());
