// The versions page: every deployed version, the diff between any two (or with the pre-live
// settings), and rollback to an earlier version (through review when the app requires it).
(function () {
  "use strict";
  var K = window.KUMIKI, R = window.KUMIKI_REVIEW, el = K.el, t = K.t, page = K.page || {};
  var APP = page.app;
  var $ = function (id) { return document.getElementById(id); };
  var msg = $("vs-message");

  function fillSelects(versions) {
    var opts = [{ v: "preview", l: t("versions.preview") }, { v: "live", l: t("versions.live") }].concat(versions.map(function (v) {
      return { v: v.version, l: t("versions.version", { n: v.version }) };
    }));
    ["vs-from", "vs-to"].forEach(function (id) {
      var sel = $(id), keep = sel.value;
      sel.textContent = "";
      opts.forEach(function (o) { sel.appendChild(el("option", { value: o.v, text: o.l })); });
      if (keep) sel.value = keep;
    });
    if (!$("vs-from").dataset.set) {
      $("vs-from").value = versions[1] ? versions[1].version : "live";
      $("vs-to").value = versions[0] ? versions[0].version : "preview";
      $("vs-from").dataset.set = "1";
    }
  }

  function compare(from, to) {
    if (from !== undefined) { $("vs-from").value = from; $("vs-to").value = to; }
    var box = $("vs-diff");
    K.api("GET", "/api/app/diff.json?app=" + encodeURIComponent(APP) + "&from=" + encodeURIComponent($("vs-from").value) +
      "&to=" + encodeURIComponent($("vs-to").value)).then(function (b) { R.renderDiff(box, b); }, function (e) {
      box.textContent = "";
      box.appendChild(el("p", { class: "alert error", text: R.errorText(e) }));
    });
  }

  function rollback(v) {
    if (!window.confirm(t("versions.rollback.confirm", { n: v.version }))) return;
    K.api("POST", "/api/app/rollback.json", { app: APP, version: v.version }).then(function (b) {
      if (b.deployed) R.message(msg, "ok", t("versions.rollback.done", { n: v.version }));
      else R.message(msg, "info", t("versions.rollback.submitted", { n: v.version }),
        el("a", { href: "/apps/" + APP + "/review", text: t("versions.review") }));
      load();
    }, function (e) { R.message(msg, "error", R.errorText(e)); });
  }

  function load() {
    K.api("GET", "/api/app/versions.json?app=" + encodeURIComponent(APP)).then(function (b) {
      var list = b.versions || [], box = $("vs-list");
      box.textContent = "";
      fillSelects(list);
      if (!list.length) { box.appendChild(el("p", { class: "muted", text: t("versions.none") })); return; }
      var tbody = el("tbody", {}, list.map(function (v, i) {
        var prev = list[i + 1];
        return el("tr", { "data-testid": "version-" + v.version }, [
          el("td", {}, [el("strong", { text: t("versions.version", { n: v.version }) }), v.live ? el("span", { class: "rv-badge rv-approved", text: " " + t("versions.live") }) : null]),
          el("td", { text: (v.deployedBy && (v.deployedBy.name || v.deployedBy.code)) || "" }),
          el("td", { text: R.fmt(v.deployedAt) }),
          el("td", { class: "rv-buttons" }, [
            prev ? el("button", { type: "button", class: "button small", "data-testid": "compare-" + v.version,
              text: t("versions.compare_prev"), onclick: function () { compare(prev.version, v.version); } }) : null,
            v.live || !(page.mayManage || page.isReviewer) ? null : el("button", { type: "button", class: "button small danger",
              "data-testid": "rollback-" + v.version, text: t("versions.rollback.button"), onclick: function () { rollback(v); } })
          ])
        ]);
      }));
      box.appendChild(el("div", { class: "rv-table-wrap" }, [el("table", { class: "data" }, [
        el("thead", {}, [el("tr", {}, ["version", "by", "at", "actions"].map(function (k) {
          return el("th", { scope: "col", text: t("versions.col_" + k) });
        }))]), tbody])]));
    }, function (e) { R.message(msg, "error", R.errorText(e)); });
  }

  $("vs-compare").addEventListener("click", function () { compare(); });
  load();
})();
