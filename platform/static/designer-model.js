// Form designer, part 1: the field-type catalogue and the editable model of a form.
//
// The model is built from kintone's `app/form/fields.json` properties and `layout.json` layout and turned
// back into them. Fields are keyed by a local id (`uid`) so a code can be renamed freely; `origCode` is the
// code the server knows (null for a field not saved yet), which is how renames go through `PUT`.
"use strict";
(function () {
  var KD = window.KD = window.KD || {};

  // Palette groups and their types. LOOKUP is a SINGLE_LINE_TEXT with a `lookup` setting.
  KD.PALETTE = [
    { key: "text", types: ["SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "NUMBER", "CALC", "LINK"] },
    { key: "choice", types: ["RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT", "DROP_DOWN"] },
    { key: "datetime", types: ["DATE", "TIME", "DATETIME"] },
    { key: "people", types: ["USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "FILE"] },
    { key: "relation", types: ["SUBTABLE", "LOOKUP", "REFERENCE_TABLE"] },
    { key: "layout", types: ["LABEL", "SPACER", "HR", "GROUP"] },
    { key: "system", types: ["RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME"] }
  ];
  KD.SYSTEM = ["RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "STATUS", "STATUS_ASSIGNEE", "CATEGORY"];
  KD.LAYOUT_ONLY = ["LABEL", "SPACER", "HR"];
  KD.CHOICE = ["RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT", "DROP_DOWN"];
  KD.UNIQUE = ["SINGLE_LINE_TEXT", "NUMBER", "LINK", "DATE", "DATETIME"];
  KD.NO_REQUIRED = ["CALC", "SUBTABLE", "REFERENCE_TABLE", "GROUP", "LABEL", "SPACER", "HR"];
  // What may not sit inside a table.
  KD.NOT_IN_TABLE = ["SUBTABLE", "REFERENCE_TABLE", "GROUP", "LABEL", "SPACER", "HR"];
  var nextUid = 1;
  KD.uid = function () { return "u" + (nextUid++); };
  KD.clone = function (v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); };
  KD.typeName = function (type) { return KUMIKI.t("designer.type." + type); };
  KD.isSystem = function (type) { return KD.SYSTEM.indexOf(type) >= 0; };
  KD.isLookup = function (f) { return !!(f && f.prop.lookup); };
  /** The palette type a field shows as (LOOKUP for lookups). */
  KD.displayType = function (f) { return KD.isLookup(f) ? "LOOKUP" : f.prop.type; };

  /** JSON with sorted keys, for comparing settings. */
  KD.canonical = function canonical(v) {
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    if (v && typeof v === "object") {
      return "{" + Object.keys(v).sort().filter(function (k) { return v[k] !== undefined; })
        .map(function (k) { return JSON.stringify(k) + ":" + canonical(v[k]); }).join(",") + "}";
    }
    return JSON.stringify(v);
  };

  /** A field code's problem (a message key), or null: the server's rules (engine/src/apps/check.rs:
   *  1–128 characters, not starting with a half-width digit; of ASCII only letters, digits and `_`;
   *  any other character but white space, so Japanese codes such as 「貸出日」 are fine). */
  KD.codeProblem = function (code) {
    if (!code) return "designer.code.empty";
    var chars = Array.from(code);
    if (chars.length > 128) return "designer.code.too_long";
    if (/^[0-9]/.test(code)) return "designer.code.digit";
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      if (c.charCodeAt(0) < 128) { if (!/[A-Za-z0-9_]/.test(c)) return "designer.code.chars"; }
      else if (/\s/.test(c)) return "designer.code.chars";
    }
    return null;
  };

  /** Model of one form. */
  function Model() {
    this.fields = {};   // uid → {uid, origCode, prop, parent, columns}
    this.blocks = [];   // top level: ROW | SUBTABLE | GROUP blocks
    this.name = "";
    this.description = "";
  }
  KD.Model = Model;

  Model.prototype.field = function (uid) { return this.fields[uid] || null; };
  Model.prototype.byCode = function (code) {
    var self = this;
    var found = null;
    Object.keys(this.fields).forEach(function (u) { if (self.fields[u].prop.code === code) found = self.fields[u]; });
    return found;
  };
  Model.prototype.byOrigCode = function (code) {
    var self = this;
    var found = null;
    Object.keys(this.fields).forEach(function (u) { if (self.fields[u].origCode === code) found = self.fields[u]; });
    return found;
  };
  Model.prototype.allFields = function () {
    var self = this;
    return Object.keys(this.fields).map(function (u) { return self.fields[u]; });
  };

  Model.prototype.addField = function (prop, origCode, parent) {
    var f = { uid: KD.uid(), origCode: origCode, prop: prop, parent: parent || null, columns: null };
    this.fields[f.uid] = f;
    if (prop.type === "SUBTABLE") {
      var self = this;
      f.columns = [];
      var inner = prop.fields || {};
      delete prop.fields;
      Object.keys(inner).forEach(function (code) {
        var c = self.addField(inner[code], origCode === null ? null : code, f.uid);
        f.columns.push(c.uid);
      });
    }
    return f;
  };

  /** Builds the model from the API's properties, layout and app settings. */
  Model.fromApi = function (properties, layout, settings) {
    var m = new Model();
    m.name = settings.name || "";
    m.description = settings.description || "";
    Object.keys(properties).forEach(function (code) {
      m.addField(KD.clone(properties[code]), code, null);
    });
    var placed = {};
    function item(el) {
      if (el.type === "LABEL") return { uid: KD.uid(), kind: "LABEL", label: el.label || "", size: el.size || {} };
      if (el.type === "SPACER") return { uid: KD.uid(), kind: "SPACER", elementId: el.elementId || "", size: el.size || {} };
      if (el.type === "HR") return { uid: KD.uid(), kind: "HR", size: el.size || {} };
      var f = m.byOrigCode(el.code);
      if (!f || f.parent) return null;
      placed[f.uid] = true;
      return { uid: KD.uid(), kind: "FIELD", field: f.uid, size: el.size || {} };
    }
    function row(el) {
      return { uid: KD.uid(), kind: "ROW", items: (el.fields || []).map(item).filter(Boolean) };
    }
    (layout || []).forEach(function (el) {
      if (el.type === "ROW") {
        var r = row(el);
        if (r.items.length) m.blocks.push(r);
      } else if (el.type === "SUBTABLE" || el.type === "GROUP") {
        var f = m.byOrigCode(el.code);
        if (!f || f.parent || placed[f.uid]) return;
        placed[f.uid] = true;
        var b = { uid: KD.uid(), kind: el.type, field: f.uid };
        if (el.type === "GROUP") {
          b.rows = (el.layout || []).map(row).filter(function (r) { return r.items.length; });
        } else {
          // Column order as laid out; columns missing from the layout keep their place at the end.
          var order = (el.fields || []).map(function (c) { return c.code; });
          b.sizes = {};
          (el.fields || []).forEach(function (c) { b.sizes[c.code] = c.size || {}; });
          f.columns.sort(function (a, c) {
            var ia = order.indexOf(m.fields[a].origCode), ic = order.indexOf(m.fields[c].origCode);
            return (ia < 0 ? 1e9 : ia) - (ic < 0 ? 1e9 : ic);
          });
        }
        m.blocks.push(b);
      }
    });
    // Fields that the layout does not place (added through the API without a layout change) go at the end.
    m.allFields().forEach(function (f) {
      if (f.parent || placed[f.uid] || KD.isSystem(f.prop.type)) return;
      if (f.prop.type === "SUBTABLE" || f.prop.type === "GROUP") {
        m.blocks.push({ uid: KD.uid(), kind: f.prop.type, field: f.uid, rows: f.prop.type === "GROUP" ? [] : undefined, sizes: {} });
      } else {
        m.blocks.push({ uid: KD.uid(), kind: "ROW", items: [{ uid: KD.uid(), kind: "FIELD", field: f.uid, size: {} }] });
      }
    });
    return m;
  };

  /** Whether a field (or system field) is on the form. */
  Model.prototype.isPlaced = function (uid) {
    var found = false;
    this.eachItem(function (it) { if (it.field === uid) found = true; });
    this.blocks.forEach(function (b) { if (b.field === uid) found = true; });
    return found;
  };

  /** Calls fn(item, row, list) for every row item, top level and inside groups. */
  Model.prototype.eachItem = function (fn) {
    function rows(list) {
      list.forEach(function (b) {
        if (b.kind === "ROW") b.items.forEach(function (it) { fn(it, b, list); });
        if (b.kind === "GROUP") rows(b.rows);
      });
    }
    rows(this.blocks);
  };

  /** Where a row item is: {item, row, list, index, rowIndex}. */
  Model.prototype.findItem = function (uid) {
    var out = null;
    function rows(list) {
      list.forEach(function (b, ri) {
        if (b.kind === "ROW") b.items.forEach(function (it, i) { if (it.uid === uid || it.field === uid) out = { item: it, row: b, list: list, index: i, rowIndex: ri }; });
        if (b.kind === "GROUP") rows(b.rows);
      });
    }
    rows(this.blocks);
    return out;
  };

  /** A SUBTABLE/GROUP block by its block uid or field uid: {block, index}. */
  Model.prototype.findBlock = function (uid) {
    for (var i = 0; i < this.blocks.length; i++) {
      var b = this.blocks[i];
      if (b.uid === uid || (b.field && b.field === uid)) return { block: b, index: i };
    }
    return null;
  };

  /** The row list a row lives in: the top level or a group's rows. */
  Model.prototype.listOf = function (listKey) {
    if (listKey === "top") return this.blocks;
    var b = this.findBlock(listKey);
    return b && b.block.kind === "GROUP" ? b.block.rows : null;
  };

  Model.prototype.findRow = function (rowUid) {
    var out = null;
    function rows(list) {
      list.forEach(function (b, i) {
        if (b.uid === rowUid && b.kind === "ROW") out = { row: b, list: list, index: i };
        if (b.kind === "GROUP") rows(b.rows);
      });
    }
    rows(this.blocks);
    return out;
  };

  /** Takes a row item out of its row (dropping the row when it empties); returns the item. */
  Model.prototype.takeItem = function (uid) {
    var at = this.findItem(uid);
    if (!at) return null;
    at.row.items.splice(at.index, 1);
    if (!at.row.items.length) {
      var i = at.list.indexOf(at.row);
      if (i >= 0) at.list.splice(i, 1);
    }
    return at.item;
  };

  /** Removes a field (and a subtable's columns) from the model and the form. */
  Model.prototype.removeField = function (uid) {
    var f = this.fields[uid];
    if (!f) return;
    if (f.parent) {
      var t = this.fields[f.parent];
      if (t) t.columns = t.columns.filter(function (c) { return c !== uid; });
    } else if (f.prop.type === "SUBTABLE" || f.prop.type === "GROUP") {
      var b = this.findBlock(uid);
      if (b) {
        this.blocks.splice(b.index, 1);
        // A deleted group's fields stay on the form, in its place.
        if (b.block.kind === "GROUP") Array.prototype.splice.apply(this.blocks, [b.index, 0].concat(b.block.rows));
      }
    } else {
      this.takeItem(uid);
    }
    var self = this;
    (f.columns || []).forEach(function (c) { delete self.fields[c]; });
    if (!KD.isSystem(f.prop.type)) delete this.fields[uid];
  };

  /** Every code in use, except the field `exceptUid`. */
  Model.prototype.codesInUse = function (exceptUid) {
    var self = this;
    return Object.keys(this.fields).filter(function (u) { return u !== exceptUid; })
      .map(function (u) { return self.fields[u].prop.code; });
  };

  /** The default code for a label, as kintone makes it: letters and digits of any script, `_`, `・`,
   *  `＄` and `￥` are kept, every other character (spaces, brackets, punctuation) becomes `_`; a code
   *  that would start with a digit gets a leading `_`. "" for a label with nothing usable. */
  KD.codeFromLabel = function (label) {
    var chars = Array.from(String(label || "").trim()).map(function (c) {
      return /[\p{L}\p{N}\p{M}_・＄￥]/u.test(c) ? c : "_";
    });
    var code = chars.join("");
    if (!/[^_]/.test(code)) return "";
    if (/^[0-9]/.test(code)) code = "_" + code;
    // Room for a `_NN` suffix within the 128 characters.
    return Array.from(code).slice(0, 120).join("");
  };

  /** `base`, or `base_2`, `base_3`… — the first not used by another field than `exceptUid`. */
  Model.prototype.uniqueCode = function (base, exceptUid) {
    var used = this.codesInUse(exceptUid || null);
    if (used.indexOf(base) < 0) return base;
    for (var n = 2; ; n++) { if (used.indexOf(base + "_" + n) < 0) return base + "_" + n; }
  };

  /** The code a label gives a field (unique in the form), or null when the label gives none. */
  Model.prototype.codeForLabel = function (label, exceptUid) {
    var base = KD.codeFromLabel(label);
    return base ? this.uniqueCode(base, exceptUid) : null;
  };

  /** Whether `f`'s code still is the one its label gives (so it was never typed by hand). */
  Model.prototype.codeFollowsLabel = function (f) {
    var base = KD.codeFromLabel(f.prop.label);
    if (!base) return false;
    var code = f.prop.code || "";
    return code === base || (code.indexOf(base + "_") === 0 && /^[0-9]+$/.test(code.slice(base.length + 1)));
  };

  Model.prototype.freshCode = function (type) {
    return this.codeForLabel(KD.typeName(type), null) || this.uniqueCode("field", null);
  };

  /** A new field of a palette type, not yet placed. */
  Model.prototype.newField = function (type, parent) {
    var realType = type === "LOOKUP" ? "SINGLE_LINE_TEXT" : type;
    var prop = { type: realType, code: this.freshCode(type), label: KD.typeName(type), noLabel: false };
    if (KD.NO_REQUIRED.indexOf(realType) < 0) prop.required = false;
    if (KD.CHOICE.indexOf(realType) >= 0) {
      prop.options = {};
      [1, 2].forEach(function (n, i) {
        var label = KUMIKI.t("designer.option.sample", { n: n });
        prop.options[label] = { label: label, index: String(i) };
      });
      if (realType === "RADIO_BUTTON") prop.defaultValue = KUMIKI.t("designer.option.sample", { n: 1 });
      else if (realType === "CHECK_BOX" || realType === "MULTI_SELECT") prop.defaultValue = [];
      else prop.defaultValue = "";
      if (realType === "RADIO_BUTTON" || realType === "CHECK_BOX") prop.align = "HORIZONTAL";
    }
    if (realType === "CALC") { prop.expression = ""; prop.format = "NUMBER"; prop.hideExpression = false; }
    if (realType === "NUMBER") { prop.digit = false; prop.unitPosition = "BEFORE"; }
    if (realType === "LINK") prop.protocol = "WEB";
    if (realType === "FILE") prop.thumbnailSize = "150";
    if (realType === "GROUP") prop.openGroup = true;
    if (type === "LOOKUP") {
      prop.lookup = { relatedApp: { app: "", code: "" }, relatedKeyField: "", fieldMappings: [], lookupPickerFields: [], filterCond: "", sort: "" };
    }
    if (realType === "REFERENCE_TABLE") {
      prop.referenceTable = { relatedApp: { app: "", code: "" }, condition: { field: "", relatedField: "" }, filterCond: "", displayFields: [], sort: "", size: "5" };
    }
    var f = this.addField(prop, null, parent || null);
    // The code follows the label until it is typed by hand or the field is published.
    f.autoCode = true;
    if (realType === "SUBTABLE") {
      var col = this.newField("SINGLE_LINE_TEXT", f.uid);
      f.columns.push(col.uid);
    }
    return f;
  };

  /** A new layout element (LABEL, SPACER, HR). */
  KD.newLayoutItem = function (type) {
    if (type === "LABEL") return { uid: KD.uid(), kind: "LABEL", label: KUMIKI.t("designer.type.LABEL"), size: {} };
    if (type === "SPACER") return { uid: KD.uid(), kind: "SPACER", elementId: "", size: { width: "100", height: "40" } };
    return { uid: KD.uid(), kind: "HR", size: {} };
  };

  /** The kintone property of a field (a subtable with its columns). */
  Model.prototype.propOf = function (f) {
    var p = KD.clone(f.prop);
    if (f.columns) {
      var self = this;
      p.fields = {};
      f.columns.forEach(function (c) { var inner = self.fields[c]; p.fields[inner.prop.code] = KD.clone(inner.prop); });
    }
    return p;
  };

  /** Top-level properties by their current code. */
  Model.prototype.properties = function () {
    var self = this;
    var out = {};
    this.allFields().forEach(function (f) { if (!f.parent) out[f.prop.code] = self.propOf(f); });
    return out;
  };

  /** kintone's layout JSON. */
  Model.prototype.layout = function () {
    var self = this;
    function el(it) {
      if (it.kind === "LABEL") return { type: "LABEL", label: it.label, size: it.size || {} };
      if (it.kind === "SPACER") return { type: "SPACER", elementId: it.elementId || "", size: it.size || {} };
      if (it.kind === "HR") return { type: "HR", size: it.size || {} };
      var f = self.fields[it.field];
      return { type: f.prop.type, code: f.prop.code, size: it.size || {} };
    }
    function row(r) { return { type: "ROW", fields: r.items.map(el) }; }
    return this.blocks.map(function (b) {
      var f = b.field && self.fields[b.field];
      if (b.kind === "ROW") return row(b);
      if (b.kind === "GROUP") return { type: "GROUP", code: f.prop.code, layout: b.rows.map(row) };
      var sizes = b.sizes || {};
      return {
        type: "SUBTABLE", code: f.prop.code,
        fields: f.columns.map(function (c) {
          var inner = self.fields[c];
          return { type: inner.prop.type, code: inner.prop.code, size: sizes[inner.origCode || ""] || {} };
        })
      };
    });
  };

  /** Problems the server would refuse, found before saving: uid → {prop: [message]}. */
  Model.prototype.check = function () {
    var self = this;
    var out = {};
    function add(uid, key, msg) { (out[uid] = out[uid] || {})[key] = (out[uid][key] || []).concat([msg]); }
    var counts = {};
    this.allFields().forEach(function (f) { counts[f.prop.code] = (counts[f.prop.code] || 0) + 1; });
    this.allFields().forEach(function (f) {
      var p = f.prop;
      if (KD.isSystem(p.type)) return;
      var problem = KD.codeProblem(p.code);
      if (problem) add(f.uid, "code", KUMIKI.t(problem));
      else if (counts[p.code] > 1) add(f.uid, "code", KUMIKI.t("designer.code.duplicate"));
      if (KD.CHOICE.indexOf(p.type) >= 0 && !Object.keys(p.options || {}).length) add(f.uid, "options", KUMIKI.t("designer.check.options"));
      if (p.type === "CALC" && !(p.expression || "").trim()) add(f.uid, "expression", KUMIKI.t("designer.check.expression"));
      if (p.type === "SUBTABLE" && !f.columns.length) add(f.uid, "fields", KUMIKI.t("designer.check.columns"));
      if (p.lookup && (!p.lookup.relatedApp.app || !p.lookup.relatedKeyField)) add(f.uid, "lookup", KUMIKI.t("designer.check.lookup"));
      if (p.referenceTable) {
        var rt = p.referenceTable;
        if (!rt.relatedApp.app || !rt.condition.field || !rt.condition.relatedField) add(f.uid, "referenceTable", KUMIKI.t("designer.check.reference"));
      }
      ["minLength", "maxLength"].forEach(function (k) {
        if (p[k] !== undefined && p[k] !== "" && !/^[0-9]+$/.test(p[k])) add(f.uid, k, KUMIKI.t("designer.check.whole_number"));
      });
      ["minValue", "maxValue"].forEach(function (k) {
        if (p[k] !== undefined && p[k] !== "" && !isFinite(Number(p[k]))) add(f.uid, k, KUMIKI.t("designer.check.number"));
      });
      if (p.minLength && p.maxLength && Number(p.minLength) > Number(p.maxLength)) add(f.uid, "maxLength", KUMIKI.t("designer.check.min_max"));
      if (p.minValue && p.maxValue && Number(p.minValue) > Number(p.maxValue)) add(f.uid, "maxValue", KUMIKI.t("designer.check.min_max"));
    });
    return out;
  };

  /** Rewrites references to a renamed field in formulas and in this app's lookup / related-records settings. */
  Model.prototype.renameReferences = function (oldCode, newCode) {
    if (!oldCode || oldCode === newCode) return;
    this.allFields().forEach(function (f) {
      var p = f.prop;
      if (typeof p.expression === "string" && p.expression) p.expression = KD.renameInFormula(p.expression, oldCode, newCode);
      if (p.lookup) p.lookup.fieldMappings.forEach(function (m) { if (m.field === oldCode) m.field = newCode; });
      if (p.referenceTable && p.referenceTable.condition.field === oldCode) p.referenceTable.condition.field = newCode;
    });
  };

  /** Replaces the identifier `oldCode` by `newCode` outside string literals. */
  KD.renameInFormula = function (expr, oldCode, newCode) {
    var out = "";
    var i = 0;
    var stop = /[\s+\-*\/&=<>!(),"^%]/;
    while (i < expr.length) {
      var c = expr.charAt(i);
      if (c === "\"") {
        var j = i + 1;
        while (j < expr.length && expr.charAt(j) !== "\"") { if (expr.charAt(j) === "\\") j++; j++; }
        out += expr.slice(i, j + 1);
        i = j + 1;
      } else if (stop.test(c)) {
        out += c; i++;
      } else {
        var k = i;
        while (k < expr.length && !stop.test(expr.charAt(k))) k++;
        var word = expr.slice(i, k);
        out += word === oldCode ? newCode : word;
        i = k;
      }
    }
    return out;
  };

  /** What saving must send: {add, update, remove, layoutChanged, settings}. `base` is the server's state. */
  Model.prototype.diff = function (base) {
    var self = this;
    var add = {}, update = {}, remove = [];
    var current = {};
    this.allFields().forEach(function (f) { if (!f.parent) current[f.uid] = self.propOf(f); });
    Object.keys(current).forEach(function (uid) {
      var f = self.fields[uid];
      var p = current[uid];
      if (f.origCode === null) { add[p.code] = p; return; }
      var old = base.properties[f.origCode];
      if (!old || KD.canonical(old) === KD.canonical(p)) return;
      var patch = KD.clone(p);
      // A setting that was cleared must be sent as null: the server merges what it is given.
      Object.keys(old).forEach(function (k) { if (!(k in patch)) patch[k] = null; });
      update[f.origCode] = patch;
    });
    Object.keys(base.properties).forEach(function (code) {
      var p = base.properties[code];
      if (KD.isSystem(p.type)) return;
      if (!self.byOrigCode(code) || self.byOrigCode(code).parent) remove.push(code);
    });
    var settings = null;
    if (this.name !== base.name || this.description !== base.description) settings = { name: this.name, description: this.description };
    return {
      add: add, update: update, remove: remove, settings: settings,
      layoutChanged: KD.canonical(this.layout()) !== KD.canonical(base.layout)
    };
  };

  KD.diffIsEmpty = function (d) {
    return !Object.keys(d.add).length && !Object.keys(d.update).length && !d.remove.length && !d.settings && !d.layoutChanged;
  };
})();
