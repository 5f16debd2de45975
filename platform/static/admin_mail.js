// The mail page for administrators (/admin/mail): sends a test mail through
// POST /api/admin/mail/test.json and shows whether the SMTP server took it.
(function () {
  "use strict";
  var K = window.KUMIKI, t = K.t;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("mt-form"), msg = $("mt-message");
  if (!form) return;

  function show(kind, text) {
    msg.hidden = false;
    msg.className = "alert " + (kind === "ok" ? "info" : "error");
    msg.textContent = text;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("mt-send").disabled = true;
    K.api("POST", "/api/admin/mail/test.json", { to: $("mt-to").value }).then(function (b) {
      if (b.sent) show("ok", t("mail.admin.test_sent"));
      else show("error", t("mail.admin.test_failed") + " " + b.error);
    }, function (e) { show("error", e.message); }).then(function () { $("mt-send").disabled = false; });
  });
})();
