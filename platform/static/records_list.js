// The record list: saved views, a table of records, header sort, paging (limit+1, so the rows never
// wait for a count), the number of matching records (asked for after the rows, as kintone shows it),
// quick search, the condition builder and "save as view". The URL holds the whole state, so reload
// and the back button show the same list.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, V = window.KUMIKI_VIEWS, el = K.el;
  var root = document.getElementById("records-list");
  var status = document.getElementById("records-status");
  if (!root) return;
  var MAX_OFFSET = 10000;
  var SIZES = [20, 40, 100];
  var props = {}, views = [], condFields = [];
  var state = {};

  function readUrl() {
    var q = new URLSearchParams(location.search);
    var cond = { m: "and", c: [] };
    try { var parsed = JSON.parse(q.get("cond") || "null"); if (parsed && Array.isArray(parsed.c)) cond = parsed; } catch (e) { /* a hand-edited URL: start empty */ }
    var size = Number(q.get("size")) || 20;
    return {
      view: q.get("view") || "",
      sort: q.get("sort") || "",
      page: Math.max(1, Number(q.get("page")) || 1),
      size: SIZES.indexOf(size) >= 0 ? size : 20,
      search: q.get("search") || "",
      cond: cond
    };
  }

  function writeUrl(replace) {
    var q = new URLSearchParams();
    if (state.view) q.set("view", state.view);
    if (state.search) q.set("search", state.search);
    var cleaned = { m: state.cond.m, c: state.cond.c.filter(function (c) { return V.conditionText(c, condFields); }) };
    if (cleaned.c.length) q.set("cond", JSON.stringify(cleaned));
    if (state.sort) q.set("sort", state.sort);
    if (state.size !== 20) q.set("size", String(state.size));
    if (state.page > 1) q.set("page", String(state.page));
    var url = location.pathname + (q.toString() ? "?" + q.toString() : "");
    if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  }

  /** A view's value in the URL and the selector: shared views by name, private views (個人用) by
   *  "private:<id>" (their names may repeat a shared view's). */
  function viewKey(v) { return v.private ? "private:" + v.id : v.name; }

  function currentView() {
    var lists = views.filter(function (v) { return v.type === "LIST"; });
    var v = views.filter(function (x) { return viewKey(x) === state.view; })[0];
    return v || lists[0] || null;
  }

  /** The list's one search box: `like` over text and FILE fields (subtable ones too; FILE `like`
   *  also matches file contents through the search index), `=` on the record number. */
  function searchText(term) {
    term = term.trim();
    if (!term) return "";
    var parts = [];
    var hidden = R.page.unqueryable || [];
    var searchable = function (t, code) { return (R.TEXT_TYPES[t] || t === "FILE") && hidden.indexOf(code) < 0; };
    R.dataFields(props).forEach(function (p) {
      if (p.type === "SUBTABLE") {
        Object.keys(p.fields || {}).forEach(function (c) {
          if (searchable(p.fields[c].type, c)) parts.push(c + " like " + R.quote(term));
        });
      } else if (searchable(p.type, p.code)) parts.push(p.code + " like " + R.quote(term));
    });
    if (/^\d+$/.test(term) && term.length < 16) parts.push("$id = " + term);
    return parts.join(" or ");
  }

  function filterText() {
    var v = currentView();
    var parts = [];
    if (v && v.filterCond) parts.push(v.filterCond);
    var b = V.text(state.cond, condFields);
    if (b) parts.push(b);
    var s = searchText(state.search);
    if (s) parts.push(s);
    if (parts.length === 1) return parts[0];
    return parts.map(function (p) { return "(" + p + ")"; }).join(" and ");
  }

  function sortText() {
    var v = currentView();
    return state.sort || (v && v.sort) || "";
  }

  function fullQuery() {
    var f = filterText(), s = sortText();
    return f + (s ? (f ? " " : "") + "order by " + s : "");
  }

  function columns() {
    var v = currentView();
    var codes = v && v.fields && v.fields.length ? v.fields : R.dataFields(props, false).filter(function (p) { return p.type !== "SUBTABLE"; }).map(function (p) { return p.code; });
    return codes.filter(function (c) { return props[c]; }).map(function (c) { return props[c]; });
  }

  var SORTABLE = { SINGLE_LINE_TEXT: 1, LINK: 1, NUMBER: 1, CALC: 1, RADIO_BUTTON: 1, DROP_DOWN: 1, DATE: 1, TIME: 1, DATETIME: 1, RECORD_NUMBER: 1, CREATOR: 1, MODIFIER: 1, CREATED_TIME: 1, UPDATED_TIME: 1, STATUS: 1 };

  // Elements that survive redraws of the table.
  var viewSelect, searchInput, builderBox, builder, queryText, tableBox, pagerBox, saveName, saveMsg, filterPanel;

  // ---- Private views (個人用の一覧, /api/app/views/private.json): the signed-in user's own views ----
  function loadPrivateViews() {
    return K.api("GET", "/api/app/views/private.json?app=" + encodeURIComponent(R.appId)).then(function (b) {
      return (b.views || []).map(function (v) { v.private = true; return v; });
    }, function () { return []; });
  }

  function savePrivate(view, msg) {
    return K.api("PUT", "/api/app/views/private.json", { app: R.appId, view: view }).then(function (b) {
      location.href = location.pathname + "?view=" + encodeURIComponent("private:" + b.id);
    }, function (e) {
      var details = [];
      Object.keys((e && e.errors) || {}).forEach(function (k) { ((e.errors[k] || {}).messages || []).forEach(function (m) { details.push(m); }); });
      R.alert(msg, "error", details.length ? details.join(" / ") : R.errorText(e), "private-view-error");
    });
  }

  /** The links beside the view selector: view settings, and saving / renaming / deleting private views. */
  function privateViewsBox() {
    var cv = currentView(), own = cv && cv.private ? cv : null;
    var name = el("input", { id: "private-view-name", "data-testid": "private-view-name", maxlength: "64", value: own ? own.name : "" });
    var msg = el("div", { hidden: true });
    var need = function () {
      var n = name.value.trim();
      if (!n) { R.alert(msg, "error", K.t("vs.private.need_name"), "private-view-error"); name.focus(); }
      return n;
    };
    var buttons = [el("button", { type: "button", class: "button primary", "data-testid": "private-view-save", text: K.t("vs.private.save"), onclick: function () {
      var n = need();
      if (n) savePrivate({ name: n, type: "LIST", fields: columns().map(function (p) { return p.code; }), filterCond: filterText(), sort: sortText() }, msg);
    } })];
    if (own) {
      buttons.push(el("button", { type: "button", class: "button", "data-testid": "private-view-rename", text: K.t("vs.private.rename"), onclick: function () {
        var n = need();
        if (n) savePrivate({ id: own.id, name: n, type: "LIST", fields: own.fields || [], filterCond: own.filterCond || "", sort: own.sort || "" }, msg);
      } }));
      buttons.push(el("button", { type: "button", class: "button danger", "data-testid": "private-view-delete", text: K.t("vs.private.delete"), onclick: function () {
        if (!window.confirm(K.t("vs.private.delete_confirm", { name: own.name }))) return;
        K.api("DELETE", "/api/app/views/private.json", { app: R.appId, id: own.id }).then(function () {
          location.href = location.pathname;
        }, function (e) { R.alert(msg, "error", R.errorText(e), "private-view-error"); });
      } }));
    }
    var panel = el("div", { class: "card private-views", id: "private-views-panel", "data-testid": "private-views-panel", hidden: true }, [
      el("p", { class: "help", text: K.t("vs.private.help") }),
      el("div", { class: "private-views-row" }, [
        el("div", { class: "field" }, [el("label", { class: "label", for: "private-view-name", text: K.t("vs.private.name") }), name])].concat(buttons)),
      msg
    ]);
    var open = el("button", { type: "button", class: "button small", "data-testid": "private-views-toggle", "aria-expanded": "false", "aria-controls": "private-views-panel",
      text: own ? K.t("vs.private.open") : K.t("vs.private.save_as"), onclick: function () {
        panel.hidden = !panel.hidden;
        open.setAttribute("aria-expanded", String(!panel.hidden));
        if (!panel.hidden) name.focus();
      } });
    return el("div", { class: "view-tools" }, [
      el("div", { class: "view-links" }, [open,
        // Only app managers may open the view settings; others would find a not-found page.
        K.page && K.page.mayManage ? el("a", { href: "/apps/" + encodeURIComponent(R.appId) + "/views", "data-testid": "views-settings-link", text: K.t("vs.private.settings") }) : null]),
      panel]);
  }

  function build() {
    root.textContent = "";
    viewSelect = el("select", { id: "view-select", "data-testid": "view-select" });
    var shown = currentView();
    var option = function (v) {
      return el("option", { value: viewKey(v), selected: shown === v ? true : null,
        text: v.private ? K.t("vs.private.option", { name: v.name }) : v.type === "CALENDAR" ? v.name + " (" + K.t("records.calendar") + ")" : v.name });
    };
    var shared = views.filter(function (v) { return !v.private; }), mine = views.filter(function (v) { return v.private; });
    if (mine.length) {
      if (shared.length) viewSelect.appendChild(el("optgroup", { label: K.t("vs.private.shared_group") }, shared.map(option)));
      viewSelect.appendChild(el("optgroup", { label: K.t("vs.private.group"), "data-testid": "private-views-group" }, mine.map(option)));
    } else shared.forEach(function (v) { viewSelect.appendChild(option(v)); });
    if (!views.length) viewSelect.appendChild(el("option", { value: "", text: K.t("records.all_records") }));
    viewSelect.addEventListener("change", function () {
      var v = views.filter(function (x) { return viewKey(x) === viewSelect.value; })[0];
      if (v && v.type === "CALENDAR") {
        location.href = "/apps/" + encodeURIComponent(R.appId) + "/calendar?view=" + encodeURIComponent(v.name);
        return;
      }
      state.view = viewSelect.value; state.sort = ""; state.page = 1;
      writeUrl(false); refresh();
    });
    searchInput = el("input", { type: "search", id: "quick-search", "data-testid": "quick-search", value: state.search, maxlength: "1000",
      placeholder: K.t("record_tools.search.placeholder"), "aria-describedby": "quick-search-help" });
    var searchForm = el("form", { class: "quick-search", role: "search", "data-testid": "list-search-form", onsubmit: function (e) {
      e.preventDefault(); state.search = searchInput.value; state.page = 1; writeUrl(false); refresh();
    } }, [
      el("label", { for: "quick-search", class: "label", text: K.t("record_tools.search.label") }),
      el("div", { class: "quick-search-row" }, [searchInput,
        el("button", { type: "submit", class: "button", "data-testid": "quick-search-submit", text: K.t("records.search") })]),
      el("p", { class: "help", id: "quick-search-help", text: K.t("record_tools.search.help") }),
      window.KUMIKI_LIST_TOOLS ? KUMIKI_LIST_TOOLS.fullTextLink(searchInput) : null
    ]);
    var toggle = el("button", { type: "button", class: "button", "data-testid": "filter-toggle", "aria-expanded": "false", "aria-controls": "filter-panel", text: K.t("records.filter") });
    var toolbar = el("div", { class: "list-toolbar" }, [
      el("div", { class: "view-picker" }, [el("label", { for: "view-select", class: "label", text: K.t("records.view") }), viewSelect]),
      searchForm, toggle]);
    var privatePanel = privateViewsBox();

    builderBox = el("div", { class: "cond-builder" });
    queryText = el("code", { class: "query-text", "data-testid": "query-text" });
    saveName = el("input", { id: "view-name", "data-testid": "view-name", maxlength: "64" });
    saveMsg = el("div", { hidden: true });
    filterPanel = el("section", { id: "filter-panel", class: "card filter-panel", "aria-label": K.t("records.filter") }, [
      el("h2", { class: "panel-title", text: K.t("records.filter") }),
      builderBox,
      el("div", { class: "cond-actions" }, [
        el("button", { type: "button", class: "button", "data-testid": "condition-add", text: "+ " + K.t("records.cond.add"), onclick: function () { builder.add(); } }),
        el("button", { type: "button", class: "button primary", "data-testid": "condition-apply", text: K.t("records.cond.apply"), onclick: apply }),
        el("button", { type: "button", class: "button", "data-testid": "condition-clear", text: K.t("records.cond.clear"), onclick: function () {
          state.cond = { m: "and", c: [] }; state.search = ""; searchInput.value = ""; builder = V.builder(builderBox, condFields, state.cond, showQuery); apply();
        } })
      ]),
      el("div", { class: "query-box" }, [el("span", { class: "label", text: K.t("records.query") }), queryText]),
      el("div", { class: "save-view" }, [
        el("label", { for: "view-name", class: "label", text: K.t("records.save_view_name") }),
        el("div", { class: "save-view-row" }, [saveName,
          el("button", { type: "button", class: "button", "data-testid": "save-view", text: K.t("records.save_view"), onclick: saveView })]),
        saveMsg
      ])
    ]);
    filterPanel.hidden = !state.cond.c.length;
    toggle.setAttribute("aria-expanded", String(!filterPanel.hidden));
    toggle.addEventListener("click", function () {
      filterPanel.hidden = !filterPanel.hidden;
      toggle.setAttribute("aria-expanded", String(!filterPanel.hidden));
      if (!filterPanel.hidden && !state.cond.c.length) builder.add();
    });
    V.onEnter = apply;
    builder = V.builder(builderBox, condFields, state.cond, showQuery);
    tableBox = el("div", { class: "table-wrap" });
    pagerBox = el("nav", { class: "pager", "aria-label": K.t("records.pages") });
    root.appendChild(toolbar);
    root.appendChild(privatePanel);
    root.appendChild(filterPanel);
    root.appendChild(tableBox);
    root.appendChild(pagerBox);
    showQuery();
  }

  function showQuery() {
    queryText.textContent = fullQuery() || K.t("records.query_none");
    printLinks();
  }

  /** Issue 16: 「印刷」 prints this view with the conditions added here (builder, search box) and
   *  the sort chosen by a column header (it replaces the view's sort on the print too). */
  function printLinks() {
    var v = currentView(), extra = [];
    // A private view is not in the app's definition: its condition travels as the query.
    if (v && v.private && v.filterCond) extra.push(v.filterCond);
    var b = V.text(state.cond, condFields);
    if (b) extra.push(b);
    var s = searchText(state.search);
    if (s) extra.push(s);
    var q = [];
    if (v && !v.private) q.push("view=" + encodeURIComponent(viewKey(v)));
    if (extra.length) q.push("query=" + encodeURIComponent(extra.map(function (p) { return "(" + p + ")"; }).join(" and ")));
    // A private view's own sort is not in the app's definition either: it travels like a chosen one.
    var sort = state.sort || (v && v.private ? v.sort || "" : "");
    if (sort) q.push("sort=" + encodeURIComponent(sort));
    var href = "/apps/" + encodeURIComponent(R.appId) + "/print" + (q.length ? "?" + q.join("&") : "");
    document.querySelectorAll("[data-testid=print-list], [data-testid=menu-print-list]").forEach(function (a) { a.setAttribute("href", href); });
  }

  function apply() {
    state.page = 1;
    writeUrl(false);
    refresh();
  }

  function saveView() {
    var name = saveName.value.trim();
    if (!name) { R.alert(saveMsg, "error", K.t("records.save_view_need_name")); saveName.focus(); return; }
    R.alert(saveMsg, "info", K.t("records.saving"));
    R.get("preview/app/views.json?app=" + encodeURIComponent(R.appId)).then(function (b) {
      var all = b.views || {};
      if (all[name]) throw { own: K.t("records.save_view_exists") };
      var next = {};
      Object.keys(all).forEach(function (k) {
        var v = all[k], copy = {};
        Object.keys(v).forEach(function (f) { if (f !== "id" && f !== "builtinType") copy[f] = v[f]; });
        copy.index = String(Number(v.index || 0) + 1);
        next[k] = copy;
      });
      next[name] = { type: "LIST", name: name, index: "0", fields: columns().map(function (p) { return p.code; }), filterCond: filterText(), sort: sortText() };
      return K.api("PUT", "preview/app/views.json", { app: R.appId, views: next, revision: b.revision });
    }).then(function () {
      return K.api("POST", "preview/app/deploy.json", { apps: [{ app: R.appId }] });
    }).then(function () {
      R.alert(saveMsg, "ok", K.t("records.save_view_done"));
      location.href = location.pathname + "?view=" + encodeURIComponent(name);
    }).catch(function (e) {
      R.alert(saveMsg, "error", e && e.own ? e.own : R.errorText(e));
    });
  }

  function header(cols) {
    var current = sortText().split(",")[0].trim().split(/\s+/);
    var sortField = current[0] || "", sortDir = (current[1] || "desc").toLowerCase();
    var tr = el("tr", {}, [el("th", { scope: "col", class: "col-open" }, [el("span", { class: "sr-only", text: K.t("records.open") })])]);
    cols.forEach(function (p) {
      var label = p.label || p.code;
      if (!SORTABLE[p.type]) { tr.appendChild(el("th", { scope: "col", text: label })); return; }
      var active = sortField === p.code;
      var dir = active && sortDir === "asc" ? "desc" : "asc";
      var btn = el("button", { type: "button", class: "sort-button", "data-testid": "sort-" + p.code,
        onclick: function () { state.sort = p.code + " " + dir; state.page = 1; writeUrl(false); refresh(); } },
        [label, el("span", { class: "sort-mark", "aria-hidden": "true", text: active ? (sortDir === "asc" ? " ▲" : " ▼") : "" })]);
      tr.appendChild(el("th", { scope: "col", "aria-sort": active ? (sortDir === "asc" ? "ascending" : "descending") : null }, [btn]));
    });
    return el("thead", {}, [tr]);
  }

  var seq = 0;
  function refresh() {
    var my = ++seq;
    showQuery();
    var cols = columns();
    var offset = (state.page - 1) * state.size;
    if (offset > MAX_OFFSET) { state.page = Math.floor(MAX_OFFSET / state.size) + 1; offset = (state.page - 1) * state.size; }
    var q = fullQuery() + " limit " + (state.size + 1) + " offset " + offset;
    var fields = ["$id", "$revision"].concat(cols.map(function (p) { return p.code; }));
    if (R.page.titleField) fields.push(R.page.titleField);
    tableBox.setAttribute("aria-busy", "true");
    R.get("records.json", { app: R.appId, query: q, fields: fields }).then(function (b) {
      if (my !== seq) return;
      R.alert(status, "", "");
      var recs = b.records || [];
      var hasNext = recs.length > state.size && offset + state.size <= MAX_OFFSET;
      recs = recs.slice(0, state.size);
      drawTable(cols, recs);
      drawPager(offset, recs.length, hasNext);
      showTotal(my);
    }).catch(function (e) {
      if (my !== seq) return;
      tableBox.textContent = "";
      pagerBox.textContent = "";
      R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "list-error");
    }).then(function () { tableBox.removeAttribute("aria-busy"); });
  }

  /** The number of records matching the list's conditions, filled in beside the page range when the
   *  server has counted them (a count over many records may take longer than the page's rows). */
  function showTotal(my) {
    var f = filterText();
    R.get("records.json", { app: R.appId, query: (f ? f + " " : "") + "limit 1", fields: ["$id"], totalCount: true }).then(function (b) {
      if (my !== seq) return;
      var range = pagerBox.querySelector("[data-testid=page-range]");
      if (!range) return;
      var total = el("span", { class: "pager-total", "data-testid": "records-total", text: K.t("records.total", { n: Number(b.totalCount || 0).toLocaleString("ja-JP") }) });
      range.insertBefore(total, range.firstChild);
    }).catch(function () { /* the rows are shown; a count that failed is simply not shown */ });
  }

  function drawTable(cols, recs) {
    tableBox.textContent = "";
    if (!recs.length) {
      tableBox.appendChild(el("p", { class: "empty", "data-testid": "records-empty", text: state.page > 1 ? K.t("records.page_empty") : K.t("records.none") }));
      return;
    }
    var body = el("tbody");
    recs.forEach(function (r) {
      var id = r.$id.value;
      var tr = el("tr", { "data-testid": "record-row-" + id }, [el("td", { class: "col-open" }, [
        el("a", { href: R.recordUrl(id), "data-testid": "record-link-" + id, "aria-label": K.t("records.open_record", { id: id }), text: "#" + id })])]);
      cols.forEach(function (p) {
        var cell = r[p.code];
        tr.appendChild(el("td", { "data-label": p.label || p.code }, [R.display(p, cell ? cell.value : null)]));
      });
      if (window.KUMIKI_LIST_TOOLS) KUMIKI_LIST_TOOLS.row(tr, r, cols, (state.page - 1) * state.size + body.children.length);
      body.appendChild(tr);
    });
    tableBox.appendChild(el("table", { class: "data records-table records-cards", "data-testid": "records-table" }, [
      el("caption", { class: "sr-only", text: (currentView() ? currentView().name : K.t("records.all_records")) }),
      header(cols), body]));
  }

  function go(page) { state.page = page; writeUrl(false); refresh(); window.scrollTo(0, 0); }

  function drawPager(offset, count, hasNext) {
    pagerBox.textContent = "";
    var first = count ? offset + 1 : 0, last = offset + count;
    pagerBox.appendChild(el("span", { class: "pager-range", "data-testid": "page-range", text: count ? K.t("records.range", { from: first, to: last }) : "" }));
    var prev = el("button", { type: "button", class: "button small", "data-testid": "page-prev", text: "‹ " + K.t("records.prev"), onclick: function () { go(state.page - 1); } });
    prev.disabled = state.page <= 1;
    var next = el("button", { type: "button", class: "button small", "data-testid": "page-next", text: K.t("records.next") + " ›", onclick: function () { go(state.page + 1); } });
    next.disabled = !hasNext;
    var nums = el("span", { class: "pager-pages" });
    var lastPage = state.page + (hasNext ? 1 : 0);
    for (var p = Math.max(1, state.page - 3); p <= lastPage; p++) {
      (function (p) {
        nums.appendChild(p === state.page
          ? el("span", { class: "pager-current", "aria-current": "page", "data-testid": "page-" + p, text: String(p) })
          : el("button", { type: "button", class: "button small", "data-testid": "page-" + p, "aria-label": K.t("records.page_n", { n: p }), text: String(p), onclick: function () { go(p); } }));
      })(p);
    }
    var size = el("select", { id: "page-size", "data-testid": "page-size" }, SIZES.map(function (s) {
      return el("option", { value: String(s), selected: s === state.size ? true : null, text: K.t("records.per_page", { n: s }) });
    }));
    size.addEventListener("change", function () { state.size = Number(size.value); state.page = 1; writeUrl(false); refresh(); });
    pagerBox.appendChild(el("div", { class: "pager-buttons" }, [prev, nums, next]));
    pagerBox.appendChild(el("span", {}, [el("label", { for: "page-size", class: "sr-only", text: K.t("records.page_size") }), size]));
  }

  /** The app's default view (a shared view's id in the app settings), opened when the URL names none. */
  function defaultView() {
    var dv = views.filter(function (v) { return !v.private && R.page.defaultView && String(v.id) === String(R.page.defaultView); })[0];
    return dv ? dv.name : "";
  }

  window.addEventListener("popstate", function () {
    state = readUrl();
    if (!state.view) state.view = defaultView();
    build();
    refresh();
  });

  state = readUrl();
  Promise.all([R.fields(), R.views(), loadPrivateViews()]).then(function (res) {
    props = res[0]; views = res[1].concat(res[2]);
    condFields = V.conditionFields(props);
    if (state.view && !views.some(function (v) { return viewKey(v) === state.view; })) state.view = "";
    if (!state.view) state.view = defaultView();
    if (window.KUMIKI_LIST_TOOLS) KUMIKI_LIST_TOOLS.init({ props: props, filter: filterText, sort: sortText, columns: columns,
      viewName: function () { var v = currentView(); return v ? v.name : K.t("records.all_records"); }, refresh: function () { refresh(); } });
    var cv = currentView();
    if (cv && cv.type === "CALENDAR") {
      location.replace("/apps/" + encodeURIComponent(R.appId) + "/calendar?view=" + encodeURIComponent(cv.name));
      return;
    }
    build();
    refresh();
  }).catch(function (e) {
    root.textContent = "";
    R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "list-error");
  });
})();
