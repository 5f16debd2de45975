// The survey editor, /surveys/new and /surveys/<id>/edit (issue 14): the request (title, body, due,
// attachments), answer fields, an Excel answer sheet, recipients (organisations and saved lists),
// reminders and co-owners; 下書き保存 and 送信 through /api/surveys/*. Errors from the API are shown
// beside their fields and in a summary.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, S = window.KUMIKI_SURVEYS;
  var page = K.page || {};
  var $ = function (id) { return document.getElementById(id); };
  var id = page.id || null;
  var files = [];          // {fileKey, name, size, uploading}
  var sheet = null;        // the proposed/edited sheet spec, with fileKey and templateName
  var lists = [];
  var fieldsEditor = window.KUMIKI_SURVEY_FIELDS.create($("sve-fields"));
  var recipients = null;
  var errors = $("sve-errors");

  function fail(e) { S.showError(errors, e, $("sve-form")); }

  // ---- attachments ----
  function drawFiles() {
    var list = $("sve-files");
    list.textContent = "";
    files.forEach(function (f, i) {
      list.appendChild(el("li", { class: "sv-file", "data-testid": "survey-file-item" }, [
        f.uploading ? el("span", { text: f.name + " " + t("surveys.uploading") })
          : el("a", { href: S.fileUrl(f.fileKey), download: f.name, text: f.name }),
        el("span", { class: "muted", text: S.size(f.size) }),
        el("button", { type: "button", class: "link-button", "data-testid": "survey-file-remove", "aria-label": t("surveys.remove_file", { name: f.name }),
          text: t("surveys.remove"), onclick: function () { files.splice(i, 1); drawFiles(); } }),
      ]));
    });
  }
  $("sve-file").addEventListener("change", function (e) {
    Array.prototype.slice.call(e.target.files || []).forEach(function (file) {
      var entry = { name: file.name, size: file.size, uploading: true };
      files.push(entry);
      S.upload(file).then(function (key) { entry.fileKey = key; entry.uploading = false; drawFiles(); },
        function (err) { files.splice(files.indexOf(entry), 1); drawFiles(); fail(err); });
    });
    e.target.value = "";
    drawFiles();
  });

  // ---- the Excel answer sheet ----
  var KINDS = ["TEXT", "NUMBER", "DATE"];
  function kindSelect(value, label, onChange) {
    var s = el("select", { "aria-label": label, "data-testid": "sheet-kind" }, KINDS.map(function (k) { return el("option", { value: k, text: t("surveys.sheet.kind." + k) }); }));
    s.value = value || "TEXT";
    s.addEventListener("change", function () { onChange(s.value); });
    return s;
  }
  function drawSheet() {
    var box = $("sve-sheet");
    box.textContent = "";
    if (!sheet) { box.appendChild(el("p", { class: "muted", "data-testid": "sheet-none", text: t("surveys.sheet.none") })); return; }
    if (sheet.uploading) { box.appendChild(el("p", { class: "muted", text: t("surveys.sheet.reading", { name: sheet.templateName }) })); return; }
    $("sve-sheet-mode").value = sheet.mode || "table";
    box.appendChild(el("p", { class: "sv-sheet-file" }, [
      el("a", { href: S.fileUrl(sheet.fileKey), download: sheet.templateName, "data-testid": "sheet-template", text: sheet.templateName || t("surveys.sheet.template") }),
      " ",
      el("button", { type: "button", class: "link-button", "data-testid": "sheet-remove", text: t("surveys.sheet.remove"), onclick: function () { sheet = null; drawSheet(); } }),
    ]));
    var sheetName = el("input", { type: "text", id: "sve-sheet-name", value: sheet.sheet || "", "data-testid": "sheet-name" });
    sheetName.addEventListener("input", function () { sheet.sheet = sheetName.value; });
    var grid = [el("div", { class: "field" }, [el("label", { class: "label", for: "sve-sheet-name", text: t("surveys.sheet.sheet_name") }), sheetName])];
    if ((sheet.mode || "table") === "table") {
      var header = el("input", { type: "number", min: 1, id: "sve-sheet-header", value: sheet.headerRow || 1, "data-testid": "sheet-header-row" });
      header.addEventListener("input", function () { sheet.headerRow = Number(header.value) || 1; });
      grid.push(el("div", { class: "field" }, [el("label", { class: "label", for: "sve-sheet-header", text: t("surveys.sheet.header_row") }), header]));
    }
    box.appendChild(el("div", { class: "sv-sheet-grid" }, grid));
    var table = el("table", { class: "data sv-sheet-cols", "data-testid": "sheet-columns" });
    if ((sheet.mode || "table") === "table") {
      table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { text: t("surveys.sheet.column") }), el("th", { text: t("surveys.sheet.kind") })])]));
      table.appendChild(el("tbody", {}, (sheet.columns || []).map(function (c) {
        return el("tr", { "data-testid": "sheet-column" }, [el("td", { text: c.header }), el("td", {}, [kindSelect(c.kind, c.header, function (k) { c.kind = k; })])]);
      })));
      if (!(sheet.columns || []).length) box.appendChild(el("p", { class: "alert error", text: t("surveys.sheet.no_columns") }));
    } else {
      table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { text: t("surveys.sheet.name") }), el("th", { text: t("surveys.sheet.cell") }), el("th", { text: t("surveys.sheet.kind") })])]));
      table.appendChild(el("tbody", {}, (sheet.cells || []).map(function (c) {
        return el("tr", { "data-testid": "sheet-cell" }, [el("td", { text: c.name }), el("td", { text: c.cell }), el("td", {}, [kindSelect(c.kind, c.name, function (k) { c.kind = k; })])]);
      })));
      if (!(sheet.cells || []).length) box.appendChild(el("p", { class: "alert error", text: t("surveys.sheet.no_cells") }));
    }
    box.appendChild(el("div", { class: "table-wrap" }, [table]));
  }
  function inspect(fileKey, name) {
    sheet = { uploading: true, templateName: name };
    drawSheet();
    var mode = $("sve-sheet-mode").value;
    return K.api("POST", "/api/surveys/sheet/inspect.json", { fileKey: fileKey, mode: mode }).then(function (r) {
      // The proposed spec itself (`{mode, sheet, headerRow, columns | cells}`), or wrapped.
      var spec = r.mode ? r : (r.sheet && typeof r.sheet === "object" ? r.sheet : r);
      sheet = { fileKey: fileKey, templateName: spec.templateName || name, mode: spec.mode || mode, sheet: spec.sheet || "",
        headerRow: spec.headerRow || spec.header_row || 1, columns: spec.columns || [], cells: spec.cells || [] };
      drawSheet();
    }, function (e) { sheet = null; drawSheet(); fail(e); });
  }
  $("sve-sheet-file").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (!file) return;
    S.clearErrors(errors, $("sve-form"));
    sheet = { uploading: true, templateName: file.name };
    drawSheet();
    S.upload(file).then(function (key) { return inspect(key, file.name); }, function (err) { sheet = null; drawSheet(); fail(err); });
  });
  $("sve-sheet-mode").addEventListener("change", function () {
    if (sheet && sheet.fileKey && !sheet.uploading) inspect(sheet.fileKey, sheet.templateName);
  });

  // ---- recipients and saved lists ----
  function drawLists() {
    var select = $("sve-list");
    lists.forEach(function (l) { select.appendChild(el("option", { value: l.id, text: t("surveys.lists.option", { name: l.name, n: (l.entries || []).length }) })); });
  }
  $("sve-list-add").addEventListener("click", function () {
    var l = lists.filter(function (x) { return String(x.id) === $("sve-list").value; })[0];
    if (l && recipients) recipients.add(l.entries || []);
  });

  // ---- the whole survey ----
  function body() {
    return {
      title: $("sve-title").value.trim(),
      body: $("sve-body").value,
      dueAt: S.join($("sve-due-date").value, $("sve-due-time").value),
      attachments: files.filter(function (f) { return !f.uploading; }).map(function (f) { return { fileKey: f.fileKey }; }),
      fields: { properties: fieldsEditor.get() },
      sheet: sheet && !sheet.uploading ? { fileKey: sheet.fileKey, mode: sheet.mode, sheet: sheet.sheet, headerRow: sheet.headerRow, columns: sheet.columns, cells: sheet.cells } : null,
      recipients: recipients ? recipients.get().map(function (r) { return { kind: r.kind, code: r.code }; }) : [],
      reminders: $("sve-reminders").value.split(/[,、，\s]+/).filter(Boolean).map(Number),
      owners: $("sve-owners").value.split(/[,、，\s]+/).filter(Boolean),
    };
  }
  function fill(s) {
    $("sve-title").value = s.title || "";
    $("sve-body").value = s.bodyText !== undefined ? s.bodyText : htmlToText(s.body || "");
    var due = S.split(s.dueAt);
    $("sve-due-date").value = due.date;
    if (due.time) $("sve-due-time").value = due.time;
    files = (s.attachments || []).map(function (a) { return { fileKey: a.fileKey, name: a.name, size: a.size }; });
    drawFiles();
    fieldsEditor.set(S.properties(s));
    var tpl = S.template(s.sheet);
    if (tpl) {
      sheet = { fileKey: tpl.fileKey, templateName: tpl.name || s.sheet.templateName, mode: s.sheet.mode || "table", sheet: s.sheet.sheet,
        headerRow: s.sheet.headerRow, columns: s.sheet.columns || [], cells: s.sheet.cells || [] };
    }
    drawSheet();
    $("sve-reminders").value = (s.reminders || [3, 0]).join(", ");
    $("sve-owners").value = (s.owners || []).map(function (o) { return typeof o === "string" ? o : o.code; })
      .filter(function (o) { return o !== page.me; }).join(", ");
    if (recipients && s.recipients) recipients.set(s.recipients);
    if (s.parentAnswerId || s.parentAnswer) {
      $("sve-relay").textContent = t("surveys.edit.relay_note");
      $("sve-relay").hidden = false;
    }
  }
  // The stored body is sanitised HTML; the editor edits it as plain text, one paragraph a line.
  function htmlToText(html) {
    var doc = new DOMParser().parseFromString("<div>" + html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p>\s*<p[^>]*>/gi, "\n") + "</div>", "text/html");
    return doc.body.textContent || "";
  }
  function bodyForApi(b) {
    // Plain text becomes paragraphs; the server sanitises whatever arrives.
    var text = b.body;
    if (!/<[a-z][\s\S]*>/i.test(text)) {
      var esc = function (s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); };
      text = text.split("\n").map(function (line) { return "<p>" + (esc(line) || "<br>") + "</p>"; }).join("");
    }
    b.body = text;
    return b;
  }

  function save() {
    S.clearErrors(errors, $("sve-form"));
    $("sve-status").hidden = true;
    if (files.some(function (f) { return f.uploading; }) || (sheet && sheet.uploading)) {
      return Promise.reject(new Error(t("surveys.edit.wait_upload")));
    }
    var b = bodyForApi(body());
    if (!b.dueAt) delete b.dueAt;
    var call = id ? K.api("PUT", "/api/surveys/survey.json", Object.assign({ id: id }, b)) : K.api("POST", "/api/surveys/survey.json", b);
    return call.then(function (r) {
      if (!id) {
        id = String(r.id);
        window.history.replaceState(null, "", "/surveys/" + id + "/edit");
        $("sve-delete").hidden = false;
        $("sve-heading").textContent = t("surveys.edit.title");
        $("sve-crumb").textContent = t("surveys.edit.title");
        document.title = t("surveys.edit.title") + " | " + t("app.name");
      }
      return b;
    });
  }

  $("sve-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("sve-save").disabled = true;
    save().then(function () {
      S.notice($("sve-status"), t("surveys.edit.saved"));
    }, fail).then(function () { $("sve-save").disabled = false; });
  });
  $("sve-send").addEventListener("click", function () {
    $("sve-send").disabled = true;
    save().then(function (b) {
      var n = b.recipients.length;
      if (!window.confirm(t("surveys.edit.send_confirm", { n: n, title: b.title }))) return null;
      return K.api("POST", "/api/surveys/send.json", { id: id }).then(function () { window.location.href = "/surveys/" + id; });
    }).catch(fail).then(function () { $("sve-send").disabled = false; });
  });
  $("sve-delete").addEventListener("click", function () {
    if (!id || !window.confirm(t("surveys.edit.delete_confirm"))) return;
    K.api("DELETE", "/api/surveys/survey.json", { id: id }).then(function () { window.location.href = "/surveys"; }, fail);
  });

  var loadRecipients = window.KUMIKI_SURVEY_RECIPIENTS.create({ orgs: $("sve-orgs"), filter: $("sve-org-filter"), picked: $("sve-picked"), count: $("sve-picked-count") })
    .then(function (r) { recipients = r; }, function (e) { fail(e); });
  var loadLists = K.api("GET", "/api/surveys/lists.json").then(function (r) { lists = r.lists || []; drawLists(); }, function () { lists = []; });
  var loadSurvey = id ? K.api("GET", "/api/surveys/survey.json?id=" + encodeURIComponent(id)).then(function (r) { return r.survey || r; }) : Promise.resolve(null);

  Promise.all([loadSurvey, loadRecipients, loadLists]).then(function (all) {
    var s = all[0];
    $("sve-loading").hidden = true;
    $("sve-form").hidden = false;
    if (s) {
      fill(s);
      $("sve-delete").hidden = s.state !== "draft";
      if (s.state && s.state !== "draft") {
        $("sve-locked").textContent = "";
        $("sve-locked").appendChild(document.createTextNode(t("surveys.edit.locked") + " "));
        $("sve-locked").appendChild(el("a", { href: "/surveys/" + id, text: t("surveys.edit.to_dashboard") }));
        $("sve-locked").hidden = false;
        Array.prototype.forEach.call($("sve-form").querySelectorAll("input, select, textarea, button"), function (n) { n.disabled = true; });
      }
    } else {
      fieldsEditor.add();
      drawSheet();
      var due = new Date(Date.now() + 14 * 86400000);
      $("sve-due-date").value = S.split(due.toISOString()).date;
    }
  }, function (e) {
    $("sve-loading").hidden = true;
    fail(e);
  });
})();
