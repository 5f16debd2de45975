// View settings (/apps/{id}/views, kintone's 一覧の設定): the app's views in order (drag and drop or
// ↑/↓), and for the chosen view its name, type (list or calendar), columns chosen and ordered by drag
// and drop or buttons (system fields, Status and Assignee included), filter (the condition builder of
// views_query.js, or the condition text) and sort keys. Saved pre-live with
// `preview/app/views.json`, published with `preview/app/deploy.json` like the other settings pages.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, V = window.KUMIKI_VIEWS, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  // Types that lists can sort by (as records_list.js).
  var SORTABLE = { SINGLE_LINE_TEXT: 1, LINK: 1, NUMBER: 1, CALC: 1, RADIO_BUTTON: 1, DROP_DOWN: 1, DATE: 1, TIME: 1, DATETIME: 1,
    RECORD_NUMBER: 1, CREATOR: 1, MODIFIER: 1, CREATED_TIME: 1, UPDATED_TIME: 1, STATUS: 1 };
  var DATE_TYPES = { DATE: 1, DATETIME: 1, CREATED_TIME: 1, UPDATED_TIME: 1 };
  var KNOWN_FUNCS = /^(TODAY|YESTERDAY|TOMORROW|THIS_WEEK|LAST_WEEK|NEXT_WEEK|THIS_MONTH|LAST_MONTH|NEXT_MONTH|THIS_YEAR|LAST_YEAR|NEXT_YEAR|LOGINUSER)\(\)$/;
  var EDITED = ["id", "name", "index", "type", "fields", "filterCond", "sort", "date", "title"];

  var S = {
    revision: page.previewRevision || null,
    unpublished: !!page.unpublished,
    dirty: false, busy: false,
    props: {}, columns: [], sortable: [], condFields: [],
    views: [], selected: 0, seq: 0,
    errors: {}            // uid → {member: [messages]}
  };

  function $(id) { return document.getElementById(id); }

  // ---- Status, messages, saving, publishing and loading (settings_list.js) --------------------------------
  var L = window.KUMIKI_SETTINGS_LIST({ S: S, app: APP, prefix: "vs", kind: "views", list: "views",
    member: function (key) { return /^views\.(.+)\.(name|type|fields|date|title|filterCond|sort)$/.exec(key) || /^views\.(.+)()$/.exec(key); },
    payload: payload, loadFields: loadFields, fromServer: fromServer, renderList: renderList, renderEditor: renderEditor,
    published: function () {
      message("ok", t("vs.publish.done"), el("a", { href: "/apps/" + APP, "data-testid": "vs-open-app", text: t("vs.open_app") }));
    } });
  var renderStatus = L.renderStatus, message = L.message, changed = L.changed, save = L.save, publish = L.publish, load = L.load;

  // ---- Fields ------------------------------------------------------------------------------------------------
  function prop(code) { return S.props[code] || null; }
  function label(code) { var p = prop(code); return p ? (p.label || p.code) : code; }

  function loadFields(props) {
    S.props = props;
    var all = R.dataFields(props).filter(function (p) { return p.type !== "CATEGORY"; });
    // The form's fields first, then the system fields (record number, creator, ..., status, assignee).
    S.columns = all.filter(function (p) { return !R.SYSTEM[p.type]; }).concat(all.filter(function (p) { return R.SYSTEM[p.type]; }));
    S.sortable = S.columns.filter(function (p) { return SORTABLE[p.type]; });
    S.condFields = V.conditionFields(props);
  }

  // ---- Filter text ⇄ condition builder ---------------------------------------------------------------------
  function unquote(s) {
    var m = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
    if (m) return m[1].replace(/\\(.)/g, "$1");
    if (KNOWN_FUNCS.test(s) || /^-?\d+(\.\d+)?$/.test(s)) return s;
    return null;
  }

  function splitList(s) {
    var out = [], cur = "", q = false;
    for (var i = 0; i < s.length; i++) {
      var ch = s[i];
      if (q) { cur += ch; if (ch === "\\") { cur += s[++i] || ""; } else if (ch === "\"") q = false; continue; }
      if (ch === "\"") { q = true; cur += ch; continue; }
      if (ch === ",") { out.push(cur.trim()); cur = ""; continue; }
      cur += ch;
    }
    if (cur.trim()) out.push(cur.trim());
    return out;
  }

  function parseOne(s) {
    var m, f, op, v;
    if ((m = /^(\S+)\s+(is not empty|is empty)$/i.exec(s))) { f = m[1]; op = m[2].toLowerCase(); v = ""; }
    else if ((m = /^(\S+)\s+(not in|in)\s*\((.*)\)$/i.exec(s))) {
      f = m[1]; op = m[2].toLowerCase();
      v = splitList(m[3]).map(unquote);
      if (!v.length || v.some(function (x) { return x === null; })) return null;
    } else if ((m = /^(\S+)\s+(not like|like|!=|>=|<=|=|>|<)\s+(.+)$/i.exec(s))) {
      f = m[1]; op = m[2].toLowerCase(); v = unquote(m[3].trim());
      if (v === null) return null;
    } else return null;
    var field = S.condFields.filter(function (x) { return x.code === f; })[0];
    if (!field || V.operators(field).indexOf(op) < 0) return null;
    return { f: f, op: op, v: v };
  }

  /** The builder state for a condition text, or null when the builder cannot show it. */
  function parseCond(text) {
    text = (text || "").trim();
    if (!text) return { m: "and", c: [] };
    var parts = [], joins = [], cur = "", depth = 0, q = false, i = 0;
    while (i < text.length) {
      var ch = text[i];
      if (q) { cur += ch; if (ch === "\\") { cur += text[i + 1] || ""; i += 2; continue; } if (ch === "\"") q = false; i++; continue; }
      if (ch === "\"") { q = true; cur += ch; i++; continue; }
      if (ch === "(") depth++;
      if (ch === ")") depth--;
      if (depth === 0) {
        var m = /^\s+(and|or)\s+/i.exec(text.slice(i));
        if (m) { parts.push(cur.trim()); joins.push(m[1].toLowerCase()); cur = ""; i += m[0].length; continue; }
      }
      cur += ch; i++;
    }
    parts.push(cur.trim());
    if (joins.some(function (j) { return j !== joins[0]; })) return null;
    var conds = parts.map(parseOne);
    if (conds.some(function (c) { return !c; })) return null;
    var state = { m: joins[0] || "and", c: conds };
    // Only what the builder writes back unchanged is shown in it.
    var norm = function (s) { return s.replace(/\s+/g, " ").trim(); };
    return norm(V.text(state, S.condFields)) === norm(text) ? state : null;
  }

  // ---- Views ---------------------------------------------------------------------------------------------------
  function splitSort(text) {
    return String(text || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean).map(function (s) {
      var p = s.split(/\s+/);
      return { f: p[0], d: (p[1] || "asc").toLowerCase() === "desc" ? "desc" : "asc" };
    });
  }
  function sortText(keys) {
    return keys.filter(function (k) { return k.f; }).map(function (k) { return k.f + " " + k.d; }).join(", ");
  }

  function fromServer(v) {
    var extra = {};
    Object.keys(v).forEach(function (k) { if (EDITED.indexOf(k) < 0) extra[k] = v[k]; });
    return { uid: ++S.seq, id: v.id || null, name: v.name || "", type: v.type || "LIST", fields: (v.fields || []).slice(),
      date: v.date || "", title: v.title || "", filterCond: v.filterCond || "", cond: parseCond(v.filterCond), sort: splitSort(v.sort), extra: extra };
  }

  function newView() {
    var n = S.views.length + 1, name = t("vs.new_name", { n: n });
    while (S.views.some(function (v) { return v.name === name; })) name = t("vs.new_name", { n: ++n });
    var first = S.columns.filter(function (p) { return !R.SYSTEM[p.type] && p.type !== "SUBTABLE"; }).slice(0, 5).map(function (p) { return p.code; });
    return { uid: ++S.seq, id: null, name: name, type: "LIST", fields: first, date: "", title: "", filterCond: "", cond: { m: "and", c: [] }, sort: [], extra: {} };
  }

  function current() { return S.views[S.selected] || null; }

  /** Moves item `from` of `list` to position `to` (an index in the list without the item). */
  function move(list, from, to) {
    var item = list.splice(from, 1)[0];
    list.splice(Math.max(0, Math.min(to, list.length)), 0, item);
  }

  // ---- Drag and drop: one helper for the view list and the columns --------------------------------------
  var drag = null;   // {kind: "view"|"column", value}

  function draggable(node, kind, value) {
    node.draggable = true;
    node.addEventListener("dragstart", function (e) {
      drag = { kind: kind, value: value };
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", String(value));
      node.classList.add("vs-dragging");
    });
    node.addEventListener("dragend", function () { drag = null; node.classList.remove("vs-dragging"); clearMarks(); });
  }

  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll(".vs-drop-before, .vs-drop-after, .vs-drop-target"), function (n) {
      n.classList.remove("vs-drop-before", "vs-drop-after", "vs-drop-target");
    });
  }

  /** Makes `node` a drop target for `kind`; `onDrop(value, after)` gets whether the drop was on its lower half. */
  function dropTarget(node, kind, onDrop) {
    node.addEventListener("dragover", function (e) {
      if (!drag || drag.kind !== kind) return;
      e.preventDefault();
      e.stopPropagation();
      var r = node.getBoundingClientRect(), after = e.clientY > r.top + r.height / 2;
      clearMarks();
      node.classList.add(node.tagName === "LI" ? (after ? "vs-drop-after" : "vs-drop-before") : "vs-drop-target");
    });
    node.addEventListener("dragleave", function () { node.classList.remove("vs-drop-before", "vs-drop-after", "vs-drop-target"); });
    node.addEventListener("drop", function (e) {
      if (!drag || drag.kind !== kind) return;
      e.preventDefault();
      e.stopPropagation();
      var r = node.getBoundingClientRect(), value = drag.value;
      drag = null;
      clearMarks();
      onDrop(value, e.clientY > r.top + r.height / 2);
    });
  }

  function iconButton(testid, text, aria, disabled, onclick) {
    return el("button", { type: "button", class: "button small", "data-testid": testid, "aria-label": aria, title: aria, text: text,
      disabled: disabled ? true : null, onclick: onclick });
  }

  // ---- The view list -----------------------------------------------------------------------------------------
  function renderList() {
    var list = $("vs-list");
    list.textContent = "";
    if (!S.views.length) list.appendChild(el("li", { class: "muted vs-empty", "data-testid": "vs-list-empty", text: t("vs.list.empty") }));
    S.views.forEach(function (v, i) {
      var id = "vs-view-" + i;
      var chosen = i === S.selected;
      var select = el("button", { type: "button", class: "vs-view-select", "data-testid": id, "aria-current": chosen ? "true" : null,
        onclick: function () { S.selected = i; renderList(); renderEditor(); } }, [
        el("span", { class: "vs-view-name", text: v.name || t("vs.unnamed") }),
        el("span", { class: "vs-badge", text: t("vs.type." + v.type.toLowerCase()) })
      ]);
      var item = el("li", { class: "vs-view" + (chosen ? " vs-selected" : "") + (S.errors[v.uid] ? " vs-has-error" : ""), "data-uid": String(v.uid) }, [
        el("span", { class: "vs-grip", "aria-hidden": "true", text: "⋮⋮" }), select,
        el("span", { class: "vs-row-buttons" }, [
          iconButton(id + "-up", "↑", t("vs.view.up", { name: v.name }), i === 0, function () { reorder(i, i - 1, "-up"); }),
          iconButton(id + "-down", "↓", t("vs.view.down", { name: v.name }), i === S.views.length - 1, function () { reorder(i, i + 1, "-down"); })
        ])
      ]);
      draggable(item, "view", v.uid);
      dropTarget(item, "view", function (uid, after) {
        var from = indexOfUid(uid);
        if (from < 0) return;
        var to = i + (after ? 1 : 0);
        if (from < to) to--;
        if (from === to) return;
        var sel = current();
        move(S.views, from, to);
        S.selected = S.views.indexOf(sel);
        changed(); renderList();
      });
      list.appendChild(item);
    });
  }

  function indexOfUid(uid) {
    for (var i = 0; i < S.views.length; i++) if (S.views[i].uid === uid) return i;
    return -1;
  }

  function reorder(from, to, suffix) {
    if (to < 0 || to >= S.views.length) return;
    var sel = current();
    move(S.views, from, to);
    S.selected = S.views.indexOf(sel);
    changed(); renderList();
    var again = $("vs-list").querySelector("[data-testid='vs-view-" + to + suffix + "']");
    if (again && !again.disabled) again.focus();
  }

  // ---- The editor ----------------------------------------------------------------------------------------------
  function errorsOf(v, member) { return ((S.errors[v.uid] || {})[member]) || []; }
  function errorBox(v, member) {
    var list = errorsOf(v, member);
    if (!list.length) return null;
    return el("div", { class: "field-error", role: "alert", "data-testid": "vs-error-" + member }, list.map(function (m) { return el("div", { text: m }); }));
  }

  function section(title, help, children, testid) {
    return el("fieldset", { class: "vs-section", "data-testid": testid || null }, [el("legend", { text: title }),
      help ? el("p", { class: "help", text: help }) : null].concat(children));
  }

  function fieldSelect(id, choices, value, emptyText, onchange) {
    var s = el("select", { id: id, "data-testid": id }, (emptyText ? [el("option", { value: "", text: emptyText })] : []).concat(
      choices.map(function (p) { return el("option", { value: p.code, selected: p.code === value ? true : null, text: (p.label || p.code) }); })));
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }

  function renderEditor() {
    var body = $("vs-editor-body");
    body.textContent = "";
    var v = current();
    $("vs-editor").hidden = !v;
    if (!v) return;
    var general = errorsOf(v, "");
    if (general.length) body.appendChild(el("div", { class: "alert error", role: "alert" }, general.map(function (m) { return el("div", { text: m }); })));
    // Name and type.
    var name = el("input", { id: "vs-name", "data-testid": "vs-name", maxlength: "64", value: v.name, required: true });
    name.addEventListener("input", function () {
      v.name = name.value;
      changed();
      var shown = $("vs-list").querySelector("[data-uid='" + v.uid + "'] .vs-view-name");
      if (shown) shown.textContent = v.name || t("vs.unnamed");
    });
    var type = el("select", { id: "vs-type", "data-testid": "vs-type" }, ["LIST", "CALENDAR"].concat(v.type === "CUSTOM" ? ["CUSTOM"] : []).map(function (k) {
      return el("option", { value: k, selected: v.type === k ? true : null, text: t("vs.type." + k.toLowerCase()) });
    }));
    type.addEventListener("change", function () {
      v.type = type.value;
      if (v.type === "CALENDAR" && !v.date) {
        var d = S.columns.filter(function (p) { return DATE_TYPES[p.type]; })[0];
        v.date = d ? d.code : "";
      }
      changed(); renderList(); renderEditor();
    });
    body.appendChild(el("div", { class: "vs-head-row" }, [
      el("div", { class: "field vs-name-field" }, [el("label", { class: "label", for: "vs-name", text: t("vs.name") }), name, errorBox(v, "name")]),
      el("div", { class: "field" }, [el("label", { class: "label", for: "vs-type", text: t("vs.type") }), type, errorBox(v, "type")])
    ]));
    if (v.type === "CALENDAR") body.appendChild(calendarSection(v));
    else if (v.type === "LIST") body.appendChild(columnsSection(v));
    else body.appendChild(el("p", { class: "help", text: t("vs.custom_help") }));
    body.appendChild(filterSection(v));
    body.appendChild(sortSection(v));
    body.appendChild(el("div", { class: "vs-editor-foot" }, [
      el("button", { type: "button", class: "button danger", "data-testid": "vs-delete", text: t("vs.delete_view"), onclick: function () { askDelete(v); } })
    ]));
  }

  function calendarSection(v) {
    var dates = S.columns.filter(function (p) { return DATE_TYPES[p.type]; });
    var titles = S.columns.filter(function (p) { return p.type !== "SUBTABLE"; });
    return section(t("vs.calendar"), t("vs.calendar_help"), [
      el("div", { class: "vs-head-row" }, [
        el("div", { class: "field" }, [el("label", { class: "label", for: "vs-date", text: t("vs.date_field") }),
          fieldSelect("vs-date", dates, v.date, dates.length ? null : t("vs.no_date_fields"), function (x) { v.date = x; changed(); }), errorBox(v, "date")]),
        el("div", { class: "field" }, [el("label", { class: "label", for: "vs-title-field", text: t("vs.title_field") }),
          fieldSelect("vs-title-field", titles, v.title, t("vs.title_none"), function (x) { v.title = x; changed(); }), errorBox(v, "title")])
      ])
    ], "vs-calendar");
  }

  function columnsSection(v) {
    var chosen = el("ol", { class: "vs-cols vs-chosen", id: "vs-chosen", "data-testid": "vs-chosen", "aria-labelledby": "vs-chosen-title" });
    var avail = el("ul", { class: "vs-cols vs-available", id: "vs-available", "data-testid": "vs-available", "aria-labelledby": "vs-available-title" });
    function redraw(focusId) {
      var top = document.documentElement.scrollTop;
      var again = columnsSection(v);
      var old = $("vs-columns");
      old.parentNode.replaceChild(again, old);
      document.documentElement.scrollTop = top;
      if (focusId) { var f = again.querySelector("[data-testid='" + focusId + "']"); if (f && !f.disabled) f.focus(); else { f = again.querySelector("[data-testid='vs-chosen'] button, [data-testid='vs-available'] button"); if (f) f.focus(); } }
    }
    function place(code, to) {
      var from = v.fields.indexOf(code);
      if (from >= 0) { if (from < to) to--; if (from === to) return; move(v.fields, from, to); }
      else v.fields.splice(Math.max(0, Math.min(to, v.fields.length)), 0, code);
      changed(); redraw();
    }
    if (!v.fields.length) chosen.appendChild(el("li", { class: "muted vs-empty", text: t("vs.columns.empty") }));
    v.fields.forEach(function (code, i) {
      var tid = "vs-col-" + code;
      var item = el("li", { class: "vs-col" + (prop(code) ? "" : " vs-missing"), "data-testid": tid, "data-code": code }, [
        el("span", { class: "vs-grip", "aria-hidden": "true", text: "⋮⋮" }),
        el("span", { class: "vs-col-label" }, [el("span", { text: label(code) }), prop(code) ? null : el("span", { class: "vs-badge warn", text: t("vs.columns.missing") })]),
        el("span", { class: "vs-row-buttons" }, [
          iconButton(tid + "-up", "↑", t("vs.col.up", { name: label(code) }), i === 0, function () { move(v.fields, i, i - 1); changed(); redraw(tid + "-up"); }),
          iconButton(tid + "-down", "↓", t("vs.col.down", { name: label(code) }), i === v.fields.length - 1, function () { move(v.fields, i, i + 1); changed(); redraw(tid + "-down"); }),
          iconButton(tid + "-remove", "×", t("vs.col.remove", { name: label(code) }), false, function () { v.fields.splice(i, 1); changed(); redraw("vs-avail-" + code + "-add"); })
        ])
      ]);
      draggable(item, "column", code);
      dropTarget(item, "column", function (c, after) { place(c, i + (after ? 1 : 0)); });
      chosen.appendChild(item);
    });
    dropTarget(chosen, "column", function (c) { place(c, v.fields.length); });
    var rest = S.columns.filter(function (p) { return v.fields.indexOf(p.code) < 0; });
    if (!rest.length) avail.appendChild(el("li", { class: "muted vs-empty", text: t("vs.columns.all_used") }));
    rest.forEach(function (p) {
      var tid = "vs-avail-" + p.code;
      var item = el("li", { class: "vs-col", "data-testid": tid, "data-code": p.code }, [
        el("span", { class: "vs-grip", "aria-hidden": "true", text: "⋮⋮" }),
        el("span", { class: "vs-col-label" }, [el("span", { text: p.label || p.code }), R.SYSTEM[p.type] ? el("span", { class: "vs-badge", text: t("vs.columns.system") }) : null]),
        el("span", { class: "vs-row-buttons" }, [
          iconButton(tid + "-add", "＋", t("vs.col.add", { name: p.label || p.code }), false, function () { v.fields.push(p.code); changed(); redraw("vs-col-" + p.code + "-remove"); })
        ])
      ]);
      draggable(item, "column", p.code);
      avail.appendChild(item);
    });
    dropTarget(avail, "column", function (c) {
      var at = v.fields.indexOf(c);
      if (at >= 0) { v.fields.splice(at, 1); changed(); redraw(); }
    });
    return el("div", { id: "vs-columns" }, [section(t("vs.columns"), t("vs.columns_help"), [
      errorBox(v, "fields"),
      el("div", { class: "vs-columns-grid" }, [
        el("div", {}, [el("h3", { id: "vs-chosen-title", class: "vs-sub", text: t("vs.columns.chosen") }), chosen]),
        el("div", {}, [el("h3", { id: "vs-available-title", class: "vs-sub", text: t("vs.columns.available") }), avail])
      ])
    ], "vs-columns-section")]);
  }

  function filterSection(v) {
    var builderBox = el("div", { class: "cond-builder" });
    var text = el("textarea", { id: "vs-filter-text", "data-testid": "vs-filter-text", rows: "2", spellcheck: "false" });
    text.value = v.filterCond;
    var note = el("p", { class: "help vs-note", "data-testid": "vs-filter-note", hidden: v.cond ? true : null, text: t("vs.filter.text_only") });
    var addBtn = el("button", { type: "button", class: "button small", "data-testid": "vs-condition-add", text: "+ " + t("vs.filter.add") });
    function build() {
      builderBox.textContent = "";
      note.hidden = !!v.cond;
      addBtn.hidden = !v.cond;
      if (!v.cond) return;
      V.onEnter = function () { /* nothing to submit here */ };
      var b = V.builder(builderBox, S.condFields, v.cond, function () {
        v.filterCond = V.text(v.cond, S.condFields);
        text.value = v.filterCond;
        changed();
      });
      addBtn.onclick = function () { b.add(); };
    }
    text.addEventListener("input", function () { v.filterCond = text.value; changed(); });
    text.addEventListener("change", function () { v.cond = parseCond(text.value); build(); });
    build();
    return section(t("vs.filter"), t("vs.filter_help"), [builderBox, note, addBtn,
      el("details", { class: "vs-filter-text", open: v.cond ? null : true }, [
        el("summary", { text: t("vs.filter.text") }),
        el("label", { class: "label", for: "vs-filter-text", text: t("vs.filter.text_label") }), text
      ]),
      errorBox(v, "filterCond")], "vs-filter");
  }

  function sortSection(v) {
    var rows = el("ol", { class: "vs-sort-list", "data-testid": "vs-sort-list" });
    function redraw() { var again = sortSection(v); var old = $("vs-sort"); old.parentNode.replaceChild(again, old); }
    v.sort.forEach(function (k, i) {
      var id = "vs-sort-" + i;
      var dir = el("select", { id: id + "-dir", "data-testid": id + "-dir", "aria-label": t("vs.sort.dir_of", { n: i + 1 }) }, ["asc", "desc"].map(function (d) {
        return el("option", { value: d, selected: k.d === d ? true : null, text: t("vs.sort." + d) });
      }));
      dir.addEventListener("change", function () { k.d = dir.value; changed(); });
      var field = fieldSelect(id + "-field", S.sortable, k.f, prop(k.f) ? null : k.f, function (x) { k.f = x; changed(); });
      field.setAttribute("aria-label", t("vs.sort.field_of", { n: i + 1 }));
      rows.appendChild(el("li", { class: "vs-sort-row", "data-testid": id }, [field, dir, el("span", { class: "vs-row-buttons" }, [
        iconButton(id + "-up", "↑", t("vs.sort.up", { n: i + 1 }), i === 0, function () { move(v.sort, i, i - 1); changed(); redraw(); }),
        iconButton(id + "-remove", "×", t("vs.sort.remove", { n: i + 1 }), false, function () { v.sort.splice(i, 1); changed(); redraw(); })
      ])]));
    });
    var add = el("button", { type: "button", class: "button small", "data-testid": "vs-sort-add", text: "+ " + t("vs.sort.add"), disabled: S.sortable.length ? null : true,
      onclick: function () {
        var used = v.sort.map(function (k) { return k.f; });
        var next = S.sortable.filter(function (p) { return used.indexOf(p.code) < 0; })[0] || S.sortable[0];
        v.sort.push({ f: next.code, d: "asc" }); changed(); redraw();
      } });
    return el("div", { id: "vs-sort" }, [section(t("vs.sort"), t("vs.sort_help"), [
      v.sort.length ? rows : el("p", { class: "muted", "data-testid": "vs-sort-none", text: t("vs.sort.none") }), add, errorBox(v, "sort")], "vs-sort-section")]);
  }

  // ---- Delete with confirmation ------------------------------------------------------------------------------
  var pendingDelete = null;
  function askDelete(v) {
    pendingDelete = v;
    $("vs-delete-text").textContent = t("vs.delete.confirm", { name: v.name || t("vs.unnamed") });
    var d = $("vs-delete-dialog");
    if (typeof d.showModal === "function") d.showModal(); else d.setAttribute("open", "");
  }
  function closeDialog() { var d = $("vs-delete-dialog"); if (d.open) d.close(); }

  // ---- What is saved (settings_list.js saves, publishes and loads) ----------------------------------------
  function payload() {
    var out = {};
    S.views.forEach(function (v, i) {
      var body = {};
      Object.keys(v.extra).forEach(function (k) { body[k] = v.extra[k]; });
      body.type = v.type; body.name = v.name.trim(); body.index = String(i);
      if (v.id) body.id = v.id;
      if (v.type === "LIST") body.fields = v.fields.slice();
      if (v.type === "CALENDAR") { body.date = v.date; body.title = v.title; }
      body.filterCond = (v.filterCond || "").trim();
      body.sort = sortText(v.sort);
      out[body.name] = body;
    });
    return out;
  }

  function start() {
    $("vs-add").addEventListener("click", function () {
      S.views.push(newView());
      S.selected = S.views.length - 1;
      changed(); renderList(); renderEditor();
      var name = $("vs-name");
      if (name) { name.focus(); name.select(); }
    });
    $("vs-save").addEventListener("click", function () { if (!S.busy) save(); });
    $("vs-publish").addEventListener("click", publish);
    $("vs-delete-cancel").addEventListener("click", closeDialog);
    $("vs-delete-confirm").addEventListener("click", function () {
      var at = S.views.indexOf(pendingDelete);
      closeDialog();
      if (at < 0) return;
      S.views.splice(at, 1);
      delete S.errors[pendingDelete.uid];
      pendingDelete = null;
      S.selected = Math.min(at, S.views.length - 1);
      changed(); renderList(); renderEditor();
      message("info", t("vs.delete.done"));
    });
    window.addEventListener("beforeunload", function (e) { if (S.dirty) { e.preventDefault(); e.returnValue = ""; } });
    renderStatus();
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
