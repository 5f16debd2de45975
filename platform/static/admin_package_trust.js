// The trust list page (/admin/package-trust): names this body (PUT /api/packages/key.json), adds a
// pasted public key or the signer of a signed package file (POST /api/packages/trust.json) and
// removes a key (DELETE). The server checks everything; errors are shown as it words them, and the
// page reloads after a change so the list is the server's.
(function () {
  "use strict";
  var K = window.KUMIKI, t = K.t;
  var $ = function (id) { return document.getElementById(id); };
  var msg = $("pt-message");

  function show(kind, text) {
    msg.hidden = false;
    msg.className = "alert " + (kind === "ok" ? "info" : "error");
    msg.textContent = text;
  }

  function errorText(e) {
    var parts = [];
    Object.keys(e.errors || {}).forEach(function (k) {
      ((e.errors[k] && e.errors[k].messages) || []).forEach(function (m) { parts.push(m); });
    });
    return parts.length ? parts.join(" ") : e.message;
  }

  function reloadWith(key) {
    try { sessionStorage.setItem("kumiki-trust-message", t(key)); } catch (e) { /* no storage: no message */ }
    window.location.reload();
  }

  try {
    var kept = sessionStorage.getItem("kumiki-trust-message");
    if (kept) { sessionStorage.removeItem("kumiki-trust-message"); show("ok", kept); }
  } catch (e) { /* no storage */ }

  $("pt-name-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    K.api("PUT", "/api/packages/key.json", { name: $("pt-own-name").value })
      .then(function () { reloadWith("packages.trust.saved"); }, function (e) { show("error", errorText(e)); });
  });

  $("pt-add-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    K.api("POST", "/api/packages/trust.json", { name: $("pt-name").value, publicKey: $("pt-key").value })
      .then(function () { reloadWith("packages.trust.added"); }, function (e) { show("error", errorText(e)); });
  });

  $("pt-package-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = $("pt-file").files[0];
    if (!file) { show("error", t("packages.trust.bad_file")); return; }
    file.text().then(function (text) {
      var pkg;
      try { pkg = JSON.parse(text); } catch (e) { show("error", t("packages.trust.bad_file")); return; }
      return K.api("POST", "/api/packages/trust.json", { package: pkg })
        .then(function () { reloadWith("packages.trust.added"); }, function (e) { show("error", errorText(e)); });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll(".pt-remove"), function (b) {
    b.addEventListener("click", function () {
      if (!window.confirm(t("packages.trust.remove_confirm"))) return;
      K.api("DELETE", "/api/packages/trust.json", { fingerprint: b.getAttribute("data-fingerprint") })
        .then(function () { reloadWith("packages.trust.removed"); }, function (e) { show("error", errorText(e)); });
    });
  });
})();
