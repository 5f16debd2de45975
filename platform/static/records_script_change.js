// Live field change on the record form: when the app has enabled `field.change` scripts (the page says
// so in `fieldChange`), a change of a field sends the form's values to `/api/record/script/change.json`
// (debounced; only the latest answer counts) and puts the values the scripts set back into the form,
// with the scripts' field errors beside their fields. Nothing is saved: the save runs the submit
// scripts again on the server.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS;
  var DEBOUNCE_MS = 300;

  function same(a, b) { return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b); }

  /** A subtable's cell values only (row ids and cell types left out), to see whether a script changed it. */
  function cells(rows) {
    return (rows || []).map(function (row) {
      var v = (row && row.value) || {}, out = {};
      Object.keys(v).sort().forEach(function (c) { var x = v[c] ? v[c].value : null; out[c] = x === null || x === undefined ? "" : x; });
      return out;
    });
  }

  /** Wires `form` (mounted by records_form.js; `handle` gives its controls) to the field-change scripts. */
  function attach(form, handle) {
    var timer = null, seq = 0, pending = null, marked = [];

    function fieldOf(target) {
      var wrap = target && target.closest ? target.closest("[data-field]") : null;
      return wrap ? wrap.getAttribute("data-field") : null;
    }

    function clearMarks() {
      marked.forEach(function (c) { handle.setError(c, []); });
      marked = [];
    }

    /** Puts back what the scripts changed in `sent` (the values the call carried). A field edited
     *  since the call left keeps the user's newer value: the answer was computed without it. */
    function apply(answer, sent) {
      var out = answer.record || {};
      Object.keys(handle.controls).forEach(function (code) {
        var c = handle.controls[code];
        if (!out[code] || R.SYSTEM[c.prop.type] || c.prop.type === "FILE") return;
        var before = sent[code] ? sent[code].value : undefined;
        if (same(out[code].value, before) || !same(c.get(), before)) return;
        c.set(out[code].value);
      });
      Object.keys(handle.tables).forEach(function (code) {
        // Redrawing a table loses the focus in it: only when a script changed a cell.
        if (!out[code]) return;
        var before = cells(sent[code] ? sent[code].value : []);
        if (same(cells(out[code].value), before) || !same(cells(handle.tables[code].getAll()), before)) return;
        handle.tables[code].set(out[code].value);
      });
      clearMarks();
      var errors = answer.errors || {};
      Object.keys(errors).forEach(function (key) {
        var m = /^record\.([^.\[\]]+)\.value$/.exec(key);
        var c = m && handle.controls[m[1]];
        if (!c) return;
        handle.setError(c, (errors[key] && errors[key].messages) || []);
        marked.push(c);
      });
      if (answer.failure) {
        var f = answer.failure;
        R.alert(handle.alertBox, "error", K.t("records.script_failed", { script: f.script || "", message: f.message || "" }), "script-change-failure");
      }
      handle.edited();
    }

    function run() {
      var my = ++seq, field = pending, sent = handle.collect(true);
      pending = null;
      K.api("GET", "/api/record/script/change.json", { app: R.appId, field: field, record: sent }).then(function (answer) {
        if (my === seq) apply(answer || {}, sent);
      }).catch(function () { /* live values are a convenience; the save runs the scripts again */ });
    }

    function changed(ev) {
      var code = fieldOf(ev.target);
      if (!code) return;
      pending = code;
      clearTimeout(timer);
      timer = setTimeout(run, DEBOUNCE_MS);
    }
    form.addEventListener("change", changed);
    // Saving answers with the field errors of every script: a live answer still on its way (or a
    // debounced call not sent yet) would clear them when it lands, so it no longer counts.
    form.addEventListener("submit", function () {
      clearTimeout(timer);
      pending = null;
      seq++;
      marked = [];
    });
  }

  window.KUMIKI_FIELD_CHANGE = attach;
})();
