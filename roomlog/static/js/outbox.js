/* roomlog offline outbox — progressive enhancement; without it every form posts as before.
 *
 * When the tablet is offline (or entries are already waiting, so nothing overtakes them) a
 * capture form is not posted: the entry is kept in IndexedDB with its own idempotency key,
 * the time it was tapped (occurred_at) and the user who made it, shown in the outbox, and
 * sent in order when the server answers again. An entry refused on replay stays, marked,
 * for correction. Entries are only shown to and sent by their own user; the server checks
 * that too (outbox_user). An emergency opened offline gets a local reference, so actions
 * tapped on it before it reaches the server are sent after it, to the emergency it became.
 */
(function () {
  "use strict";
  var box = document.getElementById("outbox");
  var meta = document.querySelector('meta[name="roomlog-user"]');
  var pageUser = meta ? meta.getAttribute("content") : "";
  var DB = "roomlog-outbox";
  var STORE = "entries";
  var SENT_KEPT_MS = 60 * 60 * 1000;
  var replaying = false;
  var retryTimer = null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (reg.active) { reg.active.postMessage({ type: "user", user: pageUser, fresh: navigator.onLine }); }
    }).catch(function () { /* no service worker: forms still work online */ });
  }
  if (!box || !window.indexedDB) { return; }

  var roomId = box.dataset.room;
  var text = box.dataset;
  var pageName = box.dataset.userName || "";
  var isLead = box.dataset.lead === "yes";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && "value" in result ? result.value : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (store) {
      var out = { value: [] };
      store.openCursor().onsuccess = function (e) {
        var cursor = e.target.result;
        if (cursor) { out.value.push(cursor.value); cursor.continue(); }
      };
      return out;
    });
  }

  function put(entry) {
    return tx("readwrite", function (store) {
      store.put(entry).onsuccess = function (e) { entry.seq = e.target.result; };  // later puts update, not add
    });
  }
  function remove(seq) { return tx("readwrite", function (store) { store.delete(seq); }); }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function mine(entries) { return entries.filter(function (e) { return e.user === pageUser; }); }

  /* ---- queueing a submission ---- */

  function labelOf(form, submitter) {
    var el = submitter || form.querySelector("button[type=submit], button:not([type])");
    return (el && el.textContent.trim()) || form.getAttribute("action");
  }

  function queue(form, submitter, extra) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (["outbox_user", "outbox_user_name", "outbox_room_name", "outbox_label"].indexOf(name) < 0) { fields.push([name, String(value)]); }
    });
    if (submitter && submitter.name) { fields.push([submitter.name, submitter.value]); }
    if (fields.some(function (f) { return f[0] === "action" && f[1] === "oxygen"; })) {
      // The button's start/stop was drawn before the tablet went offline: let the server toggle, in order.
      fields = fields.filter(function (f) { return f[0] !== "oxygen_phase"; });
    }
    var at = new Date().toISOString();
    fields = fields.filter(function (f) { return f[0] !== "tapped_at" && f[0] !== "outbox_label"; });
    fields.push(["tapped_at", at]);  // the time it was tapped, not the time it arrives
    var key = (fields.filter(function (f) { return f[0] === "idempotency_key"; })[0] || [])[1] || newKey();
    var entry = {
      key: key, user: pageUser, who: pageName, room: roomId, roomName: text.roomName || "", url: form.getAttribute("action"), fields: fields,
      label: labelOf(form, submitter), at: at, state: "waiting", error: "", result: "",
      ref: extra && extra.ref || "", dependsOn: extra && extra.dependsOn || ""
    };
    // The form is cleared and gets a fresh key: the next tap is a new entry, never a repeat of this one.
    form.reset();
    var keyInput = form.querySelector('input[name="idempotency_key"]');
    if (keyInput) { keyInput.value = newKey(); }
    return put(entry).then(function () { return entry; });
  }

  function isEmergencyOpen(form) { return /\/emergencies$/.test(form.getAttribute("action") || ""); }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once") || (form.method || "").toLowerCase() !== "post") { return; }
    if (form.dataset.sending) { return; }  // a double tap: capture.js ignores it
    if (/\/check-in$/.test(form.getAttribute("action") || "")) { checkIn(event, form); return; }
    stamp(form, event.submitter);
    var local = form.closest("[data-outbox-ref]");
    if (!local && navigator.onLine && !box.dataset.waiting) { return; }  // online, nothing waiting: post as always
    event.preventDefault();
    form.dataset.sending = "1";  // a second tap within a moment is a double tap, not a second entry
    window.setTimeout(function () { delete form.dataset.sending; }, 1500);
    var extra = isEmergencyOpen(form) ? { ref: "" } : {};
    if (local) { extra.dependsOn = local.dataset.outboxRef; }
    queue(form, event.submitter, extra).then(function (entry) {
      if (isEmergencyOpen(form)) { entry.ref = entry.key; return put(entry).then(function () { showEmergency(entry); }); }
      return null;
    }).then(render).then(replay);
  }

  /* ---- check-in by code offline: the code parts are sealed for the server before anything is kept ---- */

  var CODE_FIELDS = ["last_letters", "first_letters", "birth", "birth_day", "birth_month", "birth_year", "sex"];

  function canSeal(form) {
    return !!(form.dataset.codeKey && window.crypto && crypto.subtle && window.TextEncoder);
  }

  function seal(form, code) {
    var spki = Uint8Array.from(atob(form.dataset.codeKey), function (c) { return c.charCodeAt(0); });
    return crypto.subtle.importKey("spki", spki, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"])
      .then(function (key) {
        return crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, new TextEncoder().encode(JSON.stringify(code)));
      })
      .then(function (sealed) {
        var bytes = new Uint8Array(sealed);
        var binary = "";
        for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
        return btoa(binary);
      });
  }

  function checkIn(event, form) {
    // Online with nothing waiting: post as always (no outbox fields, so the service worker never keeps it).
    if ((navigator.onLine && !box.dataset.waiting) || !canSeal(form)) { return; }
    event.preventDefault();
    form.dataset.sending = "1";
    var submitter = event.submitter;
    var code = {};
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (CODE_FIELDS.indexOf(name) >= 0) { if (String(value)) { code[name] = String(value); } }
      else if (["outbox_user", "outbox_user_name", "outbox_room_name", "outbox_label", "tapped_at"].indexOf(name) < 0) {
        fields.push([name, String(value)]);
      }
    });
    if (submitter && submitter.name) { fields.push([submitter.name, submitter.value]); }
    var label = labelOf(form, submitter);
    var at = new Date().toISOString();
    seal(form, code).then(function (sealed) {
      code = null;  // nothing of the code in clear is kept, in memory or on the tablet
      fields.push(["tapped_at", at], ["sealed_code", sealed], ["sealed_kid", form.dataset.codeKid]);
      var key = (fields.filter(function (f) { return f[0] === "idempotency_key"; })[0] || [])[1] || newKey();
      var entry = {
        key: key, user: pageUser, who: pageName, room: roomId, roomName: text.roomName || "",
        url: form.getAttribute("action"), fields: fields, label: label, at: at, state: "waiting",
        error: "", result: "", ref: "", dependsOn: ""
      };
      form.reset();
      var keyInput = form.querySelector('input[name="idempotency_key"]');
      if (keyInput) { keyInput.value = newKey(); }
      return put(entry);
    }).then(function () { delete form.dataset.sending; }, function () { delete form.dataset.sending; })
      .then(render).then(replay);
  }

  function hidden(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  function stamp(form, submitter) {
    // Who made it and what it was: if the connection breaks on the way, the service worker keeps it.
    hidden(form, "outbox_user", pageUser);
    hidden(form, "outbox_user_name", pageName);
    hidden(form, "outbox_room_name", text.roomName || "");
    hidden(form, "outbox_label", labelOf(form, submitter));
  }

  /* ---- the offline emergency panel (actions on an emergency that is still in the outbox) ---- */

  function showEmergency(entry) {
    var tpl = document.getElementById("outbox-emergency-template");
    var slot = document.getElementById("outbox-emergency");
    if (!tpl || !slot) { return; }
    slot.innerHTML = "";
    var panel = tpl.content.firstElementChild.cloneNode(true);
    panel.dataset.outboxRef = entry.ref;
    panel.querySelectorAll("form").forEach(function (form) {
      form.setAttribute("action", form.getAttribute("action").replace("/emergencies/0/", "/emergencies/{" + entry.ref + "}/"));
      form.querySelector('input[name="idempotency_key"]').value = newKey();
    });
    panel.querySelector(".outbox-emergency-at").textContent = new Date(entry.at).toLocaleTimeString();
    slot.appendChild(panel);
    slot.hidden = false;
    panel.scrollIntoView();
  }

  /* ---- sending ---- */

  function session() {
    // Ask the server who is logged in now, and for a fresh CSRF token (the page may be hours old).
    // Nothing is sent unless the answer is this page's user.
    return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || /\/auth\/login/.test(response.url)) { return null; }
        return response.text();
      })
      .then(function (html) {
        if (!html) { return null; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var who = doc.querySelector('meta[name="roomlog-user"]');
        var token = doc.querySelector('input[name="csrf_token"]');
        return who && who.getAttribute("content") === pageUser && token ? token.value : null;
      });
  }

  function resolveUrl(entry, byRef) {
    return entry.url.replace(/\{([0-9a-f]+)\}/g, function (_m, ref) { return byRef[ref] || "0"; });
  }

  function refusal(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var el = doc.querySelector(".form-errors, .flash-error, main .card h1, main h1");
    return el ? el.textContent.trim().slice(0, 300) : "";
  }

  function send(entry, byRef, token) {
    var body = new URLSearchParams();
    entry.fields.forEach(function (f) { body.append(f[0], f[0] === "csrf_token" ? token : f[1]); });
    body.append("outbox_user", entry.user);
    return fetch(resolveUrl(entry, byRef), {
      method: "POST", body: body, credentials: "same-origin", redirect: "follow",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (response.status >= 500 || /\/auth\/login/.test(response.url)) { return { retry: true }; }
      if (response.ok && /\/check-in$/.test(entry.url) && !idFrom(response.url)) {
        // The check-in screen came back (a question to answer, e.g. under 18): not saved, show it for correction.
        return response.text().then(function (html) { return { failed: true, error: refusal(html) || text.textRefused }; });
      }
      if (response.ok) { return { sent: true, url: response.url }; }
      return response.text().then(function (html) {
        return { failed: true, error: (refusal(html) || text.textRefused) + " (" + response.status + ")" };
      });
    }, function () { return { retry: true }; });
  }

  function idFrom(url) {
    var m = /\/(?:emergencies|visits)\/(\d+)/.exec(url || "");
    return m ? m[1] : "";
  }

  function replay() {
    if (replaying || !navigator.onLine) { return Promise.resolve(); }
    replaying = true;
    var token = null;
    return all().then(function (entries) {
      var byRef = {};
      var failedRefs = {};
      entries.forEach(function (e) { if (e.ref && e.state === "sent") { byRef[e.ref] = idFrom(e.result); } });
      var queue = mine(entries).filter(function (e) { return e.state === "waiting"; });
      if (!queue.length) { return false; }
      return session().then(function (fresh) {
        token = fresh;
        return token ? next(0) : true;  // logged out, someone else, or unreachable: keep everything, try later
      }, function () { return true; });
      function next(i) {
        if (i >= queue.length) { return Promise.resolve(false); }
        var entry = queue[i];
        if (entry.dependsOn && !byRef[entry.dependsOn]) {
          if (failedRefs[entry.dependsOn]) { entry.state = "failed"; entry.error = text.textParentFailed; return put(entry).then(function () { return next(i + 1); }); }
          return next(i + 1);
        }
        return send(entry, byRef, token).then(function (outcome) {
          if (outcome.retry) { return true; }
          entry.state = outcome.sent ? "sent" : "failed";
          entry.result = outcome.url || "";
          entry.error = outcome.error || "";
          entry.sentAt = Date.now();
          if (entry.ref) {
            if (outcome.sent) { byRef[entry.ref] = idFrom(outcome.url); } else { failedRefs[entry.ref] = true; }
          }
          return put(entry).then(render).then(function () { return next(i + 1); });
        });
      }
    }).then(function (again) {
      replaying = false;
      box.dataset.replayed = String((parseInt(box.dataset.replayed || "0", 10)) + 1);  // tests wait for this
      if (again) { scheduleRetry(); }
      return render();
    }, function () { replaying = false; scheduleRetry(); });
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; replay(); }, 5000);
  }

  /* ---- showing the outbox ---- */

  function item(entry) {
    var li = document.createElement("li");
    li.className = "outbox-entry outbox-" + entry.state;
    li.dataset.state = entry.state;
    li.dataset.key = entry.key;
    var when = document.createElement("span");
    when.className = "outbox-at";
    when.textContent = new Date(entry.at).toLocaleTimeString();
    var what = document.createElement("span");
    what.className = "outbox-what";
    what.textContent = entry.label;
    var state = document.createElement("span");
    state.className = "outbox-state";
    state.textContent = text["state" + entry.state.charAt(0).toUpperCase() + entry.state.slice(1)];
    li.append(when, " ", what, " ", state);
    if (entry.state === "sent" && entry.result) {
      var link = document.createElement("a");
      link.href = entry.result;
      link.textContent = text.textOpen;
      li.append(" ", link);
    }
    if (entry.state === "failed") {
      var why = document.createElement("p");
      why.className = "outbox-error";
      why.textContent = entry.error;
      var again = document.createElement("button");
      again.type = "button";
      again.dataset.action = "outbox-retry";
      again.textContent = text.textRetry;
      again.addEventListener("click", function () { entry.state = "waiting"; entry.error = ""; put(entry).then(render).then(replay); });
      var drop = document.createElement("button");
      drop.type = "button";
      drop.dataset.action = "outbox-discard";
      drop.textContent = text.textDiscard;
      drop.addEventListener("click", function () { if (window.confirm(text.textDiscardConfirm)) { remove(entry.seq).then(render); } });
      li.append(why, again, " ", drop);
    }
    return li;
  }

  /* ---- a lead's view of other users' entries: kind, room, time and who; never their content ---- */

  function discardOther(entry, reason, note) {
    // The server records the decision in the audit log first; only then does the entry leave the tablet.
    return session().then(function (token) {
      if (!token) { throw new Error("no session"); }
      var body = new URLSearchParams();
      body.append("csrf_token", token);
      body.append("owner", entry.user);
      body.append("idempotency_key", entry.key);
      body.append("kind", entry.label || "");
      body.append("tapped_at", entry.at);
      body.append("reason", reason);
      return fetch(text.discardUrl, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } });
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return remove(entry.seq);
    }).then(render, function () { note.textContent = text.textDiscardFailed; note.hidden = false; });
  }

  function otherItem(entry) {
    var li = document.createElement("li");
    li.className = "outbox-other-entry";
    li.dataset.key = entry.key;
    li.dataset.kept = entry.keptBy ? "yes" : "no";
    var line = document.createElement("span");
    line.className = "outbox-other-what";
    line.textContent = [new Date(entry.at).toLocaleString(), entry.label, entry.roomName || entry.room, entry.who || "?"].join(" · ");
    li.append(line);
    if (entry.keptBy) {
      var kept = document.createElement("em");
      kept.className = "outbox-kept";
      kept.textContent = " (" + text.textKept + ")";
      li.append(kept);
    }
    var keep = document.createElement("button");
    keep.type = "button";
    keep.dataset.action = "outbox-keep";
    keep.textContent = text.textKeep;
    keep.addEventListener("click", function () { entry.keptBy = pageUser; put(entry).then(render); });
    var reason = document.createElement("input");
    reason.type = "text";
    reason.name = "outbox_discard_reason";
    reason.maxLength = 500;
    reason.setAttribute("aria-label", text.textReason);
    reason.placeholder = text.textReason;
    var drop = document.createElement("button");
    drop.type = "button";
    drop.dataset.action = "outbox-discard-other";
    drop.className = "danger";
    drop.textContent = text.textDiscardOther;
    var note = document.createElement("p");
    note.className = "outbox-error";
    note.hidden = true;
    drop.addEventListener("click", function () {
      if (!reason.value.trim()) { note.textContent = text.textReasonMissing; note.hidden = false; reason.focus(); return; }
      drop.disabled = true;
      discardOther(entry, reason.value.trim(), note).then(function () { drop.disabled = false; });
    });
    li.append(" ", keep, " ", reason, " ", drop, note);
    return li;
  }

  function renderLead(others) {
    var panel = box.querySelector(".outbox-lead");
    if (!panel) { return; }
    panel.hidden = !(isLead && others.length);
    if (panel.hidden) { return; }
    panel.querySelector(".outbox-lead-head").textContent = text.textOthersHead;
    var list = panel.querySelector(".outbox-lead-list");
    list.innerHTML = "";
    others.forEach(function (e) { list.appendChild(otherItem(e)); });
  }

  function render() {
    return all().then(function (entries) {
      var now = Date.now();
      var own = mine(entries).filter(function (e) { return e.state !== "sent" || now - (e.sentAt || now) < SENT_KEPT_MS; });
      var waiting = own.filter(function (e) { return e.state === "waiting"; }).length;
      var failed = own.filter(function (e) { return e.state === "failed"; }).length;
      var otherEntries = entries.filter(function (e) { return e.user !== pageUser && e.state !== "sent"; });
      var others = otherEntries.length;
      renderLead(otherEntries);
      if (waiting) { box.dataset.waiting = String(waiting); } else { delete box.dataset.waiting; }
      box.dataset.failed = String(failed);
      box.dataset.others = String(others);
      box.querySelector(".outbox-count").textContent = waiting
        ? (waiting === 1 ? text.textOne : text.textMany.replace("%(n)s", waiting))
        : text.textNone;
      var other = box.querySelector(".outbox-others");
      other.hidden = !others;
      other.textContent = others === 1 ? text.textOtherOne : text.textOthers.replace("%(n)s", others);
      var list = box.querySelector(".outbox-list");
      list.innerHTML = "";
      own.slice().reverse().forEach(function (e) { list.appendChild(item(e)); });
      box.hidden = false;
      var open = mine(entries).filter(function (e) { return e.ref && e.state === "waiting"; }).pop();
      var slot = document.getElementById("outbox-emergency");
      if (open && slot && !slot.querySelector("[data-outbox-ref]")) { showEmergency(open); }
      if (slot && !open) { slot.innerHTML = ""; slot.hidden = true; }
    });
  }

  function connection() {
    box.dataset.online = navigator.onLine ? "yes" : "no";
    box.querySelector(".outbox-connection").textContent = navigator.onLine ? text.textOnline : text.textOffline;
    render().then(replay);
  }

  document.addEventListener("submit", onSubmit, true);
  window.addEventListener("online", connection);
  window.addEventListener("offline", connection);
  connection();
}());
