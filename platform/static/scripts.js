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
  var S = { scripts: [], current: -1, revision: page.previewRevision || null, dirty: false, unpublished: !!page.unpublished, busy: false };
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
    var state = S.dirty ? "dirty" : (S.unpublished ? "unpublished" : "published");
    var box = $("s-status");
    box.setAttribute("data-state", state);
    box.textContent = t("perm.status." + state);
    $("s-save").disabled = S.busy;
    $("s-publish").disabled = S.busy;
  }

  function markDirty() { S.dirty = true; renderStatus(); }

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
    fillTestEvents(s);
    editor.set(s.source);
    showFailure(s.failure || null);
  }

  // ---- Failures ------------------------------------------------------------------------------------------
  /** Shows a script failure ({script, line, column, message}) and highlights its line. */
  function showFailure(f) {
    var box = $("s-failure");
    if (!f) { box.hidden = true; box.textContent = ""; editor.clearMark(); return; }
    box.hidden = false;
    box.textContent = f.line
      ? t("scripts.failure.at", { script: f.script || "", line: f.line, column: f.column || 1, message: f.message || "" })
      : t("scripts.failure", { script: f.script || "", message: f.message || "" });
    if (f.line) editor.markLine(f.line, f.column);
  }

  /** The failure in an API error: the body's `failure`, or line and column found in the message. */
  function failureOf(err) {
    var body = (err && err.body) || {};
    if (body.failure) return body.failure;
    // GAIA_SC01: {code, message, script: {name, line, column, message}}.
    if (body.script && typeof body.script === "object") {
      return { script: body.script.name, line: body.script.line, column: body.script.column, message: body.script.message || body.message };
    }
    var text = (err && err.message) || "";
    var m = /line (\d+)(?:,? (?:column|position) (\d+))?/i.exec(text) || /(\d+)\s*行(?:\s*(\d+)\s*(?:列|文字))?/.exec(text);
    var named = /^(?:Script|スクリプト)\s*[「"]?([^」":]+)[」"]?/.exec(text);
    return { script: named ? named[1] : null, line: m ? +m[1] : null, column: m && m[2] ? +m[2] : null, message: text };
  }

  // ---- Load and save -------------------------------------------------------------------------------------
  function load() {
    return K.api("GET", "/api/app/scripts.json?app=" + encodeURIComponent(APP) + "&preview=true").then(function (b) {
      S.scripts = (b.scripts || []).map(function (s) {
        return { name: s.name || "", source: s.source || "", events: (s.events || []).slice(), enabled: s.enabled !== false };
      });
      if (b.revision) S.revision = String(b.revision);
    });
  }

  function payload() {
    return S.scripts.map(function (s) { return { name: s.name, source: s.source, events: s.events, enabled: s.enabled }; });
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
      if (b.revision) S.revision = String(b.revision);
      S.scripts.forEach(function (s) { s.failure = null; });
      showFailure(null);
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
      message("error", t("scripts.save_failed") + " " + ((err && err.message) || ""));
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
  function pollDeploy(tries) {
    return new Promise(function (resolve) { setTimeout(resolve, 400); }).then(function () {
      return K.api("GET", "preview/app/deploy.json?apps[0]=" + encodeURIComponent(APP));
    }).then(function (r) {
      var status = r.apps && r.apps[0] && r.apps[0].status;
      if (status === "PROCESSING" && tries > 0) return pollDeploy(tries - 1);
      return status;
    });
  }

  function publish() {
    (S.dirty ? save() : Promise.resolve(true)).then(function (ok) {
      if (!ok) return;
      S.busy = true; renderStatus();
      message("info", t("perm.publish.running"));
      var app = { app: APP };
      if (S.revision) app.revision = S.revision;
      return K.api("POST", "preview/app/deploy.json", { apps: [app] }).then(function () { return pollDeploy(75); }).then(function (status) {
        S.busy = false;
        if (status !== "SUCCESS") { message("error", t("perm.publish.failed")); renderStatus(); return; }
        S.unpublished = false; renderStatus();
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
  function loadRecords() {
    var sel = $("s-test-record");
    K.api("GET", "app/form/fields.json?app=" + encodeURIComponent(APP)).then(function (f) {
      var props = f.properties || {};
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

  function show(v) {
    if (v === null || v === undefined || v === "") return "";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function runTest() {
    var s = S.scripts[S.current];
    if (!s) return;
    var id = $("s-test-id").value.trim() || $("s-test-record").value;
    var body = { app: APP, script: { name: s.name, source: s.source, events: s.events, enabled: true }, event: $("s-test-event").value };
    if (id) body.id = id;
    var out = $("s-test-result");
    out.textContent = t("common.loading");
    $("s-test-run").disabled = true;
    rawApi("POST", "/api/app/script/test.json", body).then(function (r) {
      out.textContent = "";
      if (r.failure) {
        out.appendChild(el("div", { class: "alert error", "data-testid": "script-test-failure", text: t("scripts.failure.at", { script: r.failure.script || s.name, line: r.failure.line || "?", column: r.failure.column || "?", message: r.failure.message || "" }) }));
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
      out.appendChild(el("div", { class: "alert error", "data-testid": "script-test-failure", text: (err && err.message) || t("scripts.test.failed") }));
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
          return el("tr", {}, [el("td", { class: "nowrap", text: typeof l.createdAt === "number" ? new Date(l.createdAt * 1000).toLocaleString(page.lang === "en" ? "en-US" : "ja-JP") : String(l.createdAt || "") }), el("td", { text: l.script || "" }), el("td", { text: l.level || "" }), el("td", { class: "prewrap", text: l.message || "" })]);
        }))])]));
    }).catch(function () { $("s-logs").hidden = true; });
  }

  // ---- Start ---------------------------------------------------------------------------------------------
  editor = window.KUMIKI_CODE.create($("s-code"), { id: "s-source", testid: "script-source" });
  editor.onChange(function () { var s = S.scripts[S.current]; if (s) { s.source = editor.get(); markDirty(); } });
  $("s-name").addEventListener("input", function () { var s = S.scripts[S.current]; if (s) { s.name = $("s-name").value; markDirty(); renderList(); } });
  $("s-enabled").addEventListener("change", function () { var s = S.scripts[S.current]; if (s) { s.enabled = $("s-enabled").checked; markDirty(); renderList(); } });
  $("s-add").addEventListener("click", function () {
    S.scripts.push({ name: t("scripts.new_name", { n: S.scripts.length + 1 }), source: t("scripts.template"), events: ["create.submit", "edit.submit"], enabled: true });
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
  $("s-save").addEventListener("click", save);
  $("s-publish").addEventListener("click", publish);
  $("s-test-run").addEventListener("click", runTest);
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
