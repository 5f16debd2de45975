// The answer fields editor of the survey editor (issue 14): rows of label, code, type, options and
// required, a subtable with its own rows; produces kintone's field properties map.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
  var TYPES = ["SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "NUMBER", "DATE", "DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX", "SUBTABLE"];
  var CHOICES = ["DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX"];
  var uid = 0;

  /** A field code from a label: what kintone allows (letters, digits, _ and Japanese), else field_n. */
  function codeFrom(label, n) {
    var c = String(label || "").replace(/[^\p{L}\p{N}_・＿]/gu, "");
    if (!c || /^[0-9]/.test(c)) c = "field_" + n;
    return c.slice(0, 64);
  }

  /** A list of field rows in `box`; `inner` rows cannot be subtables. Returns {get(), set(props)}. */
  function rowsEditor(box, opts) {
    var inner = !!opts.inner;
    var rows = [];
    var list = el("ol", { class: "sv-fe-rows", "data-testid": inner ? "fields-inner-rows" : "fields-rows" });
    var add = el("button", { type: "button", class: "button small", "data-testid": inner ? "fields-inner-add" : "fields-add",
      text: inner ? t("surveys.fields.add_inner") : t("surveys.fields.add") });
    box.appendChild(list);
    box.appendChild(add);

    function addRow(prop) {
      var n = ++uid;
      var row = { codeTouched: !!prop };
      var label = el("input", { type: "text", id: "fe-label-" + n, maxlength: 128, "data-testid": "field-label" });
      var code = el("input", { type: "text", id: "fe-code-" + n, maxlength: 64, "data-testid": "field-code", class: "sv-code" });
      var type = el("select", { id: "fe-type-" + n, "data-testid": "field-type" }, TYPES.filter(function (x) { return !inner || x !== "SUBTABLE"; }).map(function (x) {
        return el("option", { value: x, text: t("surveys.fields.type." + x) });
      }));
      var required = el("input", { type: "checkbox", id: "fe-req-" + n, "data-testid": "field-required" });
      var options = el("textarea", { id: "fe-opts-" + n, rows: 3, "data-testid": "field-options", placeholder: t("surveys.fields.options_placeholder") });
      var optBox = el("div", { class: "field sv-fe-options" }, [el("label", { class: "label", for: options.id, text: t("surveys.fields.options") }), options]);
      var subBox = el("div", { class: "sv-fe-inner" }, [el("p", { class: "label", text: t("surveys.fields.inner") })]);
      var item = el("li", { class: "sv-fe-row card", "data-testid": inner ? "field-inner-row" : "field-row" });
      row.node = item;
      if (prop) {
        label.value = prop.label || "";
        code.value = prop.code || "";
        type.value = prop.type;
        required.checked = !!prop.required;
        var keys = window.KUMIKI_SURVEY_FORM ? window.KUMIKI_SURVEY_FORM.optionKeys(prop) : Object.keys(prop.options || {});
        options.value = keys.join("\n");
      }
      label.addEventListener("input", function () { if (!row.codeTouched) code.value = codeFrom(label.value, rows.indexOf(row) + 1); });
      code.addEventListener("input", function () { row.codeTouched = true; });
      function shape() {
        optBox.hidden = CHOICES.indexOf(type.value) < 0;
        subBox.hidden = type.value !== "SUBTABLE";
        required.disabled = type.value === "SUBTABLE";
        if (type.value === "SUBTABLE" && !row.innerEditor) {
          row.innerEditor = rowsEditor(subBox, { inner: true });
          if (prop && prop.fields) row.innerEditor.set(prop.fields);
          else row.innerEditor.add();
        }
      }
      type.addEventListener("change", shape);
      var tools = el("div", { class: "sv-fe-tools" }, [
        el("button", { type: "button", class: "button small", "aria-label": t("surveys.fields.up"), text: "↑", onclick: function () { move(row, -1); } }),
        el("button", { type: "button", class: "button small", "aria-label": t("surveys.fields.down"), text: "↓", onclick: function () { move(row, 1); } }),
        el("button", { type: "button", class: "button small danger", "data-testid": "field-remove", text: t("surveys.fields.remove"), onclick: function () {
          rows.splice(rows.indexOf(row), 1); item.remove();
        } }),
      ]);
      item.appendChild(el("div", { class: "sv-fe-grid" }, [
        el("div", { class: "field" }, [el("label", { class: "label", for: label.id, text: t("surveys.fields.label") }), label]),
        el("div", { class: "field" }, [el("label", { class: "label", for: code.id, text: t("surveys.fields.code") }), code]),
        el("div", { class: "field" }, [el("label", { class: "label", for: type.id, text: t("surveys.fields.type") }), type]),
        el("div", { class: "field sv-fe-req" }, [el("label", { class: "check", for: required.id }, [required, " " + t("surveys.fields.required")])]),
      ]));
      item.appendChild(optBox);
      item.appendChild(subBox);
      item.appendChild(tools);
      row.get = function () {
        // A row left empty is no field.
        if (!label.value.trim() && !code.value.trim()) return null;
        var c = code.value.trim() || codeFrom(label.value, rows.indexOf(row) + 1);
        item.setAttribute("data-error-for", (opts.prefix || "fields") + "." + c);
        var p = { type: type.value, code: c, label: label.value.trim() || c };
        if (type.value !== "SUBTABLE") p.required = required.checked;
        if (CHOICES.indexOf(type.value) >= 0) {
          var o = {};
          options.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean).forEach(function (s, i) {
            if (!o[s]) o[s] = { label: s, index: String(i) };
          });
          p.options = o;
          if (type.value === "CHECK_BOX") p.defaultValue = [];
          else if (type.value === "RADIO_BUTTON") p.defaultValue = Object.keys(o)[0] || "";
          else p.defaultValue = "";
        }
        if (type.value === "SUBTABLE") p.fields = row.innerEditor ? row.innerEditor.get() : {};
        return p;
      };
      rows.push(row);
      list.appendChild(item);
      shape();
      return row;
    }
    function move(row, by) {
      var i = rows.indexOf(row), j = i + by;
      if (j < 0 || j >= rows.length) return;
      rows.splice(i, 1);
      rows.splice(j, 0, row);
      if (by < 0) list.insertBefore(row.node, rows[j + 1].node);
      else list.insertBefore(row.node, rows[j - 1].node.nextSibling);
    }
    add.addEventListener("click", function () {
      var r = addRow(null);
      r.node.querySelector("input").focus();
    });
    return {
      add: function () { return addRow(null); },
      set: function (props) {
        rows.slice().forEach(function (r) { r.node.remove(); });
        rows.length = 0;
        Object.keys(props || {}).forEach(function (c) { addRow(props[c]); });
      },
      get: function () {
        var out = {};
        rows.forEach(function (r) { var p = r.get(); if (p) out[p.code] = p; });
        return out;
      },
    };
  }

  window.KUMIKI_SURVEY_FIELDS = { create: function (box) { return rowsEditor(box, { inner: false }); }, codeFrom: codeFrom };
})();
