// Form designer, part 3: the side panel that edits the selected field or layout element.
"use strict";
(function () {
  var KD = window.KD;
  var t = KUMIKI.t, el = KUMIKI.el;
  var APP = (KUMIKI.page || {}).app;
  var S = KD.state;
  var appsCache = null, fieldsCache = {};
  var checkTimer = null, checkSeq = 0;

  function $(id) { return document.getElementById(id); }

  // ---- Small builders -------------------------------------------------------------------------------------
  var idSeq = 0;
  function nextId() { idSeq += 1; return "dp-" + idSeq; }

  /** Messages for a setting: the server's or the pre-save check's. */
  function errorsFor(uid, prop) { return (S.errors[uid] && S.errors[uid][prop]) || []; }

  function errorNode(uid, prop) {
    var msgs = errorsFor(uid, prop);
    if (!msgs.length) return null;
    return el("div", { class: "field-error", role: "alert", "data-testid": "panel-error-" + prop }, msgs.map(function (m) { return el("div", { text: m }); }));
  }

  /** A labelled control: `control` gets the id; help and errors are tied to it with aria-describedby. */
  function fieldRow(label, control, opts) {
    opts = opts || {};
    var id = control.id || nextId();
    control.id = id;
    var described = [];
    var help = opts.help ? el("div", { class: "help", id: id + "-help", text: opts.help }) : null;
    if (help) described.push(id + "-help");
    var err = opts.uid ? errorNode(opts.uid, opts.prop) : null;
    if (err) { err.id = id + "-err"; described.push(id + "-err"); control.setAttribute("aria-invalid", "true"); }
    if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    return el("div", { class: "field d-panel-field" + (err ? " has-error" : "") }, [
      el("label", { class: "label", for: id, text: label }), control, help, err
    ]);
  }

  function checkRow(label, checked, testid, onchange, help) {
    var box = el("input", { type: "checkbox", "data-testid": testid, checked: !!checked });
    box.addEventListener("change", function () { onchange(box.checked); });
    return el("div", { class: "d-panel-field" }, [
      el("label", { class: "check" }, [box, document.createTextNode(label)]),
      help ? el("div", { class: "help", text: help }) : null
    ]);
  }

  function select(testid, options, value, onchange) {
    var s = el("select", { "data-testid": testid }, options.map(function (o) {
      return el("option", { value: o[0], text: o[1], selected: String(o[0]) === String(value == null ? "" : value) });
    }));
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }

  function input(testid, value, onchange, attrs) {
    var a = { type: "text", "data-testid": testid, value: value == null ? "" : String(value) };
    Object.keys(attrs || {}).forEach(function (k) { a[k] = attrs[k]; });
    var i = el("input", a);
    i.addEventListener("input", function () { onchange(i.value, false); });
    i.addEventListener("change", function () { onchange(i.value, true); });
    return i;
  }

  function section(title, children) {
    return el("fieldset", { class: "d-panel-section" }, [el("legend", { text: title })].concat(children.filter(Boolean)));
  }

  /** Sets or clears a setting, then refreshes the canvas and status. */
  function setProp(f, key, value) {
    if (value === "" || value === null || value === undefined) delete f.prop[key];
    else f.prop[key] = value;
    if (S.errors[f.uid]) delete S.errors[f.uid][key];
    touched();
  }
  function touched() { KD.renderCanvas(); KD.changed(); }

  /** Re-renders the panel and puts the focus back on the control with `testid`. */
  function rerender(testid) {
    KD.renderPanel();
    if (testid) {
      var n = document.querySelector('#d-panel [data-testid="' + testid + '"]');
      if (n) n.focus();
    }
  }

  // ---- The panel ------------------------------------------------------------------------------------------
  KD.renderPanel = function () {
    var box = $("d-panel");
    box.textContent = "";
    var sel = S.selected;
    var m = S.model;
    if (!sel || !m) {
      box.appendChild(el("div", { class: "d-panel-empty", "data-testid": "panel-empty" }, [
        el("h2", { text: t("designer.panel.title") }),
        el("p", { class: "muted", text: t("designer.panel.empty") })
      ]));
      return;
    }
    if (sel.kind === "item") { renderItemPanel(box, m.findItem(sel.uid)); return; }
    var f = m.field(sel.uid);
    if (!f) { S.selected = null; KD.renderPanel(); return; }
    renderFieldPanel(box, f);
  };

  function moveButtons(horizontal) {
    var dirs = horizontal ? [["left", "←"], ["right", "→"]] : [];
    dirs = dirs.concat([["up", "↑"], ["down", "↓"]]);
    return el("div", { class: "d-move", role: "group", "aria-label": t("designer.panel.move") }, [
      el("span", { class: "label", text: t("designer.panel.move") })
    ].concat(dirs.map(function (d) {
      return el("button", {
        type: "button", class: "button small", "data-testid": "panel-move-" + d[0],
        "aria-label": t("designer.panel.move_" + d[0]), title: t("designer.panel.move_" + d[0]),
        onclick: function () { KD.move(d[0]); rerender("panel-move-" + d[0]); }
      }, [el("span", { "aria-hidden": "true", text: d[1] }), el("span", { class: "d-move-text", text: t("designer.panel.move_" + d[0] + "_short") })]);
    })).concat([el("p", { class: "help", text: t("designer.panel.move_keys") })]));
  }

  function renderItemPanel(box, at) {
    if (!at) return;
    var it = at.item;
    var kids = [backButton(), el("h2", { text: t("designer.panel.item_title", { type: KD.typeName(it.kind) }) })];
    if (it.kind === "LABEL") {
      var ta = el("textarea", { "data-testid": "panel-label", rows: "3" });
      ta.value = it.label || "";
      ta.addEventListener("input", function () { it.label = ta.value; touched(); });
      kids.push(fieldRow(t("designer.panel.label_text"), ta));
    }
    if (it.kind === "SPACER") {
      kids.push(fieldRow(t("designer.panel.width"), input("panel-width", (it.size || {}).width, function (v) {
        it.size = it.size || {}; if (v) it.size.width = v; else delete it.size.width; touched();
      }, { inputmode: "numeric" })));
      kids.push(fieldRow(t("designer.panel.height"), input("panel-height", (it.size || {}).height, function (v) {
        it.size = it.size || {}; if (v) it.size.height = v; else delete it.size.height; touched();
      }, { inputmode: "numeric" })));
    }
    if (it.kind === "HR") kids.push(el("p", { class: "muted", text: t("designer.panel.hr_help") }));
    kids.push(moveButtons(true));
    kids.push(el("div", { class: "d-panel-actions" }, [el("button", {
      type: "button", class: "button danger", "data-testid": "panel-delete", onclick: function () { KD.removeSelected(); }
    }, [t("designer.panel.remove_item")])]));
    box.appendChild(el("div", { class: "stack" }, kids));
  }

  /** Only shown on phones, where the panel is below the form. */
  function backButton() {
    return el("button", { type: "button", class: "button small d-panel-back", "data-testid": "panel-back", onclick: function () {
      KD.focusSelected();
    } }, [t("designer.panel.back")]);
  }

  function renderFieldPanel(box, f) {
    var p = f.prop;
    var type = KD.displayType(f);
    var system = KD.isSystem(p.type);
    var kids = [backButton()];
    kids.push(el("h2", { text: t("designer.panel.field_title", { type: KD.typeName(type) }) }));
    var general = errorsFor(f.uid, "_").concat(errorsFor(f.uid, "type"));
    if (general.length) kids.push(el("div", { class: "alert error", role: "alert", "data-testid": "panel-error-field" }, general.map(function (m) { return el("div", { text: m }); })));

    // Type: shown, never editable once saved.
    var typeInfo = [el("span", { class: "d-chip", text: KD.typeName(type) })];
    if (f.origCode !== null && !system) typeInfo.push(el("p", { class: "help", "data-testid": "panel-type-locked", text: t("designer.panel.type_locked") }));
    kids.push(el("div", { class: "d-panel-field" }, [el("span", { class: "label", text: t("designer.panel.type") })].concat(typeInfo)));
    if (p.lookup && f.origCode === null) {
      kids.push(fieldRow(t("designer.lookup.value_type"), select("panel-lookup-type", [
        ["SINGLE_LINE_TEXT", KD.typeName("SINGLE_LINE_TEXT")], ["NUMBER", KD.typeName("NUMBER")]
      ], p.type, function (v) { p.type = v; touched(); })));
    }

    // Label and code.
    var label = input("panel-label", p.label, function (v) {
      p.label = v;
      if (S.errors[f.uid]) delete S.errors[f.uid].label;
      followLabel(f);
      touched();
    }, { maxlength: "128" });
    kids.push(fieldRow(t("designer.panel.label"), label, { uid: f.uid, prop: "label" }));
    kids.push(checkRow(t("designer.panel.no_label"), p.noLabel, "panel-no-label", function (v) { p.noLabel = v; touched(); }));
    kids.push(codeRow(f));

    if (system) {
      kids.push(el("p", { class: "help", text: t("designer.panel.system_help") }));
    } else {
      if (KD.NO_REQUIRED.indexOf(p.type) < 0) {
        kids.push(checkRow(t("designer.panel.required"), p.required, "panel-required", function (v) { p.required = v; touched(); }));
      }
      if (KD.UNIQUE.indexOf(p.type) >= 0 && !f.parent && !p.lookup) {
        kids.push(checkRow(t("designer.panel.unique"), p.unique, "panel-unique", function (v) { p.unique = v; touched(); }, t("designer.panel.unique_help")));
        if (errorsFor(f.uid, "unique").length) kids.push(errorNode(f.uid, "unique"));
      }
      kids = kids.concat(typeSettings(f));
    }

    var at = S.model.findItem(f.uid);
    if (at && at.item.kind === "FIELD") {
      kids.push(fieldRow(t("designer.panel.width"), input("panel-width", (at.item.size || {}).width, function (v) {
        at.item.size = at.item.size || {};
        if (v) at.item.size.width = v; else delete at.item.size.width;
        touched();
      }, { inputmode: "numeric" }), { help: t("designer.panel.width_help") }));
    }
    kids.push(moveButtons(!!at || !!f.parent));
    var del = el("button", { type: "button", class: "button danger", "data-testid": "panel-delete", onclick: function () { KD.removeSelected(); } },
      [system ? t("designer.panel.remove_item") : t("designer.panel.delete")]);
    kids.push(el("div", { class: "d-panel-actions" }, [del]));
    box.appendChild(el("div", { class: "stack" }, kids));
  }

  /** While a field's code follows its label (kintone's default), a new label gives a new code; the
   *  code box is updated in place so the label box keeps the focus. */
  function followLabel(f) {
    if (!f.autoCode || KD.isSystem(f.prop.type)) return;
    var code = S.model.codeForLabel(f.prop.label, f.uid);
    if (!code || code === f.prop.code) return;
    S.model.renameReferences(f.prop.code, code);
    f.prop.code = code;
    if (S.errors[f.uid]) delete S.errors[f.uid].code;
    var box = document.querySelector('#d-panel [data-testid="panel-code"]');
    if (box) box.value = code;
    var err = document.querySelector('#d-panel [data-testid="panel-code-error"]');
    if (err) err.textContent = "";
  }

  function codeRow(f) {
    var p = f.prop;
    var locked = (f.parent && f.origCode !== null) || ["STATUS", "STATUS_ASSIGNEE", "CATEGORY"].indexOf(p.type) >= 0;
    var err = el("div", { class: "field-error", "data-testid": "panel-code-error", role: "alert" });
    var code = input("panel-code", p.code, function (v, committed) {
      // A code typed by hand is the user's: it no longer follows the label.
      if (v !== p.code) f.autoCode = false;
      var problem = KD.codeProblem(v);
      if (!problem && S.model.codesInUse(f.uid).indexOf(v) >= 0) problem = "designer.code.duplicate";
      err.textContent = problem ? t(problem) : "";
      code.setAttribute("aria-invalid", problem ? "true" : "false");
      if (!committed || problem || v === p.code) return;
      var old = p.code;
      S.model.renameReferences(old, v);
      p.code = v;
      if (S.errors[f.uid]) delete S.errors[f.uid].code;
      touched();
      KD.announce(t("designer.code.renamed", { old: old, code: v }));
    }, { maxlength: "128", autocapitalize: "off", spellcheck: "false", disabled: locked });
    var help = locked ? t("designer.code.locked_table") : t("designer.code.help");
    if (f.autoCode && !locked) help += " " + t("designer.code.follows_label");
    if (f.origCode !== null && !locked) help += " " + t("designer.code.rename_help");
    var row = fieldRow(t("designer.panel.code"), code, { help: help, uid: f.uid, prop: "code" });
    row.appendChild(err);
    return row;
  }

  // ---- Per-type settings ----------------------------------------------------------------------------------
  function typeSettings(f) {
    var p = f.prop, out = [];
    var type = p.type;
    if (["SINGLE_LINE_TEXT", "LINK"].indexOf(type) >= 0 && !p.lookup) {
      out.push(section(t("designer.panel.length"), [
        fieldRow(t("designer.panel.min_length"), input("panel-min-length", p.minLength, function (v) { setProp(f, "minLength", v); }, { inputmode: "numeric" }), { uid: f.uid, prop: "minLength" }),
        fieldRow(t("designer.panel.max_length"), input("panel-max-length", p.maxLength, function (v) { setProp(f, "maxLength", v); }, { inputmode: "numeric" }), { uid: f.uid, prop: "maxLength" })
      ]));
    }
    if (type === "LINK") {
      out.push(fieldRow(t("designer.panel.protocol"), select("panel-protocol", [
        ["WEB", t("designer.protocol.WEB")], ["CALL", t("designer.protocol.CALL")], ["MAIL", t("designer.protocol.MAIL")]
      ], p.protocol, function (v) { setProp(f, "protocol", v); })));
    }
    if (type === "NUMBER" && !p.lookup) {
      out.push(section(t("designer.panel.value_range"), [
        fieldRow(t("designer.panel.min_value"), input("panel-min-value", p.minValue, function (v) { setProp(f, "minValue", v); }, { inputmode: "decimal" }), { uid: f.uid, prop: "minValue" }),
        fieldRow(t("designer.panel.max_value"), input("panel-max-value", p.maxValue, function (v) { setProp(f, "maxValue", v); }, { inputmode: "decimal" }), { uid: f.uid, prop: "maxValue" })
      ]));
    }
    if (type === "NUMBER" || type === "CALC") out.push(numberFormat(f));
    if (type === "CALC") out.unshift(formulaEditor(f));
    if (KD.CHOICE.indexOf(type) >= 0) out.push(optionsEditor(f));
    if (type === "RADIO_BUTTON" || type === "CHECK_BOX") {
      out.push(fieldRow(t("designer.panel.align"), select("panel-align", [
        ["HORIZONTAL", t("designer.align.HORIZONTAL")], ["VERTICAL", t("designer.align.VERTICAL")]
      ], p.align || "HORIZONTAL", function (v) { setProp(f, "align", v); })));
    }
    var dv = defaultValueEditor(f);
    // In a slot so the options editor can rebuild it in place.
    if (dv || KD.CHOICE.indexOf(type) >= 0) out.push(el("div", { "data-slot": "default" }, [dv]));
    if (type === "FILE") {
      out.push(fieldRow(t("designer.panel.thumbnail"), select("panel-thumbnail", [["50", "50px"], ["150", "150px"], ["250", "250px"], ["500", "500px"]],
        p.thumbnailSize || "150", function (v) { setProp(f, "thumbnailSize", v); })));
    }
    if (type === "GROUP") out.push(checkRow(t("designer.panel.open_group"), p.openGroup, "panel-open-group", function (v) { p.openGroup = v; touched(); }));
    if (type === "SUBTABLE") out.push(columnsEditor(f));
    if (p.lookup) out.push(lookupEditor(f));
    if (type === "REFERENCE_TABLE") out.push(referenceEditor(f));
    return out;
  }

  function numberFormat(f) {
    var p = f.prop;
    var scale = [["", t("designer.panel.scale_auto")]];
    for (var i = 0; i <= 10; i++) scale.push([String(i), String(i)]);
    var kids = [];
    if (p.type === "CALC") {
      kids.push(fieldRow(t("designer.panel.format"), select("panel-format", ["NUMBER", "NUMBER_DIGIT", "DATETIME", "DATE", "TIME", "HOUR_MINUTE", "DAY_HOUR_MINUTE"].map(function (k) {
        return [k, t("designer.format." + k)];
      }), p.format || "NUMBER", function (v) { setProp(f, "format", v); rerender("panel-format"); })));
    }
    var numeric = p.type === "NUMBER" || !p.format || p.format === "NUMBER" || p.format === "NUMBER_DIGIT";
    if (p.type === "NUMBER") kids.push(checkRow(t("designer.panel.digit"), p.digit, "panel-digit", function (v) { p.digit = v; touched(); }));
    if (numeric) {
      kids.push(fieldRow(t("designer.panel.display_scale"), select("panel-display-scale", scale, p.displayScale || "", function (v) { setProp(f, "displayScale", v); }), { uid: f.uid, prop: "displayScale" }));
      kids.push(fieldRow(t("designer.panel.unit"), input("panel-unit", p.unit, function (v) { setProp(f, "unit", v); }, { maxlength: "50" })));
      var pos = p.unitPosition || "BEFORE";
      var radios = ["BEFORE", "AFTER"].map(function (k) {
        var r = el("input", { type: "radio", name: "unit-position-" + f.uid, value: k, checked: pos === k, "data-testid": "panel-unit-position-" + k });
        r.addEventListener("change", function () { if (r.checked) setProp(f, "unitPosition", k); });
        return el("label", { class: "check" }, [r, document.createTextNode(t("designer.unit." + k))]);
      });
      kids.push(el("div", { class: "d-panel-field", role: "radiogroup", "aria-label": t("designer.panel.unit_position") }, [
        el("span", { class: "label", text: t("designer.panel.unit_position") })
      ].concat(radios)));
    }
    return section(t("designer.panel.number_format"), kids);
  }

  // ---- CALC formula ---------------------------------------------------------------------------------------
  function formulaEditor(f) {
    var p = f.prop;
    var ta = el("textarea", { "data-testid": "panel-expression", rows: "3", spellcheck: "false", class: "d-mono" });
    ta.value = p.expression || "";
    var status = el("div", { class: "d-formula-status", "data-testid": "panel-expression-status", "aria-live": "polite" });
    var serverErr = errorsFor(f.uid, "expression");
    if (serverErr.length) showFormula(status, false, serverErr);
    ta.addEventListener("input", function () {
      p.expression = ta.value;
      if (S.errors[f.uid]) delete S.errors[f.uid].expression;
      touched();
      clearTimeout(checkTimer);
      checkTimer = setTimeout(function () { checkFormula(f, status); }, 700);
    });
    ta.addEventListener("blur", function () { clearTimeout(checkTimer); checkFormula(f, status); });
    // Insert a field code at the cursor: easier than typing codes exactly.
    var others = S.model.allFields().filter(function (o) {
      if (o.uid === f.uid || ["SUBTABLE", "GROUP", "REFERENCE_TABLE"].indexOf(o.prop.type) >= 0) return false;
      if (o.parent && o.parent !== f.parent) return !f.parent && ["NUMBER", "CALC"].indexOf(o.prop.type) >= 0;
      return true;
    });
    var insert = select("panel-insert-field", [["", t("designer.formula.insert_choose")]].concat(others.map(function (o) {
      return [o.prop.code, (o.prop.label || o.prop.code) + " (" + o.prop.code + ")"];
    })), "", function (code) {
      if (!code) return;
      var start = ta.selectionStart || ta.value.length, end = ta.selectionEnd || start;
      ta.value = ta.value.slice(0, start) + code + ta.value.slice(end);
      ta.focus();
      ta.selectionStart = ta.selectionEnd = start + code.length;
      ta.dispatchEvent(new Event("input"));
      insert.value = "";
    });
    return section(t("designer.formula.title"), [
      fieldRow(t("designer.formula.expression"), ta, { help: t("designer.formula.help") }),
      status,
      fieldRow(t("designer.formula.insert"), insert),
      checkRow(t("designer.formula.hide"), p.hideExpression, "panel-hide-expression", function (v) { p.hideExpression = v; touched(); })
    ]);
  }

  function showFormula(box, ok, messages) {
    box.textContent = "";
    box.className = "d-formula-status " + (ok ? "ok" : "bad");
    if (ok) { box.appendChild(el("span", { "data-testid": "panel-expression-ok", text: t("designer.formula.ok") })); return; }
    box.appendChild(el("div", { class: "field-error", role: "alert", "data-testid": "panel-expression-error" }, [
      el("strong", { text: t("designer.formula.error") })
    ].concat(messages.map(function (m) { return el("div", { text: m }); }))));
  }

  function checkFormula(f, box) {
    var expr = f.prop.expression || "";
    if (!expr.trim()) { box.textContent = ""; box.className = "d-formula-status"; return; }
    var seq = ++checkSeq;
    var body = { app: APP, expression: expr, code: f.prop.code, properties: S.model.properties() };
    if (f.parent) body.subtable = S.model.field(f.parent).prop.code;
    box.textContent = t("designer.formula.checking");
    KUMIKI.api("POST", "/api/app/formula/check.json", body).then(function () {
      if (seq === checkSeq) showFormula(box, true);
    }, function (err) {
      if (seq !== checkSeq) return;
      var msgs = (err.errors && err.errors.expression && err.errors.expression.messages) || [err.message];
      showFormula(box, false, msgs);
    });
  }

  // ---- Options --------------------------------------------------------------------------------------------
  function sortedOptions(p) {
    var opts = p.options || {};
    return Object.keys(opts).map(function (k) { return opts[k]; })
      .sort(function (a, b) { return Number(a.index) - Number(b.index); });
  }

  /** Writes the editor's list to the field's options. Rows still without a name (a choice just added)
   *  are left out until they get one. `renamed` ({from, to}) makes the default value follow a rename. */
  function writeOptions(f, list, renamed) {
    var p = f.prop;
    var next = {};
    var named = list.filter(function (o) { return o.label; });
    named.forEach(function (o, i) { next[o.label] = { label: o.label, index: String(i) }; });
    if (renamed && renamed.from) {
      if (Array.isArray(p.defaultValue)) p.defaultValue = p.defaultValue.map(function (v) { return v === renamed.from ? renamed.to : v; });
      else if (p.defaultValue === renamed.from) p.defaultValue = renamed.to;
    }
    // The default value follows removed options.
    p.options = next;
    if (Array.isArray(p.defaultValue)) p.defaultValue = p.defaultValue.filter(function (v) { return next[v]; });
    else if (p.defaultValue && !next[p.defaultValue]) p.defaultValue = p.type === "RADIO_BUTTON" && named[0] ? named[0].label : "";
    if (p.type === "RADIO_BUTTON" && !p.defaultValue && named[0]) p.defaultValue = named[0].label;
    if (S.errors[f.uid]) delete S.errors[f.uid].options;
    touched();
    refreshDefault(f);
  }

  /** Rebuilds the default-value control in place (its choices follow the options) without
   *  re-rendering the panel, so the focus and caret of the option being typed stay where they are. */
  function refreshDefault(f) {
    var slot = document.querySelector('#d-panel [data-slot="default"]');
    if (!slot) return;
    slot.textContent = "";
    var dv = defaultValueEditor(f);
    if (dv) slot.appendChild(dv);
  }

  // The option rows are edited in place: a label is written to the model as it is typed, and the
  // rows are never rebuilt under the user's pointer (rebuilding on `change` used to move the caret back
  // into the previous box when the next one was clicked). A new row starts empty, with its suggested
  // name only as a placeholder.
  function optionsEditor(f) {
    var list = sortedOptions(f.prop).map(function (o) { return { label: o.label }; });
    var dupMsg = el("div", { class: "field-error", role: "alert", "data-testid": "panel-options-error" });
    var ul = el("ul", { class: "d-options", "data-testid": "panel-options" });

    function isDuplicate(v, i) { return list.some(function (x, j) { return j !== i && x.label === v; }); }
    function focusTestid(testid) {
      var n = ul.querySelector('[data-testid="' + testid + '"]');
      if (n) n.focus();
    }
    function move(i, to, testid) {
      list.splice(to, 0, list.splice(i, 1)[0]);
      writeOptions(f, list);
      draw();
      focusTestid(testid);
    }
    function row(o, i) {
      var inp = el("input", {
        type: "text", value: o.label, "data-testid": "panel-option-label-" + i, "aria-label": t("designer.options.label_n", { n: i + 1 }),
        placeholder: o.placeholder || "", maxlength: "128"
      });
      function btn(name, text, aria, disabled, fn) {
        return el("button", { type: "button", class: "button small", "data-testid": "panel-option-" + name + "-" + i, "aria-label": aria, title: aria, disabled: disabled, onclick: fn }, [text]);
      }
      var shown = function () { return o.label || o.placeholder || t("designer.options.label_n", { n: i + 1 }); };
      var up = btn("up", "↑", t("designer.options.up", { label: shown() }), i === 0, function () { move(i, i - 1, "panel-option-up-" + (i - 1 > 0 ? i - 1 : i)); });
      var down = btn("down", "↓", t("designer.options.down", { label: shown() }), i === list.length - 1, function () {
        move(i, i + 1, "panel-option-down-" + (i + 1 < list.length - 1 ? i + 1 : i));
      });
      var remove = btn("remove", "×", t("designer.options.remove", { label: shown() }), false, function () {
        list.splice(i, 1);
        dupMsg.textContent = "";
        writeOptions(f, list);
        draw();
        focusTestid("panel-option-add");
      });
      inp.addEventListener("input", function () {
        var v = inp.value.trim();
        if (v && isDuplicate(v, i)) { dupMsg.textContent = t("designer.options.duplicate"); inp.setAttribute("aria-invalid", "true"); return; }
        dupMsg.textContent = "";
        inp.removeAttribute("aria-invalid");
        var from = o.label;
        o.label = v;
        writeOptions(f, list, { from: from, to: v });
        [[up, "designer.options.up"], [down, "designer.options.down"], [remove, "designer.options.remove"]].forEach(function (b) {
          b[0].setAttribute("aria-label", t(b[1], { label: shown() }));
          b[0].title = t(b[1], { label: shown() });
        });
      });
      inp.addEventListener("change", function () {
        var v = inp.value.trim();
        // A duplicate name is not kept: the box goes back to the name the option has.
        if (v && isDuplicate(v, i)) { inp.value = o.label; dupMsg.textContent = t("designer.options.duplicate"); inp.removeAttribute("aria-invalid"); return; }
        if (!v && !o.placeholder) dupMsg.textContent = t("designer.options.empty");
        if (inp.value !== v) inp.value = v;
      });
      return el("li", { class: "d-option" }, [inp, up, down, remove]);
    }
    function draw() {
      ul.textContent = "";
      list.forEach(function (o, i) { ul.appendChild(row(o, i)); });
    }
    draw();
    var add = el("button", { type: "button", class: "button small", "data-testid": "panel-option-add", onclick: function () {
      var n = list.length + 1, label;
      do { label = t("designer.option.sample", { n: n }); n++; } while (list.some(function (x) { return x.label === label; }));
      list.push({ label: "", placeholder: label });
      draw();
      focusTestid("panel-option-label-" + (list.length - 1));
    } }, [t("designer.options.add")]);
    return section(t("designer.options.title"), [
      ul, dupMsg, errorNode(f.uid, "options"), add,
      el("p", { class: "help", text: t("designer.options.help") })
    ]);
  }

  // ---- Default values -------------------------------------------------------------------------------------
  function defaultValueEditor(f) {
    var p = f.prop, type = p.type;
    var label = t("designer.panel.default");
    if (p.lookup) return null;
    if (type === "SINGLE_LINE_TEXT" || type === "LINK" || type === "NUMBER") {
      return fieldRow(label, input("panel-default", p.defaultValue, function (v) { setProp(f, "defaultValue", v); }), { uid: f.uid, prop: "defaultValue" });
    }
    if (type === "MULTI_LINE_TEXT" || type === "RICH_TEXT") {
      var ta = el("textarea", { "data-testid": "panel-default", rows: "3" });
      ta.value = p.defaultValue || "";
      ta.addEventListener("input", function () { setProp(f, "defaultValue", ta.value); });
      return fieldRow(label, ta, { uid: f.uid, prop: "defaultValue" });
    }
    if (type === "DROP_DOWN" || type === "RADIO_BUTTON") {
      var opts = sortedOptions(p).map(function (o) { return [o.label, o.label]; });
      if (type === "DROP_DOWN") opts.unshift(["", t("designer.panel.default_none")]);
      return fieldRow(label, select("panel-default", opts, p.defaultValue || "", function (v) { p.defaultValue = v; touched(); }), { uid: f.uid, prop: "defaultValue" });
    }
    if (type === "CHECK_BOX" || type === "MULTI_SELECT") {
      var chosen = Array.isArray(p.defaultValue) ? p.defaultValue : [];
      return el("fieldset", { class: "d-panel-field d-inline-set", "data-testid": "panel-default" }, [el("legend", { class: "label", text: label })].concat(
        sortedOptions(p).map(function (o, i) {
          var box = el("input", { type: "checkbox", checked: chosen.indexOf(o.label) >= 0, "data-testid": "panel-default-" + i });
          box.addEventListener("change", function () {
            var now = (Array.isArray(p.defaultValue) ? p.defaultValue : []).filter(function (v) { return v !== o.label; });
            if (box.checked) now.push(o.label);
            p.defaultValue = now; touched();
          });
          return el("label", { class: "check" }, [box, document.createTextNode(o.label)]);
        })));
    }
    if (type === "DATE" || type === "TIME" || type === "DATETIME") {
      var kinds = { DATE: "date", TIME: "time", DATETIME: "datetime-local" };
      var value = p.defaultValue || "";
      if (type === "DATETIME" && value) value = String(value).replace(/:00(\.000)?Z$/, "").replace(/Z$/, "");
      var inp = input("panel-default", value, function (v) {
        setProp(f, "defaultValue", type === "DATETIME" && v ? v + ":00Z" : v);
      }, { type: kinds[type], disabled: !!p.defaultNowValue });
      return el("div", { class: "d-panel-field" }, [
        fieldRow(label, inp, { uid: f.uid, prop: "defaultValue" }),
        checkRow(t("designer.panel.default_now." + type), p.defaultNowValue, "panel-default-now", function (v) {
          p.defaultNowValue = v; if (v) delete p.defaultValue; touched(); rerender("panel-default-now");
        })
      ]);
    }
    if (type === "USER_SELECT" || type === "ORGANIZATION_SELECT") {
      var fn = type === "USER_SELECT" ? "LOGINUSER()" : "PRIMARY_ORGANIZATION()";
      var on = Array.isArray(p.defaultValue) && p.defaultValue.some(function (e) { return e.code === fn; });
      return checkRow(t("designer.panel.default_fn." + type), on, "panel-default", function (v) {
        p.defaultValue = v ? [{ code: fn, type: "FUNCTION" }] : []; touched();
      });
    }
    return null;
  }

  // ---- Tables ---------------------------------------------------------------------------------------------
  function columnsEditor(f) {
    var m = S.model;
    var items = f.columns.map(function (c) {
      var col = m.field(c);
      return el("li", {}, [el("button", {
        type: "button", class: "link-button", "data-testid": "panel-column-" + col.prop.code,
        onclick: function () { KD.select("field", c); }
      }, [(col.prop.label || col.prop.code) + " – " + KD.typeName(KD.displayType(col))])]);
    });
    return section(t("designer.table.columns"), [
      items.length ? el("ol", { class: "d-columns-list" }, items) : el("p", { class: "muted", text: t("designer.canvas.table_empty") }),
      errorNode(f.uid, "fields"),
      el("p", { class: "help", text: t("designer.table.help") })
    ]);
  }

  // ---- Other apps (lookup, related records) ---------------------------------------------------------------
  function loadApps() {
    if (!appsCache) {
      appsCache = KUMIKI.api("GET", "apps.json").then(function (r) {
        return (r.apps || []).filter(function (a) { return String(a.appId) !== String(APP); });
      }, function () { return []; });
    }
    return appsCache;
  }
  function loadFields(app) {
    if (!app) return Promise.resolve({});
    if (!fieldsCache[app]) {
      fieldsCache[app] = KUMIKI.api("GET", "app/form/fields.json?app=" + encodeURIComponent(app))
        .then(function (r) { return r.properties || {}; }, function () { delete fieldsCache[app]; return {}; });
    }
    return fieldsCache[app];
  }
  function flatFields(props) {
    var out = [];
    Object.keys(props).forEach(function (k) {
      out.push(props[k]);
    });
    return out;
  }

  /** Fills a select once its choices have loaded. */
  function asyncSelect(testid, promise, toOptions, value, onchange, placeholder) {
    var s = el("select", { "data-testid": testid }, [el("option", { value: "", text: t("common.loading") })]);
    promise.then(function (data) {
      s.textContent = "";
      s.appendChild(el("option", { value: "", text: placeholder }));
      toOptions(data).forEach(function (o) {
        s.appendChild(el("option", { value: o[0], text: o[1], selected: String(o[0]) === String(value || "") }));
      });
    });
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }

  function appOptions(apps) { return apps.map(function (a) { return [a.appId, a.name + " (ID: " + a.appId + ")"]; }); }

  var KEY_TYPES = ["RECORD_NUMBER", "SINGLE_LINE_TEXT", "NUMBER", "CALC", "LINK"];

  function lookupEditor(f) {
    var lk = f.prop.lookup;
    var app = lk.relatedApp.app;
    var fields = loadFields(app);
    function changed() { if (S.errors[f.uid]) delete S.errors[f.uid].lookup; touched(); }
    var kids = [
      fieldRow(t("designer.lookup.app"), asyncSelect("panel-lookup-app", loadApps(), appOptions, app, function (v) {
        lk.relatedApp = { app: v, code: "" }; lk.relatedKeyField = ""; lk.fieldMappings = []; lk.lookupPickerFields = [];
        changed(); rerender("panel-lookup-app");
      }, t("designer.lookup.choose_app")), { uid: f.uid, prop: "lookup", help: t("designer.lookup.app_help") })
    ];
    if (app) {
      kids.push(fieldRow(t("designer.lookup.key"), asyncSelect("panel-lookup-key", fields, function (props) {
        return flatFields(props).filter(function (p) { return KEY_TYPES.indexOf(p.type) >= 0; })
          .map(function (p) { return [p.code, (p.label || p.code) + " (" + p.code + ")"]; });
      }, lk.relatedKeyField, function (v) { lk.relatedKeyField = v; changed(); }, t("designer.lookup.choose_field"))));
      // Copies: this app's field ← the source app's field.
      var here = S.model.allFields().filter(function (o) {
        return o.uid !== f.uid && o.parent === f.parent && !KD.isSystem(o.prop.type) &&
          ["SUBTABLE", "GROUP", "REFERENCE_TABLE", "CALC", "FILE"].indexOf(o.prop.type) < 0;
      });
      var rows = lk.fieldMappings.map(function (mp, i) {
        return el("li", { class: "d-mapping" }, [
          select("panel-lookup-mapping-field-" + i, [["", t("designer.lookup.choose_field")]].concat(here.map(function (o) {
            return [o.prop.code, (o.prop.label || o.prop.code) + " (" + o.prop.code + ")"];
          })), mp.field, function (v) { mp.field = v; changed(); }),
          el("span", { class: "d-arrow", "aria-hidden": "true", text: "←" }),
          asyncSelect("panel-lookup-mapping-source-" + i, fields, function (props) {
            return flatFields(props).filter(function (p) { return ["SUBTABLE", "GROUP", "REFERENCE_TABLE", "LABEL", "HR", "SPACER", "STATUS", "STATUS_ASSIGNEE", "CATEGORY"].indexOf(p.type) < 0; })
              .map(function (p) { return [p.code, (p.label || p.code) + " (" + p.code + ")"]; });
          }, mp.relatedField, function (v) { mp.relatedField = v; changed(); }, t("designer.lookup.choose_field")),
          el("button", { type: "button", class: "button small", "data-testid": "panel-lookup-mapping-remove-" + i,
            "aria-label": t("designer.lookup.remove_mapping"), title: t("designer.lookup.remove_mapping"),
            onclick: function () { lk.fieldMappings.splice(i, 1); changed(); rerender("panel-lookup-mapping-add"); } }, ["×"])
        ]);
      });
      rows.forEach(function (r, i) {
        r.firstChild.setAttribute("aria-label", t("designer.lookup.copy_to", { n: i + 1 }));
        r.children[2].setAttribute("aria-label", t("designer.lookup.copy_from", { n: i + 1 }));
      });
      kids.push(el("div", { class: "d-panel-field" }, [
        el("span", { class: "label", text: t("designer.lookup.mappings") }),
        el("ul", { class: "d-mappings" }, rows),
        el("button", { type: "button", class: "button small", "data-testid": "panel-lookup-mapping-add", onclick: function () {
          lk.fieldMappings.push({ field: "", relatedField: "" }); changed(); rerender("panel-lookup-mapping-field-" + (lk.fieldMappings.length - 1));
        } }, [t("designer.lookup.add_mapping")]),
        el("p", { class: "help", text: t("designer.lookup.mappings_help") })
      ]));
      var picker = el("fieldset", { class: "d-panel-field d-inline-set", "data-testid": "panel-lookup-picker" }, [el("legend", { class: "label", text: t("designer.lookup.picker") })]);
      fields.then(function (props) {
        flatFields(props).filter(function (p) { return ["SUBTABLE", "GROUP", "REFERENCE_TABLE", "STATUS_ASSIGNEE", "CATEGORY"].indexOf(p.type) < 0; })
          .forEach(function (p) {
            var box = el("input", { type: "checkbox", checked: lk.lookupPickerFields.indexOf(p.code) >= 0, "data-testid": "panel-lookup-picker-" + p.code });
            box.addEventListener("change", function () {
              lk.lookupPickerFields = lk.lookupPickerFields.filter(function (c) { return c !== p.code; });
              if (box.checked) lk.lookupPickerFields.push(p.code);
              changed();
            });
            picker.appendChild(el("label", { class: "check" }, [box, document.createTextNode(p.label || p.code)]));
          });
      });
      kids.push(picker);
      kids.push(fieldRow(t("designer.lookup.filter"), input("panel-lookup-filter", lk.filterCond, function (v) { lk.filterCond = v; changed(); }), { help: t("designer.query_help") }));
      kids.push(fieldRow(t("designer.lookup.sort"), input("panel-lookup-sort", lk.sort, function (v) { lk.sort = v; changed(); }), { help: t("designer.sort_help") }));
    }
    return section(t("designer.lookup.title"), kids);
  }

  function referenceEditor(f) {
    var rt = f.prop.referenceTable;
    var app = rt.relatedApp.app;
    var fields = loadFields(app);
    function changed() { if (S.errors[f.uid]) delete S.errors[f.uid].referenceTable; touched(); }
    var kids = [
      fieldRow(t("designer.reference.app"), asyncSelect("panel-ref-app", loadApps(), appOptions, app, function (v) {
        rt.relatedApp = { app: v, code: "" }; rt.condition = { field: rt.condition.field, relatedField: "" }; rt.displayFields = [];
        changed(); rerender("panel-ref-app");
      }, t("designer.lookup.choose_app")), { uid: f.uid, prop: "referenceTable" })
    ];
    if (app) {
      var here = S.model.allFields().filter(function (o) {
        return !o.parent && ["SUBTABLE", "GROUP", "REFERENCE_TABLE", "LABEL"].indexOf(o.prop.type) < 0;
      });
      kids.push(el("div", { class: "d-panel-field" }, [
        el("span", { class: "label", text: t("designer.reference.condition") }),
        el("div", { class: "d-mapping" }, [
          select("panel-ref-field", [["", t("designer.reference.this_app_field")]].concat(here.map(function (o) {
            return [o.prop.code, (o.prop.label || o.prop.code) + " (" + o.prop.code + ")"];
          })), rt.condition.field, function (v) { rt.condition.field = v; changed(); }),
          el("span", { class: "d-arrow", "aria-hidden": "true", text: "=" }),
          asyncSelect("panel-ref-related", fields, function (props) {
            return flatFields(props).filter(function (p) { return ["SUBTABLE", "GROUP", "REFERENCE_TABLE"].indexOf(p.type) < 0; })
              .map(function (p) { return [p.code, (p.label || p.code) + " (" + p.code + ")"]; });
          }, rt.condition.relatedField, function (v) { rt.condition.relatedField = v; changed(); }, t("designer.reference.source_field"))
        ]),
        el("p", { class: "help", text: t("designer.reference.condition_help") })
      ]));
      var shown = el("fieldset", { class: "d-panel-field d-inline-set", "data-testid": "panel-ref-display" }, [el("legend", { class: "label", text: t("designer.reference.display") })]);
      fields.then(function (props) {
        flatFields(props).filter(function (p) { return ["SUBTABLE", "GROUP", "REFERENCE_TABLE", "STATUS_ASSIGNEE", "CATEGORY"].indexOf(p.type) < 0; })
          .forEach(function (p) {
            var box = el("input", { type: "checkbox", checked: rt.displayFields.indexOf(p.code) >= 0, "data-testid": "panel-ref-display-" + p.code });
            box.addEventListener("change", function () {
              rt.displayFields = rt.displayFields.filter(function (c) { return c !== p.code; });
              if (box.checked) rt.displayFields.push(p.code);
              changed();
            });
            shown.appendChild(el("label", { class: "check" }, [box, document.createTextNode(p.label || p.code)]));
          });
      });
      kids.push(shown);
      kids.push(fieldRow(t("designer.lookup.filter"), input("panel-ref-filter", rt.filterCond, function (v) { rt.filterCond = v; changed(); }), { help: t("designer.query_help") }));
      kids.push(fieldRow(t("designer.lookup.sort"), input("panel-ref-sort", rt.sort, function (v) { rt.sort = v; changed(); }), { help: t("designer.sort_help") }));
      kids.push(fieldRow(t("designer.reference.size"), select("panel-ref-size", ["1", "3", "5", "10", "20", "30", "40", "50"].map(function (n) { return [n, n]; }),
        rt.size || "5", function (v) { rt.size = v; changed(); })));
    }
    return section(t("designer.reference.title"), kids);
  }
})();
