// Process management settings (/apps/{id}/process, kintone's プロセス管理): statuses with their
// assignees, actions between them with optional conditions (the record list's condition builder),
// a live diagram of the unsaved edits (POST /api/app/diagram.svg), saved to the pre-live settings
// (`preview/app/status.json`, wire format unchanged) and published with `preview/app/deploy.json`.
"use strict";
(function () {
  var K = window.KUMIKI, V = window.KUMIKI_VIEWS, P = window.KUMIKI_PICKER, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var ENTITY_FIELD_TYPES = { USER_SELECT: 1, ORGANIZATION_SELECT: 1, GROUP_SELECT: 1, CREATOR: 1, MODIFIER: 1 };
  var ASSIGNEE_TYPES = ["ONE", "ALL", "ANY"];

  var S = {
    enable: false, states: [], actions: [],
    revision: page.previewRevision || null,
    live: page.liveRevision != null, unpublished: !!page.unpublished,
    saved: "", busy: false, nextId: 1,
    errors: { general: [], states: {}, actions: {} },
    liveStates: {}, counts: {}, statusField: null,
    entityFields: [], condFields: [],
    previewTimer: null, previewSeq: 0
  };

  function $(id) { return document.getElementById(id); }
  function stateById(id) { return S.states.filter(function (s) { return s.id === id; })[0] || null; }
  function copy(x) { return JSON.parse(JSON.stringify(x)); }

  // ---- The settings in kintone's shape ----------------------------------------------------------------
  function firstAssignee(s) {
    // The first status takes no assignee or only the creator (the engine's rule); keep a fitting one.
    var a = s.assignee, es = a.entities;
    var fits = a.type === "ONE" && es.length <= 1 && es.every(function (e) { return e.entity.type === "CREATOR" || (e.entity.type === "FIELD_ENTITY" && S.creatorField && e.entity.code === S.creatorField); });
    return fits ? a : { type: "ONE", entities: [] };
  }

  function payload() {
    var states = {};
    S.states.forEach(function (s, i) {
      states[s.name] = { name: s.name, index: String(i), assignee: i === 0 ? firstAssignee(s) : { type: s.assignee.type, entities: s.assignee.entities } };
    });
    var actions = S.actions.map(function (a) {
      var from = stateById(a.from), to = stateById(a.to);
      return { name: a.name, from: from ? from.name : "", to: to ? to.name : "", filterCond: a.filterCond || "", type: a.type || "PRIMARY",
        executableUser: { entities: a.executable } };
    });
    return { enable: S.enable, states: states, actions: actions };
  }

  function snapshot() { return JSON.stringify(payload()); }
  function dirty() { return !!S.saved && snapshot() !== S.saved; }

  // ---- Status line and messages ------------------------------------------------------------------------
  function renderStatus() {
    var state = dirty() ? "dirty" : (!S.live ? "never" : (S.unpublished ? "unpublished" : "published"));
    var box = $("ps-status");
    box.setAttribute("data-state", state);
    box.textContent = t("procset.status." + state);
    $("ps-save").disabled = S.busy;
    $("ps-publish").disabled = S.busy;
  }

  function message(kind, text, extra) {
    var box = $("ps-message");
    box.className = "alert " + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.textContent = text;
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
    box.hidden = false;
  }

  function changed(structure) {
    if (structure) render(); else renderActions();
    renderStatus();
    schedulePreview();
  }

  /** Spreads `{key: {messages}}` over the rows: states by the name sent, actions by index. The
   *  messages arrive in the page's language, written by the server from its catalogs. */
  function placeErrors(errors, sentNames) {
    S.errors = { general: [], states: {}, actions: {} };
    Object.keys(errors || {}).forEach(function (key) {
      var msgs = (errors[key] || {}).messages || [];
      var sm = /^states\.(.+?)\.(name|index|assignee.*)$/.exec(key);
      var am = /^actions\[(\d+)\]/.exec(key);
      if (sm) {
        var i = sentNames.indexOf(sm[1]);
        if (i >= 0) { var id = S.states[i].id; S.errors.states[id] = (S.errors.states[id] || []).concat(msgs); return; }
      }
      if (am) { S.errors.actions[am[1]] = (S.errors.actions[am[1]] || []).concat(msgs); return; }
      S.errors.general = S.errors.general.concat(msgs);
    });
  }

  /** Checks the server cannot see (a states object keyed by name hides duplicates); true when fine. */
  function localCheck() {
    S.errors = { general: [], states: {}, actions: {} };
    var seen = {};
    S.states.forEach(function (s) {
      var name = s.name.trim(), errs = [];
      if (!name || name.length > 64) errs.push(t("procset.err.state_name"));
      else if (seen[name]) errs.push(t("procset.err.state_duplicate"));
      seen[name] = true;
      if (errs.length) S.errors.states[s.id] = errs;
    });
    return !Object.keys(S.errors.states).length;
  }

  function errorBox(id, msgs) {
    if (!msgs || !msgs.length) return null;
    return el("div", { class: "field-error", role: "alert", "data-testid": id }, msgs.map(function (m) { return el("div", { text: m }); }));
  }

  function renderGeneralErrors() {
    var box = $("ps-general-errors");
    box.textContent = "";
    S.errors.general.forEach(function (m) { box.appendChild(el("div", { text: m })); });
    box.hidden = !S.errors.general.length;
  }

  // ---- Statuses ----------------------------------------------------------------------------------------------
  function moveState(from, to) {
    if (to < 0 || to >= S.states.length || from === to) return;
    var s = S.states.splice(from, 1)[0];
    S.states.splice(to, 0, s);
    changed(true);
  }

  function focusLater(testid) {
    var node = document.querySelector("[data-testid='" + testid + "']");
    if (node && !node.disabled) node.focus();
  }

  function recordsIn(name) {
    if (!S.statusField || !S.liveStates[name]) return Promise.resolve(0);
    var query = S.statusField + " in (" + JSON.stringify(name) + ") limit 1";
    return K.api("GET", "records.json?app=" + encodeURIComponent(APP) + "&totalCount=true&fields[0]=%24id&query=" + encodeURIComponent(query))
      .then(function (r) { return Number(r.totalCount || 0); });
  }

  function deleteState(i) {
    var s = S.states[i];
    var button = document.querySelector("[data-testid='procset-state-" + i + "-delete']");
    if (button) button.disabled = true;
    recordsIn(s.origName || s.name).then(function (n) {
      if (n > 0) {
        S.counts[s.origName] = n;
        S.errors.states[s.id] = [t("procset.states.in_use", { name: s.origName, n: n })];
        render();
        message("error", t("procset.states.delete_refused", { name: s.origName, n: n }));
        focusLater("procset-state-" + i + "-name");
        return;
      }
      var before = S.actions.length;
      S.actions = S.actions.filter(function (a) { return a.from !== s.id && a.to !== s.id; });
      S.states.splice(i, 1);
      delete S.errors.states[s.id];
      changed(true);
      var removed = before - S.actions.length;
      message("info", removed ? t("procset.states.deleted_with_actions", { name: s.name, n: removed }) : t("procset.states.deleted", { name: s.name }));
      focusLater(S.states.length ? "procset-state-" + Math.min(i, S.states.length - 1) + "-name" : "procset-new-state");
    }, function () {
      if (button) button.disabled = false;
      message("error", t("procset.states.count_failed", { name: s.name }));
    });
  }

  function dragHandlers(li, i) {
    li.addEventListener("dragstart", function (e) {
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", String(i));
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
    li.addEventListener("dragover", function (e) { e.preventDefault(); e.dataTransfer.dropEffect = "move"; li.classList.add("drop-target"); });
    li.addEventListener("dragleave", function () { li.classList.remove("drop-target"); });
    li.addEventListener("drop", function (e) {
      e.preventDefault();
      li.classList.remove("drop-target");
      var from = Number(e.dataTransfer.getData("text/plain"));
      if (!isNaN(from)) moveState(from, i);
    });
  }

  function assigneeEditor(s, i) {
    var id = "procset-state-" + i;
    if (i === 0) {
      var byCreator = firstAssignee(s).entities.length > 0;
      return el("p", { class: "help procset-first", "data-testid": id + "-first", text: t(byCreator ? "procset.states.first_creator" : "procset.states.first_help") });
    }
    var type = el("select", { id: id + "-assignee-type", "data-testid": id + "-assignee-type" },
      ASSIGNEE_TYPES.map(function (k) { return el("option", { value: k, selected: s.assignee.type === k ? true : null, text: t("procset.assignee." + k.toLowerCase()) }); }));
    type.addEventListener("change", function () { s.assignee.type = type.value; changed(false); });
    var chips = P.chips(s.assignee.entities, id + "-entity", S.entityFields, function (structure) { if (structure) changed(true); else changed(false); });
    // The picker's kind and typed text live on the status, so a redraw (a preview) keeps them.
    var picker = P.create({ id: id + "-pick", fields: S.entityFields, state: s.pick || (s.pick = {}), onPick: function (entry) {
      var dup = s.assignee.entities.some(function (e) { return e.entity.type === entry.entity.type && e.entity.code === entry.entity.code; });
      if (!dup) s.assignee.entities.push(entry);
      changed(true);
      focusLater(id + "-pick-search");
    } });
    return el("div", { class: "procset-assignee" }, [
      el("div", { class: "field" }, [el("label", { class: "label", for: id + "-assignee-type", text: t("procset.assignee.label") }), type]),
      s.assignee.entities.length ? chips : el("p", { class: "muted", "data-testid": id + "-nobody", text: t("procset.assignee.nobody") }),
      el("div", { class: "procset-picker", role: "group", "aria-label": t("procset.assignee.add", { name: s.name }) }, [picker])
    ]);
  }

  function renderStates() {
    var list = $("ps-states");
    list.textContent = "";
    if (!S.states.length) list.appendChild(el("li", { class: "muted procset-empty", "data-testid": "procset-states-empty", text: t("procset.states.empty") }));
    S.states.forEach(function (s, i) {
      var id = "procset-state-" + i;
      var name = el("input", { id: id + "-name", "data-testid": id + "-name", value: s.name, maxlength: "64", "aria-label": t("procset.states.name_of", { n: i + 1 }) });
      name.addEventListener("input", function () { s.name = name.value; renderActions(); renderStatus(); schedulePreview(); renderRename(s, i); });
      var count = s.origName && S.counts[s.origName] ? el("span", { class: "badge procset-count", "data-testid": id + "-count", text: t("procset.states.count", { n: S.counts[s.origName] }) }) : null;
      var head = el("div", { class: "procset-state-head" }, [
        el("span", { class: "procset-handle", "aria-hidden": "true", title: t("procset.drag"), text: "⠿" }),
        el("span", { class: "procset-order", text: String(i + 1) }),
        name, count,
        el("div", { class: "procset-row-buttons" }, [
          el("button", { type: "button", class: "button small", "data-testid": id + "-up", disabled: i === 0 ? true : null, "aria-label": t("procset.move_up_of", { name: s.name }), title: t("procset.move_up"), text: "↑",
            onclick: function () { moveState(i, i - 1); focusLater("procset-state-" + (i - 1) + (i - 1 === 0 ? "-down" : "-up")); } }),
          el("button", { type: "button", class: "button small", "data-testid": id + "-down", disabled: i === S.states.length - 1 ? true : null, "aria-label": t("procset.move_down_of", { name: s.name }), title: t("procset.move_down"), text: "↓",
            onclick: function () { moveState(i, i + 1); focusLater("procset-state-" + (i + 1) + (i + 1 === S.states.length - 1 ? "-up" : "-down")); } }),
          el("button", { type: "button", class: "button small danger", "data-testid": id + "-delete", text: t("procset.delete"), "aria-label": t("procset.delete_of", { name: s.name }),
            onclick: function () { deleteState(i); } })
        ])
      ]);
      var li = el("li", { class: "procset-state", draggable: "true", "data-testid": id }, [head,
        el("div", { class: "procset-rename", "data-testid": id + "-rename", role: "status" }),
        errorBox(id + "-error", S.errors.states[s.id]), assigneeEditor(s, i)]);
      dragHandlers(li, i);
      // Text selection inside inputs must not start a drag of the row.
      li.querySelectorAll("input, select, button").forEach(function (c) {
        c.addEventListener("mousedown", function () { li.draggable = false; });
        c.addEventListener("mouseup", function () { li.draggable = true; });
      });
      list.appendChild(li);
      renderRename(s, i);
    });
  }

  function renderRename(s, i) {
    var box = document.querySelector("[data-testid='procset-state-" + i + "-rename']");
    if (!box) return;
    var n = s.origName ? S.counts[s.origName] : 0;
    box.textContent = n && s.name !== s.origName ? t("procset.states.rename_warning", { name: s.origName, n: n }) : "";
    box.className = box.textContent ? "procset-rename alert warn" : "procset-rename";
  }

  // ---- Actions ------------------------------------------------------------------------------------------------
  function stateSelect(id, value, label, onchange) {
    var sel = el("select", { id: id, "data-testid": id, "aria-label": label },
      [el("option", { value: "", text: t("procset.actions.choose") })].concat(S.states.map(function (s) {
        return el("option", { value: String(s.id), selected: s.id === value ? true : null, text: s.name || t("procset.states.unnamed") });
      })));
    sel.addEventListener("change", function () { onchange(sel.value ? Number(sel.value) : null); });
    return sel;
  }

  function moveAction(from, to) {
    if (to < 0 || to >= S.actions.length) return;
    var a = S.actions.splice(from, 1)[0];
    S.actions.splice(to, 0, a);
    changed(true);
  }

  function renderActions() {
    var list = $("ps-actions");
    var focused = document.activeElement, active = list.contains(focused) && focused.getAttribute("data-testid");
    var caret = active && typeof focused.selectionStart === "number" ? [focused.selectionStart, focused.selectionEnd] : null;
    list.textContent = "";
    if (!S.actions.length) list.appendChild(el("li", { class: "muted procset-empty", "data-testid": "procset-actions-empty", text: t("procset.actions.empty") }));
    S.actions.forEach(function (a, i) {
      var id = "procset-action-" + i;
      var name = el("input", { id: id + "-name", "data-testid": id + "-name", value: a.name, maxlength: "64", placeholder: t("procset.actions.name_placeholder") });
      name.addEventListener("input", function () { a.name = name.value; renderStatus(); schedulePreview(); });
      var cond = a.filterCond
        ? el("code", { class: "procset-cond", "data-testid": id + "-cond", text: a.filterCond })
        : el("span", { class: "muted", "data-testid": id + "-cond", text: t("procset.actions.always") });
      var exec = P.chips(a.executable, id + "-exec-entity", S.entityFields, function () { changed(true); });
      var execPicker = P.create({ id: id + "-exec-pick", fields: S.entityFields, state: a.execPick || (a.execPick = {}), onPick: function (entry) {
        var dup = a.executable.some(function (e) { return e.entity.type === entry.entity.type && e.entity.code === entry.entity.code; });
        if (!dup) a.executable.push(entry);
        a.execOpen = true;
        changed(true);
      } });
      var details = el("details", { class: "procset-exec", open: a.execOpen || a.executable.length ? true : null }, [
        el("summary", { "data-testid": id + "-exec", text: t("procset.actions.exec", { n: a.executable.length }) }),
        el("p", { class: "help", text: t("procset.actions.exec_help") }),
        a.executable.length ? exec : null, execPicker]);
      details.addEventListener("toggle", function () { a.execOpen = details.open; });
      list.appendChild(el("li", { class: "procset-action", "data-testid": id }, [
        el("div", { class: "procset-action-grid" }, [
          el("div", { class: "field" }, [el("label", { class: "label", for: id + "-name", text: t("procset.actions.name") }), name]),
          el("div", { class: "field" }, [el("label", { class: "label", for: id + "-from", text: t("procset.actions.from") }),
            stateSelect(id + "-from", a.from, t("procset.actions.from"), function (v) { a.from = v; changed(false); })]),
          el("span", { class: "procset-arrow", "aria-hidden": "true", text: "→" }),
          el("div", { class: "field" }, [el("label", { class: "label", for: id + "-to", text: t("procset.actions.to") }),
            stateSelect(id + "-to", a.to, t("procset.actions.to"), function (v) { a.to = v; changed(false); })])
        ]),
        el("div", { class: "procset-cond-row" }, [
          el("span", { class: "label", text: t("procset.actions.cond") }), cond,
          el("button", { type: "button", class: "button small", "data-testid": id + "-cond-edit", text: t(a.filterCond ? "procset.actions.cond_change" : "procset.actions.cond_set"),
            onclick: function () { openCondition(i); } }),
          a.filterCond ? el("button", { type: "button", class: "button small", "data-testid": id + "-cond-clear", text: t("procset.actions.cond_clear"),
            onclick: function () { a.filterCond = ""; a.cond = null; changed(false); } }) : null
        ]),
        details,
        errorBox(id + "-error", S.errors.actions[i]),
        el("div", { class: "procset-row-buttons" }, [
          el("button", { type: "button", class: "button small", "data-testid": id + "-up", disabled: i === 0 ? true : null, "aria-label": t("procset.move_up_of", { name: a.name }), text: "↑",
            onclick: function () { moveAction(i, i - 1); focusLater("procset-action-" + (i - 1) + "-up"); } }),
          el("button", { type: "button", class: "button small", "data-testid": id + "-down", disabled: i === S.actions.length - 1 ? true : null, "aria-label": t("procset.move_down_of", { name: a.name }), text: "↓",
            onclick: function () { moveAction(i, i + 1); focusLater("procset-action-" + (i + 1) + "-down"); } }),
          el("button", { type: "button", class: "button small danger", "data-testid": id + "-delete", text: t("procset.delete"), "aria-label": t("procset.delete_of", { name: a.name }),
            onclick: function () { S.actions.splice(i, 1); changed(true); } })
        ])
      ]));
    });
    var again = active && document.querySelector("[data-testid='" + active + "']");
    if (again) {
      again.focus();
      if (caret && typeof again.setSelectionRange === "function") { try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not a text box */ } }
    }
  }

  /** Redraws everything, keeping the focus and the caret where they were (a preview may redraw). */
  function render() {
    var active = document.activeElement, testid = active && active.getAttribute("data-testid");
    var caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
    renderStates();
    renderActions();
    renderGeneralErrors();
    $("ps-enable").checked = S.enable;
    var again = testid && document.querySelector("[data-testid='" + testid + "']");
    if (again && again !== active) {
      again.focus();
      if (caret && typeof again.setSelectionRange === "function") { try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not a text box */ } }
    }
  }

  // ---- The condition dialog (the record list's builder) -------------------------------------------------------
  var cond = { index: -1, state: null, builder: null, manual: false };

  function openCondition(i) {
    var a = S.actions[i];
    cond.index = i;
    cond.state = a.cond ? copy(a.cond) : (parseCondition(a.filterCond || "") || { m: "and", c: [] });
    cond.manual = false;
    $("ps-cond-for").textContent = t("procset.cond.for", { name: a.name || t("procset.actions.unnamed") });
    $("ps-cond-text").value = a.filterCond || "";
    cond.builder = V.builder($("ps-cond-builder"), S.condFields, cond.state, function () {
      cond.manual = false;
      $("ps-cond-text").value = V.text(cond.state, S.condFields);
    });
    if (!cond.state.c.length && !a.filterCond) cond.builder.add();
    V.onEnter = function () { closeCondition(true); };
    $("ps-cond-dialog").showModal();
  }

  function closeCondition(apply) {
    var dialog = $("ps-cond-dialog");
    var i = cond.index;
    if (apply && S.actions[i]) {
      var text = $("ps-cond-text").value.trim();
      S.actions[i].filterCond = text;
      S.actions[i].cond = !cond.manual && text === V.text(cond.state, S.condFields) ? copy(cond.state) : null;
      changed(false);
    }
    dialog.close();
    $("ps-cond-builder").textContent = "";
    focusLater("procset-action-" + i + "-cond-edit");
  }

  /** Reads "a op v and b op v ..." (what the builder writes) back into its state; null when it cannot. */
  function parseCondition(text) {
    if (!text.trim()) return { m: "and", c: [] };
    var re = /\s*("(?:[^"\\]|\\.)*"|\(|\)|,|!=|<=|>=|=|<|>|[^\s(),"=!<>]+(?:\([^)]*\))?)/g;
    var tokens = [], m, pos = 0;
    while ((m = re.exec(text)) && m.index === pos) { tokens.push(m[1]); pos = re.lastIndex; }
    if (text.slice(pos).trim()) return null;
    var out = { m: "and", c: [] }, i = 0, joiner = null;
    function unquote(s) { return s.charAt(0) === "\"" ? s.slice(1, -1).replace(/\\(.)/g, "$1") : s; }
    while (i < tokens.length) {
      var f = tokens[i++], op = (tokens[i++] || "").toLowerCase();
      if (op === "not" || op === "is") { op += " " + (tokens[i++] || "").toLowerCase(); if (op === "is not") op += " " + (tokens[i++] || "").toLowerCase(); }
      var c = { f: f, op: op, v: "" };
      if (op === "in" || op === "not in") {
        if (tokens[i++] !== "(") return null;
        c.v = [];
        while (i < tokens.length && tokens[i] !== ")") { if (tokens[i] !== ",") c.v.push(unquote(tokens[i])); i++; }
        if (tokens[i++] !== ")") return null;
      } else if (op !== "is empty" && op !== "is not empty") {
        if (["=", "!=", ">", "<", ">=", "<=", "like", "not like"].indexOf(op) < 0 || i >= tokens.length) return null;
        c.v = unquote(tokens[i++]);
      }
      if (!S.condFields.some(function (x) { return x.code === f; })) return null;
      out.c.push(c);
      if (i < tokens.length) {
        var j = tokens[i++].toLowerCase();
        if ((j !== "and" && j !== "or") || (joiner && joiner !== j)) return null;
        joiner = j;
      }
    }
    out.m = joiner || "and";
    return V.text(out, S.condFields) === text.trim() ? out : null;
  }

  // ---- The diagram preview ----------------------------------------------------------------------------------
  function schedulePreview() {
    // A preview still on its way describes settings before this edit: its answer is ignored.
    S.previewSeq++;
    clearTimeout(S.previewTimer);
    S.previewTimer = setTimeout(preview, 350);
  }

  function hasErrors() {
    return !!(S.errors.general.length || Object.keys(S.errors.states).length || Object.keys(S.errors.actions).length);
  }

  function preview() {
    var seq = ++S.previewSeq;
    var note = $("ps-preview-note");
    var hadErrors = hasErrors() || !!document.querySelector(".procset-form .field-error:not([hidden])");
    if (!localCheck()) {
      note.textContent = t("procset.preview.stale");
      note.hidden = false;
      render();
      return Promise.resolve();
    }
    var body = payload();
    var sent = S.states.map(function (s) { return s.name; });
    body.app = APP;
    return fetch("/api/app/diagram.svg?lang=" + encodeURIComponent(page.lang || "ja"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": K.csrf, "X-Requested-With": "XMLHttpRequest" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (seq !== S.previewSeq) return null;
      if (!resp.ok) {
        return resp.json().then(function (err) {
          if (seq !== S.previewSeq) return;
          placeErrors(err.errors || {}, sent);
          if (!Object.keys(err.errors || {}).length) S.errors.general = [err.message || t("procset.preview.failed")];
          note.textContent = t("procset.preview.stale");
          note.hidden = false;
          render();
        });
      }
      return resp.blob().then(function (blob) {
        return new Promise(function (ok) {
          // A data: URL (the page's CSP allows data: images); the SVG is never put into the page's DOM.
          var reader = new FileReader();
          reader.onload = function () { ok(reader.result); };
          reader.readAsDataURL(blob);
        });
      }).then(function (url) {
        if (seq !== S.previewSeq) return;
        var img = $("ps-diagram");
        img.src = url;
        img.hidden = false;
        img.setAttribute("data-version", String(seq));
        note.hidden = true;
        // The settings are fine now: messages of an earlier check go.
        S.errors = { general: [], states: {}, actions: {} };
        if (hadErrors) {
          render();
          if (/\berror\b/.test($("ps-message").className)) $("ps-message").hidden = true;
        }
      });
    }, function () {
      note.textContent = t("procset.preview.failed");
      note.hidden = false;
    });
  }

  // ---- Saving and publishing -------------------------------------------------------------------------------
  function save() {
    if (!localCheck()) {
      render();
      message("error", t("procset.save.failed"));
      return Promise.resolve(false);
    }
    S.busy = true; renderStatus();
    S.previewSeq++; // what the save finds wins over a preview on its way
    var body = payload();
    var sent = S.states.map(function (s) { return s.name; });
    body.app = APP;
    if (S.revision) body.revision = S.revision;
    return K.api("PUT", "preview/app/status.json", body).then(function (r) {
      S.busy = false;
      if (r && r.revision) S.revision = r.revision;
      S.saved = JSON.stringify(payload());
      S.unpublished = true;
      S.errors = { general: [], states: {}, actions: {} };
      render(); renderStatus();
      message("ok", t("procset.save.done"));
      return true;
    }, function (err) {
      S.busy = false;
      if (err && err.code === "GAIA_CO02") {
        message("error", t("procset.save.conflict"));
      } else {
        placeErrors((err && err.errors) || {}, sent);
        if (!Object.keys((err && err.errors) || {}).length) S.errors.general = [(err && err.message) || t("procset.save.failed")];
        render();
        message("error", t("procset.save.failed"));
      }
      renderStatus();
      return false;
    });
  }

  function publish() {
    if (S.busy) return;
    (dirty() ? save() : Promise.resolve(true)).then(function (ok) {
      if (!ok) return;
      S.busy = true; renderStatus();
      message("info", t("procset.publish.running"));
      return K.deploy(APP, S.revision).then(function (status) {
        S.busy = false;
        if (status !== "SUCCESS") { renderStatus(); message("error", t("procset.publish.failed")); return; }
        S.unpublished = false; S.live = true;
        renderStatus();
        message("ok", t("procset.publish.done"), el("a", { href: "/apps/" + APP, "data-testid": "procset-open-app", text: t("procset.open_app") }));
        return loadLive();
      }, function (err) {
        S.busy = false;
        renderStatus();
        if (err && err.code === "GAIA_RV01") {
          message("error", t("procset.publish.review"), el("a", { href: "/apps/" + APP + "/review", "data-testid": "procset-review-link", text: t("procset.open_review") }));
          return;
        }
        var details = [];
        Object.keys((err && err.errors) || {}).forEach(function (k) {
          ((err.errors[k] || {}).messages || []).forEach(function (m) { details.push(m); });
        });
        message("error", t("procset.publish.failed") + (details.length ? " " + details.join(" ") : ""));
      });
    });
  }

  // ---- Loading ------------------------------------------------------------------------------------------------
  function fromStatusJson(r) {
    S.enable = !!r.enable;
    var states = Object.keys(r.states || {}).map(function (k) { var s = r.states[k]; return { name: s.name || k, index: Number(s.index || 0), assignee: s.assignee }; });
    states.sort(function (a, b) { return a.index - b.index; });
    var ids = {};
    S.states = states.map(function (s) {
      var id = S.nextId++;
      ids[s.name] = id;
      var a = s.assignee || { type: "ONE", entities: [] };
      return { id: id, name: s.name, origName: s.name, assignee: { type: a.type || "ONE", entities: copy(a.entities || []) } };
    });
    S.actions = (r.actions || []).map(function (a) {
      return { name: a.name || "", from: ids[a.from] || null, to: ids[a.to] || null, filterCond: a.filterCond || "", type: a.type || "PRIMARY",
        executable: copy((a.executableUser && a.executableUser.entities) || []), cond: null };
    });
  }

  /** The live statuses and how many records each holds (for the delete and rename checks). */
  function loadLive() {
    if (!S.live) return Promise.resolve();
    var q = "?app=" + encodeURIComponent(APP);
    return Promise.all([K.api("GET", "app/status.json" + q), K.api("GET", "app/form/fields.json" + q)]).then(function (r) {
      S.liveStates = {};
      Object.keys(r[0].states || {}).forEach(function (k) { S.liveStates[r[0].states[k].name || k] = true; });
      var props = r[1].properties || {};
      S.statusField = Object.keys(props).filter(function (c) { return props[c].type === "STATUS"; })[0] || null;
      S.counts = {};
      S.states.forEach(function (s) { s.origName = S.liveStates[s.name] ? s.name : null; });
      return Promise.all(Object.keys(S.liveStates).map(function (name) {
        return recordsIn(name).then(function (n) { S.counts[name] = n; }, function () { /* shown as unknown */ });
      }));
    }).then(function () { render(); }, function () { /* the checks run again on delete */ });
  }

  function load() {
    var q = "?app=" + encodeURIComponent(APP);
    return Promise.all([
      K.api("GET", "preview/app/status.json" + q),
      K.api("GET", "preview/app/form/fields.json" + q),
      P.load()
    ]).then(function (r) {
      var props = r[1].properties || {};
      S.entityFields = Object.keys(props).map(function (c) { return props[c]; }).filter(function (p) { return ENTITY_FIELD_TYPES[p.type]; })
        .map(function (p) { return { code: p.code, label: p.label || p.code }; });
      S.creatorField = Object.keys(props).filter(function (c) { return props[c].type === "CREATOR"; })[0] || null;
      S.condFields = V.conditionFields(props);
      S.revision = r[0].revision || S.revision;
      fromStatusJson(r[0]);
      S.saved = snapshot();
      $("ps-loading").hidden = true;
      $("ps-workspace").hidden = false;
      render(); renderStatus();
      preview();
      return loadLive();
    }, function (err) {
      $("ps-loading").hidden = true;
      message("error", t("procset.load.failed") + " " + ((err && err.message) || ""));
    });
  }

  function addState() {
    var input = $("ps-new-state");
    var name = input.value.trim();
    if (!name) { message("error", t("procset.err.state_name")); input.focus(); return; }
    if (S.states.some(function (s) { return s.name === name; })) { message("error", t("procset.err.state_duplicate")); input.focus(); return; }
    S.states.push({ id: S.nextId++, name: name, origName: null, assignee: { type: "ONE", entities: [] } });
    input.value = "";
    $("ps-message").hidden = true;
    changed(true);
    input.focus();
  }

  function start() {
    $("ps-enable").addEventListener("change", function () { S.enable = $("ps-enable").checked; changed(false); });
    $("ps-add-state").addEventListener("click", addState);
    $("ps-new-state").addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); addState(); } });
    $("ps-add-action").addEventListener("click", function () {
      var n = S.states.length;
      S.actions.push({ name: "", from: n ? S.states[0].id : null, to: n > 1 ? S.states[1].id : null, filterCond: "", type: "PRIMARY", executable: [], cond: null });
      changed(true);
      focusLater("procset-action-" + (S.actions.length - 1) + "-name");
    });
    $("ps-cond-add").addEventListener("click", function () { if (cond.builder) cond.builder.add(); });
    $("ps-cond-text").addEventListener("input", function () { cond.manual = true; });
    $("ps-cond-apply").addEventListener("click", function () { closeCondition(true); });
    $("ps-cond-cancel").addEventListener("click", function () { closeCondition(false); });
    $("ps-cond-dialog").addEventListener("cancel", function (e) { e.preventDefault(); closeCondition(false); });
    $("ps-zoom").addEventListener("click", function () {
      var on = $("ps-zoom").getAttribute("aria-pressed") !== "true";
      $("ps-zoom").setAttribute("aria-pressed", on ? "true" : "false");
      $("ps-diagram-box").classList.toggle("zoomed", on);
    });
    $("ps-save").addEventListener("click", function () { if (!S.busy) save(); });
    $("ps-publish").addEventListener("click", publish);
    window.addEventListener("beforeunload", function (e) { if (S.saved && dirty()) { e.preventDefault(); e.returnValue = ""; } });
    renderStatus();
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
