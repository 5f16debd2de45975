// Form designer, part 2: loading, the palette, the canvas with drag and drop (and its keyboard
// equivalents), saving to the pre-live settings and publishing.
"use strict";
(function () {
  var KD = window.KD;
  var t = KUMIKI.t, el = KUMIKI.el;
  var page = KUMIKI.page || {};
  var APP = page.app;
  var S = KD.state = {
    model: null, base: null, selected: null, paletteType: null, errors: {}, appErrors: {}, general: [],
    unpublished: !!page.unpublished, deployed: !!page.deployed, busy: false
  };
  var dragging = null;

  function $(id) { return document.getElementById(id); }
  function q(path) { return path + (path.indexOf("?") < 0 ? "?" : "&") + "app=" + encodeURIComponent(APP); }

  // ---- Messages -------------------------------------------------------------------------------------------
  /** Shows a message above the form; kind is ok | error | info. `extra` is an optional node. */
  KD.message = function (kind, text, extra, list) {
    var box = $("d-message");
    box.textContent = "";
    if (!text) { box.hidden = true; return; }
    box.hidden = false;
    box.className = "alert " + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.appendChild(el("span", { text: text }));
    if (list && list.length) box.appendChild(el("ul", {}, list.map(function (m) { return el("li", { text: m }); })));
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
  };
  function announce(text) { var live = $("d-live"); live.textContent = ""; setTimeout(function () { live.textContent = text; }, 30); }
  KD.announce = announce;

  // ---- Status ---------------------------------------------------------------------------------------------
  KD.isDirty = function () { return S.model && S.base && !KD.diffIsEmpty(S.model.diff(S.base)); };
  KD.renderStatus = function () {
    var box = $("d-status");
    var state = KD.isDirty() ? "dirty" : (S.unpublished || !S.deployed ? "unpublished" : "published");
    // A never-published app has no "unpublished changes" to speak of: it is simply not live yet.
    var shown = state === "unpublished" && !S.deployed ? "never" : state;
    box.setAttribute("data-state", state);
    box.setAttribute("data-live", S.deployed ? "true" : "false");
    box.className = "d-status d-status-" + shown;
    box.textContent = t("designer.status." + shown);
    $("d-publish").disabled = S.busy;
    $("d-save").disabled = S.busy;
  };
  KD.changed = function () { KD.renderStatus(); };

  // ---- Loading --------------------------------------------------------------------------------------------
  function fetchAll() {
    return Promise.all([
      KUMIKI.api("GET", q("preview/app/form/fields.json")),
      KUMIKI.api("GET", q("preview/app/form/layout.json")),
      KUMIKI.api("GET", q("preview/app/settings.json")),
      // The live fields tell which fields are published (their code no longer follows the label).
      S.deployed ? KUMIKI.api("GET", q("app/form/fields.json")).catch(function () { return null; }) : Promise.resolve(null)
    ]);
  }

  /** Marks the fields whose code still follows their label: not published, not locked, and the code is
   *  the one the label gives (a code typed by hand no longer matches it). */
  function markAutoCodes(m, live) {
    var liveProps = live && live.properties ? live.properties : null;
    m.allFields().forEach(function (f) {
      var fixed;
      if (f.origCode === null) fixed = false;
      else if (f.parent) fixed = true; // a saved table column's code cannot change
      else if (!S.deployed) fixed = false;
      else fixed = !liveProps || !!liveProps[f.origCode];
      f.autoCode = !fixed && !KD.isSystem(f.prop.type) && m.codeFollowsLabel(f);
    });
  }

  function baseOf(results, model) {
    return {
      properties: results[0].properties, layout: model.layout(), name: results[2].name || "",
      description: results[2].description || "", revision: results[0].revision
    };
  }

  /** Loads (or reloads) the pre-live definition; keeps the selection by field code. */
  function load() {
    var keepCode = S.selected && S.selected.kind === "field" && S.model && S.model.field(S.selected.uid)
      ? S.model.field(S.selected.uid).prop.code : null;
    return fetchAll().then(function (r) {
      S.model = KD.Model.fromApi(r[0].properties, r[1].layout, r[2]);
      markAutoCodes(S.model, r[3]);
      S.base = baseOf(r, S.model);
      S.errors = {}; S.appErrors = {};
      S.selected = null;
      if (keepCode && S.model.byCode(keepCode)) S.selected = { kind: "field", uid: S.model.byCode(keepCode).uid };
      $("d-app-name").value = S.model.name;
      $("d-app-description").value = S.model.description;
      renderAll();
    });
  }

  /** After a save failed half-way: takes the server's state as the new base without losing local edits. */
  function reconcile() {
    return fetchAll().then(function (r) {
      var props = r[0].properties;
      S.model.allFields().forEach(function (f) {
        if (f.parent) return;
        if (f.origCode === null && props[f.prop.code]) f.origCode = f.prop.code;
        else if (f.origCode !== null && !props[f.origCode] && props[f.prop.code]) f.origCode = f.prop.code;
        var server = f.origCode !== null && props[f.origCode];
        (f.columns || []).forEach(function (c) {
          var col = S.model.field(c);
          if (col.origCode === null && server && server.fields && server.fields[col.prop.code]) col.origCode = col.prop.code;
        });
      });
      var fresh = KD.Model.fromApi(props, r[1].layout, r[2]);
      S.base = baseOf(r, fresh);
      renderAll();
    });
  }

  // ---- Palette --------------------------------------------------------------------------------------------
  function renderPalette() {
    var box = $("d-palette-list");
    box.textContent = "";
    KD.PALETTE.forEach(function (group) {
      var items = group.types.map(function (type) {
        var placed = false;
        if (group.key === "system") {
          var f = S.model.allFields().filter(function (x) { return x.prop.type === type && !x.parent; })[0];
          if (!f) return null;
          placed = S.model.isPlaced(f.uid);
        }
        var selected = S.paletteType === type;
        return el("li", {}, [el("button", {
          type: "button", class: "d-palette-item" + (selected ? " selected" : ""), draggable: placed ? "false" : "true",
          "data-type": type, "data-testid": "palette-" + type, "aria-pressed": selected ? "true" : "false",
          disabled: placed, title: placed ? t("designer.palette.placed") : t("designer.palette.hint_item"),
          ondragstart: function (e) { startDrag(e, { src: "palette", type: type }); },
          ondragend: endDrag,
          onclick: function () { S.paletteType = selected ? null : type; renderPalette(); updateAddButton(); },
          ondblclick: function () { S.paletteType = type; addSelected(); }
        }, [el("span", { class: "d-icon d-icon-" + type, "aria-hidden": "true" }), el("span", { text: KD.typeName(type) })])]);
      }).filter(Boolean);
      if (!items.length) return;
      box.appendChild(el("div", { class: "d-palette-group" }, [
        el("h3", { text: t("designer.palette.group." + group.key) }),
        el("ul", { class: "d-palette-items" }, items)
      ]));
    });
    updateAddButton();
  }

  function updateAddButton() {
    var btn = $("d-add");
    btn.disabled = !S.paletteType;
    $("d-add-hint").textContent = S.paletteType
      ? t("designer.palette.add_hint_selected", { type: KD.typeName(S.paletteType), where: describeInsertion() })
      : t("designer.palette.add_hint");
  }

  // ---- Placing things -------------------------------------------------------------------------------------
  /** What a palette type or a dragged element is: {what: 'field'|'block'|'layout'|'column', ...}. */
  function describeSource(src) {
    var m = S.model;
    if (src.src === "palette") {
      var type = src.type;
      if (KD.LAYOUT_ONLY.indexOf(type) >= 0) return { what: "layout", type: type, isNew: true };
      if (type === "SUBTABLE" || type === "GROUP") return { what: "block", type: type, isNew: true };
      if (KD.isSystem(type)) {
        var sf = m.allFields().filter(function (x) { return x.prop.type === type && !x.parent; })[0];
        return { what: "field", type: type, isNew: false, saved: true, uid: sf && sf.uid };
      }
      return { what: "field", type: type, isNew: true };
    }
    if (src.src === "block") return { what: "block", uid: src.uid };
    if (src.src === "column") {
      var c = m.field(src.uid);
      return { what: "column", uid: src.uid, type: c.prop.type, saved: c.origCode !== null, table: c.parent };
    }
    var at = m.findItem(src.uid);
    var it = at && at.item;
    if (!it) return null;
    if (it.kind !== "FIELD") return { what: "layout", item: it.uid, type: it.kind };
    var f = m.field(it.field);
    return { what: "field", item: it.uid, uid: f.uid, type: f.prop.type, saved: f.origCode !== null || KD.isSystem(f.prop.type) };
  }

  /** Whether `src` may go to `target`; returns a message key when it may not. */
  function refusal(d, target) {
    if (!d) return "designer.drop.unknown";
    if (target.kind === "columns") {
      if (d.what === "block" || d.what === "layout") return "designer.drop.not_in_table";
      if (KD.NOT_IN_TABLE.indexOf(d.type) >= 0 || KD.isSystem(d.type)) return "designer.drop.not_in_table";
      if (d.what === "column" && d.table === target.table) return null;
      if (d.saved) return "designer.drop.saved_into_table";
      return null;
    }
    if (d.what === "column" && d.saved) return "designer.drop.saved_out_of_table";
    if (d.what === "block" && target.list !== "top" && target.kind === "gap") return "designer.drop.block_in_group";
    return null;
  }

  /** Performs a drop. `target` = {kind: 'row', row, index} | {kind: 'gap', list, index} | {kind: 'columns', table, index}. */
  function place(src, target) {
    var m = S.model;
    var d = describeSource(src);
    var why = refusal(d, target);
    if (why) { KD.message("error", t(why)); announce(t(why)); return null; }
    // A table or group dropped on a row goes after that row's top-level block.
    if (d.what === "block" && target.kind === "row") {
      var r = m.findRow(target.row);
      var topIndex = r.list === m.blocks ? r.index + 1 : (function () {
        for (var i = 0; i < m.blocks.length; i++) if (m.blocks[i].rows === r.list) return i + 1;
        return m.blocks.length;
      })();
      target = { kind: "gap", list: "top", index: topIndex };
    }
    var PH = { uid: "placeholder", kind: "PLACEHOLDER" };
    // 1. Put a placeholder where the thing goes (so removing it from its old place cannot shift indexes).
    var container;
    if (target.kind === "columns") {
      container = m.field(target.table).columns;
      container.splice(target.index, 0, PH.uid);
    } else if (target.kind === "row") {
      container = m.findRow(target.row).row.items;
      container.splice(target.index, 0, PH);
    } else {
      var list = m.listOf(target.list);
      if (d.what === "block") { list.splice(target.index, 0, PH); container = list; }
      else {
        var phRow = { uid: KD.uid(), kind: "ROW", items: [PH] };
        list.splice(target.index, 0, phRow);
        container = phRow.items;
      }
    }
    // 2. Take the thing from where it was, or make it.
    var thing, selectUid, selectKind = "field";
    if (d.what === "block") {
      if (d.isNew) {
        var nf = m.newField(d.type);
        thing = { uid: KD.uid(), kind: d.type, field: nf.uid, rows: d.type === "GROUP" ? [] : undefined, sizes: {} };
        selectUid = nf.uid;
      } else {
        var fb = m.findBlock(d.uid);
        m.blocks.splice(fb.index, 1);
        thing = fb.block;
        selectUid = thing.field;
      }
    } else if (d.what === "layout") {
      thing = d.isNew ? KD.newLayoutItem(d.type) : m.takeItem(d.item);
      selectUid = thing.uid; selectKind = "item";
    } else {
      var fieldUid;
      if (d.what === "column") {
        var col = m.field(d.uid);
        var table = m.field(col.parent);
        table.columns.splice(table.columns.indexOf(d.uid), 1);
        fieldUid = d.uid;
      } else if (d.isNew) {
        fieldUid = m.newField(d.type, target.kind === "columns" ? target.table : null).uid;
      } else if (d.item) {
        m.takeItem(d.item);
        fieldUid = d.uid;
      } else {
        fieldUid = d.uid; // a system field from the palette
      }
      var f = m.field(fieldUid);
      f.parent = target.kind === "columns" ? target.table : null;
      thing = target.kind === "columns" ? fieldUid : { uid: KD.uid(), kind: "FIELD", field: fieldUid, size: {} };
      selectUid = fieldUid;
    }
    // 3. Replace the placeholder.
    if (target.kind === "columns") {
      var cols = m.field(target.table).columns;
      var pi = cols.indexOf(PH.uid);
      cols.splice(pi, 1, thing);
    } else {
      var where = container.indexOf(PH);
      container.splice(where, 1, thing);
    }
    S.selected = { kind: selectKind, uid: selectUid };
    return S.selected;
  }
  KD.place = place;

  /** Where the keyboard "add" puts a new part, given the selection. */
  function insertionTarget(type) {
    var m = S.model;
    var isBlock = type === "SUBTABLE" || type === "GROUP";
    var end = { kind: "gap", list: "top", index: m.blocks.length };
    var sel = S.selected;
    if (!sel) return end;
    var f = sel.kind === "field" ? m.field(sel.uid) : null;
    if (f && f.parent) {
      var tcols = m.field(f.parent).columns;
      if (!isBlock && KD.NOT_IN_TABLE.indexOf(type) < 0 && !KD.isSystem(type)) return { kind: "columns", table: f.parent, index: tcols.indexOf(f.uid) + 1 };
      var tb = m.findBlock(f.parent);
      return { kind: "gap", list: "top", index: tb ? tb.index + 1 : m.blocks.length };
    }
    if (f && (f.prop.type === "SUBTABLE" || f.prop.type === "GROUP")) {
      var b = m.findBlock(f.uid);
      if (f.prop.type === "SUBTABLE" && !isBlock && KD.NOT_IN_TABLE.indexOf(type) < 0 && !KD.isSystem(type)) return { kind: "columns", table: f.uid, index: f.columns.length };
      if (f.prop.type === "GROUP" && !isBlock) return { kind: "gap", list: f.uid, index: b.block.rows.length };
      return { kind: "gap", list: "top", index: b.index + 1 };
    }
    var at = m.findItem(sel.uid);
    if (!at) return end;
    if (isBlock && at.list !== m.blocks) {
      for (var i = 0; i < m.blocks.length; i++) if (m.blocks[i].rows === at.list) return { kind: "gap", list: "top", index: i + 1 };
      return end;
    }
    var listKey = at.list === m.blocks ? "top" : (function () {
      for (var j = 0; j < m.blocks.length; j++) if (m.blocks[j].rows === at.list) return m.blocks[j].field;
      return "top";
    })();
    return { kind: "gap", list: listKey, index: at.rowIndex + 1 };
  }

  function describeInsertion() {
    var sel = S.selected;
    if (!sel) return t("designer.palette.where_end");
    var f = sel.kind === "field" ? S.model.field(sel.uid) : null;
    var name = f ? (f.prop.label || f.prop.code) : t("designer.type." + ((S.model.findItem(sel.uid) || {}).item || {}).kind);
    return t("designer.palette.where_after", { name: name });
  }

  function addSelected() {
    if (!S.paletteType) return;
    var type = S.paletteType;
    var sel = place({ src: "palette", type: type }, insertionTarget(type));
    if (!sel) return;
    S.paletteType = null;
    renderAll();
    announce(t("designer.added", { type: KD.typeName(type) }));
    if (narrow()) showPanel(); else focusSelected();
  }

  // ---- Moving with the keyboard ---------------------------------------------------------------------------
  /** Moves the selected element: dir is left | right | up | down. */
  KD.move = function (dir) {
    var m = S.model, sel = S.selected;
    if (!sel) return;
    var f = sel.kind === "field" ? m.field(sel.uid) : null;
    if (f && f.parent) {
      var cols = m.field(f.parent).columns, i = cols.indexOf(f.uid);
      var j = dir === "left" || dir === "up" ? i - 1 : i + 1;
      if (j < 0 || j >= cols.length) return;
      cols.splice(i, 1); cols.splice(j, 0, f.uid);
    } else if (f && (f.prop.type === "SUBTABLE" || f.prop.type === "GROUP")) {
      var b = m.findBlock(f.uid);
      var k = dir === "left" || dir === "up" ? b.index - 1 : b.index + 1;
      if (k < 0 || k >= m.blocks.length) return;
      m.blocks.splice(b.index, 1); m.blocks.splice(k, 0, b.block);
    } else {
      var at = m.findItem(sel.uid);
      if (!at) return;
      var items = at.row.items;
      if (dir === "left" || dir === "right") {
        var n = dir === "left" ? at.index - 1 : at.index + 1;
        if (n < 0 || n >= items.length) return;
        items.splice(at.index, 1); items.splice(n, 0, at.item);
      } else {
        var up = dir === "up";
        var neighbour = at.list[at.rowIndex + (up ? -1 : 1)];
        var alone = items.length === 1;
        if (neighbour && neighbour.kind === "ROW") {
          items.splice(at.index, 1);
          if (up) neighbour.items.push(at.item); else neighbour.items.unshift(at.item);
          if (!items.length) at.list.splice(at.list.indexOf(at.row), 1);
        } else if (!alone) {
          items.splice(at.index, 1);
          at.list.splice(at.rowIndex + (up ? 0 : 1), 0, { uid: KD.uid(), kind: "ROW", items: [at.item] });
        } else if (neighbour) {
          // Alone in its row next to a table or group: the row trades places with it.
          var ri = at.rowIndex, ni = ri + (up ? -1 : 1);
          at.list[ri] = neighbour; at.list[ni] = at.row;
        } else {
          return;
        }
      }
    }
    renderAll();
    announce(t("designer.moved"));
    focusSelected();
  };

  // ---- Canvas ---------------------------------------------------------------------------------------------
  function isSelected(kind, uid) { return S.selected && S.selected.kind === kind && S.selected.uid === uid; }

  function errorsOf(uid) { return S.errors[uid] && Object.keys(S.errors[uid]).length; }

  function fieldCard(f, dragSrc, extraClass) {
    var p = f.prop;
    var type = KD.displayType(f);
    var sel = isSelected("field", f.uid);
    var label = p.label || t("designer.no_label");
    var card = el("div", {
      class: "d-item d-field" + (sel ? " selected" : "") + (errorsOf(f.uid) ? " has-problem" : "") + (extraClass || ""),
      tabindex: "0", role: "button", draggable: "true", "aria-pressed": sel ? "true" : "false",
      "data-testid": "field-" + p.code, "data-uid": f.uid,
      "aria-label": t("designer.canvas.field_aria", { label: label, type: KD.typeName(type), code: p.code }),
      ondragstart: function (e) { e.stopPropagation(); startDrag(e, dragSrc); },
      ondragend: endDrag
    }, [
      el("span", { class: "d-field-head" }, [
        el("span", { class: "d-field-label", text: label }),
        p.required ? el("span", { class: "required-mark", text: "*", "aria-hidden": "true" }) : null
      ]),
      el("span", { class: "d-fake d-fake-" + type, "aria-hidden": "true" }, [el("span", { class: "d-icon d-icon-" + type })]),
      el("span", { class: "d-field-meta" }, [
        el("span", { class: "d-chip", text: KD.typeName(type) }),
        el("code", { class: "d-code", text: p.code }),
        f.origCode === null && !KD.isSystem(p.type) ? el("span", { class: "d-new", text: t("designer.canvas.new") }) : null
      ]),
      errorsOf(f.uid) ? el("span", { class: "d-problem", text: t("designer.canvas.has_problem") }) : null
    ]);
    bindSelect(card, "field", f.uid);
    return card;
  }

  /** The text of a label's HTML (kintone labels may hold markup); parsed inertly, never inserted. */
  function plainText(html) {
    if (!html || html.indexOf("<") < 0) return html || "";
    return new DOMParser().parseFromString(html, "text/html").body.textContent || "";
  }

  function layoutCard(it) {
    var sel = isSelected("item", it.uid);
    var text = it.kind === "LABEL" ? (plainText(it.label) || t("designer.type.LABEL")) : KD.typeName(it.kind);
    var card = el("div", {
      class: "d-item d-layout d-layout-" + it.kind + (sel ? " selected" : ""), tabindex: "0", role: "button",
      draggable: "true", "aria-pressed": sel ? "true" : "false", "data-testid": "layout-" + it.kind, "data-uid": it.uid,
      "aria-label": KD.typeName(it.kind) + (it.kind === "LABEL" ? ": " + text : ""),
      ondragstart: function (e) { e.stopPropagation(); startDrag(e, { src: "item", uid: it.uid }); },
      ondragend: endDrag
    }, [el("span", { text: text })]);
    bindSelect(card, "item", it.uid);
    return card;
  }

  function bindSelect(node, kind, uid) {
    node.addEventListener("click", function (e) {
      e.stopPropagation();
      select(kind, uid);
    });
    node.addEventListener("keydown", function (e) {
      if (e.target !== node) return;
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(kind, uid); return; }
      var dirs = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
      if (e.altKey && dirs[e.key]) { e.preventDefault(); S.selected = { kind: kind, uid: uid }; KD.move(dirs[e.key]); return; }
      if (e.key === "Delete") { e.preventDefault(); S.selected = { kind: kind, uid: uid }; KD.removeSelected(); }
    });
  }

  function narrow() { return window.matchMedia && window.matchMedia("(max-width: 760px)").matches; }

  /** On a phone the panel sits below the form: go to it (its "back" button returns). */
  function showPanel() {
    var head = document.querySelector("#d-panel h2");
    if (!head) return;
    head.setAttribute("tabindex", "-1");
    head.focus();
    head.scrollIntoView({ block: "start" });
  }
  KD.showPanel = showPanel;

  function select(kind, uid) {
    S.selected = { kind: kind, uid: uid };
    renderCanvas();
    KD.renderPanel();
    updateAddButton();
    if (narrow()) showPanel(); else focusSelected();
  }
  KD.select = select;

  function focusSelected() {
    if (!S.selected) return;
    var node = document.querySelector('#d-canvas [data-uid="' + S.selected.uid + '"]');
    if (node) node.focus();
  }
  KD.focusSelected = focusSelected;

  function gap(listKey, index, testid, last) {
    return el("div", {
      class: "d-gap dz" + (last ? " d-gap-last" : ""), "data-drop": "gap", "data-list": listKey, "data-index": String(index),
      "data-testid": testid
    }, last ? [el("span", { text: t("designer.canvas.drop_new_row") })] : []);
  }

  function rowNode(row, testid) {
    var m = S.model;
    return el("div", { class: "d-row dz", "data-drop": "row", "data-row": row.uid, "data-testid": testid },
      row.items.map(function (it) {
        if (it.kind === "FIELD") {
          var f = m.field(it.field);
          return f ? fieldCard(f, { src: "item", uid: it.uid }) : null;
        }
        return layoutCard(it);
      }));
  }

  function rowList(list, listKey, prefix) {
    var out = [];
    list.forEach(function (b, i) {
      out.push(gap(listKey, i, prefix + "gap-" + i, false));
      if (b.kind === "ROW") out.push(rowNode(b, prefix + "row-" + i));
      else out.push(blockNode(b, i));
    });
    out.push(gap(listKey, list.length, prefix + "gap-" + list.length, true));
    return out;
  }

  function blockNode(b, index) {
    var m = S.model;
    var f = m.field(b.field);
    var sel = isSelected("field", f.uid);
    var head = el("div", { class: "d-block-head" }, [
      el("span", { class: "d-field-label", text: f.prop.label || t("designer.no_label") }),
      el("span", { class: "d-chip", text: KD.typeName(f.prop.type) }),
      el("code", { class: "d-code", text: f.prop.code }),
      f.origCode === null ? el("span", { class: "d-new", text: t("designer.canvas.new") }) : null,
      errorsOf(f.uid) ? el("span", { class: "d-problem", text: t("designer.canvas.has_problem") }) : null
    ]);
    var body;
    if (b.kind === "SUBTABLE") {
      var cols = f.columns.map(function (c) { return fieldCard(m.field(c), { src: "column", uid: c }, " d-column"); });
      body = el("div", {
        class: "d-columns dz", "data-drop": "columns", "data-table": f.uid, "data-testid": "subtable-" + f.prop.code,
        "aria-label": t("designer.canvas.table_columns")
      }, cols.length ? cols : [el("p", { class: "d-hint", text: t("designer.canvas.table_empty") })]);
    } else {
      body = el("div", { class: "d-group-body" }, b.rows.length
        ? rowList(b.rows, f.uid, "group-" + f.prop.code + "-")
        : [el("div", { class: "d-gap d-gap-last dz", "data-drop": "gap", "data-list": f.uid, "data-index": "0", "data-testid": "group-" + f.prop.code + "-gap-0" },
          [el("span", { text: t("designer.canvas.group_empty") })])]);
    }
    var node = el("div", {
      class: "d-block d-block-" + b.kind + (sel ? " selected" : "") + (errorsOf(f.uid) ? " has-problem" : ""),
      tabindex: "0", role: "button", draggable: "true", "aria-pressed": sel ? "true" : "false",
      "data-testid": "field-" + f.prop.code, "data-uid": f.uid, "data-index": String(index),
      "aria-label": t("designer.canvas.field_aria", { label: f.prop.label, type: KD.typeName(f.prop.type), code: f.prop.code }),
      ondragstart: function (e) { if (e.target === node) startDrag(e, { src: "block", uid: f.uid }); },
      ondragend: endDrag
    }, [head, body]);
    bindSelect(node, "field", f.uid);
    return node;
  }

  function renderCanvas() {
    var canvas = $("d-canvas");
    canvas.textContent = "";
    var m = S.model;
    if (!m.blocks.length) {
      canvas.appendChild(el("div", { class: "d-empty dz", "data-drop": "gap", "data-list": "top", "data-index": "0", "data-testid": "canvas-empty" }, [
        el("p", { class: "d-empty-title", text: t("designer.canvas.empty") }),
        el("p", { class: "muted", text: t("designer.canvas.empty_keyboard") })
      ]));
      return;
    }
    rowList(m.blocks, "top", "canvas-").forEach(function (n) { canvas.appendChild(n); });
  }

  function renderAll() {
    renderPalette();
    renderCanvas();
    KD.renderPanel();
    KD.renderStatus();
    renderAppErrors();
  }
  KD.renderAll = renderAll;
  KD.renderCanvas = renderCanvas;

  function renderAppErrors() {
    ["name", "description"].forEach(function (k) {
      var box = $("d-app-" + k + "-error");
      var msgs = S.appErrors[k] || [];
      box.textContent = msgs.join(" ");
      box.hidden = !msgs.length;
      box.parentNode.classList.toggle("has-error", !!msgs.length);
    });
  }

  // ---- Drag and drop --------------------------------------------------------------------------------------
  function startDrag(e, src) {
    dragging = src;
    e.dataTransfer.effectAllowed = src.src === "palette" ? "copy" : "move";
    try { e.dataTransfer.setData("text/plain", "kumiki-designer:" + JSON.stringify(src)); } catch (err) { /* old browsers */ }
    document.body.classList.add("d-dragging");
  }
  function endDrag() {
    dragging = null;
    document.body.classList.remove("d-dragging");
    clearMarks();
  }
  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll(".drop-over, .drop-before, .drop-end, .drop-refused"), function (n) {
      n.classList.remove("drop-over", "drop-before", "drop-end", "drop-refused");
    });
  }

  /** The drop target under the pointer: {node, target, before} or null. */
  function targetAt(e) {
    var zone = e.target.closest && e.target.closest(".dz");
    if (!zone || !$("d-canvas").contains(zone)) return null;
    var kind = zone.getAttribute("data-drop");
    if (kind === "gap") return { node: zone, target: { kind: "gap", list: zone.getAttribute("data-list"), index: Number(zone.getAttribute("data-index")) } };
    var children = Array.prototype.filter.call(zone.children, function (c) { return c.hasAttribute("data-uid"); });
    var index = children.length, before = null;
    for (var i = 0; i < children.length; i++) {
      var r = children[i].getBoundingClientRect();
      if (e.clientY < r.top || (e.clientY <= r.bottom && e.clientX < r.left + r.width / 2)) { index = i; before = children[i]; break; }
    }
    if (kind === "row") return { node: zone, before: before, target: { kind: "row", row: zone.getAttribute("data-row"), index: index } };
    return { node: zone, before: before, target: { kind: "columns", table: zone.getAttribute("data-table"), index: index } };
  }

  function onDragOver(e) {
    if (!dragging) return;
    var at = targetAt(e);
    clearMarks();
    if (!at) return;
    var d = describeSource(dragging);
    if (refusal(d, at.target)) { at.node.classList.add("drop-refused"); return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = dragging.src === "palette" ? "copy" : "move";
    at.node.classList.add("drop-over");
    if (at.before) at.before.classList.add("drop-before");
    else if (at.target.kind !== "gap") at.node.classList.add("drop-end");
  }

  function onDrop(e) {
    if (!dragging) return;
    var at = targetAt(e);
    var src = dragging;
    endDrag();
    if (!at) return;
    e.preventDefault();
    var sel = place(src, at.target);
    if (!sel) return;
    KD.message(null);
    renderAll();
    announce(src.src === "palette" ? t("designer.added", { type: KD.typeName(src.type) }) : t("designer.moved"));
    focusSelected();
  }

  // ---- Deleting -------------------------------------------------------------------------------------------
  /** A dialog asking to confirm; resolves true when confirmed. */
  KD.confirm = function (title, message, confirmLabel) {
    var dialog = $("d-dialog");
    $("d-dialog-title").textContent = title;
    $("d-dialog-message").textContent = message;
    $("d-dialog-confirm").textContent = confirmLabel;
    var back = document.activeElement;
    return new Promise(function (resolve) {
      function done(result) {
        dialog.removeEventListener("close", onClose);
        $("d-dialog-confirm").onclick = null;
        $("d-dialog-cancel").onclick = null;
        if (dialog.open) dialog.close();
        if (back && back.focus) back.focus();
        resolve(result);
      }
      function onClose() { done(false); }
      dialog.addEventListener("close", onClose);
      $("d-dialog-confirm").onclick = function () { done(true); };
      $("d-dialog-cancel").onclick = function () { done(false); };
      dialog.showModal();
      $("d-dialog-cancel").focus();
    });
  };

  function countQuery(f) {
    // The code the live records know (a rename takes effect only when published).
    var code = f.origCode;
    var type = f.prop.type;
    if (f.parent) {
      if (["CHECK_BOX", "MULTI_SELECT", "DROP_DOWN", "RADIO_BUTTON", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"].indexOf(type) >= 0) return code + ' not in ("")';
      if (["MULTI_LINE_TEXT", "FILE"].indexOf(type) >= 0) return code + " is not empty";
      return null;
    }
    if (["SINGLE_LINE_TEXT", "LINK", "NUMBER", "CALC", "DATE", "TIME", "DATETIME"].indexOf(type) >= 0) return code + ' != ""';
    if (["MULTI_LINE_TEXT", "FILE"].indexOf(type) >= 0) return code + " is not empty";
    if (["CHECK_BOX", "MULTI_SELECT", "DROP_DOWN", "RADIO_BUTTON", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"].indexOf(type) >= 0) return code + ' not in ("")';
    return null;
  }

  /** {count, exact}: how many records hold data in the field (best effort; `exact` false means "may"). */
  function countRecords(f) {
    if (!S.deployed || f.origCode === null) return Promise.resolve({ count: 0, exact: true });
    function ask(query) {
      return KUMIKI.api("GET", "records.json", { app: APP, query: query, totalCount: true, fields: ["$id"] })
        .then(function (r) { return Number(r.totalCount || 0); });
    }
    var qy = countQuery(f);
    var total = function () { return ask("limit 1").then(function (n) { return { count: n, exact: false }; }); };
    var first = qy ? ask(qy + " limit 1").then(function (n) { return { count: n, exact: true }; }, total) : total();
    return first.catch(function () { return { count: 0, exact: false }; });
  }

  /** Removes the selected field or layout element, after confirmation. */
  KD.removeSelected = function () {
    var m = S.model, sel = S.selected;
    if (!sel) return;
    if (sel.kind === "item") {
      m.takeItem(sel.uid);
      S.selected = null;
      renderAll();
      announce(t("designer.removed"));
      return;
    }
    var f = m.field(sel.uid);
    if (!f) return;
    var name = f.prop.label || f.prop.code;
    if (KD.isSystem(f.prop.type)) {
      m.takeItem(f.uid);
      S.selected = null; renderAll(); announce(t("designer.removed"));
      return;
    }
    countRecords(f).then(function (c) {
      var msg;
      if (f.prop.type === "GROUP") msg = t("designer.delete.group", { name: name });
      else if (f.origCode === null) msg = t("designer.delete.unsaved", { name: name });
      else if (c.count > 0 && c.exact) msg = t("designer.delete.has_data", { name: name, count: c.count });
      else if (c.count > 0) msg = t("designer.delete.may_have_data", { name: name, count: c.count });
      else msg = t("designer.delete.no_data", { name: name });
      return KD.confirm(t("designer.delete.title", { name: name }), msg, t("designer.delete.confirm"));
    }).then(function (ok) {
      if (!ok) return;
      m.removeField(f.uid);
      delete S.errors[f.uid];
      S.selected = null;
      renderAll();
      announce(t("designer.removed"));
      $("d-canvas").focus();
    });
  };

  // ---- Saving ---------------------------------------------------------------------------------------------
  var ERROR_KEY = /^properties\.([^.]+)(?:\.fields\.([^.]+))?(?:\.(.+))?$/;

  /** Files the server's errors next to the right field and setting. */
  function showServerErrors(err) {
    var m = S.model;
    S.errors = {}; S.appErrors = {}; S.general = [];
    var errors = err.errors || {};
    var firstUid = null;
    Object.keys(errors).forEach(function (key) {
      var messages = (errors[key] && errors[key].messages) || [];
      var hit = ERROR_KEY.exec(key);
      var f = null, prop = "_";
      if (hit) {
        f = m.byCode(hit[1]) || m.byOrigCode(hit[1]);
        if (f && hit[2]) {
          var inner = (f.columns || []).map(function (c) { return m.field(c); })
            .filter(function (c) { return c.prop.code === hit[2] || c.origCode === hit[2]; })[0];
          if (inner) f = inner;
        }
        prop = hit[3] || "_";
      }
      if (f) {
        (S.errors[f.uid] = S.errors[f.uid] || {})[prop] = ((S.errors[f.uid] || {})[prop] || []).concat(messages);
        if (!firstUid) firstUid = f.uid;
      } else if (key === "name" || key === "description") {
        S.appErrors[key] = messages;
      } else {
        messages.forEach(function (msg) { S.general.push(msg); });
      }
    });
    var text = err.status === 409 ? t("designer.save.conflict") : t("designer.save.failed");
    if (!Object.keys(errors).length && err.status !== 409) S.general.push(err.message);
    KD.message("error", text, null, S.general);
    if (firstUid) S.selected = { kind: "field", uid: firstUid };
  }

  /** Saves the changes to the pre-live settings; resolves true when everything was written. */
  function save() {
    if (S.busy) return Promise.resolve(false);
    var m = S.model;
    commitFocusedInput();
    m.name = $("d-app-name").value;
    m.description = $("d-app-description").value;
    var problems = m.check();
    S.appErrors = {};
    if (!m.name.trim()) S.appErrors.name = [t("designer.app.name_required")];
    if (Object.keys(problems).length || S.appErrors.name) {
      S.errors = problems;
      var first = Object.keys(problems)[0];
      if (first) S.selected = { kind: "field", uid: first };
      KD.message("error", t("designer.save.check_failed", { count: Object.keys(problems).length + (S.appErrors.name ? 1 : 0) }));
      renderAll();
      return Promise.resolve(false);
    }
    var d = m.diff(S.base);
    if (KD.diffIsEmpty(d)) { KD.message("info", t("designer.save.nothing")); return Promise.resolve(true); }
    S.busy = true; S.errors = {};
    KD.renderStatus();
    KD.message("info", t("designer.save.saving"));
    var revision = S.base.revision;
    function step(method, path, body) {
      body.app = APP;
      body.revision = revision;
      return KUMIKI.api(method, path, body).then(function (r) { revision = r.revision; });
    }
    var chain = Promise.resolve();
    if (d.settings) chain = chain.then(function () { return step("PUT", "preview/app/settings.json", d.settings); });
    if (Object.keys(d.add).length) chain = chain.then(function () { return step("POST", "preview/app/form/fields.json", { properties: d.add }); });
    if (Object.keys(d.update).length) chain = chain.then(function () { return step("PUT", "preview/app/form/fields.json", { properties: d.update }); });
    if (d.remove.length) chain = chain.then(function () { return step("DELETE", "preview/app/form/fields.json", { fields: d.remove }); });
    if (d.layoutChanged || Object.keys(d.add).length) chain = chain.then(function () { return step("PUT", "preview/app/form/layout.json", { layout: m.layout() }); });
    return chain.then(function () {
      S.busy = false;
      S.unpublished = true;
      return load().then(function () {
        KD.message("ok", t("designer.save.done"));
        announce(t("designer.save.done"));
        return true;
      });
    }, function (err) {
      S.busy = false;
      showServerErrors(err);
      return reconcile().then(function () { return false; }, function () { renderAll(); return false; });
    });
  }
  KD.save = save;

  /** An input being edited commits on `change`; make sure that happened before saving. */
  function commitFocusedInput() {
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a.closest("#d-panel")) {
      a.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // ---- Publishing -----------------------------------------------------------------------------------------
  function publish() {
    if (S.busy) return;
    var before = KD.isDirty() ? save() : Promise.resolve(true);
    before.then(function (ok) {
      if (!ok) return;
      S.busy = true;
      KD.renderStatus();
      KD.message("info", t("designer.publish.running"));
      return KUMIKI.deploy(APP, S.base.revision)
        .then(function (status) {
          S.busy = false;
          if (status !== "SUCCESS") {
            KD.message("error", t("designer.publish.failed"));
            KD.renderStatus();
            return;
          }
          S.unpublished = false; S.deployed = true;
          // Published codes are what the records and the API know: they no longer follow the label.
          S.model.allFields().forEach(function (f) { f.autoCode = false; });
          KD.renderStatus();
          var link = el("a", { href: "/apps/" + APP, "data-testid": "open-app", text: t("designer.publish.open") });
          KD.message("ok", t("designer.publish.done"), link);
          announce(t("designer.publish.done"));
          $("d-open-app").hidden = false;
        }, function (err) {
          S.busy = false;
          // Review before go-live (review.js): an app under review publishes only approved changes.
          if (err && err.code === "GAIA_RV01") {
            KD.message("error", t("designer.review.blocked"),
              el("a", { href: "/apps/" + APP + "/review", "data-testid": "review-blocked-link", text: t("designer.review.open") }));
            KD.renderStatus();
            return;
          }
          showServerErrors(err);
          KD.message("error", t("designer.publish.failed"), null, S.general);
          renderAll();
        });
    });
  }

  // ---- Start ----------------------------------------------------------------------------------------------
  function start() {
    $("d-save").addEventListener("click", function () { save(); });
    $("d-publish").addEventListener("click", publish);
    $("d-add").addEventListener("click", addSelected);
    $("d-palette-toggle").addEventListener("click", function () {
      var pal = $("d-palette");
      var open = pal.classList.toggle("open");
      this.setAttribute("aria-expanded", open ? "true" : "false");
      this.textContent = t(open ? "designer.palette.toggle_hide" : "designer.palette.toggle");
    });
    ["name", "description"].forEach(function (k) {
      $("d-app-" + k).addEventListener("input", function () {
        S.model[k] = this.value;
        delete S.appErrors[k];
        KD.renderStatus();
      });
    });
    var canvas = $("d-canvas");
    canvas.addEventListener("dragover", onDragOver);
    canvas.addEventListener("drop", onDrop);
    canvas.addEventListener("dragleave", function (e) { if (!canvas.contains(e.relatedTarget)) clearMarks(); });
    canvas.addEventListener("click", function (e) {
      if (e.target === canvas) { S.selected = null; renderAll(); }
    });
    window.addEventListener("beforeunload", function (e) {
      if (KD.isDirty()) { e.preventDefault(); e.returnValue = ""; }
    });
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
    });
    load().then(function () {
      $("d-loading").hidden = true;
      $("d-workspace").hidden = false;
    }, function (err) {
      $("d-loading").hidden = true;
      KD.message("error", t("designer.load_failed"), null, [err.message]);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
