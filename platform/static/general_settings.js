// General settings (/apps/{id}/general): name, description, icon, record title field, default view,
// app code and (administrators) "require review", read from and saved to the pre-live settings
// (`preview/app/settings.json`), then published with `preview/app/deploy.json` like the other
// settings pages. The title field and default view are chosen from the pre-live form and views.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  // Field types that may title a record (the server checks the same list).
  var TITLE_TYPES = { SINGLE_LINE_TEXT: 1, NUMBER: 1, CALC: 1, LINK: 1, RECORD_NUMBER: 1 };

  var S = {
    revision: page.previewRevision || null,
    live: page.liveRevision || null,
    saved: null,        // the settings as last loaded or saved (to tell unsaved changes)
    busy: false,
    autoTitle: ""       // the field AUTO resolves to
  };

  function $(id) { return document.getElementById(id); }

  // ---- State and messages ---------------------------------------------------------------------------------
  /** What the form would save, in the API's shape. */
  function current() {
    var checked = document.querySelector("input[name=icon]:checked");
    var manual = $("g-title-manual").checked;
    var out = {
      name: $("g-name").value.trim(),
      description: $("g-description").value,
      icon: { type: "PRESET", key: checked ? checked.value : S.iconKey },
      titleField: { selectionMode: manual ? "MANUAL" : "AUTO", code: manual ? $("g-title-field").value : "" },
      defaultView: $("g-default-view").value,
      code: $("g-code").value.trim(),
      auditRecordViews: $("g-audit-views").checked
    };
    if (page.isAdmin) out.requireReview = $("g-review").checked;
    return out;
  }

  function dirty() { return !!S.saved && JSON.stringify(current()) !== JSON.stringify(S.saved); }

  function renderStatus() {
    // A never-published app has nothing "unpublished" to warn about: it is simply not live yet.
    var state = dirty() ? "dirty" : !S.live ? "new" : S.live !== S.revision ? "unpublished" : "published";
    var box = $("g-status");
    box.setAttribute("data-state", state);
    box.textContent = t("general.status." + state);
    $("g-publish").disabled = S.busy;
    $("g-save").disabled = S.busy;
    $("g-title-field").disabled = !$("g-title-manual").checked;
  }

  function message(kind, text, extra) {
    var box = $("g-message");
    box.className = "alert " + kind;
    box.textContent = text;
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
    box.hidden = false;
  }

  var ERROR_BOXES = { name: "g-name-error", icon: "g-icon-error", titleField: "g-title-error", defaultView: "g-view-error", code: "g-code-error" };

  function clearErrors() {
    Object.keys(ERROR_BOXES).forEach(function (k) { $(ERROR_BOXES[k]).textContent = ""; });
    $("g-errors").hidden = true;
    $("g-errors").textContent = "";
  }

  /** Puts each server message beside its control; the rest in the box above the form. */
  function showErrors(err) {
    clearErrors();
    var rest = [];
    var errors = (err && err.errors) || {};
    Object.keys(errors).forEach(function (key) {
      var box = ERROR_BOXES[key.split(".")[0]];
      ((errors[key] && errors[key].messages) || []).forEach(function (m) {
        if (box) $(box).textContent = ($(box).textContent ? $(box).textContent + " " : "") + m; else rest.push(m);
      });
    });
    if (!Object.keys(errors).length) rest.push((err && err.message) || t("general.error"));
    rest.forEach(function (m) { $("g-errors").appendChild(el("div", { text: m })); });
    $("g-errors").hidden = !rest.length;
  }

  // ---- Filling the form -----------------------------------------------------------------------------------------
  function fill(settings, fields, views) {
    $("g-name").value = settings.name || "";
    $("g-description").value = settings.description || "";
    $("g-code").value = settings.code || "";
    $("g-review").checked = !!settings.requireReview;
    $("g-audit-views").checked = !!settings.auditRecordViews;
    S.iconKey = (settings.icon && settings.icon.key) || "";
    document.querySelectorAll("input[name=icon]").forEach(function (r) { r.checked = r.value === S.iconKey; });

    var title = settings.titleField || { selectionMode: "AUTO", code: "" };
    S.autoTitle = title.selectionMode === "AUTO" ? (title.code || "") : S.autoTitle;
    var select = $("g-title-field");
    select.textContent = "";
    var candidates = Object.keys(fields).map(function (c) { return fields[c]; })
      .filter(function (f) { return TITLE_TYPES[f.type]; });
    candidates.forEach(function (f) {
      select.appendChild(el("option", { value: f.code, text: (f.label || f.code) + (f.label && f.label !== f.code ? " (" + f.code + ")" : "") }));
    });
    var manual = title.selectionMode === "MANUAL";
    $("g-title-manual").checked = manual;
    $("g-title-auto").checked = !manual;
    // While automatic, the (disabled) list shows the field in use.
    select.value = manual ? title.code : S.autoTitle;
    var auto = fields[S.autoTitle];
    $("g-title-auto-label").textContent = auto ? t("general.title_auto_field", { field: auto.label || auto.code }) : t("general.title_auto");
    if (!candidates.length) $("g-title-manual").disabled = true;

    var list = Object.keys(views).map(function (n) { return views[n]; })
      .sort(function (a, b) { return Number(a.index || 0) - Number(b.index || 0); });
    var vs = $("g-default-view");
    vs.textContent = "";
    vs.appendChild(el("option", { value: "", text: t("general.default_view_first") }));
    list.forEach(function (v) { vs.appendChild(el("option", { value: String(v.id), text: v.name })); });
    vs.value = settings.defaultView ? String(settings.defaultView) : "";
    if (vs.value !== String(settings.defaultView || "")) vs.value = "";

    S.saved = current();
    renderStatus();
  }

  function load() {
    var q = "?app=" + encodeURIComponent(APP);
    return Promise.all([
      K.api("GET", "preview/app/settings.json" + q),
      K.api("GET", "preview/app/form/fields.json" + q),
      K.api("GET", "preview/app/views.json" + q)
    ]).then(function (r) {
      S.revision = r[0].revision || S.revision;
      S.fields = r[1].properties || {};
      S.views = r[2].views || {};
      fill(r[0], S.fields, S.views);
      $("g-loading").hidden = true;
      $("g-form").hidden = false;
    }, function (err) {
      $("g-loading").hidden = true;
      message("error", t("general.load_failed") + " " + ((err && err.message) || ""));
    });
  }

  // ---- Saving and publishing ------------------------------------------------------------------------------------
  /** Saves the form to the pre-live settings; resolves to true when saved (or nothing to save). */
  function save() {
    if (!dirty()) return Promise.resolve(true);
    var body = current();
    if (!body.name) {
      $("g-name-error").textContent = t("general.name_required");
      $("g-name").focus();
      return Promise.resolve(false);
    }
    body.app = APP;
    if (S.revision) body.revision = S.revision;
    S.busy = true; renderStatus();
    return K.api("PUT", "preview/app/settings.json", body).then(function (r) {
      S.busy = false;
      if (r && r.revision) S.revision = r.revision;
      clearErrors();
      return K.api("GET", "preview/app/settings.json?app=" + encodeURIComponent(APP)).then(function (fresh) {
        fill(fresh, S.fields, S.views);
        $("g-head-icon").src = "/static/app-icons/" + iconFile(fresh.icon && fresh.icon.key) + ".svg";
        message("ok", t("general.saved"));
        return true;
      });
    }, function (err) {
      S.busy = false;
      renderStatus();
      showErrors(err);
      message("error", err && err.code === "GAIA_CO02" ? t("general.conflict") : t("general.save_failed"));
      return false;
    });
  }

  function iconFile(key) {
    // kintone's preset keys (APP72, ...) have no bundled picture: they show the default icon.
    return key && document.querySelector("input[name=icon][value=\"" + CSS.escape(key) + "\"]") ? key : "app";
  }

  function publish() {
    if (S.busy) return;
    save().then(function (ok) {
      if (!ok) return;
      S.busy = true; renderStatus();
      message("info", t("general.publish_running"));
      return K.deploy(APP, S.revision)
        .then(function (status) {
          S.busy = false;
          if (status !== "SUCCESS") { renderStatus(); message("error", t("general.publish_failed")); return; }
          S.live = S.revision;
          renderStatus();
          message("ok", t("general.published"), el("a", { href: "/apps/" + APP, "data-testid": "general-open-app", text: t("general.open_app") }));
        }, function (err) {
          S.busy = false;
          renderStatus();
          if (err && err.code === "GAIA_RV01") {
            message("error", t("general.publish_review"),
              el("a", { href: "/apps/" + APP + "/review", "data-testid": "general-review-link", text: t("general.open_review") }));
            return;
          }
          var details = [];
          Object.keys((err && err.errors) || {}).forEach(function (k) {
            ((err.errors[k] || {}).messages || []).forEach(function (m) { details.push(m); });
          });
          message("error", t("general.publish_failed") + " " + ((err && err.message) || "") + (details.length ? " " + details.join(" / ") : ""));
        });
    });
  }

  function start() {
    var form = $("g-form");
    form.addEventListener("submit", function (e) { e.preventDefault(); if (!S.busy) save(); });
    form.addEventListener("input", renderStatus);
    form.addEventListener("change", renderStatus);
    $("g-title-manual").addEventListener("change", function () { renderStatus(); $("g-title-field").focus(); });
    $("g-publish").addEventListener("click", publish);
    window.addEventListener("beforeunload", function (e) {
      if (dirty()) { e.preventDefault(); e.returnValue = ""; }
    });
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
