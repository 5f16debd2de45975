// 「ファイルに書き出す」 (issue 16, export): the records of the list as it is shown — the view's filter,
// the conditions and search, the sort, the view's columns (or every field) — as Excel (XLSX) or CSV
// (UTF-8 with a BOM, or Shift_JIS), through GET /api/records/export. The server writes the whole
// file before sending any of it, so a refusal (a character Shift_JIS cannot hold, with the record
// and field named) comes back as a JSON error that the dialog shows; the file itself is then saved
// under the name the server gives.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, T = window.KUMIKI_LIST_TOOLS, el = K.el;
  if (!T) return;
  var listInit = T.init;
  var list = null;
  // Wrap the list tools' init: the dialog exports the list's own filter, sort and columns.
  T.init = function (opts) { list = opts; listInit(opts); };
  var dialog = null;

  function close() {
    if (!dialog) return;
    if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
  }

  /** The export URL, through the page's guest space when it has one. */
  function exportUrl(params) {
    var space = K.page && K.page.guestSpace;
    var base = space ? "/api/guest/" + encodeURIComponent(space) + "/records/export" : "/api/records/export";
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (Array.isArray(v)) v.forEach(function (x, i) { q.append(k + "[" + i + "]", x); });
      else if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    });
    return base + "?" + q.toString();
  }

  /** The file name of a download (RFC 6266 `filename*` first). */
  function fileName(resp, fallback) {
    var cd = resp.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
    if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ } }
    var plain = /filename="?([^";]+)"?/i.exec(cd);
    return plain ? plain[1] : fallback;
  }

  /** The server's messages of a refused export, one per line. */
  function messages(body, status) {
    var parts = [];
    Object.keys((body && body.errors) || {}).forEach(function (k) {
      ((body.errors[k] && body.errors[k].messages) || []).forEach(function (m) { parts.push(m); });
    });
    if (parts.length) return parts;
    if (body && (body.code === "CB_NO02" || body.code === "GAIA_NO01")) return [K.t("export.page.forbidden")];
    return [(body && body.message) || K.t("records.err.network") + " (" + status + ")"];
  }

  function radio(name, value, label, checked, testid) {
    var id = name + "-" + value;
    return el("label", { class: "export-choice", for: id }, [
      el("input", { type: "radio", name: name, id: id, value: value, checked: checked ? true : null, "data-testid": testid }),
      " " + label]);
  }

  function chosen(form, name) {
    var c = form.querySelector("input[name=" + name + "]:checked");
    return c ? c.value : "";
  }

  function open() {
    if (!list) return;
    if (!dialog) {
      dialog = el("dialog", { class: "card dialog export-dialog", "data-testid": "export-dialog", "aria-labelledby": "export-title" });
      document.body.appendChild(dialog);
    }
    dialog.textContent = "";
    var query = list.filter(), sort = list.sort();
    var cols = list.columns ? list.columns() : [];
    var msg = el("div", { "aria-live": "polite", hidden: true });
    var list_ = function (items) { return el("ul", { class: "export-errors", "data-testid": "export-error" }, items.map(function (m) { return el("li", { text: m }); })); };
    var form = el("form", { class: "export-form", "data-testid": "export-form" }, [
      el("h2", { id: "export-title", text: K.t("export.page.title") }),
      el("dl", { class: "export-summary" }, [
        el("dt", { text: K.t("export.page.view") }), el("dd", { "data-testid": "export-view", text: list.viewName ? list.viewName() : K.t("records.all_records") }),
        el("dt", { text: K.t("export.page.filter") }), el("dd", {}, [el("code", { "data-testid": "export-query", text: query || K.t("export.page.no_filter") })]),
        el("dt", { text: K.t("export.page.sort") }), el("dd", {}, [el("code", { text: sort || K.t("export.page.no_sort") })])
      ]),
      el("fieldset", { class: "export-fieldset" }, [
        el("legend", { text: K.t("export.page.format") }),
        radio("export-format", "xlsx", K.t("export.page.xlsx"), true, "export-format-xlsx"),
        radio("export-format", "csv-utf8", K.t("export.page.csv_utf8"), false, "export-format-csv-utf8"),
        radio("export-format", "csv-sjis", K.t("export.page.csv_sjis"), false, "export-format-csv-sjis"),
        el("p", { class: "help", text: K.t("export.page.sjis_help") })
      ]),
      el("fieldset", { class: "export-fieldset" }, [
        el("legend", { text: K.t("export.page.columns") }),
        radio("export-columns", "view", K.t("export.page.columns_view", { n: cols.length }), true, "export-columns-view"),
        radio("export-columns", "all", K.t("export.page.columns_all"), false, "export-columns-all"),
        el("p", { class: "help", "data-testid": "export-column-names", text: cols.map(function (p) { return p.label || p.code; }).join("、") })
      ]),
      msg,
      el("div", { class: "dialog-actions" }, [
        el("button", { type: "button", class: "button", "data-testid": "export-cancel", text: K.t("records.cancel"), onclick: close }),
        el("button", { type: "submit", class: "button primary", "data-testid": "export-run", text: K.t("export.page.run") })
      ])
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var run = form.querySelector("[data-testid=export-run]");
      var format = chosen(form, "export-format");
      var params = {
        app: R.appId,
        format: format === "xlsx" ? "xlsx" : "csv",
        encoding: format === "csv-sjis" ? "sjis" : format === "csv-utf8" ? "utf8" : "",
        query: query + (sort ? (query ? " " : "") + "order by " + sort : "")
      };
      if (chosen(form, "export-columns") === "view") params.fields = cols.map(function (p) { return p.code; });
      run.disabled = true;
      R.alert(msg, "info", K.t("export.page.running"), "export-running");
      fetch(exportUrl(params), { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } }).then(function (resp) {
        if (!resp.ok) {
          return resp.text().then(function (text) {
            var body = null;
            try { body = JSON.parse(text); } catch (err) { body = null; }
            msg.textContent = "";
            msg.hidden = false;
            msg.appendChild(el("div", { class: "alert error", role: "alert" }, [
              el("p", { text: K.t("export.page.failed") }), list_(messages(body, resp.status))]));
          });
        }
        var count = resp.headers.get("X-Kumiki-Records") || "0";
        var name = fileName(resp, "records." + params.format);
        return resp.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = el("a", { href: url, download: name, hidden: true, "data-testid": "export-file" });
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 60000);
          R.alert(msg, "ok", K.t("export.page.done", { n: count, name: name }), "export-done");
          form.querySelector("[data-testid=export-cancel]").textContent = K.t("export.page.close");
        });
      }).catch(function () {
        R.alert(msg, "error", K.t("records.err.network"), "export-error");
      }).then(function () { run.disabled = false; });
    });
    dialog.appendChild(form);
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    var first = form.querySelector("input[name=export-format]:checked");
    if (first) first.focus();
  }

  ["export-open", "menu-export"].forEach(function (id) {
    var b = document.getElementById(id);
    if (b) b.addEventListener("click", function () {
      var menu = b.closest("details");
      if (menu) menu.open = false;
      open();
    });
  });
})();
