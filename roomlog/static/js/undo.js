/* Undo bar: after data-undo-seconds the button goes away, but its row keeps its height,
   so nothing on the screen moves under a finger. Without JavaScript it simply stays. */
(function () {
  "use strict";
  document.querySelectorAll(".undo-bar[data-undo-seconds]").forEach(function (bar) {
    var seconds = parseInt(bar.dataset.undoSeconds, 10) || 10;
    window.setTimeout(function () {
      bar.classList.add("undo-expired");
      bar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, seconds * 1000);
  });
}());
