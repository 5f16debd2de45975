// The notification mail page (/account/notifications): saves the choice (none, each, daily digest),
// the digest hour and the address through PUT /api/account/notifications.json and shows the answer.
(function () {
  "use strict";
  var K = window.KUMIKI, t = K.t;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("mn-form"), msg = $("mn-message");

  function show(kind, text) {
    msg.hidden = false;
    msg.className = "alert " + (kind === "ok" ? "info" : "error");
    msg.textContent = text;
  }

  function errorText(e) {
    var errs = e.errors || {}, out = [];
    Object.keys(errs).forEach(function (k) { out = out.concat(errs[k].messages || []); });
    return out.length ? out.join(" ") : e.message;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var mode = (form.querySelector("input[name=mode]:checked") || {}).value || "none";
    $("mn-save").disabled = true;
    K.api("PUT", "/api/account/notifications.json", {
      mode: mode,
      digestHour: Number($("mn-hour").value),
      email: $("mn-email").value
    }).then(function (b) {
      $("mn-email").value = b.email;
      show("ok", t("mail.saved"));
    }, function (e) { show("error", errorText(e)); }).then(function () { $("mn-save").disabled = false; });
  });
})();
