// List tools (KUMIKI_LIST_TOOLS), used by records_list.js: each row's record link carries the list's
// state (so the record page can step to the previous/next record of the same filtered, sorted list),
// the phone card layout (title first, two fields, records_tools.css), the full-text link under the
// one search box, and inline editing of a row (kintone's 一覧で編集): simple field types become
// inputs, saved with PUT record.json and the row's revision; field rights come from
// records/acl/evaluate.json, so a field the user may not edit stays as it is.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el;
  var T = {};
  var list = { props: {}, filter: function () { return ""; }, sort: function () { return ""; }, refresh: function () {} };

  /** Called by the list once its fields and views are known. */
  T.init = function (opts) { list = opts; };

  /** The link under the search box to the full-text search of this app (comments and files too). */
  T.fullTextLink = function (input) {
    var a = el("a", { class: "fulltext-link", "data-testid": "fulltext-link", text: K.t("record_tools.search.fulltext") + " ›" });
    function update() {
      var q = new URLSearchParams();
      q.set("app", R.appId);
      if (input.value.trim()) q.set("q", input.value.trim());
      a.setAttribute("href", "/search?" + q.toString());
    }
    input.addEventListener("input", update);
    update();
    return el("p", { class: "fulltext" }, [a]);
  };

  /** The query string a record link carries: the list's filter and sort, the record's position in
   *  it, and the list's own URL state for the way back. */
  T.navQuery = function (pos) {
    var q = new URLSearchParams();
    var f = list.filter(), s = list.sort();
    if (f) q.set("lq", f);
    if (s) q.set("ls", s);
    q.set("pos", String(pos));
    if (location.search.length > 1) q.set("back", location.search.slice(1));
    return q.toString();
  };

  /** Decorates one drawn row: navigation link, card classes, the inline edit button. */
  T.row = function (tr, r, cols, pos) {
    var id = r.$id.value;
    var link = tr.querySelector("[data-testid=\"record-link-" + id + "\"]");
    var href = R.recordUrl(id) + "?" + T.navQuery(pos);
    if (link) link.setAttribute("href", href);
    var cells = {};
    var others = 0, titleCode = R.page.titleField;
    cols.forEach(function (p, i) {
      var td = tr.children[i + 1];
      if (!td) return;
      cells[p.code] = td;
      td.setAttribute("data-field", p.code);
      if (p.code === titleCode) td.classList.add("card-title");
      else { others += 1; td.classList.add(others <= 2 ? "card-field" : "card-more"); }
    });
    if (titleCode && !cells[titleCode]) {
      // Cards always lead with the record title, even when the view does not show it as a column.
      var tp = list.props[titleCode] || { type: "SINGLE_LINE_TEXT", code: titleCode };
      var text = r[titleCode] ? R.text(tp, r[titleCode].value) : "";
      tr.appendChild(el("td", { class: "card-title card-only", "data-testid": "card-title-" + id }, [el("a", { href: href, text: text || "#" + id })]));
    } else if (cells[titleCode]) {
      cells[titleCode].setAttribute("data-testid", "card-title-" + id);
    }
    var open = tr.children[0];
    open.appendChild(el("button", { type: "button", class: "icon-button inline-edit", "data-testid": "inline-edit-" + id,
      "aria-label": K.t("record_tools.inline.edit_n", { id: id }), title: K.t("record_tools.inline.edit"), text: "✎",
      onclick: function () { startEdit(tr, r, cols, cells, this); } }));
  };

  // ---------- inputs for simple field types ----------
  var EDITABLE = { SINGLE_LINE_TEXT: 1, MULTI_LINE_TEXT: 1, LINK: 1, NUMBER: 1, DATE: 1, TIME: 1, DATETIME: 1,
    DROP_DOWN: 1, RADIO_BUTTON: 1, CHECK_BOX: 1, MULTI_SELECT: 1 };
  T.EDITABLE = EDITABLE;

  /** Whether a field can be edited in a list cell or in bulk (computed or looked-up values cannot). */
  T.simple = function (p, props) {
    if (!p || !EDITABLE[p.type]) return false;
    if (p.type === "SINGLE_LINE_TEXT" && p.expression) return false;
    if (p.lookup) return false;
    var targets = {};
    Object.keys(props || {}).forEach(function (c) {
      var lk = props[c].lookup;
      (lk && lk.fieldMappings || []).forEach(function (m) { targets[m.field] = true; });
    });
    return !targets[p.code];
  };

  /** An input for `p` holding `value`: {node, get(), focus()}. `label` names it for screen readers. */
  T.input = function (p, value, label, testid) {
    var node, get;
    if (p.type === "DROP_DOWN" || p.type === "RADIO_BUTTON") {
      node = el("select", { "aria-label": label, "data-testid": testid }, [el("option", { value: "", text: K.t("record_tools.inline.choose") })]
        .concat(R.options(p).map(function (o) { return el("option", { value: o.key, selected: o.key === value ? true : null, text: o.label }); })));
      get = function () { return node.value; };
    } else if (p.type === "CHECK_BOX" || p.type === "MULTI_SELECT") {
      var chosen = value || [];
      var boxes = [];
      node = el("fieldset", { class: "inline-choices", "data-testid": testid }, [el("legend", { class: "sr-only", text: label })].concat(R.options(p).map(function (o) {
        var b = el("input", { type: "checkbox", value: o.key, checked: chosen.indexOf(o.key) >= 0 ? true : null });
        boxes.push(b);
        return el("label", { class: "check" }, [b, o.label]);
      })));
      get = function () { return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }); };
    } else if (p.type === "MULTI_LINE_TEXT") {
      node = el("textarea", { rows: "2", "aria-label": label, "data-testid": testid });
      node.value = value || "";
      get = function () { return node.value; };
    } else {
      var type = { DATE: "date", TIME: "time", DATETIME: "datetime-local", LINK: p.protocol === "MAIL" ? "email" : "text" }[p.type] || "text";
      node = el("input", { type: type, "aria-label": label, "data-testid": testid, inputmode: p.type === "NUMBER" ? "decimal" : null });
      node.value = p.type === "DATETIME" ? R.isoToLocal(value) : (value === null || value === undefined ? "" : String(value));
      get = function () {
        if (p.type === "DATETIME") return node.value ? R.localToIso(node.value) : "";
        return node.value;
      };
    }
    return { node: node, get: get, focus: function () { (node.querySelector("input") || node).focus(); } };
  };

  /** The same value for comparing an edit with the original. */
  function same(p, a, b) {
    if (Array.isArray(a) || Array.isArray(b)) return (a || []).slice().sort().join("\u0001") === (b || []).slice().sort().join("\u0001");
    if (p.type === "DATETIME") return (a ? new Date(a).getTime() : 0) === (b ? new Date(b).getTime() : 0);
    if (p.type === "NUMBER") return String(a === null || a === undefined ? "" : a) === String(b === null || b === undefined ? "" : b);
    return String(a || "") === String(b || "");
  }

  // ---------- one row in edit mode ----------
  function startEdit(tr, r, cols, cells, button) {
    var id = r.$id.value;
    if (tr.classList.contains("editing")) return;
    button.disabled = true;
    var msg = rowMessage(tr, cols);
    R.alert(msg.box, "info", K.t("record_tools.inline.loading"));
    R.get("records/acl/evaluate.json?app=" + encodeURIComponent(R.appId) + "&ids[0]=" + encodeURIComponent(id)).then(function (b) {
      var rights = (b.rights || [])[0];
      if (!rights || !rights.record.editable) {
        button.disabled = false;
        R.alert(msg.box, "error", K.t("record_tools.inline.not_editable", { id: id }), "inline-error-" + id);
        return;
      }
      R.alert(msg.box, "", "");
      msg.row.hidden = true;
      openEditor(tr, r, cols, cells, rights.fields || {}, button, msg);
    }).catch(function (e) {
      button.disabled = false;
      R.alert(msg.box, "error", R.errorText(e), "inline-error-" + id);
    });
  }

  /** A full-width row under `tr` for its messages (created once). */
  function rowMessage(tr, cols) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("inline-message-row")) return { row: next, box: next.firstChild.firstChild };
    var box = el("div", { hidden: true });
    var row = el("tr", { class: "inline-message-row" }, [el("td", { colspan: String(cols.length + 1) }, [box])]);
    tr.parentNode.insertBefore(row, tr.nextSibling);
    return { row: row, box: box };
  }

  function openEditor(tr, r, cols, cells, fieldRights, button, msg) {
    var id = r.$id.value;
    tr.classList.add("editing");
    var editors = {};
    var saved = {};
    Object.keys(cells).forEach(function (code) {
      var p = list.props[code];
      var td = cells[code];
      var allowed = fieldRights[code] ? fieldRights[code].editable : false;
      if (!T.simple(p, list.props) || !allowed) { td.classList.add("inline-readonly"); td.title = K.t("record_tools.inline.read_only"); return; }
      saved[code] = Array.prototype.slice.call(td.childNodes);
      var original = r[code] ? r[code].value : null;
      var input = T.input(p, original, p.label || code, "inline-" + code + "-" + id);
      var err = el("div", { class: "field-error", "data-testid": "inline-error-" + code + "-" + id, hidden: true });
      td.textContent = "";
      td.appendChild(input.node);
      td.appendChild(err);
      editors[code] = { input: input, err: err, original: original, prop: p };
    });
    var open = tr.children[0];
    var saveBtn = el("button", { type: "button", class: "button primary small", "data-testid": "inline-save-" + id, text: K.t("record_tools.inline.save") });
    var cancelBtn = el("button", { type: "button", class: "button small", "data-testid": "inline-cancel-" + id, text: K.t("record_tools.inline.cancel") });
    var actions = el("div", { class: "inline-actions" }, [saveBtn, cancelBtn]);
    button.hidden = true;
    open.appendChild(actions);
    var first = Object.keys(editors)[0];
    if (first) editors[first].input.focus();

    function close() {
      Object.keys(editors).forEach(function (code) {
        var td = cells[code];
        td.textContent = "";
        saved[code].forEach(function (n) { td.appendChild(n); });
      });
      Object.keys(cells).forEach(function (code) { cells[code].classList.remove("inline-readonly"); cells[code].removeAttribute("title"); });
      actions.remove();
      button.hidden = false; button.disabled = false;
      tr.classList.remove("editing");
      msg.row.hidden = true;
      button.focus();
    }
    cancelBtn.addEventListener("click", close);
    tr.addEventListener("keydown", function (e) { if (e.key === "Escape" && tr.classList.contains("editing")) { e.preventDefault(); close(); } });

    saveBtn.addEventListener("click", function () {
      var record = {};
      Object.keys(editors).forEach(function (code) {
        var ed = editors[code];
        ed.err.hidden = true; ed.err.textContent = "";
        var v = ed.input.get();
        if (!same(ed.prop, v, ed.original)) record[code] = { value: v };
      });
      if (!Object.keys(record).length) { close(); return; }
      saveBtn.disabled = true;
      msg.row.hidden = false;
      R.alert(msg.box, "info", K.t("record_tools.inline.saving"));
      K.api("PUT", "record.json", { app: R.appId, id: id, record: record, revision: r.$revision.value }).then(function () {
        msg.row.hidden = false;
        R.alert(msg.box, "ok", K.t("record_tools.inline.saved", { id: id }), "inline-saved-" + id);
        // The list draws again with the saved values (and the new revision).
        list.refresh();
      }).catch(function (e) {
        saveBtn.disabled = false;
        msg.row.hidden = false;
        if (e && e.code === "GAIA_CO02") {
          R.alert(msg.box, "error", K.t("record_tools.inline.conflict", { id: id }), "inline-conflict-" + id);
          msg.box.firstChild.appendChild(el("button", { type: "button", class: "button small", "data-testid": "inline-reload-" + id,
            text: K.t("record_tools.inline.reload"), onclick: function () { list.refresh(); } }));
          return;
        }
        var loose = [];
        Object.keys((e && e.errors) || {}).forEach(function (key) {
          var m = /^record(?:\.([^.\[\]]+)|\[([^\]]+)\])/.exec(key);
          var code = m && (m[1] || m[2]);
          var msgs = (e.errors[key] && e.errors[key].messages) || [];
          if (code && editors[code]) { editors[code].err.hidden = false; editors[code].err.textContent = msgs.join(" "); }
          else msgs.forEach(function (x) { loose.push(((code && list.props[code] && list.props[code].label) || code || "") + ": " + x); });
        });
        var text = e && e.errors && Object.keys(e.errors).length ? K.t("record_tools.inline.fix") : R.errorText(e);
        if (loose.length) text += " " + loose.join(" ");
        R.alert(msg.box, "error", text, "inline-error-" + id);
      });
    });
  }

  window.KUMIKI_LIST_TOOLS = T;
})();
