// The recipient's page, /surveys/answers/<answer id> (issue 14; the bell links here): the request
// with its attachments, the answer form from the survey's fields, the Excel answer sheet (download
// the template, upload the filled one, the problems found), 一時保存 and 回答を提出, the return
// comment, the history; read-only once submitted or closed. A department may relay the request to
// its own departments. A guest's calls go through the guest space of the answer's organisation.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, S = window.KUMIKI_SURVEYS, F = window.KUMIKI_SURVEY_FORM;
  var page = K.page || {};
  var $ = function (id) { return document.getElementById(id); };
  var id = page.id;
  var data = null, form = null, editable = false, sheetFileKey = null;
  var errors = $("sva-errors");

  function call(method, api, body) { return K.api(method, S.apiBase() + api, body); }
  function fail(e) { S.showError(errors, e, $("sva-main")); }
  function who(p) { return p ? (typeof p === "string" ? p : (p.name || p.code || "")) : ""; }

  // A guest in several guest spaces: the answer is read through the first space that lets it in.
  function open() {
    var spaces = (page.guestSpaces || []).map(function (s) { return s.id; });
    var path = "surveys/answer.json?id=" + encodeURIComponent(id);
    if (page.guestSpace || spaces.length < 2) return call("GET", path);
    function next(i, last) {
      if (i >= spaces.length) return Promise.reject(last);
      S.setSpace(spaces[i]);
      return call("GET", path).catch(function (e) { return next(i + 1, e); });
    }
    return next(0, null);
  }

  function drawHead(a, s) {
    $("sva-title").textContent = s.title;
    document.title = s.title + " | " + t("app.name");
    var meta = $("sva-meta");
    meta.textContent = "";
    if (a.organisation) meta.appendChild(el("span", { class: "sv-org-name", "data-testid": "answer-organisation", text: a.organisation.name || a.organisation.code }));
    meta.appendChild(S.stateChip(a.state, a.late));
    meta.appendChild(el("span", { "data-testid": "answer-due", text: t("surveys.dashboard.due", { due: S.when(a.dueAt || s.dueAt) }) }));
  }

  function drawRequest(s) {
    // The server stored sanitised HTML (spaces::html::sanitize); it is shown as such.
    $("sva-body").innerHTML = s.body || "";
    var files = $("sva-files");
    files.textContent = "";
    (s.attachments || []).forEach(function (f) {
      files.appendChild(el("li", { class: "sv-file", "data-testid": "answer-file" }, [
        el("a", { href: S.fileUrl(f.fileKey), download: f.name || "", text: f.name || f.fileKey }),
        el("span", { class: "muted", text: S.size(f.size) }),
      ]));
    });
    $("sva-h-files").hidden = !(s.attachments || []).length;
  }

  function drawSheet(a, s) {
    var spec = s.sheet;
    $("sva-sheet-card").hidden = !spec;
    if (!spec) return;
    var tpl = S.template(spec);
    $("sva-template").href = tpl ? S.fileUrl(tpl.fileKey) : "#";
    $("sva-template").setAttribute("download", (tpl && tpl.name) || "");
    $("sva-template").textContent = t("surveys.answer.sheet_download_name", { name: (tpl && tpl.name) || "" });
    $("sva-sheet-label").hidden = !editable;
    $("sva-sheet-step3").textContent = editable ? t("surveys.answer.sheet_step3") : t("surveys.answer.sheet_step3_done");
    var cur = $("sva-sheet-current");
    cur.textContent = "";
    var uploaded = a.sheet && (a.sheet.fileKey || a.sheetFileKey);
    if (sheetFileKey && !uploaded) uploaded = sheetFileKey;
    if (a.sheet && a.sheet.fileKey) {
      cur.appendChild(document.createTextNode(t("surveys.answer.sheet_current") + " "));
      cur.appendChild(el("a", { href: S.fileUrl(a.sheet.fileKey), download: a.sheet.name || "", text: a.sheet.name || t("surveys.answer.sheet_file") }));
      if (a.sheet.rows !== undefined) cur.appendChild(el("span", { class: "muted", text: " " + t("surveys.answer.sheet_rows", { n: Array.isArray(a.sheet.rows) ? a.sheet.rows.length : a.sheet.rows }) }));
    } else {
      cur.textContent = uploaded ? t("surveys.answer.sheet_uploaded") : t("surveys.answer.sheet_missing");
    }
    var problems = a.sheetProblems || [];
    var box = $("sva-problems");
    box.textContent = "";
    box.hidden = !problems.length;
    if (!problems.length) return;
    box.appendChild(el("p", { class: "alert error", role: "alert", text: t("surveys.answer.problems", { n: problems.length }) }));
    box.appendChild(el("div", { class: "table-wrap" }, [el("table", { class: "data" }, [
      el("thead", {}, [el("tr", {}, [el("th", { text: t("surveys.sheet.cell") }), el("th", { text: t("surveys.sheet.column") }), el("th", { text: t("surveys.answer.problem_value") }), el("th", { text: t("surveys.answer.problem_expected") })])]),
      el("tbody", {}, problems.map(function (p) {
        return el("tr", { "data-testid": "answer-sheet-problem" }, [el("td", { text: p.cell }), el("td", { text: p.column }), el("td", { text: p.value }),
          el("td", { text: p.expected ? t("surveys.sheet.kind." + p.expected) : "" })]);
      })),
    ])]));
  }

  function drawHistory(events) {
    var list = $("sva-history");
    list.textContent = "";
    (events || []).forEach(function (ev) {
      list.appendChild(el("li", { "data-testid": "answer-event", "data-action": ev.action }, [
        el("time", { datetime: ev.at, class: "muted", text: S.when(ev.at) }), " ",
        el("span", { text: t("surveys.event." + ev.action, { name: who(ev.actor) || who(ev.actorName) }) }),
        ev.comment ? el("p", { class: "prewrap sv-event-comment", text: ev.comment }) : null,
      ]));
    });
    if (!list.children.length) list.appendChild(el("li", { class: "muted", text: t("surveys.answer.no_history") }));
  }

  function draw(r) {
    data = r;
    var a = r.answer, s = r.survey;
    // An owner who is no member of the organisation reads the answer; only members change it.
    var member = a.mayAnswer !== undefined ? !!a.mayAnswer : (s.isOwner === true ? !!(r.isMember || a.isMember) : true);
    editable = member && s.state === "open" && a.state !== "submitted" && a.state !== "accepted";
    drawHead(a, s);
    drawRequest(s);
    if (s.isOwner) {
      // An owner came from the dashboard: the breadcrumb leads back there.
      var crumb = document.querySelector(".breadcrumbs a");
      if (crumb) { crumb.href = "/surveys/" + s.id; crumb.textContent = t("surveys.dashboard.title"); }
    }
    var ret = $("sva-returned");
    ret.hidden = !(a.state === "returned" && a.returnComment);
    if (!ret.hidden) {
      $("sva-returned-text").textContent = a.returnComment;
      $("sva-returned-by").textContent = a.returnedAt ? t("surveys.answer.returned_by", { name: who(a.returnedBy), at: S.when(a.returnedAt) }) : "";
    }
    var ro = $("sva-readonly");
    ro.hidden = editable;
    if (s.state === "closed") ro.textContent = t("surveys.answer.readonly_closed");
    else if (a.state === "accepted") ro.textContent = t("surveys.answer.readonly_accepted");
    else if (a.state === "submitted") ro.textContent = t("surveys.answer.readonly_submitted", { name: who(a.submittedBy), at: S.when(a.submittedAt) });
    else ro.textContent = t("surveys.answer.readonly_owner");
    var props = S.properties(s);
    var hasFields = Object.keys(props).length > 0;
    $("sva-fields-card").hidden = !hasFields;
    $("sva-required-note").hidden = !editable;
    form = hasFields ? F.render($("sva-fields"), props, a.values || {}, { readOnly: !editable }) : null;
    drawSheet(a, s);
    $("sva-actions").hidden = !editable;
    drawHistory(a.events);
    var org = a.organisation || {};
    $("sva-relay-card").hidden = !(member && org.kind === "department" && !page.guest && (editable || a.childSurveyId));
    $("sva-relay").hidden = !editable || !!a.childSurveyId;
    $("sva-merge").hidden = !(editable && a.childSurveyId);
    $("sva-loading").hidden = true;
    $("sva-main").hidden = false;
  }

  function reload() { return call("GET", "surveys/answer.json?id=" + encodeURIComponent(id)).then(draw); }

  function payload() {
    var b = { id: id };
    if (form) b.values = form.collect();
    if (sheetFileKey) b.sheetFileKey = sheetFileKey;
    return b;
  }

  $("sva-form").addEventListener("submit", function (e) {
    e.preventDefault();
    S.clearErrors(errors, $("sva-main"));
    $("sva-save").disabled = true;
    call("PUT", "surveys/answer.json", payload()).then(function () {
      sheetFileKey = null;
      return reload().then(function () { S.notice($("sva-status"), t("surveys.answer.saved")); });
    }).catch(fail).then(function () { $("sva-save").disabled = false; });
  });
  $("sva-submit").addEventListener("click", function () {
    S.clearErrors(errors, $("sva-main"));
    if (!window.confirm(t("surveys.answer.submit_confirm", { title: data.survey.title }))) return;
    $("sva-submit").disabled = true;
    call("POST", "surveys/answer/submit.json", payload()).then(function () {
      sheetFileKey = null;
      return reload().then(function () { S.notice($("sva-status"), t("surveys.answer.submitted")); window.scrollTo(0, 0); });
    }).catch(fail).then(function () { $("sva-submit").disabled = false; });
  });
  $("sva-sheet-file").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (!file) return;
    S.clearErrors(errors, $("sva-main"));
    $("sva-sheet-current").textContent = t("surveys.answer.sheet_reading", { name: file.name });
    // The sheet is read when saved: its rows and the problems found come back with the answer.
    S.upload(file).then(function (key) {
      sheetFileKey = key;
      var b = payload();
      return call("PUT", "surveys/answer.json", b).then(function () {
        sheetFileKey = null;
        return reload().then(function () { S.notice($("sva-status"), t("surveys.answer.sheet_saved", { name: file.name })); });
      });
    }).catch(function (err) { sheetFileKey = null; drawSheet(data.answer, data.survey); fail(err); });
  });
  $("sva-relay").addEventListener("click", function () {
    if (!window.confirm(t("surveys.answer.relay_confirm"))) return;
    var due = data.answer.dueAt || data.survey.dueAt;
    call("POST", "surveys/relay.json", { answer: id, recipients: [], dueAt: due }).then(function (r) {
      window.location.href = "/surveys/" + r.id + "/edit";
    }, fail);
  });
  $("sva-merge").addEventListener("click", function () {
    call("POST", "surveys/answer/merge_relay.json", { id: id }).then(function () {
      return reload().then(function () { S.notice($("sva-status"), t("surveys.answer.merged")); });
    }).catch(fail);
  });

  open().then(draw, function (e) {
    $("sva-loading").hidden = true;
    if (e && (e.status === 403 || e.status === 404)) {
      errors.textContent = "";
      errors.appendChild(el("p", { "data-testid": "answer-not-found", text: t("surveys.answer.not_found") }));
      errors.hidden = false;
      return;
    }
    fail(e);
  });
})();
