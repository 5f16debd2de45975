// Pickers of users, departments and groups on the record form (records_form.js makes one per user,
// department and group field): partial names and codes, folded (full width, case, katakana), offer
// choices; a name typed but never chosen blocks saving.
//   KUMIKI_RECORD_PICKER.make(prop, id, testid, onEdit, labelText) → {node, input, get, set}
//   KUMIKI_RECORD_PICKER.unresolved(box) → the pickers in `box` holding such a name (each says so)
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el;

  /** Text folded for matching: NFKC (full-width Latin and digits, half-width kana), lower case,
   *  katakana as hiragana, no spaces — so 「たなか」 finds 田中 only by its login, but 「ｓａｔｏ」
   *  finds sato and 「サトウ」 finds さとう. */
  function fold(text) {
    var s = String(text || "");
    if (s.normalize) s = s.normalize("NFKC");
    s = s.toLowerCase().replace(/[\s\u3000]+/g, "");
    return s.replace(/[\u30a1-\u30f6]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); });
  }

  var entityLists = {};
  /** The choices of a picker: [{code, name}] of users, departments or groups (cached per kind).
   *  Null when the list cannot be read (then codes are typed as they are). */
  function entities(kind) {
    if (!entityLists[kind]) {
      // Departments and groups: the directory every signed-in user may read (names for pickers).
      var load = kind === "USER_SELECT" ? R.users()
        : K.api("GET", "/api/directory.json").then(function (b) { return (kind === "ORGANIZATION_SELECT" ? b.departments : b.groups) || []; });
      entityLists[kind] = load.then(function (list) {
        return list.map(function (x) { return { code: x.code, name: x.name || x.code, key: fold(x.code) + "\u0001" + fold(x.name) }; });
      }, function () { return null; });
    }
    return entityLists[kind];
  }

  /** Every picker on the page, so saving can refuse a name typed but never chosen. */
  var pickers = [];

  /** A picker of users, departments or groups: partial names and codes (folded) offer choices;
   *  a typed text that was not turned into a choice blocks saving (`pending`). */
  function makePicker(prop, id, testid, onEdit, labelText) {
    var kind = prop.type;
    var noun = kind === "USER_SELECT" ? "user" : kind === "ORGANIZATION_SELECT" ? "department" : "group";
    var chosen = [];
    var list = null, loaded = false;
    var chips = el("ul", { class: "chips", "aria-label": labelText, "data-testid": testid + "-chosen" });
    var listId = id + "-choices";
    var input = el("input", { id: id, "data-testid": testid, autocomplete: "off", role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": listId, placeholder: K.t("records.picker.placeholder." + noun) });
    var choices = el("ul", { id: listId, class: "picker-choices", role: "listbox", "data-testid": testid + "-choices", hidden: true });
    var msg = el("div", { class: "help picker-msg", "data-testid": testid + "-msg", "aria-live": "polite" });
    // A name typed while the list was still loading is matched as soon as it arrives.
    entities(kind).then(function (l) {
      list = l; loaded = true; draw();
      if (input.value.trim() && document.activeElement === input) showChoices();
    });
    function nameOf(code) {
      var u = (list || []).filter(function (x) { return x.code === code; })[0];
      return u ? u.name : code;
    }
    function label(x) { return x.name && x.name !== x.code ? x.name + "（" + x.code + "）" : x.code; }
    function draw() {
      chips.textContent = "";
      chosen.forEach(function (v, i) {
        var name = v.name || nameOf(v.code);
        chips.appendChild(el("li", { class: "chip" }, [
          el("span", { text: name }),
          el("button", { type: "button", class: "chip-remove", "aria-label": K.t("records.picker.remove", { name: name }), text: "×",
            onclick: function () { chosen.splice(i, 1); draw(); onEdit(); input.focus(); } })]));
      });
    }
    /** Entries matching the typed text: exact code or name first, then partial matches. */
    function matches(text) {
      var q = fold(text);
      if (!q || !list) return [];
      var exact = [], partial = [];
      list.forEach(function (x) {
        if (fold(x.code) === q || fold(x.name) === q) exact.push(x);
        else if (x.key.indexOf(q) >= 0) partial.push(x);
      });
      return exact.concat(partial);
    }
    function closeChoices() { choices.hidden = true; choices.textContent = ""; input.setAttribute("aria-expanded", "false"); }
    function choose(x) {
      if (!chosen.some(function (c) { return c.code === x.code; })) chosen.push({ code: x.code, name: x.name });
      input.value = "";
      msg.textContent = "";
      clearPending();
      closeChoices();
      draw(); onEdit();
      input.focus();
    }
    function showChoices() {
      var found = matches(input.value).filter(function (x) { return !chosen.some(function (c) { return c.code === x.code; }); });
      choices.textContent = "";
      if (!input.value.trim() || !found.length) { closeChoices(); return found; }
      found.slice(0, 8).forEach(function (x, i) {
        choices.appendChild(el("li", { role: "option", "aria-selected": "false" }, [el("button", {
          type: "button", class: "picker-choice", tabindex: "-1", "data-testid": testid + "-choice-" + i, "data-code": x.code, text: label(x),
          onmousedown: function (e) { e.preventDefault(); },
          onclick: function () { choose(x); },
          onkeydown: function (e) {
            if (e.key === "ArrowDown" && this.parentNode.nextSibling) { e.preventDefault(); this.parentNode.nextSibling.firstChild.focus(); }
            if (e.key === "ArrowUp") { e.preventDefault(); if (this.parentNode.previousSibling) this.parentNode.previousSibling.firstChild.focus(); else input.focus(); }
            if (e.key === "Escape") { e.preventDefault(); closeChoices(); input.focus(); }
          }
        })]));
      });
      if (found.length > 8) choices.appendChild(el("li", { class: "muted", role: "presentation", text: K.t("records.picker.more", { n: found.length - 8 }) }));
      choices.hidden = false;
      input.setAttribute("aria-expanded", "true");
      return found;
    }
    /** Enter or 追加: one match (or an exact one) is chosen; several ask to pick; none says so. */
    function add() {
      var text = input.value.trim();
      if (!text) return;
      // Enter before the list arrived: decided once it has (never a guess on an empty list); the
      // handler above, registered first on the same promise, has set `list` by then.
      if (!loaded) { entities(kind).then(function () { add(); }); return; }
      if (!list) {
        // The list could not be read: the code is taken as typed (the server checks it).
        choose({ code: text, name: text });
        return;
      }
      var found = matches(text).filter(function (x) { return !chosen.some(function (c) { return c.code === x.code; }); });
      var exact = found.filter(function (x) { return fold(x.code) === fold(text) || fold(x.name) === fold(text); });
      if (exact.length === 1 || found.length === 1) { choose(exact.length === 1 ? exact[0] : found[0]); return; }
      if (!found.length && matches(text).length) { input.value = ""; msg.textContent = ""; clearPending(); closeChoices(); return; }
      showChoices();
      msg.textContent = found.length ? K.t("records.picker.several", { n: found.length }) : K.t("records.picker.none." + noun, { v: text });
    }
    input.addEventListener("input", function () { msg.textContent = ""; clearPending(); showChoices(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); add(); }
      else if (e.key === "ArrowDown" && !choices.hidden && choices.firstChild && choices.firstChild.firstChild) { e.preventDefault(); choices.firstChild.firstChild.focus(); }
      else if (e.key === "Escape" && !choices.hidden) { e.preventDefault(); closeChoices(); }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () { if (!node.contains(document.activeElement)) closeChoices(); }, 150);
    });
    var addBtn = el("button", { type: "button", class: "button small", "data-testid": testid + "-add", text: K.t("records.picker.add"), onclick: add });
    var node = el("div", { class: "picker" }, [chips, el("div", { class: "picker-row" }, [input, addBtn]), choices, msg]);
    var handle = {
      node: node,
      /** The typed text when it was not turned into a choice. */
      pending: function () { return input.value.trim(); },
      showPending: function () {
        msg.textContent = K.t("records.picker.unresolved." + noun, { v: input.value.trim() });
        msg.classList.add("field-error");
        input.setAttribute("aria-invalid", "true");
      }
    };
    function clearPending() { msg.classList.remove("field-error"); input.removeAttribute("aria-invalid"); }
    pickers.push(handle);
    return {
      node: node,
      input: input,
      get: function () { return chosen.map(function (c) { return { code: c.code }; }); },
      set: function (v) { chosen = (v || []).map(function (x) { return { code: x.code, name: x.name }; }); draw(); }
    };
  }

  /** Pickers inside `box` holding a typed text that is no one yet: each says so at its field. */
  function unresolvedPickers(box) {
    return pickers.filter(function (p) { return box.contains(p.node) && p.pending(); })
      .map(function (p) { p.showPending(); return p; });
  }

  window.KUMIKI_RECORD_PICKER = { make: makePicker, unresolved: unresolvedPickers };
})();
