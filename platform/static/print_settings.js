// Print template settings (/apps/{id}/print-templates, issue 16): the app's print templates (name,
// target, paper orientation 縦/横, handlebars source). Saved pre-live with `preview/app/printTemplates.json` (the server checks
// each source and names the line of a syntax error), previewed through the print view with
// `preview=1`, published with `preview/app/deploy.json` like the other settings pages.
"use strict";
(function () {
  var K = window.KUMIKI, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var S = { revision: page.previewRevision || null, unpublished: !!page.unpublished, dirty: false, busy: false,
    items: [], selected: -1 };

  function $(id) { return document.getElementById(id); }

  function status() {
    var state = S.dirty ? "dirty" : (S.unpublished ? "unpublished" : "published");
    $("ps-status").setAttribute("data-state", state);
    $("ps-status").textContent = t("vs.status." + state);
    $("ps-save").disabled = S.busy;
    $("ps-publish").disabled = S.busy;
  }

  function message(kind, text) {
    var box = $("ps-message");
    box.className = "alert " + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.textContent = text;
    box.hidden = false;
  }

  function renderList() {
    var list = $("ps-list");
    list.textContent = "";
    S.items.forEach(function (item, i) {
      var b = K.el("button", { type: "button", "class": "link-button", "data-testid": "ps-item",
        text: (item.name || t("print.settings.untitled")) + " (" + t("print.settings.target." + item.target) + "・" +
          t("print.orientation." + item.orientation) + ")" });
      if (i === S.selected) b.setAttribute("aria-current", "true");
      b.addEventListener("click", function () { S.selected = i; renderList(); renderEditor(); });
      var li = document.createElement("li");
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function renderEditor() {
    var item = S.items[S.selected];
    $("ps-editor").hidden = !item;
    $("ps-error").hidden = true;
    if (!item) return;
    $("ps-name").value = item.name;
    $("ps-target").value = item.target;
    $("ps-orientation").value = item.orientation;
    $("ps-source").value = item.source;
  }

  function edited() {
    var item = S.items[S.selected];
    if (!item) return;
    item.name = $("ps-name").value;
    item.target = $("ps-target").value;
    item.orientation = $("ps-orientation").value;
    item.source = $("ps-source").value;
    S.dirty = true;
    status();
    renderList();
  }

  function showErrors(err) {
    var lines = [];
    Object.keys((err && err.errors) || {}).forEach(function (key) {
      var m = /^printTemplates\[(\d+)\]/.exec(key);
      var msgs = (err.errors[key] || {}).messages || [];
      if (m && Number(m[1]) !== S.selected) { S.selected = Number(m[1]); renderList(); renderEditor(); }
      msgs.forEach(function (x) { lines.push(x); });
    });
    var text = lines.length ? lines.join(" / ") : ((err && err.message) || "");
    $("ps-error").textContent = text;
    $("ps-error").hidden = false;
    message("error", t("vs.save.failed"));
  }

  function save() {
    S.busy = true; status();
    var body = { app: APP, printTemplates: S.items.map(function (x) {
      return { id: x.id || undefined, name: x.name, target: x.target, orientation: x.orientation, source: x.source };
    }) };
    if (S.revision) body.revision = S.revision;
    return K.api("PUT", "preview/app/printTemplates.json", body).then(function (r) {
      S.busy = false;
      if (r && r.revision) S.revision = r.revision;
      (r.printTemplates || []).forEach(function (x, i) { if (S.items[i]) S.items[i].id = x.id; });
      S.dirty = false; S.unpublished = true;
      status(); renderList();
      $("ps-error").hidden = true;
      message("ok", t("vs.save.done"));
      return true;
    }, function (err) {
      S.busy = false; status();
      if (err && err.code === "GAIA_CO02") { message("error", t("vs.save.conflict")); return false; }
      showErrors(err);
      return false;
    });
  }

  function preview() {
    var item = S.items[S.selected];
    if (!item) return;
    (S.dirty || !item.id ? save() : Promise.resolve(true)).then(function (ok) {
      if (!ok || !item.id) return;
      var q = "?template=" + encodeURIComponent(item.id) + "&preview=1";
      var rid = $("ps-record").value.trim();
      var url = item.target === "record" ? "/apps/" + APP + "/records/" + encodeURIComponent(rid || "0") + "/print" + q
        : "/apps/" + APP + "/print" + q;
      window.open(url, "_blank");
    });
  }

  function publish() {
    if (S.busy) return;
    (S.dirty ? save() : Promise.resolve(true)).then(function (ok) {
      if (!ok) return;
      S.busy = true; status();
      message("info", t("vs.publish.running"));
      return K.deploy(APP, S.revision).then(function (st) {
        S.busy = false;
        if (st !== "SUCCESS") { message("error", t("vs.publish.failed")); status(); return; }
        S.unpublished = false; status();
        message("ok", t("print.settings.published"));
      }, function (err) {
        S.busy = false; status();
        message("error", t("vs.publish.failed") + " " + ((err && err.message) || ""));
      });
    });
  }

  ["ps-name", "ps-target", "ps-source"].forEach(function (id) { $(id).addEventListener("input", edited); });
  $("ps-target").addEventListener("change", edited);
  $("ps-orientation").addEventListener("change", edited);
  $("ps-save").addEventListener("click", function () { if (!S.busy) save(); });
  $("ps-publish").addEventListener("click", publish);
  $("ps-preview").addEventListener("click", preview);
  $("ps-add").addEventListener("click", function () {
    S.items.push({ id: null, name: t("print.settings.new_name"), target: "record", orientation: "portrait", source: "<h1>{{app.name}}</h1>\n" });
    S.selected = S.items.length - 1;
    S.dirty = true; status(); renderList(); renderEditor();
  });
  $("ps-delete").addEventListener("click", function () {
    if (S.selected < 0) return;
    S.items.splice(S.selected, 1);
    S.selected = S.items.length ? 0 : -1;
    S.dirty = true; status(); renderList(); renderEditor();
  });

  K.api("GET", "preview/app/printTemplates.json?app=" + encodeURIComponent(APP)).then(function (r) {
    if (r && r.revision) S.revision = r.revision;
    S.items = (r.printTemplates || []).map(function (x) {
      return { id: x.id, name: x.name || "", target: x.target || "record", orientation: x.orientation || "portrait",
        source: x.source || "" };
    });
    S.selected = S.items.length ? 0 : -1;
    status(); renderList(); renderEditor();
  }, function (err) { message("error", (err && err.message) || ""); });
})();
