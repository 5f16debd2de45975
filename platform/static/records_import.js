// Record import (/apps/{id}/import, issue 16): upload a CSV/XLSX through /k/v1/file.json, open it
// (`POST /api/records/import.json`: headers, suggested mapping, preview, report), change the
// encoding, sheet, mapping, mode or key (`PUT`, checked again; nothing is written by a check), run
// it (`POST /api/records/import/run.json`: a durable job) and follow its progress (`GET`, polled).
// The import id is kept in the URL (?id=), so a reload — or coming back later — shows the same
// import and its progress.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var S = { view: null, id: page["import"] || null, polling: null };

  function $(id) { return document.getElementById(id); }

  function message(kind, text) {
    var box = $("imp-message");
    box.className = "alert " + kind;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function errorText(e) {
    if (!e) return t("import.failed");
    var parts = [e.message || t("import.failed")];
    Object.keys(e.errors || {}).forEach(function (k) {
      (e.errors[k].messages || []).forEach(function (m) { parts.push(m); });
    });
    return parts.join(" ");
  }

  function busy(on) {
    ["imp-file", "imp-encoding", "imp-sheet", "imp-check", "imp-run"].forEach(function (id) {
      var node = $(id);
      if (node) node.disabled = on || (id === "imp-run" && !runnable());
    });
  }

  function remember(id) {
    S.id = id;
    var url = "/apps/" + encodeURIComponent(APP) + "/import?id=" + encodeURIComponent(id);
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", url);
  }

  /** Uploads one file; resolves to its temporary file key. */
  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name);
    return fetch(K.apiUrl("/k/v1/file.json"), { method: "POST", body: form, credentials: "same-origin",
      headers: { "X-CSRF-Token": K.csrf, "X-Requested-With": "XMLHttpRequest" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var b = null;
          try { b = text ? JSON.parse(text) : {}; } catch (err) { b = null; }
          if (!resp.ok) throw new K.ApiError(resp.status, b);
          return b.fileKey;
        });
      });
  }

  /** A field as people know it: its name, and its code when that differs. */
  function named(f) {
    return f.label === f.code ? f.label : f.label + " (" + f.code + ")";
  }

  function fieldLabel(code) {
    if (code === "$start") return t("import.start_column");
    var f = (S.view.fields || []).filter(function (x) { return x.code === code; })[0];
    return f ? named(f) : code;
  }

  function entryText(e) {
    return e.key ? t(e.key, e.args || {}) : e.text;
  }

  function valueText(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) {
      return v.map(function (x) { return x && typeof x === "object" ? (x.code || JSON.stringify(x)) : String(x); }).join(", ");
    }
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function settings() {
    var mapping = [];
    Array.prototype.forEach.call($("imp-mapping").querySelectorAll("select"), function (s) {
      mapping.push(s.value || null);
    });
    var mode = document.querySelector("input[name=imp-mode]:checked").value;
    return { mapping: mapping, mode: mode, key: mode === "update" ? ($("imp-key").value || null) : null };
  }

  function runnable() {
    var v = S.view;
    return !!(v && v.report && (v.report.errors || []).length === 0 && v.report.records > 0 &&
      v.state === "checked");
  }

  function renderMapping(v) {
    var body = $("imp-mapping");
    body.textContent = "";
    (v.headers || []).forEach(function (h, i) {
      var select = el("select", { "aria-label": t("import.field_for", { column: h }), "data-testid": "import-map-" + i });
      select.appendChild(el("option", { value: "", text: t("import.skip") }));
      select.appendChild(el("option", { value: "$start", text: t("import.start_column") }));
      (v.fields || []).forEach(function (f) {
        select.appendChild(el("option", { value: f.code, text: (f.subtable ? f.subtable + " › " : "") + named(f) }));
      });
      select.value = (v.mapping || [])[i] || "";
      select.addEventListener("change", function () { $("imp-run").disabled = true; });
      body.appendChild(el("tr", {}, [el("th", { scope: "row", text: h || "—" }), el("td", {}, [select])]));
    });
    document.querySelector("input[name=imp-mode][value=" + (v.mode === "update" ? "update" : "add") + "]").checked = true;
    var key = $("imp-key");
    key.textContent = "";
    key.appendChild(el("option", { value: "", text: t("import.key.choose") }));
    (v.fields || []).filter(function (f) { return f.key; }).forEach(function (f) {
      key.appendChild(el("option", { value: f.code, text: named(f) }));
    });
    key.value = v.key || "";
    $("imp-key-field").hidden = v.mode !== "update";
  }

  function renderPreview(v) {
    var head = $("imp-preview-head"), body = $("imp-preview");
    head.textContent = "";
    body.textContent = "";
    var codes = [];
    (v.mapping || []).forEach(function (m) { if (m && m !== "$start" && codes.indexOf(m) < 0) codes.push(m); });
    var row = el("tr", {}, [el("th", { scope: "col", text: t("import.report.line") })]);
    codes.forEach(function (c) { row.appendChild(el("th", { scope: "col", text: fieldLabel(c) })); });
    head.appendChild(row);
    var preview = (v.report && v.report.preview) || [];
    preview.forEach(function (p) {
      var tr = el("tr", {}, [el("td", { text: String(p.line) })]);
      codes.forEach(function (c) {
        var cell = p.record && p.record[c];
        var value = cell ? cell.value : null;
        if (value === null || value === undefined) {
          // An inner field of a subtable: the values of its rows, one a line.
          Object.keys(p.record || {}).forEach(function (k) {
            var rows = p.record[k] && p.record[k].value;
            if (Array.isArray(rows) && rows.length && rows[0] && rows[0].value) {
              var inner = rows.map(function (r) { return r.value[c] ? valueText(r.value[c].value) : ""; }).filter(Boolean);
              if (inner.length) value = inner.join("\n");
            }
          });
        }
        tr.appendChild(el("td", { text: valueText(value) }));
      });
      body.appendChild(tr);
    });
    $("imp-summary").textContent = t("import.summary", { rows: v.rows || 0, records: (v.report && v.report.records) || 0, file: v.fileName || "" });
    $("imp-preview-card").hidden = false;
  }

  function entryRows(list, tbody) {
    tbody.textContent = "";
    list.forEach(function (e, i) {
      tbody.appendChild(el("tr", { "data-testid": "import-entry-" + i }, [
        el("td", { text: e.line ? String(e.line) : t("import.report.whole") }),
        el("td", { text: e.column || "" }),
        el("td", { text: entryText(e) })
      ]));
    });
  }

  function renderReport(v) {
    var r = v.report || {};
    var errors = r.errors || [], conversions = r.conversions || [];
    $("imp-report-card").hidden = false;
    $("imp-report-ok").hidden = errors.length > 0;
    $("imp-report-ok").textContent = t("import.report.ok", { records: r.records || 0 });
    $("imp-errors-wrap").hidden = errors.length === 0;
    entryRows(errors, $("imp-errors"));
    if (errors.length) {
      message("error", t("import.report.has_errors", { count: r.errorCount || errors.length }));
    } else {
      message("", "");
    }
    $("imp-conversions-box").hidden = conversions.length === 0;
    $("imp-conversions-title").textContent = t("import.report.conversions", { count: r.conversionCount || conversions.length });
    entryRows(conversions, $("imp-conversions"));
    $("imp-run").disabled = !runnable();
  }

  function render(v) {
    S.view = v;
    remember(v.id);
    var csv = v.format === "csv";
    $("imp-encoding-field").hidden = !csv;
    if (csv && v.encoding) $("imp-encoding").value = v.encoding;
    var sheet = $("imp-sheet");
    $("imp-sheet-field").hidden = csv;
    sheet.textContent = "";
    (v.sheets || []).forEach(function (s) { sheet.appendChild(el("option", { value: s, text: s })); });
    if (v.sheet) sheet.value = v.sheet;
    $("imp-map-card").hidden = false;
    renderMapping(v);
    renderPreview(v);
    renderReport(v);
  }

  function call(method, path, body) {
    busy(true);
    return K.api(method, path, body).then(function (v) { busy(false); return v; }, function (e) { busy(false); throw e; });
  }

  function change(extra) {
    var body = { id: S.id };
    Object.keys(extra).forEach(function (k) { body[k] = extra[k]; });
    return call("PUT", "/api/records/import.json", body).then(render).catch(function (e) { message("error", errorText(e)); });
  }

  function showProgress(st) {
    $("imp-progress-card").hidden = false;
    var p = st.progress, bar = $("imp-bar"), text = $("imp-progress-text");
    var total = (p && p.total) || st.rows || 0;
    if (st.state === "done") {
      bar.value = 100;
      text.textContent = t("import.progress.rows", { done: st.recordsWritten, total: st.recordsWritten });
      $("imp-done").hidden = false;
      $("imp-done").textContent = t(st.mode === "update" ? "import.done_updated" : "import.done", { records: st.recordsWritten });
      $("imp-to-list").hidden = false;
      message("", "");
      return true;
    }
    if (st.state === "failed") {
      bar.value = 0;
      text.textContent = t("import.progress.failed");
      S.view = S.view || {};
      S.view.report = st.report;
      renderReport({ report: st.report, state: "failed" });
      return true;
    }
    if (st.state === "queued" || !p) {
      bar.removeAttribute("value");
      text.textContent = t("import.progress.queued");
      return false;
    }
    bar.value = total ? Math.floor(100 * p.done / total) : 0;
    var parts = [t("import.progress.rows", { done: p.done, total: total })];
    if (p.rate) parts.push(t("import.progress.rate", { rate: p.rate }));
    if (p.secondsLeft !== null && p.secondsLeft !== undefined) parts.push(t("import.progress.left", { seconds: p.secondsLeft }));
    text.textContent = parts.join(" ・ ");
    return false;
  }

  function poll() {
    K.api("GET", "/api/records/import.json?id=" + encodeURIComponent(S.id)).then(function (st) {
      if (!showProgress(st)) S.polling = setTimeout(poll, 700);
    }).catch(function (e) {
      message("error", errorText(e));
      S.polling = setTimeout(poll, 3000);
    });
  }

  function startProgress() {
    $("imp-file-card").hidden = true;
    $("imp-map-card").hidden = true;
    $("imp-preview-card").hidden = true;
    $("imp-report-card").hidden = true;
    $("imp-run").disabled = true;
    $("imp-progress-card").hidden = false;
    poll();
  }

  $("imp-file").addEventListener("change", function () {
    var file = this.files && this.files[0];
    if (!file) return;
    message("info", t("import.reading"));
    busy(true);
    upload(file).then(function (key) {
      return call("POST", "/api/records/import.json", { app: APP, fileKey: key });
    }).then(render).catch(function (e) { busy(false); message("error", errorText(e)); });
  });
  $("imp-encoding").addEventListener("change", function () { change({ encoding: this.value }); });
  $("imp-sheet").addEventListener("change", function () { change({ sheet: this.value }); });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=imp-mode]"), function (r) {
    r.addEventListener("change", function () {
      $("imp-key-field").hidden = settings().mode !== "update";
      $("imp-run").disabled = true;
    });
  });
  $("imp-key").addEventListener("change", function () { $("imp-run").disabled = true; });
  $("imp-check").addEventListener("click", function () { change({ settings: settings() }); });
  $("imp-run").addEventListener("click", function () {
    call("POST", "/api/records/import/run.json", { id: S.id }).then(function (st) {
      startProgress();
      showProgress(st);
    }).catch(function (e) {
      message("error", errorText(e));
      if (S.id) change({});
    });
  });

  // Reopened (?id=): a queued or running import shows its progress; one still being prepared is
  // checked again; a finished one shows its result.
  function reopen(id) {
    S.id = id;
    K.api("GET", "/api/records/import.json?id=" + encodeURIComponent(id)).then(function (st) {
      if (st.state === "queued" || st.state === "running" || st.state === "done") {
        startProgress();
        showProgress(st);
      } else {
        change({});
      }
    }).catch(function (e) { message("error", errorText(e)); });
  }

  if (S.id) {
    reopen(S.id);
  } else {
    // An import of this app still running (the page was closed): show it.
    K.api("GET", "/api/records/import.json?app=" + encodeURIComponent(APP)).then(function (r) {
      var active = (r.active || [])[0];
      if (active) reopen(active.id);
    }).catch(function () {});
  }
})();
