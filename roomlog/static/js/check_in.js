/* Check-in: move to the next field once a field is full (fewer taps); the form works without it. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-next]").forEach(function (input) {
    input.addEventListener("input", function () {
      var max = parseInt(input.getAttribute("maxlength"), 10);
      var next = document.getElementById(input.dataset.next);
      if (max && next && input.value.length >= max) { next.focus(); }
    });
  });
}());
