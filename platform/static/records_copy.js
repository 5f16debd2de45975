// The create form prefilled from another record (再利用, `/apps/{id}/records/new?copy={rid}`): the
// form of records_form.js, filled with the source record's values. Like kintone's 再利用, the record
// number, creator, modifier, times, status and assignees are not copied (the new record gets its
// own); attachments are not copied either (a file belongs to one record: the user attaches again);
// calculated fields are computed again on save; subtable rows are copied as new rows.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, F = window.KUMIKI_FORM, el = K.el;
  var page = R.page;
  var root = document.getElementById("record-form-root");
  if (!root || page.mode !== "copy" || !F) return;
  var status = document.getElementById("records-status");

  /** A subtable value without row ids and files: new rows of the new record. */
  function copyRows(rows, inner) {
    return (rows || []).map(function (row) {
      var value = {};
      Object.keys(row.value || {}).forEach(function (c) {
        var t = inner[c] && inner[c].type;
        if (t === "FILE" || t === "CALC") return;
        value[c] = { value: row.value[c].value };
      });
      return { value: value };
    });
  }

  Promise.all([R.fields(), R.layout(), R.get("record.json?app=" + encodeURIComponent(R.appId) + "&id=" + encodeURIComponent(page.copyFrom))]).then(function (res) {
    var props = res[0], source = res[2].record;
    root.textContent = "";
    root.appendChild(el("h2", { class: "form-title", text: K.t("record_tools.copy.title") }));
    root.appendChild(el("p", { class: "alert info", "data-testid": "copy-note", text: K.t("record_tools.copy.note", { id: page.copyFrom }) }));
    var box = el("div");
    root.appendChild(box);
    var form = F.mount(box, props, res[1], null, {});
    Object.keys(form.controls).forEach(function (code) {
      var c = form.controls[code], p = c.prop;
      if (R.SYSTEM[p.type] || p.type === "FILE" || p.type === "CALC" || c.readOnly) return;
      if (!source[code]) return;
      var v = source[code].value;
      if (v !== null && v !== undefined) c.set(v);
    });
    Object.keys(form.tables).forEach(function (code) {
      if (!source[code]) return;
      form.tables[code].set(copyRows(source[code].value, (props[code] && props[code].fields) || {}));
    });
    // Calculated fields and lookups show their values for the copied input at once.
    form.edited();
  }).catch(function (e) {
    root.textContent = "";
    R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "form-load-error");
  });
})();
