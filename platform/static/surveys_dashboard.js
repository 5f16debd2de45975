// The sender's dashboard, /surveys/<id> (issue 14): counts per state, the organisations sortable by
// state, name, opened and answered time, late rows marked (colour and the word 遅延), who opened and
// who submitted when; remind everyone not answered, return with a comment, accept, extend one
// organisation's deadline, close, export, copy as a new draft.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, S = window.KUMIKI_SURVEYS;
  var page = K.page || {};
  var $ = function (id) { return document.getElementById(id); };
  var id = page.id;
  var sort = "state", order = "asc";
  var survey = null, counts = {};
  var errors = $("svd-errors");

  function fail(e) { S.showError(errors, e, $("svd-main")); }
  function done(text) { S.clearErrors(errors); S.notice($("svd-status"), text); return load(); }

  function who(p) { return p ? (p.name || p.code || "") : ""; }
  function timeCell(at, by, testid, label) {
    if (!at) return el("td", { "data-testid": testid, "data-label": label, class: "muted", text: "—" });
    return el("td", { "data-testid": testid, "data-label": label }, [
      el("time", { datetime: at, text: S.when(at) }),
      by ? el("span", { class: "sv-by muted", text: who(by) }) : null,
    ]);
  }

  function actions(a) {
    var box = el("div", { class: "sv-row-actions" });
    box.appendChild(el("a", { class: "button small", href: "/surveys/answers/" + a.id, "data-testid": "answer-open", text: t("surveys.dashboard.open") }));
    if (survey.state === "closed") return box;
    if (a.state === "submitted" || a.state === "accepted") {
      box.appendChild(el("button", { type: "button", class: "button small", "data-testid": "answer-return", text: t("surveys.dashboard.return"), onclick: function () {
        S.ask({ title: t("surveys.dashboard.return_title", { name: a.organisation.name }), label: t("surveys.dashboard.return_comment"), ok: t("surveys.dashboard.return"), requireValue: true })
          .then(function (comment) {
            if (comment === null) return null;
            return K.api("POST", "/api/surveys/answer/return.json", { id: a.id, comment: comment }).then(function () { return done(t("surveys.dashboard.returned", { name: a.organisation.name })); });
          }).catch(fail);
      } }));
    }
    if (a.state === "submitted") {
      box.appendChild(el("button", { type: "button", class: "button small", "data-testid": "answer-accept", text: t("surveys.dashboard.accept"), onclick: function () {
        if (!window.confirm(t("surveys.dashboard.accept_confirm", { name: a.organisation.name }))) return;
        K.api("POST", "/api/surveys/answer/accept.json", { id: a.id }).then(function () { return done(t("surveys.dashboard.accepted", { name: a.organisation.name })); }).catch(fail);
      } }));
    }
    if (a.state !== "accepted" && a.state !== "submitted") {
      box.appendChild(el("button", { type: "button", class: "button small", "data-testid": "answer-extend", text: t("surveys.dashboard.extend"), onclick: function () {
        S.ask({ kind: "datetime", title: t("surveys.dashboard.extend_title", { name: a.organisation.name }), label: t("surveys.dashboard.extend_label"), value: a.dueAt || survey.dueAt, ok: t("surveys.dashboard.extend") })
          .then(function (due) {
            if (!due) return null;
            return K.api("PUT", "/api/surveys/answer/deadline.json", { id: a.id, dueAt: due }).then(function () { return done(t("surveys.dashboard.extended", { name: a.organisation.name, due: S.when(due) })); });
          }).catch(fail);
      } }));
    }
    return box;
  }

  function row(a) {
    var late = !!a.late;
    var comment = a.state === "returned" && a.returnComment ? el("p", { class: "sv-comment-short muted", text: t("surveys.dashboard.comment", { text: a.returnComment }) }) : null;
    var problems = Array.isArray(a.problems) ? a.problems.length : Number(a.problems) || 0;
    return el("tr", { class: late ? "sv-row-late" : "", "data-testid": "dashboard-row", "data-answer": a.id, "data-state": a.state, "data-late": late ? "true" : "false", "data-org": a.organisation.name }, [
      el("th", { scope: "row", "data-label": t("surveys.col.organisation") }, [
        el("span", { class: "sv-org-name", text: a.organisation.name }),
        el("span", { class: "sv-by muted", text: t("surveys.kind." + a.organisation.kind) +
          ((a.contacts || []).length ? " · " + t("surveys.recipients.contacts", { names: a.contacts.map(who).join("、") }) : "") }),
      ]),
      el("td", { "data-label": t("surveys.col.state") }, [S.stateChip(a.state, late), comment,
        problems ? el("p", { class: "sv-problems-short", text: t("surveys.dashboard.problems", { n: problems }) }) : null]),
      timeCell(a.openedAt, a.openedBy, "dashboard-opened", t("surveys.col.opened")),
      timeCell(a.submittedAt, a.submittedBy, "dashboard-submitted", t("surveys.col.submitted")),
      el("td", { "data-label": t("surveys.col.due"), "data-testid": "dashboard-due" }, [
        el("time", { datetime: a.dueAt || survey.dueAt || "", text: S.when(a.dueAt || survey.dueAt) }),
        a.extended || (a.extended === undefined && a.dueAt && a.dueAt !== survey.dueAt) ? el("span", { class: "sv-by muted", text: t("surveys.dashboard.extended_mark") }) : null,
      ]),
      el("td", { "data-label": t("surveys.col.actions") }, [actions(a)]),
    ]);
  }

  function drawCounts() {
    var box = $("svd-counts");
    box.textContent = "";
    S.STATES.concat(["late"]).forEach(function (k) {
      var n = counts[k] || 0;
      box.appendChild(el("li", { class: "sv-count sv-state-" + k + (n ? "" : " sv-count-zero"), "data-testid": "count-" + k, "data-n": n }, [
        el("span", { class: "sv-count-label", text: k === "late" ? t("surveys.late") : S.stateLabel(k) }),
        el("span", { class: "sv-count-n", text: String(n) }),
      ]));
    });
    box.appendChild(el("li", { class: "sv-count sv-count-total", "data-testid": "count-total", "data-n": counts.total || 0 }, [
      el("span", { class: "sv-count-label", text: t("surveys.dashboard.total") }),
      el("span", { class: "sv-count-n", text: String(counts.total || 0) }),
    ]));
    var open = (counts.total || 0) - (counts.submitted || 0) - (counts.accepted || 0);
    $("svd-remind").textContent = t("surveys.dashboard.remind_n", { n: open });
    $("svd-remind").disabled = open <= 0 || survey.state !== "open";
    $("svd-remind").setAttribute("data-n", open);
  }

  function drawHead(s) {
    $("svd-title").textContent = s.title;
    document.title = s.title + " | " + t("app.name");
    var meta = $("svd-meta");
    meta.textContent = "";
    meta.appendChild(S.stateChip(s.state, false, "survey_state"));
    meta.appendChild(el("span", { text: t("surveys.dashboard.due", { due: S.when(s.dueAt) }) }));
    if (s.sentAt) meta.appendChild(el("span", { class: "muted", text: t("surveys.dashboard.sent_at", { at: S.when(s.sentAt) }) }));
    if (s.closedAt) meta.appendChild(el("span", { class: "muted", text: t("surveys.dashboard.closed_at", { at: S.when(s.closedAt) }) }));
    $("svd-edit").hidden = s.state !== "draft";
    $("svd-close").hidden = s.state !== "open";
    var ex = $("svd-exports");
    while (ex.children.length > 1) ex.removeChild(ex.lastChild);
    var links = [];
    var hasFields = Object.keys(S.properties(s)).length > 0;
    if (hasFields || !s.sheet) {
      links.push(["fields", "xlsx", null, "surveys.export.xlsx"], ["fields", "csv", "utf-8", "surveys.export.csv_utf8"], ["fields", "csv", "shift_jis", "surveys.export.csv_sjis"]);
    }
    if (s.sheet) links.push(["sheet", "xlsx", null, "surveys.export.sheet"]);
    links.forEach(function (l) {
      var href = "/api/surveys/export?" + S.query({ id: id, part: l[0], format: l[1], encoding: l[2] });
      ex.appendChild(el("a", { class: "button small", href: href, download: "", "data-testid": "export-" + l[0] + "-" + l[1] + (l[2] ? "-" + l[2] : ""), text: t(l[3]) }));
    });
  }

  function drawRequest(s) {
    // The server stored sanitised HTML (spaces::html::sanitize); it is shown as such.
    $("svd-body").innerHTML = s.body || "";
    var files = $("svd-files");
    files.textContent = "";
    (s.attachments || []).forEach(function (f) {
      files.appendChild(el("li", { class: "sv-file" }, [el("a", { href: S.fileUrl(f.fileKey), download: f.name || "", text: f.name || f.fileKey }), el("span", { class: "muted", text: S.size(f.size) })]));
    });
  }

  function drawSort() {
    Array.prototype.forEach.call(document.querySelectorAll("#svd-table th[data-sort]"), function (th) {
      var on = th.getAttribute("data-sort") === sort;
      th.setAttribute("aria-sort", on ? (order === "asc" ? "ascending" : "descending") : "none");
      th.querySelector(".sort-mark").textContent = on ? (order === "asc" ? " ▲" : " ▼") : "";
    });
  }

  function load() {
    return K.api("GET", "/api/surveys/answers.json?" + S.query({ id: id, sort: sort, order: order })).then(function (r) {
      survey = Object.assign(survey || {}, r.survey || {});
      counts = r.counts || {};
      $("svd-loading").hidden = true;
      $("svd-main").hidden = false;
      drawHead(survey);
      drawCounts();
      drawSort();
      var rows = $("svd-rows");
      rows.textContent = "";
      (r.answers || []).forEach(function (a) { rows.appendChild(row(a)); });
      if (!(r.answers || []).length) rows.appendChild(el("tr", {}, [el("td", { colspan: 6, class: "muted", text: t("surveys.dashboard.no_answers") })]));
    }, function (e) {
      $("svd-loading").hidden = true;
      fail(e);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("#svd-table th[data-sort] button"), function (b) {
    b.addEventListener("click", function () {
      var key = b.parentNode.getAttribute("data-sort");
      order = key === sort && order === "asc" ? "desc" : "asc";
      sort = key;
      load();
    });
  });
  $("svd-remind").addEventListener("click", function () {
    var n = Number($("svd-remind").getAttribute("data-n")) || 0;
    if (!window.confirm(t("surveys.dashboard.remind_confirm", { n: n }))) return;
    K.api("POST", "/api/surveys/remind.json", { id: id }).then(function (r) { return done(t("surveys.dashboard.reminded", { n: r.reminded })); }).catch(fail);
  });
  $("svd-close").addEventListener("click", function () {
    if (!window.confirm(t("surveys.dashboard.close_confirm"))) return;
    K.api("POST", "/api/surveys/close.json", { id: id }).then(function () { return done(t("surveys.dashboard.closed")); }).catch(fail);
  });
  $("svd-copy").addEventListener("click", function () {
    K.api("POST", "/api/surveys/copy.json", { id: id }).then(function (r) { window.location.href = "/surveys/" + r.id + "/edit"; }, fail);
  });

  K.api("GET", "/api/surveys/survey.json?id=" + encodeURIComponent(id)).then(function (r) {
    survey = r.survey || r;
    drawRequest(survey);
    return load();
  }, function (e) { $("svd-loading").hidden = true; fail(e); });
})();
