// App packages in the pages (issue 17 part 4, docs/packages.md):
// - the portal's 「ファイルから作成」: as soon as a file is chosen, POST /api/packages/verify.json
//   tells its signature status (署名済み（信頼済み: …）, 署名済み（未登録の鍵: …・…）, 署名なし,
//   改ざんまたは署名不正); a tampered package cannot be submitted (the server refuses it anyway);
// - the app settings' 「パッケージを書き出す」: GET /api/app/package.json, saved as a file.
(function () {
  "use strict";
  var K = window.KUMIKI, t = K.t;
  var $ = function (id) { return document.getElementById(id); };

  function statusText(s) {
    switch (s.status) {
      case "trusted": return { kind: "ok", text: t("packages.status.trusted", { name: s.name }) };
      case "unknown": return { kind: "info", text: t("packages.status.unknown", { name: s.signer, fingerprint: s.fingerprint }) + " " + t("packages.status.unknown_help") };
      case "invalid": return { kind: "error", text: t("packages.status.invalid") + " " + t("packages.status.invalid_help") };
      default: return { kind: "info", text: t("packages.status.unsigned") };
    }
  }

  var file = $("pkg-file"), box = $("pkg-status"), submit = $("pkg-import");
  if (file && box) {
    file.addEventListener("change", function () {
      var f = file.files[0];
      box.hidden = true;
      if (submit) submit.disabled = false;
      if (!f) return;
      box.hidden = false;
      box.className = "alert info";
      box.textContent = t("packages.status.checking");
      f.text().then(function (text) {
        var pkg;
        try { pkg = JSON.parse(text); } catch (e) { box.hidden = true; return null; }
        return K.api("POST", "/api/packages/verify.json", { package: pkg }).then(function (s) {
          var shown = statusText(s);
          box.className = "alert " + shown.kind;
          box.setAttribute("data-status", s.status);
          box.textContent = shown.text;
          if (submit) submit.disabled = s.status === "invalid";
        });
      }).catch(function () { box.hidden = true; });
    });
  }

  var button = $("pkg-export");
  if (button) {
    button.addEventListener("click", function () {
      var app = button.getAttribute("data-app");
      var sign = $("pkg-sign").checked, records = $("pkg-with-records").checked;
      var err = $("pkg-export-error");
      err.hidden = true;
      button.disabled = true;
      K.api("GET", "/api/app/package.json?app=" + encodeURIComponent(app) + "&sign=" + sign + "&withRecords=" + records)
        .then(function (pkg) {
          var blob = new Blob([JSON.stringify(pkg, null, 2)], { type: "application/json" });
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = "app-" + app + (sign ? "-signed" : "") + ".json";
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        }, function (e) {
          var parts = [];
          Object.keys(e.errors || {}).forEach(function (k) {
            ((e.errors[k] && e.errors[k].messages) || []).forEach(function (m) { parts.push(m); });
          });
          err.textContent = parts.length ? parts.join(" ") : e.message;
          err.hidden = false;
        })
        .then(function () { button.disabled = false; });
    });
  }
})();
