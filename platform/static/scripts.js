// Script settings (/apps/{id}/scripts): the app's rhai scripts with their event bindings, read from and
// saved to the pre-live settings (`/api/app/scripts.json`, syntax-checked on save: a failure names the
// script, line and column, and the editor highlights that line), a test run against a chosen record
// (`/api/app/script/test.json`, nothing is saved) and the scripts' log (`/api/app/script/logs.json`).
// Publishing deploys the app like the designer's Publish.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var EVENTS = ["create.submit", "edit.submit", "save.after", "process.before", "field.change", "schedule.hourly", "schedule.daily"];
  var S = {
    scripts: [], current: -1, revision: page.previewRevision || null, dirty: false, unpublished: !!page.unpublished,
    deployed: !!page.liveRevision, busy: false, saved: "[]"
  };
  var editor = null;

  function $(id) { return document.getElementById(id); }

  function message(kind, text, extra) {
    var box = $("s-message");
    box.className = "alert " + kind;
    box.textContent = text;
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
    box.hidden = !text;
  }

  function renderStatus() {
    var state = S.dirty ? "dirty" : (S.unpublished || !S.deployed ? "unpublished" : "published");
    var box = $("s-status");
    box.setAttribute("data-state", state);
    box.setAttribute("data-live", S.deployed ? "true" : "false");
    // A never-published app has no "unpublished changes" to speak of: it is simply not live yet.
    box.textContent = t("scripts.status." + (state === "unpublished" && !S.deployed ? "never" : state));
    $("s-save").disabled = S.busy;
    $("s-publish").disabled = S.busy;
  }

  // Dirty means "differs from what was loaded or last saved", so undoing an edit (or merely opening a
  // script) never asks to confirm leaving the page.
  function markDirty() { S.dirty = JSON.stringify(payload()) !== S.saved; renderStatus(); }

  // ---- The list ------------------------------------------------------------------------------------------
  function renderList() {
    var list = $("s-list");
    list.textContent = "";
    S.scripts.forEach(function (s, i) {
      var label = (s.name || t("scripts.unnamed")) + (s.enabled === false ? " (" + t("scripts.disabled") + ")" : "");
      list.appendChild(el("li", {}, [el("button", {
        type: "button", class: "scr-item" + (i === S.current ? " current" : ""), "aria-current": i === S.current ? "true" : null,
        "data-testid": "script-item-" + i, text: label, onclick: function () { select(i); }
      })]));
    });
    $("s-empty").hidden = S.scripts.length > 0;
    ["s-editor", "s-test"].forEach(function (id) { $(id).hidden = S.current < 0; });
  }

  function renderEvents(script) {
    var box = $("s-events");
    box.textContent = "";
    EVENTS.forEach(function (ev) {
      var id = "s-ev-" + ev.replace(".", "-");
      var cb = el("input", { type: "checkbox", id: id, value: ev, "data-testid": "script-event-" + ev, checked: script.events.indexOf(ev) >= 0 ? true : null });
      cb.addEventListener("change", function () {
        script.events = EVENTS.filter(function (e) { var c = $("s-ev-" + e.replace(".", "-")); return c && c.checked; });
        markDirty();
        fillTestEvents(script);
      });
      box.appendChild(el("label", { for: id, class: "choice", title: ev }, [cb, " " + t("scripts.event." + ev)]));
    });
  }

  // ---- Other apps the script may use (issue 12) -----------------------------------------------------------
  // Each declaration names an app by id (digits) or by app code, with read or write; the server refuses a
  // script's call to any other app.
  function declLabel(d) { return d.app ? String(d.app) : (d.code || ""); }

  function renderApps(script) {
    var list = $("s-apps");
    list.textContent = "";
    script.apps.forEach(function (d, i) {
      var input = el("input", { id: "s-app-" + i, value: declLabel(d), "aria-label": t("scripts.apps.app"), placeholder: t("scripts.apps.placeholder"), "data-testid": "script-app-" + i });
      input.addEventListener("input", function () {
        var v = input.value.trim();
        if (/^[0-9]+$/.test(v)) { d.app = v; delete d.code; } else { d.code = v; delete d.app; }
        markDirty();
      });
      var access = el("select", { "aria-label": t("scripts.apps.access"), "data-testid": "script-app-access-" + i }, ["read", "write"].map(function (a) {
        return el("option", { value: a, text: t("scripts.apps.access." + a), selected: d.access === a ? true : null });
      }));
      access.addEventListener("change", function () { d.access = access.value; markDirty(); });
      var remove = el("button", { type: "button", class: "button small", text: t("scripts.remove"), "data-testid": "script-app-remove-" + i, onclick: function () {
        script.apps.splice(i, 1); markDirty(); renderApps(script);
      } });
      list.appendChild(el("li", { class: "scr-app" }, [input, access, remove]));
    });
    $("s-apps-none").hidden = script.apps.length > 0;
  }

  function renderChanged(by, at) {
    var box = $("s-changed");
    if (!by) { box.hidden = true; return; }
    var when = at ? new Date(Number(at) * 1000).toLocaleString(page.lang === "en" ? "en-US" : "ja-JP") : "";
    box.textContent = t("scripts.changed_by", { user: by, at: when });
    box.hidden = false;
  }

  function fillTestEvents(script) {
    var sel = $("s-test-event"), keep = sel.value;
    sel.textContent = "";
    var events = script.events.length ? script.events : ["create.submit"];
    events.forEach(function (ev) { sel.appendChild(el("option", { value: ev, text: t("scripts.event." + ev) })); });
    if (events.indexOf(keep) >= 0) sel.value = keep;
  }

  function select(i) {
    S.current = i;
    var s = S.scripts[i];
    renderList();
    if (!s) return;
    $("s-name").value = s.name;
    $("s-enabled").checked = s.enabled !== false;
    renderEvents(s);
    renderApps(s);
    fillTestEvents(s);
    editor.set(s.source);
    showFailure(s.failure || null);
  }

  // ---- Failures ------------------------------------------------------------------------------------------
  /** A failure's message: a syntax error's catalog message in the page's language, else the text. */
  function failureMessage(f) {
    return f && f.messageKey ? t(f.messageKey, f.messageArgs || {}) : (f && f.message) || "";
  }

  /** Shows a script failure ({script, line, column, message}) and highlights its line. */
  function showFailure(f) {
    var box = $("s-failure");
    if (!f) { box.hidden = true; box.textContent = ""; editor.clearMark(); return; }
    box.hidden = false;
    box.textContent = f.line
      ? t("scripts.failure.at", { script: f.script || "", line: f.line, column: f.column || 1, message: failureMessage(f) })
      : t("scripts.failure", { script: f.script || "", message: failureMessage(f) });
    if (f.line) editor.markLine(f.line, f.column);
  }

  /** The failure in an API error: the body's `failure` or `script` (line and column as numbers). */
  function failureOf(err) {
    var body = (err && err.body) || {};
    if (body.failure) return body.failure;
    // GAIA_SC01: {code, message, script: {name, line, column, message}}.
    if (body.script && typeof body.script === "object") {
      return { script: body.script.name, line: body.script.line, column: body.script.column, message: body.script.message || body.message,
        messageKey: body.script.messageKey, messageArgs: body.script.messageArgs };
    }
    return { script: null, line: null, column: null, message: (err && err.message) || "" };
  }

  // ---- Load and save -------------------------------------------------------------------------------------
  function load() {
    return K.api("GET", "/api/app/scripts.json?app=" + encodeURIComponent(APP) + "&preview=true").then(function (b) {
      S.scripts = (b.scripts || []).map(function (s) {
        return { name: s.name || "", source: s.source || "", events: (s.events || []).slice(), enabled: s.enabled !== false,
          apps: (s.apps || []).map(function (d) { return d.app ? { app: String(d.app), access: d.access } : { code: d.code, access: d.access }; }) };
      });
      if (b.revision) S.revision = String(b.revision);
      renderChanged(b.changedBy, b.changedAt);
      S.saved = JSON.stringify(payload());
      S.dirty = false;
    });
  }

  function payload() {
    return S.scripts.map(function (s) {
      return { name: s.name, source: s.source, events: s.events, enabled: s.enabled,
        apps: s.apps.filter(function (d) { return declLabel(d) !== ""; }) };
    });
  }

  function save() {
    if (S.busy) return Promise.resolve(false);
    var blank = S.scripts.filter(function (s) { return !s.name.trim(); })[0];
    if (blank) { message("error", t("scripts.name.required")); return Promise.resolve(false); }
    S.busy = true; renderStatus();
    var body = { app: APP, scripts: payload() };
    if (S.revision) body.revision = S.revision;
    return rawApi("PUT", "/api/app/scripts.json", body).then(function (b) {
      S.busy = false; S.dirty = false; S.unpublished = true;
      S.saved = JSON.stringify(body.scripts);
      if (b.revision) S.revision = String(b.revision);
      S.scripts.forEach(function (s) { s.failure = null; });
      showFailure(null);
      // The saver is now the scripts' last changer: they act within the saver's rights.
      K.api("GET", "/api/app/scripts.json?app=" + encodeURIComponent(APP) + "&preview=true")
        .then(function (b) { renderChanged(b.changedBy, b.changedAt); }, function () { /* the banner says it was saved */ });
      renderStatus();
      message("ok", t("scripts.saved"));
      return true;
    }, function (err) {
      S.busy = false; renderStatus();
      var f = failureOf(err);
      var idx = -1;
      S.scripts.forEach(function (s, i) { if (idx < 0 && f.script && s.name === f.script) idx = i; });
      if (idx >= 0) { S.scripts[idx].failure = f; if (idx !== S.current) select(idx); else showFailure(f); }
      else if (f.line) showFailure(f);
      // A script failure is shown in full beside the editor; the banner only says what happened.
      message("error", t("scripts.save_failed") + " " + (f.line || f.messageKey ? t("scripts.save_failed.script") : ((err && err.message) || "")));
      return false;
    });
  }

  /** Like K.api (JSON body, session cookie, CSRF header), but an error keeps its whole body in
   *  `err.body`: a script failure carries the script's name, line and column there. */
  function rawApi(method, path, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: { "X-CSRF-Token": K.csrf, "X-Requested-With": "XMLHttpRequest", "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = null; }
        if (!resp.ok) { var err = new K.ApiError(resp.status, data); err.body = data || {}; throw err; }
        return data || {};
      });
    });
  }

  // ---- Publishing -----------------------------------------------------------------------------------------
  function publish() {
    (S.dirty ? save() : Promise.resolve(true)).then(function (ok) {
      if (!ok) return;
      S.busy = true; renderStatus();
      message("info", t("perm.publish.running"));
      return K.deploy(APP, S.revision).then(function (status) {
        S.busy = false;
        if (status !== "SUCCESS") { message("error", t("perm.publish.failed")); renderStatus(); return; }
        S.unpublished = false; S.deployed = true; renderStatus();
        message("ok", t("perm.publish.done"), el("a", { href: "/apps/" + APP, text: t("perm.open_app") }));
        loadRecords();
      }, function (err) {
        S.busy = false; renderStatus();
        if (err && err.code === "GAIA_RV01") {
          message("error", t("perm.publish.review") + " " + (err.message || ""), el("a", { href: "/apps/" + APP + "/review", text: t("perm.open_review") }));
          return;
        }
        message("error", t("perm.publish.failed") + " " + ((err && err.message) || ""));
      });
    });
  }

  // ---- Test run ------------------------------------------------------------------------------------------
  // The tester can type values for the run: they go over the chosen record's values (or make up a new
  // record). Only the boxes the tester changed are sent, so the record's other values stay as stored.
  var EDITABLE = ["SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "NUMBER", "DATE", "TIME", "DATETIME", "LINK", "DROP_DOWN",
    "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"];
  var LISTS = ["CHECK_BOX", "MULTI_SELECT", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"];
  var testFields = [];   // [{prop, input, edited}]

  function fieldsPath() {
    return (S.deployed ? "app/form/fields.json" : "preview/app/form/fields.json") + "?app=" + encodeURIComponent(APP);
  }

  function loadRecords() {
    var sel = $("s-test-record");
    K.api("GET", fieldsPath()).then(function (f) {
      var props = f.properties || {};
      buildValueEditors(props);
      if (!S.deployed) return null;
      var titleField = Object.keys(props).filter(function (c) { return props[c].type === "SINGLE_LINE_TEXT"; })[0];
      var q = "order by $id desc limit 50";
      return K.api("GET", "records.json?app=" + encodeURIComponent(APP) + "&query=" + encodeURIComponent(q)).then(function (b) {
        while (sel.options.length > 1) sel.remove(1);
        (b.records || []).forEach(function (r) {
          var id = r.$id.value;
          var title = titleField && r[titleField] ? String(r[titleField].value || "") : "";
          sel.appendChild(el("option", { value: id, text: "#" + id + (title ? " " + title : "") }));
        });
      });
    }).catch(function () { /* a never-published app has no records to choose; a record id or a new record still works */ });
  }

  /** A box per field a tester can type (tables, files and calculated fields are left out). */
  function buildValueEditors(props) {
    var box = $("s-test-values");
    box.textContent = "";
    testFields = [];
    Object.keys(props).map(function (c) { return props[c]; })
      .filter(function (p) { return EDITABLE.indexOf(p.type) >= 0; })
      .forEach(function (p) {
        var id = "s-tv-" + testFields.length;
        var input;
        if (p.type === "DROP_DOWN" || p.type === "RADIO_BUTTON") {
          var opts = Object.keys(p.options || {}).map(function (k) { return p.options[k]; })
            .sort(function (a, b) { return Number(a.index) - Number(b.index); });
          input = el("select", { id: id }, [el("option", { value: "", text: "—" })].concat(opts.map(function (o) { return el("option", { value: o.label, text: o.label }); })));
        } else if (p.type === "MULTI_LINE_TEXT" || p.type === "RICH_TEXT") {
          input = el("textarea", { id: id, rows: "2" });
        } else {
          var kinds = { NUMBER: "text", DATE: "date", TIME: "time", DATETIME: "datetime-local" };
          input = el("input", { id: id, type: kinds[p.type] || "text", inputmode: p.type === "NUMBER" ? "decimal" : null,
            placeholder: LISTS.indexOf(p.type) >= 0 ? t("scripts.test.values.list_placeholder") : null });
        }
        input.setAttribute("data-testid", "script-test-value-" + p.code);
        var entry = { prop: p, input: input, edited: false };
        var wrap = el("div", { class: "field" }, [el("label", { class: "label", for: id, text: (window.KUMIKI_LABELS ? window.KUMIKI_LABELS.label(p) : p.label) || p.code }), input]);
        function edited() { entry.edited = true; wrap.classList.add("edited"); }
        input.addEventListener("input", edited);
        input.addEventListener("change", edited);
        entry.wrap = wrap;
        testFields.push(entry);
        box.appendChild(wrap);
      });
    if (!testFields.length) box.appendChild(el("p", { class: "muted", text: t("scripts.test.values.none") }));
  }

  /** Fills the boxes with the chosen record's values (or empties them for a new record). */
  function fillValues(record) {
    testFields.forEach(function (f) {
      var v = record && record[f.prop.code] ? record[f.prop.code].value : "";
      var text;
      if (Array.isArray(v)) text = v.map(function (x) { return x && typeof x === "object" ? x.code : x; }).join("、");
      else if (f.prop.type === "DATETIME" && v) {
        var d = new Date(v);
        text = isNaN(d.getTime()) ? "" : new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      } else text = v === null || v === undefined ? "" : String(v);
      f.input.value = text;
      f.edited = false;
      f.wrap.classList.remove("edited");
    });
  }

  function chosenRecordId() { return $("s-test-id").value.trim() || $("s-test-record").value; }

  function loadChosenRecord() {
    var id = chosenRecordId();
    if (!id || !/^[0-9]+$/.test(id)) { fillValues(null); return; }
    K.api("GET", "record.json?app=" + encodeURIComponent(APP) + "&id=" + encodeURIComponent(id))
      .then(function (b) { fillValues(b.record); }, function () { fillValues(null); });
  }

  /** The typed values in kintone's write shape, only the changed boxes. */
  function typedValues() {
    var out = {};
    testFields.forEach(function (f) {
      if (!f.edited) return;
      var text = f.input.value;
      var v = text;
      if (LISTS.indexOf(f.prop.type) >= 0) {
        var items = text.split(/[,、，]/).map(function (x) { return x.trim(); }).filter(Boolean);
        v = f.prop.type === "CHECK_BOX" || f.prop.type === "MULTI_SELECT" ? items : items.map(function (c) { return { code: c }; });
      } else if (f.prop.type === "DATETIME" && text) {
        var d = new Date(text);
        v = isNaN(d.getTime()) ? text : d.toISOString().replace(/\.\d{3}Z$/, "Z");
      }
      out[f.prop.code] = { value: v };
    });
    return out;
  }

  function show(v) {
    if (v === null || v === undefined || v === "") return "";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function runTest() {
    var s = S.scripts[S.current];
    if (!s) return;
    var id = chosenRecordId();
    var body = { app: APP, script: { name: s.name, source: s.source, events: s.events, enabled: true, apps: payload()[S.current].apps }, event: $("s-test-event").value };
    if (id) body.id = id;
    var typed = typedValues();
    if (Object.keys(typed).length) body.record = typed;
    var out = $("s-test-result");
    out.textContent = t("common.loading");
    $("s-test-run").disabled = true;
    rawApi("POST", "/api/app/script/test.json", body).then(function (r) {
      out.textContent = "";
      if (r.failure) {
        out.appendChild(el("div", { class: "alert error", "data-testid": "script-test-failure", text: r.failure.line
          ? t("scripts.failure.at", { script: r.failure.script || s.name, line: r.failure.line, column: r.failure.column || 1, message: failureMessage(r.failure) })
          : t("scripts.failure", { script: r.failure.script || s.name, message: failureMessage(r.failure) }) }));
        if (r.failure.line) editor.markLine(r.failure.line, r.failure.column);
      } else {
        out.appendChild(el("div", { class: "alert ok", "data-testid": "script-test-ok", text: t("scripts.test.done") }));
      }
      var changes = r.changes || [];
      out.appendChild(el("h3", { text: t("scripts.test.changes") }));
      if (!changes.length) out.appendChild(el("p", { class: "muted", "data-testid": "script-test-nochange", text: t("scripts.test.no_changes") }));
      else out.appendChild(el("div", { class: "table-wrap" }, [el("table", { class: "data", "data-testid": "script-test-changes" }, [
        el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: t("scripts.test.field") }), el("th", { scope: "col", text: t("scripts.test.before") }), el("th", { scope: "col", text: t("scripts.test.after") })])]),
        el("tbody", {}, changes.map(function (c) {
          return el("tr", { "data-testid": "script-test-change-" + c.field }, [el("th", { scope: "row", text: c.field }), el("td", { class: "prewrap", text: show(c.before) }), el("td", { class: "prewrap", text: show(c.after) })]);
        }))])]));
      var errs = Object.keys(r.errors || {});
      if (errs.length) {
        out.appendChild(el("h3", { text: t("scripts.test.errors") }));
        out.appendChild(el("ul", { class: "scr-errors", "data-testid": "script-test-errors" }, errs.map(function (k) {
          return el("li", { text: k + ": " + ((r.errors[k] && r.errors[k].messages) || []).join(" ") });
        })));
      }
      out.appendChild(el("h3", { text: t("scripts.test.logs") }));
      var logs = r.logs || [];
      out.appendChild(logs.length ? el("pre", { class: "scr-log", "data-testid": "script-test-logs", text: logs.join("\n") }) : el("p", { class: "muted", text: t("scripts.test.no_logs") }));
    }, function (err) {
      out.textContent = "";
      var f = failureOf(err);
      if (f.line) editor.markLine(f.line, f.column);
      out.appendChild(el("div", { class: "alert error", "data-testid": "script-test-failure", text: f.messageKey
        ? t("scripts.failure.at", { script: f.script || s.name, line: f.line || 1, column: f.column || 1, message: failureMessage(f) })
        : (err && err.message) || t("scripts.test.failed") }));
    }).then(function () { $("s-test-run").disabled = false; });
  }

  // ---- Logs ----------------------------------------------------------------------------------------------
  function loadLogs() {
    var box = $("s-logs-body");
    K.api("GET", "/api/app/script/logs.json?app=" + encodeURIComponent(APP)).then(function (b) {
      $("s-logs").hidden = false;
      box.textContent = "";
      var logs = b.logs || [];
      if (!logs.length) { box.appendChild(el("p", { class: "muted", text: t("scripts.logs.empty") })); return; }
      box.appendChild(el("div", { class: "table-wrap" }, [el("table", { class: "data", "data-testid": "script-logs-table" }, [
        el("thead", {}, [el("tr", {}, ["scripts.logs.at", "scripts.logs.script", "scripts.logs.level", "scripts.logs.message"].map(function (k) { return el("th", { scope: "col", text: t(k) }); }))]),
        el("tbody", {}, logs.map(function (l) {
          return el("tr", {}, [el("td", { class: "nowrap", text: typeof l.createdAt === "number" ? new Date(l.createdAt * 1000).toLocaleString(page.lang === "en" ? "en-US" : "ja-JP") : String(l.createdAt || "") }), el("td", { text: l.script || "" }), el("td", { text: l.level || "" }), l.hidden
            ? el("td", { class: "muted", "data-testid": "script-log-hidden", text: t("scripts.logs.hidden") })
            : el("td", { class: "prewrap", text: l.message || "" })]);
        }))])]));
    }).catch(function () { $("s-logs").hidden = true; });
  }

  // ---- Start ---------------------------------------------------------------------------------------------
  editor = window.KUMIKI_CODE.create($("s-code"), { id: "s-source", testid: "script-source" });
  editor.onChange(function () { var s = S.scripts[S.current]; if (s) { s.source = editor.get(); markDirty(); } });
  $("s-name").addEventListener("input", function () { var s = S.scripts[S.current]; if (s) { s.name = $("s-name").value; markDirty(); renderList(); } });
  $("s-enabled").addEventListener("change", function () { var s = S.scripts[S.current]; if (s) { s.enabled = $("s-enabled").checked; markDirty(); renderList(); } });
  $("s-add").addEventListener("click", function () {
    S.scripts.push({ name: t("scripts.new_name", { n: S.scripts.length + 1 }), source: t("scripts.template"), events: ["create.submit", "edit.submit"], enabled: true, apps: [] });
    markDirty();
    select(S.scripts.length - 1);
    $("s-name").focus();
  });
  $("s-remove").addEventListener("click", function () {
    var s = S.scripts[S.current];
    if (!s || !window.confirm(t("scripts.remove.confirm", { name: s.name }))) return;
    S.scripts.splice(S.current, 1);
    markDirty();
    S.current = Math.min(S.current, S.scripts.length - 1);
    if (S.current >= 0) select(S.current); else renderList();
  });
  $("s-app-add").addEventListener("click", function () {
    var s = S.scripts[S.current];
    if (!s) return;
    s.apps.push({ app: "", access: "read" });
    renderApps(s);
    var last = $("s-app-" + (s.apps.length - 1));
    if (last) last.focus();
  });
  $("s-save").addEventListener("click", save);
  $("s-publish").addEventListener("click", publish);
  $("s-test-run").addEventListener("click", runTest);
  $("s-test-record").addEventListener("change", loadChosenRecord);
  $("s-test-id").addEventListener("change", loadChosenRecord);
  $("s-logs-refresh").addEventListener("click", loadLogs);
  window.addEventListener("beforeunload", function (e) { if (S.dirty && !S.busy) { e.preventDefault(); e.returnValue = ""; } });

  load().then(function () {
    $("s-loading").hidden = true;
    $("s-workspace").hidden = false;
    renderStatus();
    if (S.scripts.length) select(0); else renderList();
    loadRecords();
    loadLogs();
  }).catch(function (err) {
    $("s-loading").hidden = true;
    message("error", t("scripts.load_failed") + " " + ((err && err.message) || ""));
  });
})();
