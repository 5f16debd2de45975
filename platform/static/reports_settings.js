// Chart settings (/apps/{id}/charts, kintone's グラフの設定, issue 16): the app's charts in order (↑/↓),
// and for the chosen chart its name, type, mode, up to 3 groups (a date unit for date fields), up to 5
// aggregations, the filter condition, the sort and the periodic report (定期レポート: interval and the
// members it needs; other members of `periodicReport` kept as sent). Saved pre-live with `preview/app/reports.json` (the
// server checks every chart and names the member at fault), published with `preview/app/deploy.json`
// like the other settings pages.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var TYPES = ["COLUMN", "BAR", "PIE", "LINE", "AREA", "SPLINE", "SPLINE_AREA", "TABLE", "PIVOT_TABLE"];
  var MODES = ["NORMAL", "STACKED", "PERCENTAGE"];
  var AGGS = ["COUNT", "SUM", "AVERAGE", "MAX", "MIN"];
  // The field types a chart can group by (the engine's text-indexed types) and aggregate over.
  var GROUPABLE = { SINGLE_LINE_TEXT: 1, LINK: 1, RADIO_BUTTON: 1, CHECK_BOX: 1, MULTI_SELECT: 1, DROP_DOWN: 1, DATE: 1, TIME: 1,
    DATETIME: 1, USER_SELECT: 1, ORGANIZATION_SELECT: 1, GROUP_SELECT: 1, CREATOR: 1, MODIFIER: 1, CREATED_TIME: 1, UPDATED_TIME: 1,
    STATUS: 1, STATUS_ASSIGNEE: 1 };
  var NUMERIC = { NUMBER: 1, CALC: 1 };
  var DATE_PER = ["YEAR", "QUARTER", "MONTH", "WEEK", "DAY"];
  var DATETIME_PER = DATE_PER.concat(["HOUR", "MINUTE"]);
  var DATETIME = { DATETIME: 1, CREATED_TIME: 1, UPDATED_TIME: 1 };
  var EDITED = ["id", "name", "index", "chartType", "chartMode", "groups", "aggregations", "filterCond", "sorts"];

  var S = { revision: page.previewRevision || null, unpublished: !!page.unpublished, dirty: false, busy: false,
    groupable: [], numeric: [], byCode: {}, charts: [], selected: 0, seq: 0, errors: {} };

  function $(id) { return document.getElementById(id); }

  var L = window.KUMIKI_SETTINGS_LIST({ S: S, app: APP, prefix: "cs", kind: "reports", list: "charts",
    // reports.<name>.<member>; a name may hold dots, so the member is matched from the end.
    member: function (key) { return /^reports\.(.+)\.(name|chartType|chartMode|groups.*|aggregations.*|filterCond|sorts.*|periodicReport.*)$/.exec(key); },
    payload: payload, loadFields: loadFields, fromServer: fromServer, renderList: renderList, renderEditor: renderEditor,
    published: function () {
      renderEditor();
      var c = current();
      message("ok", t("cs.publish.done"), c && c.id
        ? el("a", { href: "/apps/" + APP + "/reports/" + c.id, "data-testid": "cs-open-chart", text: t("cs.open") })
        : el("a", { href: "/apps/" + APP, "data-testid": "cs-open-app", text: t("vs.open_app") }));
    } });
  var renderStatus = L.renderStatus, message = L.message, changed = L.changed, save = L.save, publish = L.publish, load = L.load;

  // ---- Fields (top-level and in subtables, as the engine allows) ------------------------------------------
  function loadFields(props) {
    var all = [];
    R.dataFields(props).forEach(function (p) {
      if (p.type === "SUBTABLE") {
        Object.keys(p.fields || {}).forEach(function (c) {
          var f = p.fields[c];
          all.push({ code: f.code || c, type: f.type, label: (f.label || f.code || c) + " (" + (p.label || p.code) + ")" });
        });
      } else all.push({ code: p.code, type: p.type, label: p.label || p.code });
    });
    S.byCode = {};
    all.forEach(function (f) { S.byCode[f.code] = f; });
    S.groupable = all.filter(function (f) { return GROUPABLE[f.type]; });
    S.numeric = all.filter(function (f) { return NUMERIC[f.type]; });
  }

  function perChoices(code) {
    var f = S.byCode[code];
    if (!f) return [];
    if (DATETIME[f.type]) return DATETIME_PER;
    return f.type === "DATE" ? DATE_PER : [];
  }

  // ---- Charts ----------------------------------------------------------------------------------------------
  function fromServer(v) {
    var extra = {};
    Object.keys(v).forEach(function (k) { if (EDITED.indexOf(k) < 0) extra[k] = v[k]; });
    return { uid: ++S.seq, id: v.id || null, name: v.name || "", chartType: v.chartType || "COLUMN", chartMode: v.chartMode || "NORMAL",
      groups: (v.groups || []).map(function (g) { return { code: g.code || "", per: g.per || "" }; }),
      aggregations: (v.aggregations || []).map(function (a) { return { type: a.type || "COUNT", code: a.code || "" }; }),
      filterCond: v.filterCond || "", sorts: (v.sorts || []).map(function (s) { return { by: s.by || "TOTAL", order: s.order || "DESC" }; }),
      extra: extra };
  }

  function newChart() {
    var n = S.charts.length + 1, name = t("cs.new_name", { n: n });
    while (S.charts.some(function (c) { return c.name === name; })) name = t("cs.new_name", { n: ++n });
    var first = S.groupable.filter(function (f) { return f.type === "DROP_DOWN" || f.type === "STATUS" || f.type === "RADIO_BUTTON"; })[0] || S.groupable[0];
    var group = first ? { code: first.code, per: perChoices(first.code).length ? "MONTH" : "" } : { code: "", per: "" };
    return { uid: ++S.seq, id: null, name: name, chartType: "COLUMN", chartMode: "NORMAL", groups: [group],
      aggregations: [{ type: "COUNT", code: "" }], filterCond: "", sorts: [], extra: {} };
  }

  function current() { return S.charts[S.selected] || null; }

  function smallButton(testid, text, aria, disabled, onclick) {
    return el("button", { type: "button", class: "button small", "data-testid": testid, "aria-label": aria, title: aria, text: text,
      disabled: disabled ? true : null, onclick: onclick });
  }

  function renderList() {
    var list = $("cs-list");
    list.textContent = "";
    if (!S.charts.length) list.appendChild(el("li", { class: "muted vs-empty", "data-testid": "cs-list-empty", text: t("cs.list.empty") }));
    S.charts.forEach(function (c, i) {
      var id = "cs-chart-" + i, chosen = i === S.selected;
      var select = el("button", { type: "button", class: "vs-view-select", "data-testid": id, "aria-current": chosen ? "true" : null,
        onclick: function () { S.selected = i; renderList(); renderEditor(); } }, [
        el("span", { class: "vs-view-name", text: c.name || t("vs.unnamed") }),
        el("span", { class: "vs-badge", text: t("charts.type." + c.chartType) })
      ]);
      var move = function (to) {
        if (to < 0 || to >= S.charts.length) return;
        var sel = current(), item = S.charts.splice(i, 1)[0];
        S.charts.splice(to, 0, item);
        S.selected = S.charts.indexOf(sel);
        changed(); renderList();
      };
      list.appendChild(el("li", { class: "vs-view" + (chosen ? " vs-selected" : "") + (S.errors[c.uid] ? " vs-has-error" : ""), "data-uid": String(c.uid) }, [
        select,
        el("span", { class: "vs-row-buttons" }, [
          smallButton(id + "-up", "↑", t("cs.up", { name: c.name }), i === 0, function () { move(i - 1); }),
          smallButton(id + "-down", "↓", t("cs.down", { name: c.name }), i === S.charts.length - 1, function () { move(i + 1); })
        ])
      ]));
    });
  }

  // ---- The editor ------------------------------------------------------------------------------------------
  function errorsOf(c, member) {
    var e = S.errors[c.uid] || {}, out = [];
    Object.keys(e).forEach(function (k) { if (k === member || k.indexOf(member + "[") === 0 || k.indexOf(member + ".") === 0) out = out.concat(e[k]); });
    return out;
  }
  function errorBox(c, member) {
    var list = errorsOf(c, member);
    if (!list.length) return null;
    return el("div", { class: "field-error", role: "alert", "data-testid": "cs-error-" + member }, list.map(function (m) { return el("div", { text: m }); }));
  }
  function section(title, help, children, testid) {
    return el("fieldset", { class: "vs-section", "data-testid": testid || null }, [el("legend", { text: title }),
      help ? el("p", { class: "help", text: help }) : null].concat(children));
  }
  function select(id, label, choices, value, onchange) {
    var s = el("select", { id: id, "data-testid": id, "aria-label": label }, choices.map(function (ch) {
      return el("option", { value: ch.value, selected: ch.value === value ? true : null, text: ch.text });
    }));
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }
  function fieldChoices(list, value) {
    var out = list.map(function (f) { return { value: f.code, text: f.label }; });
    if (value && !S.byCode[value]) out.unshift({ value: value, text: value });
    if (!value) out.unshift({ value: "", text: t("cs.choose_field") });
    return out;
  }

  function renderEditor() {
    var body = $("cs-editor-body");
    body.textContent = "";
    var c = current();
    $("cs-editor").hidden = !c;
    if (!c) return;
    var redraw = function () { changed(); renderEditor(); };
    var general = errorsOf(c, "");
    var name = el("input", { id: "cs-name", "data-testid": "cs-name", maxlength: "64", value: c.name, required: true });
    name.addEventListener("input", function () {
      c.name = name.value; changed();
      var shown = $("cs-list").querySelector("[data-uid='" + c.uid + "'] .vs-view-name");
      if (shown) shown.textContent = c.name || t("vs.unnamed");
    });
    var type = select("cs-type", t("cs.type"), TYPES.map(function (k) { return { value: k, text: t("charts.type." + k) }; }), c.chartType,
      function (v) { c.chartType = v; changed(); renderList(); renderEditor(); });
    var mode = select("cs-mode", t("cs.mode"), MODES.map(function (k) { return { value: k, text: t("charts.mode." + k) }; }), c.chartMode,
      function (v) { c.chartMode = v; changed(); });
    var stackable = ["BAR", "COLUMN", "LINE", "AREA", "SPLINE", "SPLINE_AREA"].indexOf(c.chartType) >= 0;
    body.appendChild(el("div", { class: "cs-basics" }, [
      general.length ? el("div", { class: "alert error", role: "alert" }, general.map(function (m) { return el("div", { text: m }); })) : null,
      el("label", { for: "cs-name", text: t("cs.name") }), name, errorBox(c, "name"),
      el("label", { for: "cs-type", text: t("cs.type") }), type, errorBox(c, "chartType"),
      stackable ? el("label", { for: "cs-mode", text: t("cs.mode") }) : null, stackable ? mode : null
    ]));

    // Groups (分類する項目).
    var groups = el("ol", { class: "vs-sort-list", "data-testid": "cs-groups" });
    c.groups.forEach(function (g, i) {
      var pers = perChoices(g.code);
      var field = select("cs-group-" + i, t("cs.group_n", { n: i + 1 }), fieldChoices(S.groupable, g.code), g.code, function (v) {
        g.code = v;
        var p = perChoices(v);
        g.per = p.length ? (p.indexOf(g.per) >= 0 ? g.per : "MONTH") : "";
        redraw();
      });
      var per = pers.length ? select("cs-group-" + i + "-per", t("cs.per"), pers.map(function (k) { return { value: k, text: t("cs.per." + k) }; }), g.per || "DAY",
        function (v) { g.per = v; changed(); }) : null;
      groups.appendChild(el("li", { class: "vs-sort-row" }, [el("span", { class: "muted", text: t("cs.group_n", { n: i + 1 }) }), field, per,
        smallButton("cs-group-" + i + "-remove", "×", t("cs.remove"), c.groups.length <= 1, function () {
          c.groups.splice(i, 1);
          c.sorts = c.sorts.filter(function (s) { return s.by === "TOTAL" || Number(s.by.slice(5)) <= c.groups.length; });
          redraw();
        })]));
    });
    var addGroup = c.groups.length < 3 ? el("button", { type: "button", class: "button small", "data-testid": "cs-group-add", text: t("cs.group_add"),
      onclick: function () { c.groups.push({ code: "", per: "" }); redraw(); } }) : null;
    body.appendChild(section(t("cs.groups"), t("cs.groups_help"), [groups, addGroup, errorBox(c, "groups")], "cs-groups-section"));

    // Aggregations (集計方法).
    var aggs = el("ol", { class: "vs-sort-list", "data-testid": "cs-aggs" });
    c.aggregations.forEach(function (a, i) {
      var kind = select("cs-agg-" + i, t("cs.agg"), AGGS.map(function (k) { return { value: k, text: t("cs.agg." + k) }; }), a.type, function (v) {
        a.type = v;
        if (v !== "COUNT" && !a.code && S.numeric[0]) a.code = S.numeric[0].code;
        redraw();
      });
      var field = a.type === "COUNT" ? null : select("cs-agg-" + i + "-field", t("cs.agg_field"), fieldChoices(S.numeric, a.code), a.code,
        function (v) { a.code = v; changed(); });
      aggs.appendChild(el("li", { class: "vs-sort-row" }, [kind, field,
        smallButton("cs-agg-" + i + "-remove", "×", t("cs.remove"), c.aggregations.length <= 1, function () { c.aggregations.splice(i, 1); redraw(); })]));
    });
    var addAgg = c.aggregations.length < 5 ? el("button", { type: "button", class: "button small", "data-testid": "cs-agg-add", text: t("cs.agg_add"),
      onclick: function () { c.aggregations.push({ type: "COUNT", code: "" }); redraw(); } }) : null;
    body.appendChild(section(t("cs.aggs"), t("cs.aggs_help"), [aggs, addAgg, errorBox(c, "aggregations")], "cs-aggs-section"));

    // Filter (条件) as query text.
    var cond = el("input", { id: "cs-filter", "data-testid": "cs-filter", value: c.filterCond, placeholder: t("cs.filter_placeholder"), class: "vs-cond-text" });
    cond.addEventListener("input", function () { c.filterCond = cond.value; changed(); });
    body.appendChild(section(t("cs.filter"), t("cs.filter_help"), [cond, errorBox(c, "filterCond")], "cs-filter-section"));

    // Sort (ソート).
    var byChoices = [{ value: "TOTAL", text: t("cs.sort.TOTAL") }].concat(c.groups.map(function (g, i) {
      return { value: "GROUP" + (i + 1), text: t("cs.group_n", { n: i + 1 }) };
    }));
    var sorts = el("ol", { class: "vs-sort-list", "data-testid": "cs-sorts" });
    c.sorts.forEach(function (s, i) {
      sorts.appendChild(el("li", { class: "vs-sort-row" }, [
        select("cs-sort-" + i, t("cs.sort_by"), byChoices, s.by, function (v) { s.by = v; changed(); }),
        select("cs-sort-" + i + "-order", t("cs.sort_order"), [{ value: "ASC", text: t("cs.sort.ASC") }, { value: "DESC", text: t("cs.sort.DESC") }], s.order,
          function (v) { s.order = v; changed(); }),
        smallButton("cs-sort-" + i + "-remove", "×", t("cs.remove"), false, function () { c.sorts.splice(i, 1); redraw(); })]));
    });
    var addSort = c.sorts.length < 4 ? el("button", { type: "button", class: "button small", "data-testid": "cs-sort-add", text: t("cs.sort_add"),
      onclick: function () { c.sorts.push({ by: "TOTAL", order: "DESC" }); redraw(); } }) : null;
    body.appendChild(section(t("cs.sort"), t("cs.sort_help"), [
      c.sorts.length ? sorts : el("p", { class: "muted", text: t("cs.sort.none") }), addSort, errorBox(c, "sorts")], "cs-sort-section"));

    body.appendChild(periodicSection(c));

    var links = [];
    if (c.id && !S.unpublished && !S.dirty) links.push(el("a", { href: "/apps/" + APP + "/reports/" + c.id, "data-testid": "cs-open", text: t("cs.open") }));
    body.appendChild(el("div", { class: "cs-actions" }, links.concat([
      el("button", { type: "button", class: "button danger", "data-testid": "cs-delete", text: t("cs.delete"), onclick: function () {
        if (!window.confirm(t("cs.delete.confirm", { name: c.name || t("vs.unnamed") }))) return;
        S.charts.splice(S.selected, 1);
        delete S.errors[c.uid];
        S.selected = Math.max(0, Math.min(S.selected, S.charts.length - 1));
        changed(); renderList(); renderEditor();
        message("info", t("cs.delete.done"));
      } })])));
  }

  // ---- Periodic report (定期レポート): kintone's periodicReport, kept in `extra` as the server sent it ----------
  var EVERY = ["YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR"];
  var WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
  // What each interval needs, filled in when the interval is chosen (the server checks the same members).
  function periodDefaults(every, old) {
    var time = old.time || "09:00", day = old.dayOfMonth || "1";
    if (every === "YEAR") return { every: every, month: old.month && Number(old.month) <= 12 ? String(old.month) : "4", dayOfMonth: day, time: time };
    if (every === "QUARTER") return { every: every, month: old.month && Number(old.month) <= 3 ? String(old.month) : "1", dayOfMonth: day, time: time };
    if (every === "MONTH") return { every: every, dayOfMonth: day, time: time };
    if (every === "WEEK") return { every: every, dayOfWeek: old.dayOfWeek || "MONDAY", time: time };
    if (every === "DAY") return { every: every, time: time };
    return { every: "HOUR", minute: old.minute != null ? String(old.minute) : "0" };
  }
  function range(from, to, text) {
    var out = [];
    for (var i = from; i <= to; i++) out.push({ value: String(i), text: text(i) });
    return out;
  }
  function periodicSection(c) {
    var pr = c.extra.periodicReport && typeof c.extra.periodicReport === "object" ? c.extra.periodicReport : null;
    var active = !!pr && (pr.active === true || pr.active === "true");
    var period = (pr && pr.period) || {};
    var set = function (next, redraw) { c.extra.periodicReport = next; changed(); if (redraw) renderEditor(); };
    var on = el("input", { type: "checkbox", id: "cs-periodic", "data-testid": "cs-periodic", checked: active ? true : null });
    on.addEventListener("change", function () {
      set(on.checked ? { active: true, period: periodDefaults(period.every || "MONTH", period) } : { active: false, period: period }, true);
    });
    var parts = [el("label", { class: "cs-periodic-on", for: "cs-periodic" }, [on, " " + t("cs.periodic.on")])];
    if (active) {
      var every = EVERY.indexOf(period.every) >= 0 ? period.every : "MONTH";
      var update = function (key) {
        return function (v) { var p = {}; Object.keys(period).forEach(function (k) { p[k] = period[k]; }); p[key] = v; set({ active: true, period: p }, false); };
      };
      var row = [select("cs-periodic-every", t("cs.periodic.every"), EVERY.map(function (k) { return { value: k, text: t("cs.periodic.every." + k) }; }), every,
        function (v) { set({ active: true, period: periodDefaults(v, period) }, true); })];
      if (every === "YEAR" || every === "QUARTER") {
        row.push(select("cs-periodic-month", t("cs.periodic.month"), range(1, every === "YEAR" ? 12 : 3, function (i) {
          return t(every === "YEAR" ? "cs.periodic.month_n" : "cs.periodic.quarter_month_n", { n: i }); }), String(period.month || "1"), update("month")));
      }
      if (every === "YEAR" || every === "QUARTER" || every === "MONTH") {
        row.push(select("cs-periodic-day", t("cs.periodic.day"), range(1, 31, function (i) { return t("cs.periodic.day_n", { n: i }); })
          .concat([{ value: "END_OF_MONTH", text: t("cs.periodic.end_of_month") }]), String(period.dayOfMonth || "1"), update("dayOfMonth")));
      }
      if (every === "WEEK") {
        row.push(select("cs-periodic-weekday", t("cs.periodic.weekday"), WEEKDAYS.map(function (k) { return { value: k, text: t("cs.periodic.weekday." + k) }; }),
          period.dayOfWeek || "MONDAY", update("dayOfWeek")));
      }
      if (every === "HOUR") {
        row.push(select("cs-periodic-minute", t("cs.periodic.minute"), range(0, 59, function (i) { return t("cs.periodic.minute_n", { n: i }); }),
          String(period.minute != null ? period.minute : "0"), update("minute")));
      } else {
        var time = el("input", { type: "time", id: "cs-periodic-time", "data-testid": "cs-periodic-time", "aria-label": t("cs.periodic.time"), value: period.time || "09:00" });
        time.addEventListener("change", function () { update("time")(time.value); });
        row.push(time);
      }
      parts.push(el("div", { class: "vs-sort-row cs-periodic-row" }, row));
    }
    parts.push(errorBox(c, "periodicReport"));
    return section(t("cs.periodic"), t("cs.periodic_help"), parts, "cs-periodic-section");
  }

  // ---- What is saved (settings_list.js saves, publishes and loads) ----------------------------------------
  function payload() {
    var out = {};
    S.charts.forEach(function (c, i) {
      var body = {};
      Object.keys(c.extra).forEach(function (k) { body[k] = c.extra[k]; });
      body.name = c.name.trim(); body.index = String(i);
      if (c.id) body.id = c.id;
      body.chartType = c.chartType; body.chartMode = c.chartMode;
      body.groups = c.groups.map(function (g) { var x = { code: g.code }; if (perChoices(g.code).length) x.per = g.per || "DAY"; return x; });
      body.aggregations = c.aggregations.map(function (a) { return a.type === "COUNT" ? { type: "COUNT" } : { type: a.type, code: a.code }; });
      body.filterCond = (c.filterCond || "").trim();
      body.sorts = c.sorts.map(function (s) { return { by: s.by, order: s.order }; });
      out[body.name] = body;
    });
    return out;
  }

  function start() {
    $("cs-add").addEventListener("click", function () {
      S.charts.push(newChart());
      S.selected = S.charts.length - 1;
      changed(); renderList(); renderEditor();
      var name = $("cs-name");
      if (name) { name.focus(); name.select(); }
    });
    $("cs-save").addEventListener("click", function () { if (!S.busy) save(); });
    $("cs-publish").addEventListener("click", publish);
    window.addEventListener("beforeunload", function (e) { if (S.dirty) { e.preventDefault(); e.returnValue = ""; } });
    renderStatus();
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
