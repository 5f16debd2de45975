// The calendar view: a month grid (Sunday first) with the records of a CALENDAR view on their dates.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, el = K.el;
  var root = document.getElementById("records-calendar");
  var status = document.getElementById("records-status");
  if (!root) return;
  var props = {}, views = [], view = null;

  function monthFromUrl() {
    var m = /^(\d{4})-(\d{2})$/.exec(new URLSearchParams(location.search).get("month") || "");
    if (m) return { y: +m[1], m: +m[2] };
    var t = R.today().split("-");
    return { y: +t[0], m: +t[1] };
  }
  function key(ym) { return ym.y + "-" + R.pad(ym.m); }
  function shift(ym, d) {
    var n = ym.y * 12 + (ym.m - 1) + d;
    return { y: Math.floor(n / 12), m: (n % 12) + 1 };
  }
  function go(ym, push) {
    var q = new URLSearchParams(location.search);
    q.set("month", key(ym));
    var url = location.pathname + "?" + q.toString();
    if (push) history.pushState(null, "", url);
    draw(ym);
  }

  function draw(ym) {
    root.textContent = "";
    var viewSelect = el("select", { id: "view-select", "data-testid": "view-select" }, views.map(function (v) {
      return el("option", { value: v.name, selected: v === view ? true : null, text: v.type === "CALENDAR" ? v.name + " (" + K.t("records.calendar") + ")" : v.name });
    }));
    viewSelect.addEventListener("change", function () {
      var v = views.filter(function (x) { return x.name === viewSelect.value; })[0];
      if (!v) return;
      location.href = v.type === "CALENDAR"
        ? "/apps/" + encodeURIComponent(R.appId) + "/calendar?view=" + encodeURIComponent(v.name) + "&month=" + key(ym)
        : "/apps/" + encodeURIComponent(R.appId) + "?view=" + encodeURIComponent(v.name);
    });
    var title = el("h2", { class: "cal-title", "data-testid": "calendar-month", "aria-live": "polite", text: K.t("records.cal.month", { y: ym.y, m: ym.m }) });
    var nav = el("div", { class: "cal-nav" }, [
      el("button", { type: "button", class: "button small", "data-testid": "calendar-prev", text: "‹ " + K.t("records.cal.prev"), onclick: function () { go(shift(ym, -1), true); } }),
      el("button", { type: "button", class: "button small", "data-testid": "calendar-today", text: K.t("records.cal.today"), onclick: function () { var t = R.today().split("-"); go({ y: +t[0], m: +t[1] }, true); } }),
      el("button", { type: "button", class: "button small", "data-testid": "calendar-next", text: K.t("records.cal.next") + " ›", onclick: function () { go(shift(ym, 1), true); } })]);
    root.appendChild(el("div", { class: "list-toolbar" }, [
      el("div", { class: "view-picker" }, [el("label", { for: "view-select", class: "label", text: K.t("records.view") }), viewSelect]),
      title, nav]));
    if (!view) { R.alert(status, "info", K.t("records.cal.no_view")); return; }
    var dateProp = props[view.date], titleProp = props[view.title];
    if (!dateProp) { R.alert(status, "error", K.t("records.cal.bad_view")); return; }
    var grid = el("div", { class: "cal-grid", role: "grid", "data-testid": "calendar" });
    root.appendChild(grid);
    var first = ym.y + "-" + R.pad(ym.m) + "-01";
    var daysIn = new Date(Date.UTC(ym.y, ym.m, 0)).getUTCDate();
    var last = ym.y + "-" + R.pad(ym.m) + "-" + R.pad(daysIn);
    var filter = view.date + " >= " + R.quote(first) + " and " + view.date + " <= " + R.quote(last);
    if (view.filterCond) filter = "(" + view.filterCond + ") and " + filter;
    var fields = ["$id", view.date];
    if (titleProp) fields.push(view.title);
    R.get("records.json", { app: R.appId, query: filter + " order by " + view.date + " asc limit 500", fields: fields }).then(function (b) {
      R.alert(status, "", "");
      var byDay = {};
      (b.records || []).forEach(function (r) {
        var d = r[view.date] && r[view.date].value;
        if (!d) return;
        if (dateProp.type !== "DATE") d = R.isoToLocal(d).slice(0, 10) || String(d).slice(0, 10);
        (byDay[d] = byDay[d] || []).push(r);
      });
      var weekdays = K.t("records.cal.weekdays").split(",");
      var headRow = el("div", { class: "cal-row cal-head", role: "row" }, weekdays.map(function (w, i) {
        return el("div", { class: "cal-weekday" + (i === 0 ? " sun" : i === 6 ? " sat" : ""), role: "columnheader", text: w });
      }));
      grid.appendChild(headRow);
      var start = new Date(Date.UTC(ym.y, ym.m - 1, 1)).getUTCDay();
      var today = R.today();
      var cells = [];
      for (var i = 0; i < start; i++) cells.push(el("div", { class: "cal-day outside", role: "gridcell", "aria-hidden": "true" }));
      for (var d = 1; d <= daysIn; d++) {
        var date = ym.y + "-" + R.pad(ym.m) + "-" + R.pad(d);
        var dow = (start + d - 1) % 7;
        var recs = byDay[date] || [];
        var items = el("ul", { class: "cal-items" }, recs.map(function (r) {
          var t = titleProp && r[view.title] ? R.text(titleProp, r[view.title].value) : "";
          return el("li", {}, [el("a", { href: R.recordUrl(r.$id.value), "data-testid": "calendar-record-" + r.$id.value, text: t || ("#" + r.$id.value) })]);
        }));
        cells.push(el("div", { class: "cal-day" + (recs.length ? "" : " no-records") + (date === today ? " today" : "") + (dow === 0 ? " sun" : dow === 6 ? " sat" : ""), role: "gridcell", "data-testid": "calendar-day-" + date }, [
          el("div", { class: "cal-date" }, [el("span", { text: String(d) }), el("span", { class: "cal-dow", text: " (" + weekdays[dow] + ")" })]), items]));
      }
      while (cells.length % 7) cells.push(el("div", { class: "cal-day outside", role: "gridcell", "aria-hidden": "true" }));
      for (var w = 0; w < cells.length; w += 7) grid.appendChild(el("div", { class: "cal-row", role: "row" }, cells.slice(w, w + 7)));
      if ((b.records || []).length >= 500) R.alert(status, "info", K.t("records.cal.truncated"));
    }).catch(function (e) {
      R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "calendar-error");
    });
  }

  window.addEventListener("popstate", function () { draw(monthFromUrl()); });

  Promise.all([R.fields(), R.views()]).then(function (res) {
    props = res[0]; views = res[1];
    var name = R.page.view;
    view = views.filter(function (v) { return v.name === name && v.type === "CALENDAR"; })[0] || views.filter(function (v) { return v.type === "CALENDAR"; })[0] || null;
    draw(monthFromUrl());
  }).catch(function (e) {
    root.textContent = "";
    R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "calendar-error");
  });
})();
