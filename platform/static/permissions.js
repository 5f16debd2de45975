// Permission settings (/apps/{id}/permissions): app rights, record rights and field rights of one app,
// read from and saved to the pre-live settings (`preview/{app,record,field}/acl.json`), then published
// with `preview/app/deploy.json` like the designer's Publish. Entities are picked from the user list
// (everyone) and the department and group lists (administrators); anyone else types codes.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var EVERYONE = "everyone";
  var APP_RIGHTS = [
    ["recordViewable", "view"], ["recordAddable", "add"], ["recordEditable", "edit"], ["recordDeletable", "delete"],
    ["appEditable", "manage"], ["recordImportable", "import"], ["recordExportable", "export"]
  ];
  var RECORD_RIGHTS = [["viewable", "view"], ["editable", "edit"], ["deletable", "delete"]];
  var KINDS = ["EVERYONE", "ORGANIZATION", "USER", "GROUP", "CREATOR"];
  // Fields that cannot carry field rights (kintone: layout-only and system fields).
  var NO_FIELD_ACL = { LABEL: 1, SPACER: 1, HR: 1, GROUP: 1, REFERENCE_TABLE: 1, RECORD_NUMBER: 1, __ID__: 1, __REVISION__: 1, STATUS: 1, STATUS_ASSIGNEE: 1, CATEGORY: 1 };

  var S = {
    revision: page.previewRevision || null,
    unpublished: !!page.unpublished,
    busy: false,
    app: [], record: [], field: [],
    dirty: { app: false, record: false, field: false },
    errors: { app: {}, record: {}, field: {} },
    fields: [],          // [{code, label, type}] top-level fields of the pre-live form
    names: { USER: {}, ORGANIZATION: {}, GROUP: {} }
  };

  function $(id) { return document.getElementById(id); }

  // ---- Status and messages --------------------------------------------------------------------------------
  function renderStatus() {
    var dirty = S.dirty.app || S.dirty.record || S.dirty.field;
    var state = dirty ? "dirty" : (S.unpublished ? "unpublished" : "published");
    var box = $("p-status");
    box.setAttribute("data-state", state);
    box.textContent = t("perm.status." + state);
    $("p-publish").disabled = S.busy;
    ["app", "record", "field"].forEach(function (k) { $("p-" + k + "-save").disabled = S.busy; });
  }

  function message(kind, text, extra) {
    var box = $("p-message");
    box.className = "alert " + kind;
    box.textContent = text;
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
    box.hidden = false;
  }

  function markDirty(section) {
    S.dirty[section] = true;
    renderStatus();
  }

  // ---- Entities -----------------------------------------------------------------------------------------------
  function kindOf(entity) {
    if (!entity) return "EVERYONE";
    if (entity.type === "GROUP" && entity.code === EVERYONE) return "EVERYONE";
    if (entity.type === "FIELD_ENTITY") return "CREATOR";
    return entity.type;
  }

  function entityFor(kind, code) {
    if (kind === "EVERYONE") return { type: "GROUP", code: EVERYONE };
    if (kind === "CREATOR") return { type: "CREATOR", code: null };
    return { type: kind, code: code || "" };
  }

  /** The entity cell: kind select, code input (with a list to pick from) and "include sub-departments". */
  function entityEditor(item, idBase, section, withSubs, rerender) {
    var kind = kindOf(item.entity);
    var select = el("select", { id: idBase + "-type", "data-testid": idBase + "-type", "aria-label": t("perm.entity.type") },
      KINDS.map(function (k) { return el("option", { value: k, selected: k === kind ? true : null, text: t("perm.entity." + k.toLowerCase()) }); }));
    select.addEventListener("change", function () {
      item.entity = entityFor(select.value, "");
      if (select.value !== "ORGANIZATION") item.includeSubs = false;
      markDirty(section);
      rerender();
    });
    var parts = [select];
    if (kind === "USER" || kind === "ORGANIZATION" || kind === "GROUP") {
      var code = el("input", { id: idBase + "-code", "data-testid": idBase + "-code", list: "p-list-" + kind, autocomplete: "off",
        "aria-label": t("perm.entity.code." + kind.toLowerCase()), placeholder: t("perm.entity.code_placeholder"), value: item.entity.code || "" });
      var name = el("span", { class: "muted perm-entity-name", "data-testid": idBase + "-name", text: S.names[kind][item.entity.code] || "" });
      code.addEventListener("input", function () {
        item.entity = entityFor(kind, code.value.trim());
        name.textContent = S.names[kind][item.entity.code] || "";
        markDirty(section);
      });
      parts.push(code, name);
    }
    if (withSubs && kind === "ORGANIZATION") {
      var subs = el("input", { type: "checkbox", id: idBase + "-subs", "data-testid": idBase + "-subs" });
      subs.checked = !!item.includeSubs;
      subs.addEventListener("change", function () { item.includeSubs = subs.checked; markDirty(section); });
      parts.push(el("label", { class: "check perm-subs", for: idBase + "-subs" }, [subs, t("perm.entity.include_subs")]));
    }
    return el("div", { class: "perm-entity" }, parts);
  }

  function checkbox(id, label, checked, onchange) {
    var box = el("input", { type: "checkbox", id: id, "data-testid": id, "aria-label": label });
    box.checked = !!checked;
    box.addEventListener("change", function () { onchange(box.checked); });
    return box;
  }

  function moveButtons(list, i, idBase, section, rerender) {
    function move(d) {
      var j = i + d;
      if (j < 0 || j >= list.length) return;
      var x = list[i]; list[i] = list[j]; list[j] = x;
      markDirty(section);
      rerender();
      var again = $(idBase.replace(/-\d+$/, "-" + j) + (d < 0 ? "-up" : "-down"));
      if (again && !again.disabled) again.focus();
    }
    return [
      el("button", { type: "button", class: "button small", id: idBase + "-up", "data-testid": idBase + "-up", disabled: i === 0 ? true : null,
        "aria-label": t("perm.move_up"), title: t("perm.move_up"), text: "↑", onclick: function () { move(-1); } }),
      el("button", { type: "button", class: "button small", id: idBase + "-down", "data-testid": idBase + "-down", disabled: i === list.length - 1 ? true : null,
        "aria-label": t("perm.move_down"), title: t("perm.move_down"), text: "↓", onclick: function () { move(1); } }),
      el("button", { type: "button", class: "button small danger", "data-testid": idBase + "-remove", "aria-label": t("perm.remove"), text: t("perm.remove"),
        onclick: function () { list.splice(i, 1); markDirty(section); rerender(); } })
    ];
  }

  /** Server messages for `prefix` (not those of deeper keys listed in `deeper`). */
  function errorsFor(section, prefix, deeperMarker) {
    var out = [];
    var errs = S.errors[section];
    Object.keys(errs).forEach(function (key) {
      if (key !== prefix && key.indexOf(prefix + ".") !== 0) return;
      if (deeperMarker && key.indexOf(prefix + deeperMarker) === 0) return;
      ((errs[key] && errs[key].messages) || []).forEach(function (m) { out.push(m); });
    });
    return out;
  }

  function errorBox(id, messages) {
    if (!messages.length) return null;
    return el("div", { class: "field-error", role: "alert", id: id, "data-testid": id }, messages.map(function (m) { return el("div", { text: m }); }));
  }

  // ---- App rights -----------------------------------------------------------------------------------------------
  function renderApp() {
    var body = $("p-app-body");
    body.textContent = "";
    if (!S.app.length) { body.appendChild(el("p", { class: "muted", "data-testid": "perm-app-empty", text: t("perm.app.empty") })); return; }
    var head = el("tr", {}, [el("th", { scope: "col", text: t("perm.col.order") }), el("th", { scope: "col", text: t("perm.col.entity") })]
      .concat(APP_RIGHTS.map(function (r) { return el("th", { scope: "col", text: t("perm.right." + r[1]) }); }))
      .concat([el("th", { scope: "col", text: t("perm.col.actions") })]));
    var rows = [];
    S.app.forEach(function (entry, i) {
      var id = "perm-app-" + i;
      var cells = [el("td", { class: "perm-order", text: String(i + 1) }), el("td", {}, [entityEditor(entry, id, "app", true, renderApp)])];
      APP_RIGHTS.forEach(function (r) {
        cells.push(el("td", { class: "perm-check", "data-label": t("perm.right." + r[1]) }, [checkbox(id + "-" + r[1], t("perm.right_of", { right: t("perm.right." + r[1]), n: i + 1 }), entry[r[0]],
          function (v) { entry[r[0]] = v; markDirty("app"); })]));
      });
      cells.push(el("td", {}, [el("div", { class: "perm-row-actions" }, moveButtons(S.app, i, id, "app", renderApp))]));
      rows.push(el("tr", { "data-testid": id }, cells));
      var errs = errorsFor("app", "rights[" + i + "]");
      if (errs.length) rows.push(el("tr", { class: "perm-error-row" }, [el("td", { colspan: String(APP_RIGHTS.length + 3) }, [errorBox(id + "-error", errs)])]));
    });
    body.appendChild(el("div", { class: "table-wrap" }, [el("table", { class: "data perm-table", "data-testid": "perm-app-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)])]));
  }

  // ---- Record rights --------------------------------------------------------------------------------------------
  function renderRecord() {
    var body = $("p-record-body");
    body.textContent = "";
    if (!S.record.length) { body.appendChild(el("p", { class: "muted", "data-testid": "perm-record-empty", text: t("perm.record.empty") })); return; }
    S.record.forEach(function (rule, i) {
      var id = "perm-rule-" + i;
      var condId = id + "-cond";
      var cond = el("input", { id: condId, "data-testid": condId, value: rule.filterCond || "", placeholder: t("perm.record.cond_placeholder"), "aria-describedby": condId + "-help" });
      cond.addEventListener("input", function () { rule.filterCond = cond.value; markDirty("record"); });
      var head = el("tr", {}, [el("th", { scope: "col", text: t("perm.col.order") }), el("th", { scope: "col", text: t("perm.col.entity") })]
        .concat(RECORD_RIGHTS.map(function (r) { return el("th", { scope: "col", text: t("perm.right." + r[1]) }); }))
        .concat([el("th", { scope: "col", text: t("perm.col.actions") })]));
      var rows = [];
      var rerender = renderRecord;
      rule.entities.forEach(function (ent, j) {
        var eid = id + "-entity-" + j;
        var cells = [el("td", { class: "perm-order", text: String(j + 1) }), el("td", {}, [entityEditor(ent, eid, "record", true, rerender)])];
        RECORD_RIGHTS.forEach(function (r) {
          cells.push(el("td", { class: "perm-check", "data-label": t("perm.right." + r[1]) }, [checkbox(eid + "-" + r[1], t("perm.right_of", { right: t("perm.right." + r[1]), n: j + 1 }), ent[r[0]],
            function (v) { ent[r[0]] = v; markDirty("record"); })]));
        });
        cells.push(el("td", {}, [el("div", { class: "perm-row-actions" }, moveButtons(rule.entities, j, eid, "record", rerender))]));
        rows.push(el("tr", { "data-testid": eid }, cells));
        var errs = errorsFor("record", "rights[" + i + "].entities[" + j + "]");
        if (errs.length) rows.push(el("tr", { class: "perm-error-row" }, [el("td", { colspan: String(RECORD_RIGHTS.length + 3) }, [errorBox(eid + "-error", errs)])]));
      });
      var ruleErrors = errorsFor("record", "rights[" + i + "]", ".entities[");
      body.appendChild(el("fieldset", { class: "perm-rule", "data-testid": id }, [
        el("legend", { text: t("perm.record.rule", { n: i + 1 }) }),
        el("div", { class: "perm-rule-head" }, [
          el("div", { class: "field perm-cond" }, [
            el("label", { class: "label", for: condId, text: t("perm.record.cond") }),
            cond,
            el("div", { class: "help", id: condId + "-help", text: t("perm.record.cond_help") })
          ]),
          el("div", { class: "perm-row-actions" }, moveButtons(S.record, i, id, "record", renderRecord))
        ]),
        errorBox(id + "-error", ruleErrors),
        rule.entities.length
          ? el("div", { class: "table-wrap" }, [el("table", { class: "data perm-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)])])
          : el("p", { class: "muted", text: t("perm.record.no_entities") }),
        el("button", { type: "button", class: "button small", "data-testid": id + "-add-entity", text: t("perm.add_entry"), onclick: function () {
          rule.entities.push({ entity: entityFor("ORGANIZATION", ""), viewable: true, editable: false, deletable: false, includeSubs: false });
          markDirty("record"); renderRecord();
          var code = $(id + "-entity-" + (rule.entities.length - 1) + "-code");
          if (code) code.focus();
        } })
      ]));
    });
  }

  // ---- Field rights ---------------------------------------------------------------------------------------------
  function fieldLabel(code) {
    var f = S.fields.filter(function (x) { return x.code === code; })[0];
    return f ? (f.label || f.code) + " (" + f.code + ")" : code;
  }

  function renderFieldPick() {
    var pick = $("p-field-pick");
    pick.textContent = "";
    var used = {};
    S.field.forEach(function (r) { used[r.code] = true; });
    S.fields.filter(function (f) { return !used[f.code]; }).forEach(function (f) {
      pick.appendChild(el("option", { value: f.code, text: (f.label || f.code) + " (" + f.code + ")" }));
    });
    $("p-field-add").disabled = !pick.options.length;
  }

  function renderField() {
    renderFieldPick();
    var body = $("p-field-body");
    body.textContent = "";
    if (!S.field.length) { body.appendChild(el("p", { class: "muted", "data-testid": "perm-field-empty", text: t("perm.field.empty") })); return; }
    S.field.forEach(function (rule, i) {
      var id = "perm-field-" + i;
      var rows = [];
      rule.entities.forEach(function (ent, j) {
        var eid = id + "-entity-" + j;
        var access = el("select", { id: eid + "-access", "data-testid": eid + "-access", "aria-label": t("perm.field.access_of", { n: j + 1 }) },
          ["WRITE", "READ", "NONE"].map(function (a) { return el("option", { value: a, selected: ent.accessibility === a ? true : null, text: t("perm.field.access." + a.toLowerCase()) }); }));
        access.addEventListener("change", function () { ent.accessibility = access.value; markDirty("field"); });
        rows.push(el("tr", { "data-testid": eid }, [
          el("td", { class: "perm-order", text: String(j + 1) }),
          el("td", {}, [entityEditor(ent, eid, "field", true, renderField)]),
          el("td", {}, [access]),
          el("td", {}, [el("div", { class: "perm-row-actions" }, moveButtons(rule.entities, j, eid, "field", renderField))])
        ]));
        var errs = errorsFor("field", "rights[" + i + "].entities[" + j + "]");
        if (errs.length) rows.push(el("tr", { class: "perm-error-row" }, [el("td", { colspan: "4" }, [errorBox(eid + "-error", errs)])]));
      });
      var head = el("tr", {}, [el("th", { scope: "col", text: t("perm.col.order") }), el("th", { scope: "col", text: t("perm.col.entity") }),
        el("th", { scope: "col", text: t("perm.field.access") }), el("th", { scope: "col", text: t("perm.col.actions") })]);
      body.appendChild(el("fieldset", { class: "perm-rule", "data-testid": id }, [
        el("legend", { text: fieldLabel(rule.code) }),
        el("div", { class: "perm-rule-head" }, [
          el("p", { class: "help", text: t("perm.field.rule_help") }),
          el("div", { class: "perm-row-actions" }, [el("button", { type: "button", class: "button small danger", "data-testid": id + "-remove", text: t("perm.field.remove_rule"),
            onclick: function () { S.field.splice(i, 1); markDirty("field"); renderField(); } })])
        ]),
        errorBox(id + "-error", errorsFor("field", "rights[" + i + "]", ".entities[")),
        rule.entities.length
          ? el("div", { class: "table-wrap" }, [el("table", { class: "data perm-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)])])
          : el("p", { class: "muted", text: t("perm.field.no_entities") }),
        el("button", { type: "button", class: "button small", "data-testid": id + "-add-entity", text: t("perm.add_entry"), onclick: function () {
          rule.entities.push({ accessibility: "READ", entity: entityFor("ORGANIZATION", ""), includeSubs: false });
          markDirty("field"); renderField();
        } })
      ]));
    });
  }

  var RENDER = { app: renderApp, record: renderRecord, field: renderField };

  // ---- Saving ---------------------------------------------------------------------------------------------------
  function payload(section) {
    if (section === "app") return S.app;
    if (section === "record") return S.record.map(function (r) { return { filterCond: r.filterCond || "", entities: r.entities }; });
    return S.field;
  }

  function showSectionErrors(section, err) {
    S.errors[section] = (err && err.errors) || {};
    var box = $("p-" + section + "-errors");
    box.textContent = "";
    var general = [];
    Object.keys(S.errors[section]).forEach(function (key) {
      if (/^rights\[\d+\]/.test(key)) return;
      ((S.errors[section][key] || {}).messages || []).forEach(function (m) { general.push(m); });
    });
    if (err && !Object.keys(S.errors[section]).length) general.push(err.message || t("perm.error"));
    general.forEach(function (m) { box.appendChild(el("div", { text: m })); });
    box.hidden = !general.length;
    RENDER[section]();
  }

  function clearSectionErrors(section) {
    S.errors[section] = {};
    $("p-" + section + "-errors").hidden = true;
  }

  /** Saves one section to the pre-live settings; resolves to true when saved. */
  function save(section) {
    S.busy = true; renderStatus();
    return K.api("PUT", "preview/" + section + "/acl.json", { app: APP, rights: payload(section) }).then(function (r) {
      S.busy = false;
      if (r && r.revision) S.revision = r.revision;
      S.dirty[section] = false; S.unpublished = true;
      clearSectionErrors(section);
      RENDER[section]();
      renderStatus();
      message("ok", t("perm.save.done"));
      return true;
    }, function (err) {
      S.busy = false;
      renderStatus();
      showSectionErrors(section, err);
      showTab(section);
      message("error", t("perm.save.failed"));
      return false;
    });
  }

  function saveDirty() {
    var order = ["app", "record", "field"].filter(function (s) { return S.dirty[s]; });
    return order.reduce(function (p, s) { return p.then(function (ok) { return ok ? save(s) : false; }); }, Promise.resolve(true));
  }

  // ---- Publishing -----------------------------------------------------------------------------------------------
  function publish() {
    if (S.busy) return;
    saveDirty().then(function (ok) {
      if (!ok) return;
      S.busy = true; renderStatus();
      message("info", t("perm.publish.running"));
      return K.deploy(APP, S.revision)
        .then(function (status) {
          S.busy = false;
          if (status !== "SUCCESS") { message("error", t("perm.publish.failed")); renderStatus(); return; }
          S.unpublished = false;
          renderStatus();
          message("ok", t("perm.publish.done"), el("a", { href: "/apps/" + APP, "data-testid": "perm-open-app", text: t("perm.open_app") }));
        }, function (err) {
          S.busy = false;
          renderStatus();
          if (err && err.code === "GAIA_RV01") {
            message("error", t("perm.publish.review") + " " + (err.message || ""),
              el("a", { href: "/apps/" + APP + "/review", "data-testid": "perm-review-link", text: t("perm.open_review") }));
            return;
          }
          var details = [];
          Object.keys((err && err.errors) || {}).forEach(function (k) {
            ((err.errors[k] || {}).messages || []).forEach(function (m) { details.push(k + ": " + m); });
          });
          message("error", t("perm.publish.failed") + " " + ((err && err.message) || "") + (details.length ? " " + details.join(" / ") : ""));
        });
    });
  }

  // ---- Tabs -----------------------------------------------------------------------------------------------------
  var TABS = ["app", "record", "field"];
  function showTab(name, focus) {
    TABS.forEach(function (k) {
      var on = k === name, tab = $("p-tab-" + k);
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("p-panel-" + k).hidden = !on;
      if (on && focus) tab.focus();
    });
  }

  function wireTabs() {
    TABS.forEach(function (k, i) {
      var tab = $("p-tab-" + k);
      tab.addEventListener("click", function () { showTab(k); });
      tab.addEventListener("keydown", function (e) {
        var d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (e.key === "Home") { e.preventDefault(); showTab(TABS[0], true); return; }
        if (e.key === "End") { e.preventDefault(); showTab(TABS[TABS.length - 1], true); return; }
        if (!d) return;
        e.preventDefault();
        showTab(TABS[(i + d + TABS.length) % TABS.length], true);
      });
    });
  }

  // ---- Loading --------------------------------------------------------------------------------------------------
  function fillList(kind, items) {
    var list = $("p-list-" + kind);
    items.forEach(function (x) {
      S.names[kind][x.code] = x.name || "";
      list.appendChild(el("option", { value: x.code, text: x.name ? x.name + " (" + x.code + ")" : x.code }));
    });
  }

  function loadDirectory() {
    var jobs = [K.api("GET", "/api/users.json").then(function (r) { fillList("USER", r.users || []); }, function () { /* free entry */ })];
    if (page.isAdmin) {
      jobs.push(K.api("GET", "/api/org/departments.json").then(function (r) { fillList("ORGANIZATION", r.departments || []); }, function () { /* free entry */ }));
      jobs.push(K.api("GET", "/api/org/groups.json").then(function (r) {
        fillList("GROUP", [{ code: EVERYONE, name: t("perm.entity.everyone") }].concat((r.groups || []).filter(function (g) { return g.code !== EVERYONE; })));
      }, function () { /* free entry */ }));
    }
    return Promise.all(jobs);
  }

  function cloneEntries(list) { return JSON.parse(JSON.stringify(list || [])); }

  function load() {
    var q = "?app=" + encodeURIComponent(APP);
    return Promise.all([
      K.api("GET", "preview/app/acl.json" + q),
      K.api("GET", "preview/record/acl.json" + q),
      K.api("GET", "preview/field/acl.json" + q),
      K.api("GET", "preview/app/form/fields.json" + q),
      loadDirectory()
    ]).then(function (r) {
      S.app = cloneEntries(r[0].rights);
      S.record = cloneEntries(r[1].rights).map(function (x) { x.entities = x.entities || []; return x; });
      S.field = cloneEntries(r[2].rights).map(function (x) { x.entities = x.entities || []; return x; });
      S.revision = r[0].revision || S.revision;
      var props = r[3].properties || {};
      S.fields = Object.keys(props).map(function (c) { return props[c]; })
        .filter(function (p) { return !NO_FIELD_ACL[p.type]; })
        .sort(function (a, b) { return (a.label || a.code).localeCompare(b.label || b.code, "ja"); });
      $("p-loading").hidden = true;
      $("p-workspace").hidden = false;
      renderApp(); renderRecord(); renderField(); renderStatus();
    }, function (err) {
      $("p-loading").hidden = true;
      message("error", t("perm.load.failed") + " " + ((err && err.message) || ""));
    });
  }

  function start() {
    wireTabs();
    $("p-app-add").addEventListener("click", function () {
      S.app.push({ entity: entityFor("ORGANIZATION", ""), includeSubs: false, appEditable: false, recordViewable: true, recordAddable: false,
        recordEditable: false, recordDeletable: false, recordImportable: false, recordExportable: false });
      markDirty("app"); renderApp();
      var code = $("perm-app-" + (S.app.length - 1) + "-code");
      if (code) code.focus();
    });
    $("p-record-add").addEventListener("click", function () {
      S.record.push({ filterCond: "", entities: [{ entity: entityFor("ORGANIZATION", ""), viewable: true, editable: true, deletable: false, includeSubs: false }] });
      markDirty("record"); renderRecord();
      var cond = $("perm-rule-" + (S.record.length - 1) + "-cond");
      if (cond) cond.focus();
    });
    $("p-field-add").addEventListener("click", function () {
      var code = $("p-field-pick").value;
      if (!code) return;
      S.field.push({ code: code, entities: [{ accessibility: "WRITE", entity: entityFor("EVERYONE"), includeSubs: false }] });
      markDirty("field"); renderField();
    });
    ["app", "record", "field"].forEach(function (s) { $("p-" + s + "-save").addEventListener("click", function () { if (!S.busy) save(s); }); });
    $("p-publish").addEventListener("click", publish);
    window.addEventListener("beforeunload", function (e) {
      if (S.dirty.app || S.dirty.record || S.dirty.field) { e.preventDefault(); e.returnValue = ""; }
    });
    renderStatus();
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
