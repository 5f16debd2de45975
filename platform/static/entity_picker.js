// A picker of people, departments and groups by partial name (「佐藤」 finds 佐藤 一郎), plus the
// app's user-type fields and the record's creator, for settings that name entities in kintone's
// shape ({entity: {type, code}, includeSubs}). Names come from /api/directory.json (every signed-in
// user may read the names; administration stays in /api/org/...). Entities are shown by name.
//   KUMIKI_PICKER.load() → Promise (call once before rendering)
//   KUMIKI_PICKER.label(entity) → "佐藤 一郎" / "総務課" / "作成者" ...
//   KUMIKI_PICKER.create({id, kinds, fields, onPick(entry)}) → element
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
  var P = {};
  var dir = { USER: [], ORGANIZATION: [], GROUP: [] };
  var names = { USER: {}, ORGANIZATION: {}, GROUP: {} };
  var MAX_HITS = 8;

  /** Loads the directory; a failure leaves the lists empty (codes are still shown). */
  P.load = function () {
    return K.api("GET", "/api/directory.json").then(function (r) {
      dir.USER = r.users || [];
      dir.ORGANIZATION = r.departments || [];
      dir.GROUP = r.groups || [];
      Object.keys(dir).forEach(function (k) { dir[k].forEach(function (x) { names[k][x.code] = x.name || x.code; }); });
    }, function () { /* names unknown: entities show their codes */ });
  };

  /** Width, case and spaces folded, so 「ｻﾄｳ」, 「佐藤一郎」 and 「佐藤 一郎」 compare as typed. */
  function fold(s) {
    var v = String(s || "");
    if (v.normalize) v = v.normalize("NFKC");
    return v.toLowerCase().replace(/\s+/g, "");
  }

  /** Entries of `kind` whose name or code contains `q` (names first). */
  P.search = function (kind, q) {
    var needle = fold(q);
    var list = dir[kind] || [];
    if (!needle) return list.slice(0, MAX_HITS);
    var byName = [], byCode = [];
    list.forEach(function (x) {
      if (fold(x.name).indexOf(needle) >= 0) byName.push(x);
      else if (fold(x.code).indexOf(needle) >= 0) byCode.push(x);
    });
    return byName.concat(byCode).slice(0, MAX_HITS);
  };

  /** The name of a USER, ORGANIZATION or GROUP code, or null when unknown. */
  P.name = function (kind, code) {
    return Object.prototype.hasOwnProperty.call(names[kind] || {}, code) ? names[kind][code] : null;
  };

  /** How an entity reads on a page: its name; fields by label; the creator in words. */
  P.label = function (entity, fields) {
    var e = entity || {};
    if (e.type === "CREATOR") return t("entity_picker.creator");
    if (e.type === "FIELD_ENTITY") {
      var f = (fields || []).filter(function (x) { return x.code === e.code; })[0];
      return t("entity_picker.field_of", { label: f ? (f.label || f.code) : e.code });
    }
    var n = P.name(e.type, e.code);
    if (e.type === "GROUP" && e.code === "everyone" && !n) return t("entity_picker.everyone");
    return n || t("entity_picker.unknown", { code: e.code || "" });
  };

  P.kindLabel = function (type) { return t("entity_picker.kind." + String(type || "").toLowerCase()); };

  /**
   * A picker: kind select, then a search box with hits (users, departments, groups), a field select
   * (FIELD_ENTITY) or an add button (CREATOR). `fields` are [{code, label}] the app's entity fields.
   * `state` ({kind, q}, optional) keeps the chosen kind and the typed text across redraws of the page
   * around the picker (a settings page redrawn by its preview keeps what the user was typing).
   */
  P.create = function (opts) {
    var id = opts.id, kinds = opts.kinds || ["USER", "ORGANIZATION", "GROUP", "FIELD_ENTITY", "CREATOR"];
    var fields = opts.fields || [];
    var state = opts.state || {};
    if (!fields.length) kinds = kinds.filter(function (k) { return k !== "FIELD_ENTITY"; });
    var kind = kinds.indexOf(state.kind) >= 0 ? state.kind : kinds[0];
    var box = el("div", { class: "ent-picker", "data-testid": id });
    var kindSel = el("select", { id: id + "-kind", "data-testid": id + "-kind", "aria-label": t("entity_picker.kind") },
      kinds.map(function (k) { return el("option", { value: k, selected: k === kind ? true : null, text: P.kindLabel(k) }); }));
    var body = el("div", { class: "ent-picker-body" });
    box.appendChild(kindSel);
    box.appendChild(body);

    function pick(entry) {
      opts.onPick(entry);
    }

    function drawSearch() {
      var input = el("input", { type: "search", id: id + "-search", "data-testid": id + "-search", autocomplete: "off",
        "aria-label": t("entity_picker.search." + kind.toLowerCase()), placeholder: t("entity_picker.search_placeholder"),
        "aria-controls": id + "-hits" });
      input.value = state.q || "";
      var hits = el("ul", { class: "ent-picker-hits", id: id + "-hits", "data-testid": id + "-hits", hidden: true });
      var status = el("span", { class: "sr-only", role: "status", "aria-live": "polite" });
      function show() {
        hits.textContent = "";
        var q = input.value;
        var found = P.search(kind, q);
        if (!q.trim() && document.activeElement !== input) { hits.hidden = true; return; }
        if (!found.length) {
          hits.appendChild(el("li", { class: "muted ent-picker-none", "data-testid": id + "-none", text: t("entity_picker.none", { q: q.trim() }) }));
        }
        found.forEach(function (x, i) {
          var label = x.name || x.code;
          var b = el("button", { type: "button", class: "ent-picker-hit", "data-testid": id + "-hit-" + i, "data-code": x.code,
            onclick: function () {
              var entry = { entity: { type: kind, code: x.code }, includeSubs: false };
              input.value = ""; state.q = ""; hits.hidden = true;
              pick(entry);
            } }, [el("span", { class: "ent-picker-hit-name", text: label }), el("span", { class: "muted ent-picker-hit-code", text: x.code })]);
          b.addEventListener("keydown", function (e) {
            if (e.key === "ArrowDown" && b.parentNode.nextSibling) { e.preventDefault(); b.parentNode.nextSibling.firstChild.focus(); }
            if (e.key === "ArrowUp") { e.preventDefault(); if (b.parentNode.previousSibling) b.parentNode.previousSibling.firstChild.focus(); else input.focus(); }
            if (e.key === "Escape") { hits.hidden = true; input.focus(); }
          });
          hits.appendChild(el("li", {}, [b]));
        });
        hits.hidden = false;
        status.textContent = t("entity_picker.count", { n: found.length });
      }
      input.addEventListener("input", function () { state.q = input.value; show(); });
      input.addEventListener("focus", show);
      input.addEventListener("keydown", function (e) {
        var first = hits.querySelector("button");
        if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
        if (e.key === "Enter") { e.preventDefault(); if (first && input.value.trim()) first.click(); }
        if (e.key === "Escape") hits.hidden = true;
      });
      var wrap = el("div", { class: "ent-picker-search" }, [input, status, hits]);
      // Leaving the search (not for one of its hits) closes the list; late, so a click on a hit lands.
      wrap.addEventListener("focusout", function () {
        setTimeout(function () { if (!wrap.contains(document.activeElement)) hits.hidden = true; }, 200);
      });
      body.appendChild(wrap);
    }

    function drawField() {
      var sel = el("select", { id: id + "-field", "data-testid": id + "-field", "aria-label": t("entity_picker.field") },
        fields.map(function (f) { return el("option", { value: f.code, text: f.label || f.code }); }));
      body.appendChild(sel);
      body.appendChild(el("button", { type: "button", class: "button small", "data-testid": id + "-add", text: t("entity_picker.add"),
        onclick: function () { if (sel.value) pick({ entity: { type: "FIELD_ENTITY", code: sel.value }, includeSubs: false }); } }));
    }

    function draw() {
      body.textContent = "";
      if (kind === "FIELD_ENTITY") drawField();
      else if (kind === "CREATOR") {
        body.appendChild(el("button", { type: "button", class: "button small", "data-testid": id + "-add", text: t("entity_picker.add_creator"),
          onclick: function () { pick({ entity: { type: "CREATOR", code: null }, includeSubs: false }); } }));
      } else drawSearch();
    }
    kindSel.addEventListener("change", function () { kind = state.kind = kindSel.value; state.q = ""; draw(); });
    draw();
    return box;
  };

  /**
   * Chips for a list of entity entries, each with a remove button and, for departments, "include
   * sub-departments". `onChange()` after an edit of `list` (changed in place).
   */
  P.chips = function (list, id, fields, onChange) {
    var ul = el("ul", { class: "ent-picker-chips", "data-testid": id });
    list.forEach(function (entry, j) {
      var label = P.label(entry.entity, fields);
      var parts = [el("span", { class: "ent-picker-chip-kind", text: P.kindLabel(entry.entity.type) }),
        el("span", { class: "ent-picker-chip-name", "data-testid": id + "-" + j + "-name", text: label })];
      if (entry.entity.type === "ORGANIZATION") {
        var subs = el("input", { type: "checkbox", id: id + "-" + j + "-subs", "data-testid": id + "-" + j + "-subs" });
        subs.checked = !!entry.includeSubs;
        subs.addEventListener("change", function () { entry.includeSubs = subs.checked; onChange(); });
        parts.push(el("label", { class: "check ent-picker-subs", for: id + "-" + j + "-subs" }, [subs, t("entity_picker.include_subs")]));
      }
      parts.push(el("button", { type: "button", class: "ent-picker-remove", "data-testid": id + "-" + j + "-remove",
        "aria-label": t("entity_picker.remove", { name: label }), title: t("entity_picker.remove", { name: label }), text: "×",
        onclick: function () { list.splice(j, 1); onChange(true); } }));
      ul.appendChild(el("li", { class: "ent-picker-chip", "data-testid": id + "-" + j }, parts));
    });
    return ul;
  };

  window.KUMIKI_PICKER = P;
})();
