// /surveys (issue 14): the surveys I sent and the ones my organisations received, with a search box.
// A guest lists the received surveys of each of its guest spaces through that space's path.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, S = window.KUMIKI_SURVEYS;
  var page = K.page || {};
  var $ = function (id) { return document.getElementById(id); };
  var LIMIT = 50;
  var params = new URLSearchParams(window.location.search);
  var box = params.get("box") === "received" || page.guest ? "received" : "sent";
  var q = params.get("q") || "";
  var offset = 0;

  function orgName(o) { return o ? (typeof o === "string" ? o : (o.name || o.code || "")) : ""; }

  function sentRow(s) {
    var href = s.state === "draft" ? "/surveys/" + s.id + "/edit" : "/surveys/" + s.id;
    var c = s.counts || {};
    var done = (c.submitted || 0) + (c.accepted || 0);
    var progress = s.state === "draft" ? el("span", { class: "muted", text: t("surveys.list.not_sent") })
      : el("span", {}, [
        el("span", { class: "sv-progress", text: t("surveys.list.progress", { done: done, total: c.total || 0 }) }),
        c.unopened ? el("span", { class: "muted sv-progress-sub", text: t("surveys.list.unopened", { n: c.unopened }) }) : null,
        c.late ? el("span", { class: "sv-late", text: t("surveys.list.late", { n: c.late }) }) : null,
      ]);
    return el("tr", { "data-testid": "survey-row", "data-id": s.id }, [
      el("td", { "data-label": t("surveys.col.title") }, [el("a", { href: href, "data-testid": "survey-link", text: s.title || t("surveys.untitled") })]),
      el("td", { "data-label": t("surveys.col.state") }, [S.stateChip(s.state, false, "survey_state")]),
      el("td", { "data-label": t("surveys.col.due") }, [el("time", { datetime: s.dueAt || "", text: S.when(s.dueAt) })]),
      el("td", { "data-label": t("surveys.col.progress") }, [progress]),
    ]);
  }

  function receivedRows(s) {
    return (s.myAnswers || []).map(function (a) {
      return el("tr", { "data-testid": "survey-row", "data-id": s.id, "data-answer": a.id }, [
        el("td", { "data-label": t("surveys.col.title") }, [
          el("a", { href: "/surveys/answers/" + a.id, "data-testid": "survey-link", text: s.title || t("surveys.untitled") }),
          s.state === "closed" ? el("span", { class: "muted sv-closed-mark", text: " " + t("surveys.survey_state.closed") }) : null,
        ]),
        el("td", { "data-label": t("surveys.col.state") }, [S.stateChip(a.state, a.late)]),
        el("td", { "data-label": t("surveys.col.due") }, [el("time", { datetime: s.dueAt || "", text: S.when(a.dueAt || s.dueAt) })]),
        el("td", { "data-label": t("surveys.col.organisation") }, [el("span", { text: orgName(a.organisation) })]),
      ]);
    });
  }

  function fetchBox(offsetNow) {
    var qs = S.query({ box: box, q: q, offset: offsetNow, limit: LIMIT });
    var spaces = page.guestSpaces || [];
    if (!page.guest || !spaces.length) {
      if (page.guest) return Promise.resolve({ surveys: [], totalCount: 0 });
      return K.api("GET", "/api/surveys.json?" + qs);
    }
    // A guest: each guest space's received surveys, through its own path.
    return Promise.all(spaces.map(function (sp) {
      return K.api("GET", "/api/guest/" + encodeURIComponent(sp.id) + "/surveys.json?" + qs).catch(function () { return { surveys: [], totalCount: 0 }; });
    })).then(function (all) {
      var seen = {}, out = [], total = 0;
      all.forEach(function (r) {
        total += Number(r.totalCount) || 0;
        (r.surveys || []).forEach(function (s) { if (!seen[s.id]) { seen[s.id] = true; out.push(s); } });
      });
      return { surveys: out, totalCount: total };
    });
  }

  function load(more) {
    if (!more) { offset = 0; $("sv-rows").textContent = ""; }
    $("sv-error").hidden = true;
    S.notice($("sv-status"), t("common.loading"));
    return fetchBox(offset).then(function (r) {
      var rows = $("sv-rows");
      (r.surveys || []).forEach(function (s) {
        if (box === "sent") rows.appendChild(sentRow(s));
        else receivedRows(s).forEach(function (row) { rows.appendChild(row); });
      });
      offset += (r.surveys || []).length;
      var total = Number(r.totalCount) || 0;
      $("sv-table").hidden = rows.children.length === 0;
      $("sv-empty").hidden = rows.children.length > 0;
      $("sv-more").hidden = page.guest || offset >= total;
      S.notice($("sv-status"), q ? t("surveys.list.count_q", { n: total, q: q }) : t("surveys.list.count", { n: total }));
    }, function (e) {
      S.notice($("sv-status"), "");
      $("sv-error").textContent = e.message || String(e);
      $("sv-error").hidden = false;
    });
  }

  function selectBox(next) {
    box = next;
    Array.prototype.forEach.call(document.querySelectorAll(".sv-tab"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-box") === box));
    });
    $("sv-col-progress").textContent = box === "sent" ? t("surveys.col.progress") : t("surveys.col.organisation");
    var u = new URL(window.location.href);
    u.searchParams.set("box", box);
    if (q) u.searchParams.set("q", q); else u.searchParams.delete("q");
    window.history.replaceState(null, "", u.pathname + u.search);
    return load(false);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".sv-tab"), function (b) {
    b.addEventListener("click", function () { selectBox(b.getAttribute("data-box")); });
  });
  $("sv-search").addEventListener("submit", function (e) {
    e.preventDefault();
    q = $("sv-q").value.trim();
    selectBox(box);
  });
  $("sv-more").addEventListener("click", function () { load(true); });
  $("sv-q").value = q;
  selectBox(box);
})();
