// App notification settings (/apps/{id}/notifications, kintone's 通知): the general rules (who is
// told of which events), per-record conditions and reminders, read from and saved to the pre-live
// settings (`preview/app/notifications/{general,perRecord,reminder}.json`), then published with
// `preview/app/deploy.json` like the other settings pages. Entities are picked by name
// (entity_picker.js); conditions are kintone queries, checked by the server on save.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {}, P = window.KUMIKI_PICKER;
  var APP = String(page.app || "");
  var EVENTS = ["recordAdded", "recordEdited", "commentAdded", "statusChanged", "fileImported"];
  var ENTITY_TYPES = { USER_SELECT: 1, ORGANIZATION_SELECT: 1, GROUP_SELECT: 1, CREATOR: 1, MODIFIER: 1 };
  var DATE_TYPES = { DATE: 1, DATETIME: 1, CREATED_TIME: 1, UPDATED_TIME: 1 };
  var S = { general: [], commenter: false, records: [], reminders: [], timezone: "", revision: page.previewRevision, live: page.liveRevision, fields: [], dateFields: [] };

  function $(id) { return document.getElementById(id); }

  function message(kind, text) {
    var box = $("ns-message");
    box.className = "alert " + kind;
    box.textContent = text;
    box.hidden = false;
  }

  function showErrors(err) {
    var box = $("ns-errors");
    box.textContent = "";
    var errors = (err && err.errors) || {};
    var keys = Object.keys(errors);
    if (!keys.length) box.appendChild(el("p", { text: (err && err.message) || t("notify.settings.error") }));
    keys.forEach(function (k) {
      ((errors[k] && errors[k].messages) || []).forEach(function (m) { box.appendChild(el("p", { text: k + ": " + m })); });
    });
    box.hidden = false;
  }

  function status() {
    var state = !S.live ? "new" : S.live !== S.revision ? "unpublished" : "published";
    $("ns-status").textContent = t("general.status." + state);
  }

  // ---- General rules ----------------------------------------------------------------------------
  function drawGeneral() {
    var body = $("ns-general-rows");
    body.textContent = "";
    S.general.forEach(function (rule, i) {
      var cells = [el("td", {}, [el("span", { class: "ent-picker-chip-kind", text: P.kindLabel(rule.entity.type) + " " }),
        el("span", { "data-testid": "ns-general-" + i + "-name", text: P.label(rule.entity, S.fields) })])];
      EVENTS.forEach(function (ev) {
        var box = el("input", { type: "checkbox", "data-testid": "ns-general-" + i + "-" + ev, "aria-label": t("notify.settings.ev." + ev) });
        box.checked = !!rule[ev];
        box.addEventListener("change", function () { rule[ev] = box.checked; });
        cells.push(el("td", {}, [box]));
      });
      cells.push(el("td", { class: "rule-row-actions" }, [el("button", { type: "button", class: "link-button", "data-testid": "ns-general-" + i + "-remove",
        text: t("notify.settings.remove"), onclick: function () { S.general.splice(i, 1); drawGeneral(); } })]));
      body.appendChild(el("tr", { "data-testid": "ns-general-row" }, cells));
    });
  }

  function addGeneral(entry) {
    var rule = { entity: entry.entity, includeSubs: entry.includeSubs };
    EVENTS.forEach(function (ev) { rule[ev] = ev !== "fileImported"; });
    S.general.push(rule);
    drawGeneral();
  }

  // ---- Per-record conditions and reminders ---------------------------------------------------------
  function targetsEditor(rule, id) {
    var wrap = el("div", { class: "stack" });
    function draw() {
      wrap.textContent = "";
      wrap.appendChild(P.chips(rule.targets, id + "-targets", S.fields, draw));
      wrap.appendChild(P.create({ id: id + "-picker", kinds: ["USER", "ORGANIZATION", "GROUP", "FIELD_ENTITY"], fields: S.fields,
        onPick: function (entry) { rule.targets.push(entry); draw(); } }));
    }
    draw();
    return wrap;
  }

  function textField(label, value, testid, onInput, attrs) {
    var input = el("input", Object.assign({ value: value || "", "data-testid": testid }, attrs || {}));
    input.addEventListener("input", function () { onInput(input.value); });
    return el("label", { class: "field" }, [el("span", { class: "label", text: label }), input]);
  }

  function drawRecords() {
    var box = $("ns-record-rules");
    box.textContent = "";
    S.records.forEach(function (rule, i) {
      var id = "ns-record-" + i;
      box.appendChild(el("div", { class: "card stack", "data-testid": id }, [
        textField(t("notify.settings.condition"), rule.filterCond, id + "-cond", function (v) { rule.filterCond = v; }, { placeholder: t("notify.settings.condition_placeholder") }),
        textField(t("notify.settings.rule_title"), rule.title, id + "-title", function (v) { rule.title = v; }, { maxlength: "200" }),
        el("span", { class: "label", text: t("notify.settings.targets") }), targetsEditor(rule, id),
        el("button", { type: "button", class: "link-button", "data-testid": id + "-remove", text: t("notify.settings.remove"), onclick: function () { S.records.splice(i, 1); drawRecords(); } })
      ]));
    });
  }

  function drawReminders() {
    var box = $("ns-reminder-rules");
    box.textContent = "";
    S.reminders.forEach(function (rule, i) {
      var id = "ns-reminder-" + i;
      var sel = el("select", { "data-testid": id + "-field" }, S.dateFields.map(function (f) {
        var o = el("option", { value: f.code, text: f.label || f.code });
        if (f.code === rule.timing.code) o.selected = true;
        return o;
      }));
      if (!rule.timing.code && S.dateFields.length) rule.timing.code = S.dateFields[0].code;
      sel.addEventListener("change", function () { rule.timing.code = sel.value; });
      box.appendChild(el("div", { class: "card stack", "data-testid": id }, [
        el("label", { class: "field" }, [el("span", { class: "label", text: t("notify.settings.timing_field") }), sel]),
        textField(t("notify.settings.days_later"), String(rule.timing.daysLater || "0"), id + "-days", function (v) { rule.timing.daysLater = v; }, { inputmode: "numeric" }),
        textField(t("notify.settings.time"), rule.timing.time || "", id + "-time", function (v) { rule.timing.time = v; delete rule.timing.hoursLater; }, { placeholder: "09:00" }),
        textField(t("notify.settings.condition"), rule.filterCond, id + "-cond", function (v) { rule.filterCond = v; }, { placeholder: t("notify.settings.condition_placeholder") }),
        textField(t("notify.settings.rule_title"), rule.title, id + "-title", function (v) { rule.title = v; }, { maxlength: "200" }),
        el("span", { class: "label", text: t("notify.settings.targets") }), targetsEditor(rule, id),
        el("button", { type: "button", class: "link-button", "data-testid": id + "-remove", text: t("notify.settings.remove"), onclick: function () { S.reminders.splice(i, 1); drawReminders(); } })
      ]));
    });
  }

  // ---- Load, save, publish ---------------------------------------------------------------------------
  function load() {
    var q = "?app=" + encodeURIComponent(APP);
    return Promise.all([
      K.api("GET", "preview/app/form/fields.json" + q),
      K.api("GET", "preview/app/notifications/general.json" + q),
      K.api("GET", "preview/app/notifications/perRecord.json" + q),
      K.api("GET", "preview/app/notifications/reminder.json" + q),
      P.load()
    ]).then(function (r) {
      var props = r[0].properties || {};
      S.fields = []; S.dateFields = [];
      Object.keys(props).forEach(function (code) {
        var p = props[code];
        if (ENTITY_TYPES[p.type]) S.fields.push({ code: code, label: p.label });
        if (DATE_TYPES[p.type]) S.dateFields.push({ code: code, label: p.label });
      });
      S.general = r[1].notifications || [];
      S.commenter = !!r[1].notifyToCommenter;
      S.records = r[2].notifications || [];
      S.reminders = r[3].notifications || [];
      S.timezone = r[3].timezone || "";
      S.revision = r[3].revision;
      $("ns-commenter").checked = S.commenter;
      $("ns-timezone").value = S.timezone;
      drawGeneral(); drawRecords(); drawReminders(); status();
      $("ns-loading").hidden = true;
      $("ns-workspace").hidden = false;
    }, function (e) { showErrors(e); });
  }

  function save() {
    $("ns-errors").hidden = true;
    var base = { app: APP };
    function put(path, body) { return K.api("PUT", "preview/app/notifications/" + path, Object.assign({}, base, body)); }
    return put("general.json", { notifications: S.general, notifyToCommenter: $("ns-commenter").checked })
      .then(function () { return put("perRecord.json", { notifications: S.records }); })
      .then(function () { return put("reminder.json", { notifications: S.reminders, timezone: $("ns-timezone").value.trim() || undefined }); })
      .then(function (r) { S.revision = r.revision; status(); message("info", t("notify.settings.saved")); return true; },
        function (e) { showErrors(e); return false; });
  }

  $("ns-save").addEventListener("click", function () { save(); });
  $("ns-publish").addEventListener("click", function () {
    save().then(function (ok) {
      if (!ok) return;
      return K.deploy(APP, S.revision).then(function (st) {
        if (st === "SUCCESS") { S.live = S.revision; status(); message("info", t("notify.settings.published")); }
        else message("error", t("notify.settings.publish_failed"));
      }, function (e) { showErrors(e); });
    });
  });
  $("ns-record-add").addEventListener("click", function () { S.records.push({ filterCond: "", title: "", targets: [] }); drawRecords(); });
  $("ns-reminder-add").addEventListener("click", function () {
    S.reminders.push({ timing: { code: "", daysLater: "0", time: "09:00" }, filterCond: "", title: "", targets: [] });
    drawReminders();
  });
  load().then(function () {
    $("ns-general-picker").appendChild(P.create({ id: "ns-general-picker-box", kinds: ["USER", "ORGANIZATION", "GROUP", "FIELD_ENTITY"], fields: S.fields, onPick: addGeneral }));
  });
})();
