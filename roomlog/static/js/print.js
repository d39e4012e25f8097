/* A "Print" button for print pages (no inline script: the content security policy forbids it). */
(function () {
  "use strict";
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
