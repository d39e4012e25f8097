/* Idle countdown: shows when the session will end for inactivity; "stay logged in" pings
   the server; at zero it opens the login page with a link back to this very screen. */
(function () {
  "use strict";
  var box = document.getElementById("idle-timer");
  if (!box) { return; }
  var limit = parseInt(box.getAttribute("data-idle-seconds"), 10);
  if (!limit) { return; }
  var clock = box.querySelector(".idle-clock");
  var stay = box.querySelector(".idle-stay");
  var deadline = Date.now() + limit * 1000;
  var warned = false;

  function here() { return window.location.pathname + window.location.search; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function restart() { deadline = Date.now() + limit * 1000; warned = false; box.classList.remove("idle-warning"); tick(); }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left <= 60 && !warned) {
      warned = true;
      box.classList.add("idle-warning");
      box.setAttribute("aria-live", "assertive");
      box.querySelector(".idle-text").textContent = box.getAttribute("data-text-warning") + " " + box.getAttribute("data-text-remaining");
    }
    if (left === 0) {
      window.location.assign(box.getAttribute("data-login-url") + "?expired=1&next=" + encodeURIComponent(here()));
    }
  }

  stay.addEventListener("click", function () {
    fetch(box.getAttribute("data-keepalive-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (r.ok && !r.redirected) { restart(); } else { window.location.reload(); } });
  });
  box.hidden = false;
  tick();
  window.setInterval(tick, 1000);
}());
