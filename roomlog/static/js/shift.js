/* Before logout from a room screen: if something is still open in the room (visits,
   emergencies without outcome, long consumptions), show the end-of-shift list first.
   Without JavaScript, or when the check fails, logout simply happens. */
(function () {
  "use strict";
  var me = document.currentScript;
  var url = me && me.getAttribute("data-end-of-shift-url");
  if (!url) { return; }
  document.querySelectorAll("button[data-action=logout]").forEach(function (button) {
    var form = button.form;
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (form.dataset.checked) { return; }
      event.preventDefault();
      function leave() { form.dataset.checked = "1"; form.submit(); }
      fetch(url + "?format=json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok && !r.redirected ? r.json() : null; })
        .then(function (counts) {
          if (counts && counts.total > 0) { window.location.assign(url + "?logout=1"); } else { leave(); }
        })
        .catch(leave);
    });
  });
}());
