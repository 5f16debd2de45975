// The IP allowlist page (/admin/allowlist): saves the switch and the entries (one per line) through
// PUT /api/security/allowlist.json, and shows the server's answer (it refuses a list that would
// shut out the administrator saving it).
(function () {
  "use strict";
  var K = window.KUMIKI, t = K.t;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("al-form"), msg = $("al-message");

  function show(kind, text) {
    msg.hidden = false;
    msg.className = "alert " + (kind === "ok" ? "info" : "error");
    msg.textContent = text;
  }

  function errorText(e) {
    var list = (e.errors && e.errors.entries && e.errors.entries.messages) || [];
    return list.length ? list.join(" ") : e.message;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var entries = $("al-entries").value.split(/\r?\n/).map(function (l) { return l.trim(); }).filter(Boolean);
    $("al-save").disabled = true;
    K.api("PUT", "/api/security/allowlist.json", { enabled: $("al-enabled").checked, entries: entries }).then(function (b) {
      $("al-entries").value = (b.entries || []).join("\n");
      show("ok", b.enabled ? t("allowlist.saved_on", { n: String(b.entries.length) }) : t("allowlist.saved_off"));
    }, function (e) { show("error", errorText(e)); }).then(function () { $("al-save").disabled = false; });
  });
})();
