// The visual condition builder: field → operator allowed for its type → a value input fitting the type,
// several conditions joined by AND or OR, written out as kintone query text.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el;
  var V = {};

  var NUM = ["=", "!=", ">", "<", ">=", "<=", "in", "not in"];
  var CMP = ["=", "!=", ">", "<", ">=", "<="];
  var OPS = {
    __ID__: NUM, RECORD_NUMBER: NUM, NUMBER: NUM, CALC: NUM,
    SINGLE_LINE_TEXT: ["like", "not like", "=", "!=", "in", "not in"],
    LINK: ["like", "not like", "=", "!=", "in", "not in"],
    MULTI_LINE_TEXT: ["like", "not like", "is empty", "is not empty"],
    RICH_TEXT: ["like", "not like"],
    FILE: ["like", "not like", "is empty", "is not empty"],
    CHECK_BOX: ["in", "not in"], RADIO_BUTTON: ["in", "not in"], DROP_DOWN: ["in", "not in"], MULTI_SELECT: ["in", "not in"],
    DATE: CMP, DATETIME: CMP, CREATED_TIME: CMP, UPDATED_TIME: CMP, TIME: CMP,
    CREATOR: ["in", "not in"], MODIFIER: ["in", "not in"], USER_SELECT: ["in", "not in"], STATUS_ASSIGNEE: ["in", "not in"],
    ORGANIZATION_SELECT: ["in", "not in"], GROUP_SELECT: ["in", "not in"], CATEGORY: ["in", "not in"],
    STATUS: ["=", "!=", "in", "not in"]
  };
  var OP_KEYS = { "=": "eq", "!=": "ne", ">": "gt", "<": "lt", ">=": "ge", "<=": "le", "in": "in", "not in": "not_in", "like": "like", "not like": "not_like", "is empty": "empty", "is not empty": "not_empty" };
  var DATE_FUNCS = ["TODAY()", "YESTERDAY()", "TOMORROW()", "THIS_WEEK()", "LAST_WEEK()", "NEXT_WEEK()", "THIS_MONTH()", "LAST_MONTH()", "NEXT_MONTH()", "THIS_YEAR()", "LAST_YEAR()", "NEXT_YEAR()"];
  var CHOICE = { CHECK_BOX: 1, RADIO_BUTTON: 1, DROP_DOWN: 1, MULTI_SELECT: 1 };
  var USERS = { CREATOR: 1, MODIFIER: 1, USER_SELECT: 1, STATUS_ASSIGNEE: 1 };
  var DATES = { DATE: 1, DATETIME: 1, CREATED_TIME: 1, UPDATED_TIME: 1 };

  /** Fields a condition may use: [{code, label, prop, table}] (subtable fields after their table). */
  V.conditionFields = function (props) {
    var out = [];
    R.dataFields(props).forEach(function (p) {
      if (p.type === "SUBTABLE") {
        Object.keys(p.fields || {}).forEach(function (c) {
          var inner = p.fields[c];
          if (OPS[inner.type]) out.push({ code: c, label: (p.label || p.code) + " › " + (inner.label || c), prop: inner, table: p.code });
        });
      } else if (OPS[p.type]) {
        out.push({ code: p.code, label: p.label || p.code, prop: p, table: null });
      }
    });
    return out;
  };

  /** Operators for a field; subtable fields cannot use = or != (kintone answers GAIA_IQ07). */
  V.operators = function (f) {
    var ops = OPS[f.prop.type] || [];
    return f.table ? ops.filter(function (o) { return o !== "=" && o !== "!="; }) : ops;
  };

  function isFunc(v) { return /^[A-Z_]+\(.*\)$/.test(v); }
  function splitList(v) {
    return String(v || "").split(/[,、，]/).map(function (s) { return s.trim(); }).filter(function (s) { return s !== ""; });
  }
  function literal(prop, v) {
    if (isFunc(v)) return v;
    if ((prop.type === "NUMBER" || prop.type === "CALC" || prop.type === "RECORD_NUMBER" || prop.type === "__ID__") && /^-?\d+(\.\d+)?$/.test(v)) return v;
    return R.quote(v);
  }

  /** One condition as query text, or "" while it is incomplete. */
  V.conditionText = function (c, fields) {
    var f = fields.filter(function (x) { return x.code === c.f; })[0];
    if (!f || !c.op) return "";
    var prop = f.prop;
    if (c.op === "is empty" || c.op === "is not empty") return f.code + " " + c.op;
    if (c.op === "in" || c.op === "not in") {
      var list = Array.isArray(c.v) ? c.v : splitList(c.v);
      if (!list.length) return "";
      return f.code + " " + c.op + " (" + list.map(function (x) { return literal(prop, x); }).join(", ") + ")";
    }
    var v = Array.isArray(c.v) ? c.v[0] : c.v;
    if (v === undefined || v === null || v === "") return "";
    return f.code + " " + c.op + " " + literal(prop, String(v));
  };

  /** The whole builder state ({m: "and"|"or", c: [...]}) as query text. */
  V.text = function (state, fields) {
    var parts = (state.c || []).map(function (c) { return V.conditionText(c, fields); }).filter(Boolean);
    if (!parts.length) return "";
    return parts.join(state.m === "or" ? " or " : " and ");
  };

  function valueInput(i, f, c, onChange) {
    var prop = f.prop, id = "cond-value-" + i, label = K.t("records.cond.value");
    if (c.op === "is empty" || c.op === "is not empty") return el("span", { class: "muted cond-novalue", text: "" });
    var multi = c.op === "in" || c.op === "not in";
    if (CHOICE[prop.type] || prop.type === "CATEGORY") {
      var chosen = Array.isArray(c.v) ? c.v : [];
      return el("fieldset", { class: "cond-choices", "data-testid": "condition-value-" + i }, [el("legend", { class: "sr-only", text: label })].concat(
        R.options(prop).map(function (o) {
          var box = el("input", { type: "checkbox", value: o.key, checked: chosen.indexOf(o.key) >= 0 ? true : null,
            onchange: function () {
              var now = Array.isArray(c.v) ? c.v.slice() : [];
              if (box.checked) { if (now.indexOf(o.key) < 0) now.push(o.key); } else now = now.filter(function (k) { return k !== o.key; });
              c.v = now; onChange();
            } });
          return el("label", { class: "check" }, [box, o.label]);
        })));
    }
    if (USERS[prop.type]) {
      var box = el("fieldset", { class: "cond-choices", "data-testid": "condition-value-" + i }, [el("legend", { class: "sr-only", text: label })]);
      var current = Array.isArray(c.v) ? c.v : [];
      var add = function (code, name) {
        var cb = el("input", { type: "checkbox", value: code, checked: current.indexOf(code) >= 0 ? true : null,
          onchange: function () {
            var now = Array.isArray(c.v) ? c.v.slice() : [];
            if (cb.checked) { if (now.indexOf(code) < 0) now.push(code); } else now = now.filter(function (k) { return k !== code; });
            c.v = now; onChange();
          } });
        box.appendChild(el("label", { class: "check" }, [cb, name]));
      };
      add("LOGINUSER()", K.t("records.cond.login_user"));
      R.users().then(function (users) { users.forEach(function (u) { add(u.code, u.name); }); });
      return box;
    }
    if (DATES[prop.type]) {
      var v = typeof c.v === "string" ? c.v : "";
      var func = el("select", { id: id + "-fn", "data-testid": "condition-func-" + i, "aria-label": K.t("records.cond.date_kind") },
        [el("option", { value: "", text: K.t("records.cond.specific_date") })].concat(DATE_FUNCS.map(function (fn) {
          return el("option", { value: fn, selected: v === fn ? true : null, text: K.t("records.fn." + fn.replace("()", "").toLowerCase()) });
        })));
      var date = el("input", { type: "date", id: id, "data-testid": "condition-value-" + i, "aria-label": label, value: isFunc(v) ? "" : v });
      date.hidden = isFunc(v);
      func.addEventListener("change", function () { date.hidden = !!func.value; c.v = func.value || date.value; onChange(); });
      date.addEventListener("input", function () { c.v = date.value; onChange(); });
      return el("span", { class: "cond-date" }, [func, date]);
    }
    var type = "text";
    if (prop.type === "TIME") type = "time";
    var input = el("input", { type: type, id: id, "data-testid": "condition-value-" + i, "aria-label": label,
      inputmode: (!multi && (prop.type === "NUMBER" || prop.type === "CALC" || prop.type === "RECORD_NUMBER")) ? "decimal" : null,
      placeholder: multi ? K.t("records.cond.comma") : "", value: Array.isArray(c.v) ? c.v.join(", ") : (c.v || "") });
    input.addEventListener("input", function () { c.v = input.value; onChange(); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); V.onEnter && V.onEnter(); } });
    return input;
  }

  /** Renders the builder into `box`; `state` is changed in place; `onChange()` after every edit. */
  V.builder = function (box, fields, state, onChange) {
    state.c = state.c || [];
    state.m = state.m === "or" ? "or" : "and";
    function draw() {
      box.textContent = "";
      var mode = el("select", { id: "cond-mode", "data-testid": "condition-mode" }, [
        el("option", { value: "and", selected: state.m === "and" ? true : null, text: K.t("records.cond.all") }),
        el("option", { value: "or", selected: state.m === "or" ? true : null, text: K.t("records.cond.any") })]);
      mode.addEventListener("change", function () { state.m = mode.value; onChange(); });
      box.appendChild(el("div", { class: "cond-mode" }, [el("label", { for: "cond-mode", class: "label", text: K.t("records.cond.match") }), mode]));
      var list = el("ol", { class: "cond-list" });
      state.c.forEach(function (c, i) {
        var f = fields.filter(function (x) { return x.code === c.f; })[0] || fields[0];
        if (!f) return;
        c.f = f.code;
        var ops = V.operators(f);
        if (ops.indexOf(c.op) < 0) c.op = ops[0];
        var fieldSel = el("select", { id: "cond-field-" + i, "data-testid": "condition-field-" + i, "aria-label": K.t("records.cond.field") },
          fields.map(function (x) { return el("option", { value: x.code, selected: x.code === c.f ? true : null, text: x.label }); }));
        fieldSel.addEventListener("change", function () { c.f = fieldSel.value; c.op = ""; c.v = ""; draw(); onChange(); });
        var opSel = el("select", { id: "cond-op-" + i, "data-testid": "condition-op-" + i, "aria-label": K.t("records.cond.operator") },
          ops.map(function (o) { return el("option", { value: o, selected: o === c.op ? true : null, text: K.t("records.op." + OP_KEYS[o]) }); }));
        opSel.addEventListener("change", function () {
          var wasMulti = c.op === "in" || c.op === "not in";
          c.op = opSel.value;
          var isMulti = c.op === "in" || c.op === "not in";
          if (wasMulti !== isMulti && !CHOICE[f.prop.type] && !USERS[f.prop.type]) c.v = "";
          draw(); onChange();
        });
        var remove = el("button", { type: "button", class: "button small", "data-testid": "condition-remove-" + i, "aria-label": K.t("records.cond.remove"), text: "×",
          onclick: function () { state.c.splice(i, 1); draw(); onChange(); } });
        list.appendChild(el("li", { class: "cond-row" }, [fieldSel, opSel, valueInput(i, f, c, onChange), remove]));
      });
      box.appendChild(list);
      if (!fields.length) box.appendChild(el("p", { class: "muted", text: K.t("records.cond.no_fields") }));
    }
    draw();
    return {
      add: function () { if (fields.length) { state.c.push({ f: fields[0].code, op: "", v: "" }); draw(); onChange(); } },
      redraw: draw
    };
  };

  window.KUMIKI_VIEWS = V;
})();
