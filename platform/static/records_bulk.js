// Bulk update and bulk delete of the filtered records (kintone's 一括更新 / 一括削除), from the list:
// every record matching the list's current filter (view filter, conditions, search) — not only the
// shown page. The dialog first asks the server how many records match and which of them the user
// may not change (/api/records/bulk_check.json), shows that count for confirmation, and then runs
// the all-or-nothing call with the confirmed count (/api/records/bulk_update.json, bulk_delete.json):
// if the count changed meanwhile, the server refuses and nothing is written.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, T = window.KUMIKI_LIST_TOOLS, el = K.el;
  if (!T) return;
  // Its own message box: the list clears records-status whenever it draws.
  var status = el("div", { id: "bulk-status", "aria-live": "polite", hidden: true });
  var listStatus = document.getElementById("records-status");
  if (listStatus) listStatus.parentNode.insertBefore(status, listStatus.nextSibling);
  var listInit = T.init;
  var list = null;
  // Wrap the list tools' init: the bulk dialog needs the same fields and filter.
  T.init = function (opts) { list = opts; listInit(opts); };

  var dialog = null;

  function close() {
    if (!dialog) return;
    if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
  }

  function valueText(p, v) {
    if (v === "" || v === null || v === undefined || (Array.isArray(v) && !v.length)) return K.t("record_tools.bulk.empty_value");
    return R.text(p, v);
  }

  function open() {
    if (!list) return;
    if (!dialog) {
      dialog = el("dialog", { class: "card dialog bulk-dialog", "data-testid": "bulk-dialog", "aria-labelledby": "bulk-title" });
      document.body.appendChild(dialog);
    }
    dialog.textContent = "";
    var query = list.filter();
    var fields = R.dataFields(list.props, false).filter(function (p) { return T.simple(p, list.props); });
    var fieldSelect = el("select", { id: "bulk-field", "data-testid": "bulk-field" }, [el("option", { value: "", text: K.t("record_tools.bulk.choose_field") })]
      .concat(fields.map(function (p) { return el("option", { value: p.code, text: p.label || p.code }); })));
    var valueBox = el("div", { class: "bulk-value" });
    var input = null;
    fieldSelect.addEventListener("change", function () {
      valueBox.textContent = "";
      input = null;
      var p = list.props[fieldSelect.value];
      if (!p) return;
      input = T.input(p, p.type === "CHECK_BOX" || p.type === "MULTI_SELECT" ? [] : "", K.t("record_tools.bulk.value"), "bulk-value");
      valueBox.appendChild(el("span", { class: "label", text: K.t("record_tools.bulk.value") }));
      valueBox.appendChild(input.node);
    });
    var msg = el("div", { hidden: true });
    var confirmBox = el("div", { class: "bulk-confirm", hidden: true, "data-testid": "bulk-confirm" });
    var start = el("div", { class: "bulk-start" }, [
      el("section", { class: "bulk-section", "aria-labelledby": "bulk-update-title" }, [
        el("h3", { id: "bulk-update-title", text: K.t("record_tools.bulk.update") }),
        fields.length ? el("div", { class: "field" }, [el("label", { for: "bulk-field", class: "label", text: K.t("record_tools.bulk.field") }), fieldSelect]) :
          el("p", { class: "muted", text: K.t("record_tools.bulk.no_fields") }),
        valueBox,
        fields.length ? el("button", { type: "button", class: "button", "data-testid": "bulk-update-check", text: K.t("record_tools.bulk.check"), onclick: function () {
          var p = list.props[fieldSelect.value];
          if (!p || !input) { R.alert(msg, "error", K.t("record_tools.bulk.choose_field"), "bulk-error"); fieldSelect.focus(); return; }
          var record = {};
          record[p.code] = { value: input.get() };
          check("update", record, p);
        } }) : null
      ]),
      el("section", { class: "bulk-section", "aria-labelledby": "bulk-delete-title" }, [
        el("h3", { id: "bulk-delete-title", text: K.t("record_tools.bulk.delete") }),
        el("button", { type: "button", class: "button danger", "data-testid": "bulk-delete-check", text: K.t("record_tools.bulk.delete") + "…", onclick: function () { check("delete", null, null); } })
      ])
    ]);
    dialog.appendChild(el("h2", { id: "bulk-title", text: K.t("record_tools.bulk.title") }));
    dialog.appendChild(el("p", { class: "help", text: K.t("record_tools.bulk.scope") }));
    dialog.appendChild(el("code", { class: "query-text", "data-testid": "bulk-query", text: query || K.t("records.query_none") }));
    dialog.appendChild(start);
    dialog.appendChild(msg);
    dialog.appendChild(confirmBox);
    dialog.appendChild(el("div", { class: "dialog-actions" }, [el("button", { type: "button", class: "button", "data-testid": "bulk-close", text: K.t("record_tools.bulk.close"), onclick: close })]));
    if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
    (fields.length ? fieldSelect : dialog.querySelector("[data-testid=bulk-delete-check]")).focus();

    function check(kind, record, prop) {
      R.alert(msg, "info", K.t("record_tools.bulk.checking"));
      confirmBox.hidden = true; confirmBox.textContent = "";
      K.api("GET", "/api/records/bulk_check.json", { app: R.appId, query: query, kind: kind, record: record || undefined }).then(function (b) {
        R.alert(msg, "", "");
        var ids = (b.refusedRecords || []).slice(0, 20).join(", ") + ((b.refusedRecords || []).length > 20 ? ", …" : "");
        if (b.overCap) { R.alert(msg, "error", K.t("record_tools.bulk.over_cap", { cap: b.cap }), "bulk-refused"); return; }
        if (!b.count) { R.alert(msg, "info", K.t("record_tools.bulk.none"), "bulk-none"); return; }
        if ((b.refusedRecords || []).length) {
          R.alert(msg, "error", K.t(kind === "update" ? "record_tools.bulk.refused_update" : "record_tools.bulk.refused_delete", { n: b.refusedRecords.length, ids: ids }), "bulk-refused");
          return;
        }
        if ((b.refusedFields || []).length) {
          R.alert(msg, "error", K.t("record_tools.bulk.refused_fields", { fields: b.refusedFields.map(function (c) { return (list.props[c] && list.props[c].label) || c; }).join("、") }), "bulk-refused");
          return;
        }
        showConfirm(kind, record, prop, b.count);
      }).catch(function (e) { R.alert(msg, "error", K.t("record_tools.bulk.failed") + " " + details(e), "bulk-error"); });
    }

    function showConfirm(kind, record, prop, count) {
      start.hidden = true;
      confirmBox.hidden = false;
      confirmBox.textContent = "";
      var text = kind === "update"
        ? K.t("record_tools.bulk.confirm_update", { n: count, field: prop.label || prop.code, value: valueText(prop, record[prop.code].value) })
        : K.t("record_tools.bulk.confirm_delete", { n: count });
      var run = el("button", { type: "button", class: "button " + (kind === "delete" ? "danger" : "primary"), "data-testid": "bulk-run",
        text: K.t(kind === "update" ? "record_tools.bulk.run_update" : "record_tools.bulk.run_delete", { n: count }) });
      var back = el("button", { type: "button", class: "button", "data-testid": "bulk-cancel", text: K.t("record_tools.bulk.cancel"), onclick: function () {
        confirmBox.hidden = true; start.hidden = false; R.alert(msg, "", "");
      } });
      confirmBox.appendChild(el("h3", { text: K.t(kind === "update" ? "record_tools.bulk.confirm_update_title" : "record_tools.bulk.confirm_delete_title") }));
      confirmBox.appendChild(el("p", { class: "alert " + (kind === "delete" ? "error" : "info"), "data-testid": "bulk-confirm-text", text: text }));
      confirmBox.appendChild(el("div", { class: "dialog-actions" }, [back, run]));
      run.focus();
      run.addEventListener("click", function () {
        run.disabled = true; back.disabled = true;
        R.alert(msg, "info", K.t("record_tools.bulk.running"));
        var body = { app: R.appId, query: query, expectedCount: count };
        if (kind === "update") body.record = record;
        K.api("POST", "/api/records/" + (kind === "update" ? "bulk_update" : "bulk_delete") + ".json", body).then(function (b) {
          close();
          R.alert(status, "ok", K.t(kind === "update" ? "record_tools.bulk.updated" : "record_tools.bulk.deleted", { n: b.count }), "bulk-done");
          list.refresh();
        }).catch(function (e) {
          run.disabled = false; back.disabled = false;
          var changed = e && e.errors && e.errors.expectedCount;
          R.alert(msg, "error", changed ? K.t("record_tools.bulk.changed") : K.t("record_tools.bulk.failed") + " " + details(e), "bulk-error");
        });
      });
    }
  }

  /** The server's messages of a failed call, in Japanese where they are known. */
  function details(e) {
    var parts = [];
    Object.keys((e && e.errors) || {}).forEach(function (k) {
      ((e.errors[k] && e.errors[k].messages) || []).forEach(function (m) { parts.push(m); });
    });
    return parts.length ? parts.join(" ") : R.errorText(e);
  }

  ["bulk-open", "menu-bulk"].forEach(function (id) {
    var b = document.getElementById(id);
    if (b) b.addEventListener("click", function () {
      var menu = b.closest("details");
      if (menu) menu.open = false;
      open();
    });
  });
})();
