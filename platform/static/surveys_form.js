// The answer form of a survey (issue 14): controls generated from the survey's field properties
// (kintone's properties map) with the answer's values (kintone's record format `{code: {value}}`),
// subtable rows added and removed, read-only after submitting. One column, phone width first.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
  var uid = 0;

  function optionKeys(prop) {
    var opts = prop.options || {};
    return Object.keys(opts).sort(function (a, b) { return Number(opts[a].index || 0) - Number(opts[b].index || 0); });
  }

  function textOf(prop, value) {
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.join("、");
    return String(value);
  }

  /** One control for `prop` with `value`; returns {node, get()}. */
  function control(prop, value, readOnly, label) {
    var id = "svf-" + (++uid);
    var type = prop.type;
    if (readOnly) {
      var shown = textOf(prop, value);
      return { node: el("div", { class: "readonly-value prewrap", id: id, "data-testid": "answer-value-" + prop.code, text: shown || "—" }), get: function () { return value; } };
    }
    var input;
    var common = { id: id, "data-testid": "answer-input-" + prop.code, "aria-label": label || prop.label || prop.code };
    if (type === "MULTI_LINE_TEXT") {
      input = el("textarea", Object.assign({ rows: 3 }, common));
      input.value = value || "";
      return { node: input, get: function () { return input.value; } };
    }
    if (type === "NUMBER") {
      input = el("input", Object.assign({ type: "text", inputmode: "decimal", class: "sv-number" }, common));
      input.value = value === undefined || value === null ? "" : String(value);
      // Full-width digits typed on a Japanese keyboard are folded to ASCII.
      input.addEventListener("change", function () {
        input.value = input.value.replace(/[０-９．－，]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); }).replace(/,/g, "").trim();
      });
      return { node: input, get: function () { return input.value; } };
    }
    if (type === "DATE") {
      input = el("input", Object.assign({ type: "date" }, common));
      input.value = value || "";
      return { node: input, get: function () { return input.value; } };
    }
    if (type === "DROP_DOWN") {
      input = el("select", common, [el("option", { value: "", text: t("surveys.form.choose") })].concat(optionKeys(prop).map(function (k) {
        return el("option", { value: k, text: k });
      })));
      input.value = value || "";
      return { node: input, get: function () { return input.value; } };
    }
    if (type === "RADIO_BUTTON" || type === "CHECK_BOX") {
      var multi = type === "CHECK_BOX";
      var chosen = multi ? (Array.isArray(value) ? value : []) : [value];
      var boxes = [];
      var group = el("div", { class: "choices", role: multi ? "group" : "radiogroup", "aria-label": label || prop.label, "data-testid": common["data-testid"] },
        optionKeys(prop).map(function (k, i) {
          var b = el("input", { type: multi ? "checkbox" : "radio", name: id, value: k, id: id + "-" + i, "data-testid": "answer-choice-" + prop.code + "-" + i });
          b.checked = chosen.indexOf(k) >= 0;
          boxes.push(b);
          return el("label", { class: "check", for: id + "-" + i }, [b, " " + k]);
        }));
      return { node: group, get: function () {
        var on = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
        return multi ? on : (on[0] || "");
      } };
    }
    input = el("input", Object.assign({ type: "text" }, common));
    input.value = value || "";
    return { node: input, get: function () { return input.value; } };
  }

  function innerCodes(prop) { return Object.keys(prop.fields || {}); }

  /** A subtable: a row per answer row, each inner field a control; rows added and removed. */
  function subtable(prop, value, readOnly) {
    var inner = prop.fields || {};
    var codes = innerCodes(prop);
    var rows = [];
    var list = el("ol", { class: "sv-subrows", "data-testid": "answer-subtable-" + prop.code });
    function addRow(rowValue) {
      var cells = {};
      var item = el("li", { class: "sv-subrow", "data-testid": "answer-subrow" });
      var n = rows.length + 1;
      item.appendChild(el("p", { class: "sv-subrow-title muted", text: t("surveys.form.row", { n: n }) }));
      codes.forEach(function (c) {
        var p = inner[c];
        var v = rowValue && rowValue.value && rowValue.value[c] ? rowValue.value[c].value : undefined;
        var ctl = control(p, v, readOnly, p.label + " (" + t("surveys.form.row", { n: n }) + ")");
        cells[c] = ctl;
        item.appendChild(el("div", { class: "field sv-subfield", "data-inner": c, "data-error-for": errorKey(n - 1, c) }, [
          el("label", { class: "label", for: ctl.node.id, text: p.label || c }, p.required ? [el("span", { class: "required-mark", text: " *" })] : []),
          ctl.node,
        ]));
      });
      var row = { id: rowValue && rowValue.id, cells: cells, node: item };
      if (!readOnly) {
        item.appendChild(el("button", { type: "button", class: "button small sv-remove-row", "data-testid": "answer-row-remove", text: t("surveys.form.remove_row"),
          onclick: function () { rows.splice(rows.indexOf(row), 1); item.remove(); renumber(); } }));
      }
      rows.push(row);
      list.appendChild(item);
    }
    // The API names a cell's error `values.<table>.value[<row>].value.<field>.value`.
    function errorKey(i, c) { return prop.code + ".value." + i + ".value." + c; }
    function renumber() {
      rows.forEach(function (r, i) {
        r.node.querySelector(".sv-subrow-title").textContent = t("surveys.form.row", { n: i + 1 });
        Array.prototype.forEach.call(r.node.querySelectorAll("[data-inner]"), function (f) { f.setAttribute("data-error-for", errorKey(i, f.getAttribute("data-inner"))); });
      });
    }
    (Array.isArray(value) ? value : []).forEach(addRow);
    if (!rows.length && !readOnly) addRow(null);
    var node = el("div", { class: "sv-subtable" }, [list]);
    if (readOnly && !rows.length) node.appendChild(el("p", { class: "muted", text: "—" }));
    if (!readOnly) {
      node.appendChild(el("button", { type: "button", class: "button small", "data-testid": "answer-row-add-" + prop.code, text: t("surveys.form.add_row"),
        onclick: function () { addRow(null); } }));
    }
    return { node: node, get: function () {
      return rows.map(function (r) {
        var v = {};
        codes.forEach(function (c) { v[c] = { value: r.cells[c].get() }; });
        return r.id ? { id: r.id, value: v } : { value: v };
      });
    } };
  }

  /**
   * Renders the form into `box`. `properties`: the survey's fields; `values`: the answer's values.
   * Returns {collect()} giving the values in kintone's record format.
   */
  function render(box, properties, values, opts) {
    var readOnly = !!(opts && opts.readOnly);
    box.textContent = "";
    var controls = {};
    Object.keys(properties || {}).forEach(function (code) {
      var prop = properties[code];
      var v = values && values[code] ? values[code].value : undefined;
      var ctl = prop.type === "SUBTABLE" ? subtable(prop, v, readOnly) : control(prop, v, readOnly);
      controls[code] = ctl;
      var isGroup = prop.type === "SUBTABLE" || prop.type === "RADIO_BUTTON" || prop.type === "CHECK_BOX";
      var labelNode = el(isGroup ? "p" : "label", { class: "label", for: isGroup ? null : ctl.node.id, text: prop.label || code },
        prop.required ? [el("span", { class: "required-mark", "aria-label": t("surveys.form.required"), text: " *" })] : []);
      box.appendChild(el("div", { class: "field sv-answer-field" + (prop.type === "SUBTABLE" ? " sv-answer-table" : ""), "data-code": code, "data-error-for": code }, [labelNode, ctl.node]));
    });
    if (!Object.keys(properties || {}).length) box.appendChild(el("p", { class: "muted", text: t("surveys.form.no_fields") }));
    return {
      collect: function () {
        var out = {};
        Object.keys(controls).forEach(function (code) { out[code] = { value: controls[code].get() }; });
        return out;
      },
    };
  }

  window.KUMIKI_SURVEY_FORM = { render: render, optionKeys: optionKeys };
})();
