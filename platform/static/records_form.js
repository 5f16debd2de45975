// Record forms: the app's live layout (rows, groups, labels, spacers, lines, subtables) with a control per
// field type, live calculation, lookups, uploads with progress, server errors beside their fields (the
// typing stays), and revision conflicts with reload/compare. Also renders the read-only detail view.
//
// Rich text is edited in a small contenteditable (bold, italic, lists, links) and stored as HTML; stored
// HTML is loaded into the editor only after rebuilding it from an allow-list of tags, and is *displayed*
// everywhere else as plain text with line breaks (never parsed into the page).
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el;
  var F = {};
  var uid = 0;
  /** A field's label as shown (system fields with their default label in the page's language). */
  function labelTextOf(prop) { return labelText(prop, prop && prop.code); }
  function labelText(prop, code) {
    return window.KUMIKI_LABELS ? window.KUMIKI_LABELS.label(prop) || code || "" : (prop.label || prop.code || code || "");
  }
  function nextId() { uid += 1; return "rf-" + uid; }

  // ---------- safe rich text ----------
  var ALLOWED = { B: "b", STRONG: "b", I: "i", EM: "i", U: "u", UL: "ul", OL: "ol", LI: "li", P: "p", DIV: "div", BR: "br", A: "a" };
  /** Rebuilds HTML from an allow-list into `target` (new nodes; no attribute but a checked href survives). */
  function cleanInto(source, target) {
    for (var c = source.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) { target.appendChild(document.createTextNode(c.nodeValue)); continue; }
      if (c.nodeType !== 1) continue;
      var tag = ALLOWED[c.tagName];
      if (c.tagName === "SCRIPT" || c.tagName === "STYLE") continue;
      if (!tag) { cleanInto(c, target); continue; }
      var n = document.createElement(tag);
      if (tag === "a") {
        var href = c.getAttribute("href") || "";
        if (/^(https?:|mailto:)/i.test(href)) { n.setAttribute("href", href); n.setAttribute("rel", "noopener noreferrer"); }
      }
      cleanInto(c, n);
      target.appendChild(n);
    }
  }
  function cleanHtml(html) {
    var doc = new DOMParser().parseFromString(String(html || ""), "text/html");
    var frag = document.createDocumentFragment();
    cleanInto(doc.body, frag);
    return frag;
  }
  function serialize(node) {
    var box = document.createElement("div");
    cleanInto(node, box);
    return box.innerHTML;
  }

  // ---------- controls ----------
  function fieldWrap(prop, id, control, opts) {
    var errId = id + "-err";
    var shown = labelTextOf(prop);
    var labelNode = opts.group
      ? el("legend", { class: "label" }, [shown, prop.required ? el("span", { class: "required-mark", "aria-hidden": "true", text: "*" }) : null])
      : el("label", { class: "label", for: id }, [shown, prop.required ? el("span", { class: "required-mark", "aria-hidden": "true", text: "*" }) : null]);
    if (prop.noLabel && !opts.inTable) labelNode.classList.add("sr-only");
    if (opts.inTable) labelNode.classList.add("sr-only");
    var err = el("div", { class: "field-error", id: errId, "data-testid": "error-" + (opts.testid || prop.code), "aria-live": "polite" });
    err.hidden = true;
    var wrap = el(opts.group ? "fieldset" : "div", { class: "field form-field", "data-field": prop.code }, [labelNode, control, err]);
    return { wrap: wrap, err: err, errId: errId };
  }

  function setError(c, messages) {
    if (!c.ui) return;
    var has = messages && messages.length;
    c.ui.wrap.classList.toggle("has-error", !!has);
    c.ui.err.hidden = !has;
    c.ui.err.textContent = has ? messages.join(" ") : "";
    (c.focusables ? c.focusables() : [c.input]).forEach(function (n) {
      if (!n) return;
      if (has) { n.setAttribute("aria-invalid", "true"); n.setAttribute("aria-describedby", c.ui.errId); }
      else { n.removeAttribute("aria-invalid"); }
    });
  }

  function makeChoiceGroup(prop, id, testid, multi, onEdit) {
    var box = el("div", { class: "choices" + (prop.align === "VERTICAL" ? " vertical" : ""), "data-testid": testid });
    var name = id + "-opt";
    var inputs = R.options(prop).map(function (o, i) {
      var inp = el("input", { type: multi ? "checkbox" : "radio", name: name, id: id + "-" + i, value: o.key });
      inp.addEventListener("change", onEdit);
      box.appendChild(el("label", { class: "check", for: id + "-" + i }, [inp, o.label]));
      return inp;
    });
    return { box: box, inputs: inputs };
  }

  // User, department and group pickers: records_picker.js.

  function makeRichText(prop, id, testid, onEdit) {
    var editor = el("div", { id: id, class: "richtext", contenteditable: "true", role: "textbox", "aria-multiline": "true", "data-testid": testid, "aria-label": labelTextOf(prop) });
    editor.addEventListener("input", onEdit);
    editor.addEventListener("paste", function (e) {
      e.preventDefault();
      var text = (e.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    function cmd(name, key, arg) {
      return el("button", { type: "button", class: "button small", "aria-label": K.t("records.rt." + key), title: K.t("records.rt." + key), text: K.t("records.rt." + key + "_short"),
        onmousedown: function (e) { e.preventDefault(); },
        onclick: function () {
          editor.focus();
          if (name === "createLink") {
            var url = window.prompt(K.t("records.rt.link_prompt"), "https://");
            if (!url || !/^(https?:|mailto:)/i.test(url)) return;
            arg = url;
          }
          document.execCommand(name, false, arg || null);
          onEdit();
        } });
    }
    var bar = el("div", { class: "rt-toolbar", role: "toolbar", "aria-label": K.t("records.rt.toolbar") }, [
      cmd("bold", "bold"), cmd("italic", "italic"), cmd("insertUnorderedList", "ul"), cmd("insertOrderedList", "ol"), cmd("createLink", "link")]);
    return {
      node: el("div", { class: "rt" }, [bar, editor]),
      input: editor,
      get: function () { return editor.textContent.trim() || editor.querySelector("li") ? serialize(editor) : ""; },
      set: function (v) { editor.textContent = ""; editor.appendChild(cleanHtml(v)); }
    };
  }

  /** Uploads a file with progress; resolves to the upload's fileKey. */
  function upload(file, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", K.apiUrl("/k/v1/file.json"));
      xhr.setRequestHeader("X-CSRF-Token", K.csrf);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); });
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300 && body && body.fileKey) resolve(body.fileKey);
        else reject(new K.ApiError(xhr.status, body));
      };
      xhr.onerror = function () { reject(new K.ApiError(0, null)); };
      var fd = new FormData();
      fd.append("file", file, file.name);
      xhr.send(fd);
    });
  }

  function makeFile(prop, id, testid, onEdit) {
    var items = [];
    var list = el("ul", { class: "file-items", "data-testid": "file-list-" + testid.replace(/^field-/, "") });
    var input = el("input", { type: "file", id: id, multiple: true, "data-testid": testid.replace(/^field-/, "file-input-") });
    var zone = el("div", { class: "dropzone", "data-testid": testid.replace(/^field-/, "dropzone-") }, [
      el("p", { class: "muted", text: K.t("records.file.drop") }),
      el("label", { class: "sr-only", for: id, text: K.t("records.file.choose") }), input, list]);
    function draw() {
      list.textContent = "";
      items.forEach(function (it, i) {
        var bar = null;
        if (it.uploading) bar = el("progress", { max: "100", value: String(Math.round(it.progress * 100)), "aria-label": K.t("records.file.uploading", { name: it.name }) });
        list.appendChild(el("li", { class: "file-item" + (it.error ? " has-error" : "") }, [
          it.fileKey && !it.uploading ? el("a", { href: K.apiUrl("/k/v1/file.json?fileKey=" + encodeURIComponent(it.fileKey)), download: it.name, text: it.name }) : el("span", { text: it.name }),
          el("span", { class: "muted", text: " " + R.size(it.size) }),
          bar,
          it.error ? el("span", { class: "field-error", text: it.error }) : null,
          el("button", { type: "button", class: "chip-remove", "aria-label": K.t("records.file.remove", { name: it.name }), text: "×",
            onclick: function () { items.splice(i, 1); draw(); onEdit(); } })]));
      });
    }
    function addFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        var it = { name: file.name, size: file.size, uploading: true, progress: 0 };
        items.push(it); draw();
        upload(file, function (p) { it.progress = p; draw(); })
          .then(function (key) { it.fileKey = key; it.uploading = false; draw(); onEdit(); })
          .catch(function (e) { it.uploading = false; it.error = R.errorText(e); draw(); });
      });
    }
    input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });
    zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("dragging"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
    zone.addEventListener("drop", function (e) { e.preventDefault(); zone.classList.remove("dragging"); if (e.dataTransfer && e.dataTransfer.files) addFiles(e.dataTransfer.files); });
    return {
      node: zone, input: input,
      busy: function () { return items.some(function (it) { return it.uploading; }); },
      get: function () { return items.filter(function (it) { return it.fileKey && !it.uploading; }).map(function (it) { return { fileKey: it.fileKey }; }); },
      set: function (v) { items = (v || []).map(function (f) { return { fileKey: f.fileKey, name: f.name, size: f.size }; }); draw(); }
    };
  }

  /** A control for one field. `opts`: {testid, inTable, onEdit, readOnly}. */
  function makeControl(prop, opts) {
    var id = nextId();
    var testid = "field-" + (opts.testid || prop.code);
    var onEdit = opts.onEdit || function () {};
    var c = { prop: prop };
    var node, group = false;
    var t = prop.type;
    var auto = t === "SINGLE_LINE_TEXT" && prop.expression;
    if (t === "CALC" || auto) {
      var out = el("output", { id: id, class: "calc-output", "data-testid": testid, "aria-live": "polite" });
      c.input = out;
      c.readOnly = true;
      c.get = function () { return c.value || ""; };
      c.set = function (v) { c.value = v; out.textContent = R.text(prop, v); };
      node = el("div", { class: "calc-box" }, [out]);
    } else if (t === "MULTI_LINE_TEXT") {
      var ta = el("textarea", { id: id, "data-testid": testid, rows: "4" });
      ta.addEventListener("input", onEdit);
      c.input = ta; c.get = function () { return ta.value; }; c.set = function (v) { ta.value = v || ""; };
      node = ta;
    } else if (t === "RICH_TEXT") {
      var rt = makeRichText(prop, id, testid, onEdit);
      c.input = rt.input; c.get = rt.get; c.set = rt.set; node = rt.node;
    } else if (t === "RADIO_BUTTON" || t === "CHECK_BOX") {
      group = true;
      var g = makeChoiceGroup(prop, id, testid, t === "CHECK_BOX", onEdit);
      c.input = g.inputs[0];
      c.focusables = function () { return g.inputs; };
      c.get = function () {
        var on = g.inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
        return t === "CHECK_BOX" ? on : (on[0] || "");
      };
      c.set = function (v) {
        var want = Array.isArray(v) ? v : (v ? [v] : []);
        g.inputs.forEach(function (i) { i.checked = want.indexOf(i.value) >= 0; });
      };
      node = g.box;
    } else if (t === "DROP_DOWN" || t === "MULTI_SELECT") {
      var multi = t === "MULTI_SELECT";
      var sel = el("select", { id: id, "data-testid": testid, multiple: multi ? true : null, size: multi ? String(Math.min(6, R.options(prop).length || 1)) : null },
        (multi ? [] : [el("option", { value: "", text: "-----" })]).concat(R.options(prop).map(function (o) { return el("option", { value: o.key, text: o.label }); })));
      sel.addEventListener("change", onEdit);
      c.input = sel;
      c.get = function () {
        if (!multi) return sel.value || "";
        return Array.prototype.filter.call(sel.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      };
      c.set = function (v) {
        var want = Array.isArray(v) ? v : (v ? [v] : []);
        Array.prototype.forEach.call(sel.options, function (o) { o.selected = want.indexOf(o.value) >= 0; });
        if (!multi && !want.length) sel.value = "";
      };
      node = sel;
    } else if (t === "FILE") {
      var f = makeFile(prop, id, testid, onEdit);
      c.input = f.input; c.get = f.get; c.set = f.set; c.busy = f.busy; node = f.node;
    } else if (t === "USER_SELECT" || t === "ORGANIZATION_SELECT" || t === "GROUP_SELECT") {
      var p = window.KUMIKI_RECORD_PICKER.make(prop, id, testid, onEdit, labelTextOf(prop));
      c.input = p.input; c.get = p.get; c.set = p.set; node = p.node;
    } else if (R.SYSTEM[t]) {
      var span = el("span", { id: id, class: "readonly-value", "data-testid": testid });
      c.readOnly = true; c.input = span;
      c.get = function () { return c.value; };
      c.set = function (v) { c.value = v; span.textContent = R.text(prop, v); };
      node = span;
    } else {
      var type = "text", mode = null;
      if (t === "DATE") type = "date";
      else if (t === "TIME") type = "time";
      else if (t === "DATETIME") type = "datetime-local";
      else if (t === "NUMBER") mode = "decimal";
      else if (t === "LINK") type = prop.protocol === "MAIL" ? "email" : prop.protocol === "CALL" ? "tel" : "url";
      var inp = el("input", { type: type, id: id, "data-testid": testid, inputmode: mode, autocomplete: "off" });
      inp.addEventListener("input", onEdit);
      inp.addEventListener("change", onEdit);
      c.input = inp;
      if (t === "DATETIME") {
        c.get = function () { return inp.value ? R.localToIso(inp.value) : ""; };
        c.set = function (v) { inp.value = R.isoToLocal(v); };
      } else {
        c.get = function () { return inp.value; };
        c.set = function (v) { inp.value = v === null || v === undefined ? "" : String(v); };
      }
      node = inp;
      if (t === "NUMBER" && prop.unit) {
        var unit = el("span", { class: "unit", text: prop.unit });
        node = el("div", { class: "with-unit" }, prop.unitPosition === "BEFORE" ? [unit, inp] : [inp, unit]);
      }
      if (prop.lookup) {
        c.lookupButton = el("button", { type: "button", class: "button small", "data-testid": "lookup-get-" + (opts.testid || prop.code), text: K.t("records.lookup.get") });
        c.lookupClear = el("button", { type: "button", class: "button small", "data-testid": "lookup-clear-" + (opts.testid || prop.code), text: K.t("records.lookup.clear") });
        c.lookupChoices = el("ul", { class: "lookup-choices", "data-testid": "lookup-choices-" + (opts.testid || prop.code) });
        node = el("div", {}, [el("div", { class: "lookup-row" }, [node, c.lookupButton, c.lookupClear]), c.lookupChoices]);
      }
    }
    c.ui = fieldWrap(prop, id, node, { group: group, inTable: opts.inTable, testid: opts.testid });
    return c;
  }

  /** Initial value of a field on a new record (kintone's defaults). */
  function defaultFor(prop) {
    var t = prop.type;
    if (prop.defaultNowValue === true || prop.defaultNowValue === "true") {
      if (t === "DATE") return R.today();
      if (t === "DATETIME") return R.localToIso(R.nowLocal());
      if (t === "TIME") return R.nowLocal().slice(11, 16);
    }
    var d = prop.defaultValue;
    if (d === undefined || d === null) return null;
    if (t === "USER_SELECT" || t === "ORGANIZATION_SELECT" || t === "GROUP_SELECT") {
      return (d || []).map(function (e) {
        if (e.code === "LOGINUSER()") return { code: R.page.user.code, name: R.page.user.name };
        if (e.type === "FUNCTION") return null;
        return { code: e.code };
      }).filter(Boolean);
    }
    return d;
  }

  // ---------- subtables ----------
  function makeSubtable(prop, layoutFields, onEdit, ctx) {
    var codes = (layoutFields && layoutFields.length ? layoutFields.map(function (f) { return f.code; }) : Object.keys(prop.fields || {}))
      .filter(function (c) { return (prop.fields || {})[c]; });
    var rows = [];
    var body = el("tbody");
    var tableId = nextId();
    var head = el("tr", {}, codes.map(function (c) {
      var p = prop.fields[c];
      return el("th", { scope: "col" }, [labelText(p, c), p.required ? el("span", { class: "required-mark", "aria-hidden": "true", text: "*" }) : null]);
    }).concat([el("th", { scope: "col" }, [el("span", { class: "sr-only", text: K.t("records.subtable.actions") })])]));
    var err = el("div", { class: "field-error", "data-testid": "error-" + prop.code });
    err.hidden = true;
    var addBtn = el("button", { type: "button", class: "button small", "data-testid": "subtable-add-" + prop.code, text: "+ " + K.t("records.subtable.add") });
    // Test ids of row cells read `<kind>-<table>-<row>-<field>`; removing a row renumbers them.
    var rowPrefix = "-" + prop.code + "-";
    var rowPattern = new RegExp("(-" + prop.code.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-)\\d+-");
    function renumber() {
      rows.forEach(function (r, i) {
        r.index = i;
        Array.prototype.forEach.call(r.tr.querySelectorAll("[data-testid]"), function (n) {
          var t = n.getAttribute("data-testid");
          if (t.indexOf(rowPrefix) < 0) return;
          n.setAttribute("data-testid", t.replace(rowPattern, "$1" + i + "-"));
        });
        r.remove.setAttribute("data-testid", "subtable-remove-" + prop.code + "-" + i);
        r.remove.setAttribute("aria-label", K.t("records.subtable.remove_n", { n: i + 1 }));
      });
    }
    function addRow(value, id) {
      var r = { id: id || null, controls: {} };
      var tr = el("tr");
      codes.forEach(function (c) {
        var ip = prop.fields[c];
        var ctl = makeControl(ip, { testid: prop.code + "-" + rows.length + "-" + c, inTable: true, onEdit: onEdit });
        var v = value ? (value[c] ? value[c].value : null) : defaultFor(ip);
        if (v !== null && v !== undefined) ctl.set(v);
        r.controls[c] = ctl;
        tr.appendChild(el("td", { "data-label": labelText(ip, c) }, [ctl.ui.wrap]));
      });
      r.remove = el("button", { type: "button", class: "button small", text: "−", onclick: function () {
        var i = rows.indexOf(r);
        if (i >= 0) rows.splice(i, 1);
        tr.parentNode && tr.parentNode.removeChild(tr);
        renumber(); onEdit();
      } });
      tr.appendChild(el("td", { class: "row-actions" }, [r.remove]));
      r.tr = tr;
      rows.push(r);
      body.appendChild(tr);
      renumber();
      if (ctx.bindLookups) ctx.bindLookups(r.controls);
      return r;
    }
    addBtn.addEventListener("click", function () {
      var r = addRow(null, null); onEdit();
      var first = r.controls[codes[0]];
      if (first && first.input && first.input.focus) first.input.focus();
    });
    var node = el("div", { class: "field form-field subtable", "data-field": prop.code, id: tableId }, [
      el("div", { class: "label", text: labelTextOf(prop) }),
      el("div", { class: "table-wrap" }, [el("table", { class: "data subtable-table", "data-testid": "subtable-" + prop.code }, [el("thead", {}, [head]), body])]),
      addBtn, err]);
    return {
      prop: prop, node: node, rows: rows, isTable: true,
      get: function () {
        return rows.map(function (r) {
          var value = {};
          codes.forEach(function (c) { var ctl = r.controls[c]; if (!ctl.readOnly) value[c] = { value: ctl.get() }; });
          var row = { value: value };
          if (r.id) row.id = r.id;
          return row;
        });
      },
      /** Every cell value (calculated ones too), for live calculation. */
      getAll: function () {
        return rows.map(function (r) {
          var value = {};
          codes.forEach(function (c) { value[c] = { value: r.controls[c].get() }; });
          return r.id ? { id: r.id, value: value } : { value: value };
        });
      },
      set: function (v) {
        rows.splice(0, rows.length); body.textContent = "";
        (v || []).forEach(function (row) { addRow(row.value, row.id); });
      },
      setCalc: function (v) {
        (v || []).forEach(function (row, i) {
          var r = rows[i];
          if (!r) return;
          codes.forEach(function (c) { var ctl = r.controls[c]; if (ctl.readOnly && row.value && row.value[c]) ctl.set(row.value[c].value); });
        });
      },
      addEmptyRow: function () { addRow(null, null); },
      setError: function (messages) {
        err.hidden = !(messages && messages.length);
        err.textContent = messages ? messages.join(" ") : "";
      },
      busy: function () { return rows.some(function (r) { return codes.some(function (c) { return r.controls[c].busy && r.controls[c].busy(); }); }); }
    };
  }

  // ---------- layout ----------
  function sizeCell(node, size) {
    var w = size && Number(size.width);
    if (w) { node.style.flexBasis = w + "px"; node.style.maxWidth = "100%"; }
  }

  /** Walks the layout; `cell(prop, layoutItem)` builds the node of one field. */
  function walk(layout, props, cell, seen) {
    var out = [];
    (layout || []).forEach(function (item) {
      if (item.type === "ROW") {
        var row = el("div", { class: "form-row" });
        (item.fields || []).forEach(function (f) {
          var n = null;
          if (f.type === "LABEL") n = el("div", { class: "form-label", text: R.htmlToText(f.label) });
          else if (f.type === "SPACER") { n = el("div", { class: "form-spacer", "aria-hidden": "true" }); if (f.size && f.size.height) n.style.minHeight = Number(f.size.height) + "px"; }
          else if (f.type === "HR") n = el("hr", { class: "form-hr" });
          else if (f.code && props[f.code] && !R.isLayoutOnly(props[f.code].type)) { seen[f.code] = true; n = cell(props[f.code], f); }
          else if (f.type === "REFERENCE_TABLE" && props[f.code]) n = el("div", { class: "field muted" }, [el("div", { class: "label", text: labelText(props[f.code], f.code) }), el("span", { text: K.t("records.reference_table") })]);
          if (!n) return;
          var wrap = el("div", { class: "form-cell" + (f.type === "HR" ? " full" : "") }, [n]);
          sizeCell(wrap, f.size);
          row.appendChild(wrap);
        });
        out.push(row);
      } else if (item.type === "SUBTABLE" && props[item.code]) {
        seen[item.code] = true;
        out.push(el("div", { class: "form-row" }, [el("div", { class: "form-cell full" }, [cell(props[item.code], item)])]));
      } else if (item.type === "GROUP") {
        var p = props[item.code] || { label: item.code };
        seen[item.code] = true;
        var det = el("details", { class: "form-group", open: p.openGroup === false || p.openGroup === "false" ? null : true, "data-testid": "group-" + item.code },
          [el("summary", { text: labelText(p, item.code) })].concat(walk(item.layout, props, cell, seen)));
        out.push(det);
      }
    });
    return out;
  }

  /** Fields the layout leaves out (non-system) still show, each on its own row. */
  function leftovers(props, seen, cell) {
    return R.dataFields(props, false).filter(function (p) { return !seen[p.code]; }).map(function (p) {
      return el("div", { class: "form-row" }, [el("div", { class: "form-cell full" }, [cell(p, null)])]);
    });
  }

  // ---------- read-only view ----------
  F.renderView = function (box, props, layout, record) {
    box.textContent = "";
    var seen = {};
    function cell(prop, item) {
      var v = record[prop.code] ? record[prop.code].value : null;
      if (prop.type === "SUBTABLE") {
        var codes = (item && item.fields && item.fields.length ? item.fields.map(function (f) { return f.code; }) : Object.keys(prop.fields || {})).filter(function (c) { return prop.fields[c]; });
        var rows = (v || []).map(function (row) {
          return el("tr", {}, codes.map(function (c) {
            var cv = row.value && row.value[c] ? row.value[c].value : null;
            return el("td", { "data-label": labelText(prop.fields[c], c) }, [R.display(prop.fields[c], cv)]);
          }));
        });
        return el("div", { class: "field view-field subtable", "data-testid": "view-" + prop.code }, [
          el("div", { class: "label", text: labelTextOf(prop) }),
          rows.length ? el("div", { class: "table-wrap" }, [el("table", { class: "data" }, [
            el("thead", {}, [el("tr", {}, codes.map(function (c) { return el("th", { scope: "col", text: labelText(prop.fields[c], c) }); }))]),
            el("tbody", {}, rows)])]) : el("p", { class: "muted", text: K.t("records.subtable.empty") })]);
      }
      return el("div", { class: "field view-field", "data-testid": "view-" + prop.code }, [
        el("div", { class: "label" + (prop.noLabel ? " sr-only" : ""), text: labelTextOf(prop) }),
        el("div", { class: "view-value" }, [R.display(prop, v)])]);
    }
    var meta = el("dl", { class: "record-meta" });
    ["RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME"].forEach(function (t) {
      var p = R.dataFields(props).filter(function (x) { return x.type === t; })[0];
      if (!p || !record[p.code]) return;
      meta.appendChild(el("div", {}, [el("dt", { text: labelTextOf(p) }), el("dd", { text: R.text(p, record[p.code].value) })]));
    });
    var parts = walk(layout, props, cell, seen).concat(leftovers(props, seen, cell));
    box.appendChild(el("div", { class: "card record-card" }, [meta].concat(parts)));
  };

  // ---------- the form ----------
  /** Mounts an editable form. `record` is the API record (edit) or null (new). */
  F.mount = function (box, props, layout, record, opts) {
    box.textContent = "";
    var controls = {};
    var tables = {};
    var dirty = false;
    var hasCalc = Object.keys(props).some(function (c) {
      var p = props[c];
      if (p.type === "CALC" || (p.type === "SINGLE_LINE_TEXT" && p.expression)) return true;
      return p.type === "SUBTABLE" && Object.keys(p.fields || {}).some(function (i) { var q = p.fields[i]; return q.type === "CALC" || (q.type === "SINGLE_LINE_TEXT" && q.expression); });
    });
    var calcTimer = null, calcSeq = 0;
    function onEdit() {
      dirty = true;
      if (!hasCalc) return;
      clearTimeout(calcTimer);
      calcTimer = setTimeout(recalc, 350);
    }
    function recalc() {
      var my = ++calcSeq;
      var rec = collect(true);
      K.api("POST", "/api/record/calc.json", { app: R.appId, record: rec }).then(function (b) {
        if (my !== calcSeq) return;
        var out = b.record || {};
        Object.keys(controls).forEach(function (c) { if (controls[c].readOnly && out[c] && !R.SYSTEM[controls[c].prop.type]) controls[c].set(out[c].value); });
        Object.keys(tables).forEach(function (c) { if (out[c]) tables[c].setCalc(out[c].value); });
      }).catch(function () { /* live values are a convenience; the save computes them again */ });
    }
    var ctx = {};
    function cell(prop, item) {
      if (prop.type === "SUBTABLE") {
        var t = makeSubtable(prop, item && item.fields, onEdit, ctx);
        tables[prop.code] = t;
        return t.node;
      }
      var c = makeControl(prop, { onEdit: onEdit });
      controls[prop.code] = c;
      return c.ui.wrap;
    }
    var parts = walk(layout, props, cell, {});
    var seen = {};
    Object.keys(controls).forEach(function (c) { seen[c] = true; });
    Object.keys(tables).forEach(function (c) { seen[c] = true; });
    parts = parts.concat(leftovers(props, seen, cell));

    var top = el("div", { id: "form-alert", hidden: true });
    var conflict = el("div", { class: "conflict", hidden: true });
    var saveBtn = el("button", { type: "submit", class: "button primary", "data-testid": "save-record", text: K.t("records.save") });
    var cancel = el("a", { class: "button", href: record ? R.recordUrl(record.$id.value) : "/apps/" + encodeURIComponent(R.appId), "data-testid": "cancel-edit", text: K.t("records.cancel") });
    var form = el("form", { class: "card record-form", novalidate: true, "data-testid": "record-form" },
      [top, conflict].concat(parts).concat([el("div", { class: "form-actions" }, [saveBtn, cancel])]));
    box.appendChild(form);

    // Lookups: the "get" button copies the mapped fields of the matching record of the source app.
    function bindLookup(c, scope) {
      if (!c.lookupButton) return;
      var lk = c.prop.lookup;
      var mappings = lk.fieldMappings || [];
      mappings.forEach(function (m) { var t = scope[m.field] || controls[m.field]; if (t && t.input && t.input.tagName !== "OUTPUT") { t.lookupTarget = true; if ("readOnly" in t.input) t.input.readOnly = true; } });
      function apply(rec) {
        c.set(rec[lk.relatedKeyField] ? rec[lk.relatedKeyField].value : c.get());
        mappings.forEach(function (m) {
          var t = scope[m.field] || controls[m.field];
          if (t && rec[m.relatedField]) t.set(rec[m.relatedField].value);
        });
        c.lookupChoices.textContent = "";
        setError(c, []);
        onEdit();
      }
      c.lookupClear.addEventListener("click", function () {
        c.set(""); mappings.forEach(function (m) { var t = scope[m.field] || controls[m.field]; if (t) t.set(""); });
        c.lookupChoices.textContent = ""; onEdit();
      });
      c.lookupButton.addEventListener("click", function () {
        var key = String(c.get() || "").trim();
        var related = lk.relatedApp && lk.relatedApp.app;
        var fields = [lk.relatedKeyField].concat(mappings.map(function (m) { return m.relatedField; })).concat(lk.lookupPickerFields || []);
        var query = key ? lk.relatedKeyField + " = " + R.quote(key) : "";
        if (lk.filterCond) query = query ? "(" + lk.filterCond + ") and " + query : lk.filterCond;
        c.lookupButton.disabled = true;
        R.get("records.json", { app: related, query: query + " limit 11", fields: fields }).catch(function (e) {
          if (e && e.code && e.code.indexOf("GAIA_IQ") === 0 && key) {
            // The key field may not allow "=" (e.g. a number written as text); try a substring match.
            return R.get("records.json", { app: related, query: lk.relatedKeyField + " like " + R.quote(key) + " limit 11", fields: fields });
          }
          throw e;
        }).then(function (b) {
          var recs = b.records || [];
          if (recs.length === 1 && key) { apply(recs[0]); return; }
          c.lookupChoices.textContent = "";
          if (!recs.length) { setError(c, [K.t("records.lookup.none")]); return; }
          setError(c, []);
          recs.slice(0, 10).forEach(function (r) {
            var label = fields.filter(function (f, i) { return fields.indexOf(f) === i && r[f]; }).map(function (f) { return R.text({ type: r[f].type }, r[f].value); }).join(" / ");
            c.lookupChoices.appendChild(el("li", {}, [el("button", { type: "button", class: "link-button", text: label, onclick: function () { apply(r); } })]));
          });
        }).catch(function (e) { setError(c, [R.errorText(e)]); })
          .then(function () { c.lookupButton.disabled = false; });
      });
    }
    Object.keys(controls).forEach(function (code) { bindLookup(controls[code], controls); });
    ctx.bindLookups = function (rowControls) { Object.keys(rowControls).forEach(function (code) { bindLookup(rowControls[code], rowControls); }); };

    // Values.
    function load(rec) {
      Object.keys(controls).forEach(function (code) {
        var v = rec ? (rec[code] ? rec[code].value : null) : defaultFor(controls[code].prop);
        if (v !== null && v !== undefined) controls[code].set(v);
      });
      Object.keys(tables).forEach(function (code) {
        if (rec) tables[code].set(rec[code] ? rec[code].value : []);
        else tables[code].addEmptyRow();
      });
    }
    load(record);
    var revision = record ? record.$revision.value : null;

    /** The record to send (`all` adds calculated values, for live calculation). */
    function collect(all) {
      var out = {};
      Object.keys(controls).forEach(function (code) {
        var c = controls[code];
        if (R.SYSTEM[c.prop.type]) return;
        if (c.readOnly && !all) return;
        out[code] = { value: c.get() };
      });
      Object.keys(tables).forEach(function (code) { out[code] = { value: all ? tables[code].getAll() : tables[code].get() }; });
      return out;
    }

    function clearErrors() {
      Object.keys(controls).forEach(function (c) { setError(controls[c], []); });
      Object.keys(tables).forEach(function (t) {
        tables[t].setError([]);
        tables[t].rows.forEach(function (r) { Object.keys(r.controls).forEach(function (c) { setError(r.controls[c], []); }); });
      });
      R.alert(top, "", "");
    }

    /** Maps kintone error keys to controls; returns the messages that fit no control. */
    function showErrors(errors) {
      var loose = [], first = null;
      Object.keys(errors || {}).forEach(function (key) {
        var msgs = (errors[key] && errors[key].messages) || [];
        var m = /^record\.([^.\[\]]+)\.value\[(\d+)\]\.value\.([^.\[\]]+)\.value/.exec(key);
        if (m && tables[m[1]] && tables[m[1]].rows[+m[2]] && tables[m[1]].rows[+m[2]].controls[m[3]]) {
          var rc = tables[m[1]].rows[+m[2]].controls[m[3]];
          setError(rc, msgs); first = first || rc; return;
        }
        m = /^record(?:\.([^.\[\]]+)|\[([^\]]+)\])(?:\.value|\.values)?/.exec(key);
        var code = m && (m[1] || m[2]);
        if (code && controls[code]) { setError(controls[code], msgs); first = first || controls[code]; return; }
        if (code && tables[code]) { tables[code].setError(msgs); first = first || { input: tables[code].node.querySelector("button") }; return; }
        msgs.forEach(function (x) { loose.push((code ? (props[code] ? labelText(props[code], code) : code) + ": " : "") + x); });
      });
      var firstInvalid = box.querySelector("[aria-invalid=true]");
      if (firstInvalid && firstInvalid.focus) firstInvalid.focus();
      else if (first && first.input && first.input.focus) first.input.focus();
      return loose;
    }

    function canon(prop, v) {
      if (v === null || v === undefined) return "";
      if (prop.type === "DATETIME") { var d = new Date(v); return isNaN(d.getTime()) ? "" : String(d.getTime()); }
      if (Array.isArray(v)) {
        return v.map(function (x) {
          if (x && typeof x === "object") {
            if (x.value) return JSON.stringify(Object.keys(x.value).sort().map(function (k) { var iv = x.value[k] && x.value[k].value; return [k, Array.isArray(iv) ? iv.map(function (y) { return y && (y.code || y.fileKey) || y; }) : (iv || "")]; }));
            return x.code || x.fileKey || JSON.stringify(x);
          }
          return String(x);
        }).sort().join("\u0001");
      }
      if (prop.type === "NUMBER" && v !== "") return String(Number(v));
      return String(v).replace(/\r\n/g, "\n");
    }

    function showConflict(mine) {
      conflict.hidden = false;
      conflict.textContent = "";
      var diffBox = el("div", { class: "conflict-diff", "data-testid": "conflict-diff" });
      var overwrite = el("button", { type: "button", class: "button danger", "data-testid": "conflict-overwrite", text: K.t("records.conflict_overwrite"), hidden: true });
      var latestRevision = null;
      conflict.appendChild(el("div", { class: "alert error", role: "alert", "data-testid": "conflict-message" }, [
        el("p", { text: K.t("records.conflict") }),
        el("div", { class: "conflict-actions" }, [
          el("button", { type: "button", class: "button", "data-testid": "conflict-reload", text: K.t("records.conflict_reload"), onclick: function () { dirty = false; location.reload(); } }),
          el("button", { type: "button", class: "button", "data-testid": "conflict-compare", text: K.t("records.conflict_compare"), onclick: compare }),
          overwrite])]));
      conflict.appendChild(diffBox);
      conflict.scrollIntoView({ block: "start" });
      overwrite.addEventListener("click", function () { revision = latestRevision; conflict.hidden = true; save(); });
      function compare() {
        diffBox.textContent = K.t("records.loading");
        R.get("record.json?app=" + encodeURIComponent(R.appId) + "&id=" + encodeURIComponent(record.$id.value)).then(function (b) {
          var latest = b.record;
          latestRevision = latest.$revision.value;
          var rows = [];
          Object.keys(mine).forEach(function (code) {
            var p = props[code];
            if (!p) return;
            var lv = latest[code] ? latest[code].value : null;
            if (canon(p, mine[code].value) === canon(p, lv)) return;
            var mineText = p.type === "SUBTABLE" ? K.t("records.rows", { n: (mine[code].value || []).length }) : R.text(p, mine[code].value);
            rows.push(el("tr", { "data-testid": "conflict-field-" + code }, [el("th", { scope: "row", text: labelText(p, code) }),
              el("td", { class: "prewrap", text: mineText }), el("td", { class: "prewrap", text: R.text(p, lv) })]));
          });
          diffBox.textContent = "";
          if (!rows.length) { diffBox.appendChild(el("p", { text: K.t("records.conflict_same") })); }
          else {
            diffBox.appendChild(el("div", { class: "table-wrap" }, [el("table", { class: "data" }, [
              el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: K.t("records.field") }), el("th", { scope: "col", text: K.t("records.conflict_yours") }), el("th", { scope: "col", text: K.t("records.conflict_latest") })])]),
              el("tbody", {}, rows)])]));
          }
          overwrite.hidden = false;
        }).catch(function (e) { diffBox.textContent = R.errorText(e); });
      }
    }

    var saving = false;
    function save() {
      if (saving) return;
      var busy = Object.keys(controls).some(function (c) { return controls[c].busy && controls[c].busy(); }) ||
        Object.keys(tables).some(function (t) { return tables[t].busy(); });
      if (busy) { R.alert(top, "error", K.t("records.file.wait"), "form-error"); return; }
      clearErrors();
      // A name typed into a picker but never chosen would be dropped silently: refuse to save.
      var unresolved = window.KUMIKI_RECORD_PICKER.unresolved(box);
      if (unresolved.length) {
        R.alert(top, "error", K.t("records.picker.unresolved_save"), "form-error");
        var firstPicker = unresolved[0].node.querySelector("input");
        if (firstPicker) firstPicker.focus();
        return;
      }
      var rec = collect(false);
      saving = true; saveBtn.disabled = true;
      var call = record
        ? K.api("PUT", "record.json", { app: R.appId, id: record.$id.value, record: rec, revision: revision })
        : K.api("POST", "record.json", { app: R.appId, record: rec });
      call.then(function (b) {
        dirty = false;
        location.href = R.recordUrl(record ? record.$id.value : b.id) + "?saved=1";
      }).catch(function (e) {
        saving = false; saveBtn.disabled = false;
        if (e && e.code === "GAIA_CO02" && record) { showConflict(rec); return; }
        var loose = showErrors(e && e.errors);
        var text = e && e.errors && Object.keys(e.errors).length ? K.t("records.fix_errors") : R.errorText(e);
        if (loose.length) text += " " + loose.join(" ");
        R.alert(top, "error", text, "form-error");
        if (!e || !e.errors || !Object.keys(e.errors).length) top.scrollIntoView({ block: "start" });
      });
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); save(); });
    window.addEventListener("beforeunload", function (e) { if (dirty && !saving) { e.preventDefault(); e.returnValue = ""; } });
    if (hasCalc) recalc();
    var handle = { controls: controls, tables: tables, collect: collect, setError: setError, alertBox: top, edited: onEdit };
    // Apps with field.change scripts compute values live (records_script_change.js).
    if (window.KUMIKI_FIELD_CHANGE && R.page && R.page.fieldChange) window.KUMIKI_FIELD_CHANGE(form, handle);
    return handle;
  };

  window.KUMIKI_FORM = F;

  // The create and edit pages start themselves.
  var page = R.page;
  var root = document.getElementById("record-form-root");
  if (!root || (page.mode !== "new" && page.mode !== "edit")) return;
  var status = document.getElementById("records-status");
  var loads = [R.fields(), R.layout()];
  if (page.mode === "edit") loads.push(R.get("record.json?app=" + encodeURIComponent(R.appId) + "&id=" + encodeURIComponent(page.record)));
  Promise.all(loads).then(function (res) {
    var record = res[2] ? res[2].record : null;
    root.textContent = "";
    root.appendChild(el("h2", { class: "form-title", text: page.mode === "edit" ? K.t("records.edit_title") : K.t("records.new_title") }));
    var box = el("div");
    root.appendChild(box);
    F.mount(box, res[0], res[1], record, {});
  }).catch(function (e) {
    root.textContent = "";
    R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "form-load-error");
  });
})();
