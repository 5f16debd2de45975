// The review page: submit pre-live settings for review, see the state, and (reviewers) read the
// diff and the diagram and approve or reject. Approval does not deploy; the deploy button does.
(function () {
  "use strict";
  var K = window.KUMIKI, R = window.KUMIKI_REVIEW, el = K.el, t = K.t, page = K.page || {};
  var APP = page.app;
  var $ = function (id) { return document.getElementById(id); };
  var msg = $("rv-message");
  var pendingId = null;

  function stateBadge(state) {
    return el("span", { class: "rv-badge rv-" + String(state).toLowerCase(), "data-testid": "state-" + state, text: t("review.state." + String(state).toLowerCase()) });
  }

  function person(p) { return p ? (p.name || p.code) : ""; }

  function renderState(b) {
    var box = $("rv-state");
    box.textContent = "";
    var changed = b.liveRevision !== b.previewRevision;
    var why = b.requiredBy === "policy" ? t("review.required_policy") : t("review.required");
    box.appendChild(el("p", { "data-testid": "review-requirement", text: b.requireReview ? why : t("review.not_required") }));
    var latest = (b.submissions || [])[0];
    if (!changed) {
      box.appendChild(el("p", { class: "muted", "data-testid": "no-changes", text: t("review.no_changes") }));
    }
    if (latest) {
      var dl = el("dl", { class: "rv-latest" }, [
        el("dt", { text: t("review.latest.state") }), el("dd", {}, [stateBadge(latest.state),
          latest.current ? null : el("span", { class: "muted", text: " " + t("review.outdated") })]),
        el("dt", { text: t("review.latest.submitter") }), el("dd", { text: person(latest.submitter) + " · " + R.fmt(latest.submittedAt) }),
        el("dt", { text: t("review.latest.comment") }), el("dd", { text: latest.comment || "—" })
      ]);
      if (latest.reviewer) {
        dl.appendChild(el("dt", { text: t("review.latest.reviewer") }));
        dl.appendChild(el("dd", { text: person(latest.reviewer) + " · " + R.fmt(latest.reviewedAt) }));
        dl.appendChild(el("dt", { text: t("review.latest.review_comment") }));
        dl.appendChild(el("dd", { "data-testid": "review-comment-shown", text: latest.reviewComment || "—" }));
      }
      box.appendChild(dl);
    }
    var pending = (b.submissions || []).filter(function (s) { return s.state === "PENDING" && s.current; })[0];
    pendingId = pending ? pending.id : null;
    if ($("rv-submit-box")) $("rv-submit-box").hidden = !changed || !!pending || b.approved;
    $("rv-deploy-box").hidden = !(changed && b.approved && (page.mayManage || page.isReviewer));
    if ($("rv-decide-box")) $("rv-decide-box").hidden = !pendingId;
    renderHistory(b.submissions || []);
  }

  function renderHistory(list) {
    var box = $("rv-history");
    box.textContent = "";
    if (!list.length) { box.appendChild(el("p", { class: "muted", text: t("review.history.none") })); return; }
    var tbody = el("tbody", {}, list.map(function (s) {
      return el("tr", { "data-testid": "submission-" + s.id }, [
        el("td", { text: R.fmt(s.submittedAt) }),
        el("td", { text: person(s.submitter) }),
        el("td", { text: s.comment || "—" }),
        el("td", {}, [stateBadge(s.state)]),
        el("td", { text: s.reviewer ? person(s.reviewer) + (s.reviewComment ? ": " + s.reviewComment : "") : "—" }),
        el("td", { text: s.revision })
      ]);
    }));
    box.appendChild(el("div", { class: "rv-table-wrap" }, [el("table", { class: "data" }, [
      el("thead", {}, [el("tr", {}, ["submitted", "submitter", "comment", "state", "reviewer", "revision"].map(function (k) {
        return el("th", { scope: "col", text: t("review.history.col_" + k) });
      }))]), tbody])]));
  }

  function load() {
    return K.api("GET", "/api/app/review/submissions.json?app=" + encodeURIComponent(APP)).then(renderState, function (e) {
      R.message(msg, "error", R.errorText(e));
    });
  }

  function loadDiff() {
    var box = $("rv-diff");
    return K.api("GET", "/api/app/diff.json?app=" + encodeURIComponent(APP) + "&from=live&to=preview").then(function (b) {
      R.renderDiff(box, b);
    }, function (e) {
      box.textContent = "";
      box.appendChild(el("p", { class: "alert error", text: R.errorText(e) }));
    });
  }

  function refreshDiagram() {
    var img = $("rv-diagram");
    img.src = img.getAttribute("src").replace(/&v=\d+$/, "") + "&v=" + Date.now();
  }

  function busy(on) {
    ["rv-submit", "rv-approve", "rv-reject", "rv-deploy"].forEach(function (id) { if ($(id)) $(id).disabled = on; });
  }

  function submit() {
    busy(true);
    K.api("POST", "/api/app/review/submit.json", { app: APP, comment: $("rv-comment").value }).then(function () {
      $("rv-comment").value = "";
      R.message(msg, "ok", t("review.submit.done"));
      return load();
    }, function (e) { R.message(msg, "error", R.errorText(e)); }).then(function () { busy(false); });
  }

  function decide(approve) {
    if (!pendingId) return;
    var comment = $("rv-decision-comment").value;
    if (!approve && !comment.trim()) {
      R.message(msg, "error", t("review.decide.need_comment"));
      $("rv-decision-comment").focus();
      return;
    }
    busy(true);
    K.api("POST", "/api/app/review/decide.json", { app: APP, submission: pendingId, approve: approve, comment: comment }).then(function () {
      $("rv-decision-comment").value = "";
      R.message(msg, "ok", t(approve ? "review.decide.approved" : "review.decide.rejected"));
      return load();
    }, function (e) { R.message(msg, "error", R.errorText(e)); }).then(function () { busy(false); });
  }

  function deploy() {
    busy(true);
    R.message(msg, "info", t("review.deploy.running"));
    K.api("POST", "preview/app/deploy.json", { apps: [{ app: APP }] }).then(function () {
      var link = el("a", { href: "/apps/" + APP, "data-testid": "open-app", text: t("review.deploy.open") });
      R.message(msg, "ok", t("review.deploy.done"), link);
      return Promise.all([load(), loadDiff()]).then(refreshDiagram);
    }, function (e) { R.message(msg, "error", R.errorText(e)); }).then(function () { busy(false); });
  }

  if ($("rv-submit")) $("rv-submit").addEventListener("click", submit);
  if ($("rv-approve")) $("rv-approve").addEventListener("click", function () { decide(true); });
  if ($("rv-reject")) $("rv-reject").addEventListener("click", function () { decide(false); });
  $("rv-deploy").addEventListener("click", deploy);
  load();
  loadDiff();
})();
