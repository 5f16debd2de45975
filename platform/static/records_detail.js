// The record detail page: the record in its layout, delete with confirmation, comments with @mentions
// (paged newest first) and the change history as a timeline.
"use strict";
(function () {
  var K = window.KUMIKI, R = window.KUMIKI_RECORDS, F = window.KUMIKI_FORM, el = K.el;
  var page = R.page;
  var root = document.getElementById("record-detail-root");
  var status = document.getElementById("records-status");
  if (!root) return;
  var recordId = page.record;
  var props = {};

  if (/[?&]saved=1/.test(location.search)) {
    R.alert(status, "ok", K.t("records.saved"), "saved-message");
    var kept = new URLSearchParams(location.search);
    kept.delete("saved");
    history.replaceState(null, "", location.pathname + (kept.toString() ? "?" + kept.toString() : ""));
  }

  // ---------- previous / next record of the list this record was opened from ----------
  // The list's links carry its filter (lq), sort (ls), the record's position (pos) and the list's
  // own URL (back). The neighbours come from the same query around that position; when the list
  // changed meanwhile, the record is looked for from the start (at most 10,000 records, 500 a page).
  var listUrl = "/apps/" + encodeURIComponent(R.appId);
  (function () {
    var nav = document.getElementById("record-nav");
    var q = new URLSearchParams(location.search);
    if (q.get("back")) listUrl += "?" + q.get("back");
    document.querySelectorAll("[data-testid=back-to-list]").forEach(function (a) { a.setAttribute("href", listUrl); });
    if (!nav || !q.has("pos")) return;
    var filter = q.get("lq") || "", sort = q.get("ls") || "";
    var base = filter + (sort ? (filter ? " " : "") + "order by " + sort : "");
    var pos = Math.max(0, Math.floor(Number(q.get("pos")) || 0));
    var me = String(recordId);
    function ids(offset, limit) {
      return R.get("records.json", { app: R.appId, query: base + " limit " + limit + " offset " + offset, fields: ["$id"] })
        .then(function (b) { return (b.records || []).map(function (r) { return String(r.$id.value); }); });
    }
    function scan(offset, before) {
      if (offset > 10000) return null;
      return ids(offset, 500).then(function (chunk) {
        var i = chunk.indexOf(me);
        if (i < 0) return chunk.length < 500 ? null : scan(offset + 500, chunk[chunk.length - 1]);
        var found = { index: offset + i, prev: i > 0 ? chunk[i - 1] : before || null, next: chunk[i + 1] || null };
        if (found.next || chunk.length < 500) return found;
        return ids(offset + 500, 1).then(function (more) { found.next = more[0] || null; return found; });
      });
    }
    var start = Math.max(0, pos - 1);
    ids(start, 3).then(function (around) {
      var i = around.indexOf(me);
      var sure = i >= 0 && (i > 0 || start === 0) && (i < around.length - 1 || around.length < 3);
      if (sure) return { index: start + i, prev: i > 0 ? around[i - 1] : null, next: around[i + 1] || null };
      return scan(0, null);
    }).then(function (found) {
      if (!found) return;
      function link(id, at, testid, text) {
        if (!id) return el("span", { class: "button disabled", "aria-disabled": "true", "data-testid": testid, text: text });
        var nq = new URLSearchParams(q.toString());
        nq.set("pos", String(at));
        nq.delete("saved");
        return el("a", { class: "button", href: R.recordUrl(id) + "?" + nq.toString(), "data-testid": testid, text: text });
      }
      nav.textContent = "";
      nav.appendChild(link(found.prev, found.index - 1, "nav-prev", "‹ " + K.t("record_tools.nav.prev")));
      nav.appendChild(el("span", { class: "muted record-nav-position", "data-testid": "nav-position", text: K.t("record_tools.nav.position", { n: found.index + 1 }) }));
      nav.appendChild(link(found.next, found.index + 1, "nav-next", K.t("record_tools.nav.next") + " ›"));
      nav.hidden = false;
    }).catch(function () { /* without neighbours the page works as before */ });
  })();

  Promise.all([R.fields(), R.layout(), R.get("record.json?app=" + encodeURIComponent(R.appId) + "&id=" + encodeURIComponent(recordId))]).then(function (res) {
    props = res[0];
    F.renderView(root, res[0], res[1], res[2].record);
    loadHistory();
  }).catch(function (e) {
    root.textContent = "";
    R.alert(status, "error", K.t("records.load_failed") + " " + R.errorText(e), "detail-error");
  });

  // ---------- delete ----------
  var dialog = document.getElementById("delete-dialog");
  var delBtn = document.getElementById("delete-record");
  var confirmBtn = document.getElementById("confirm-delete");
  var cancelBtn = document.getElementById("cancel-delete");
  if (delBtn && dialog) {
    delBtn.addEventListener("click", function () {
      if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
      cancelBtn.focus();
    });
    cancelBtn.addEventListener("click", function () { dialog.close ? dialog.close() : dialog.removeAttribute("open"); delBtn.focus(); });
    confirmBtn.addEventListener("click", function () {
      confirmBtn.disabled = true;
      K.api("DELETE", "records.json", { app: R.appId, ids: [recordId] }).then(function () {
        location.href = listUrl;
      }).catch(function (e) {
        confirmBtn.disabled = false;
        if (dialog.close) dialog.close();
        R.alert(status, "error", R.errorText(e), "delete-error");
      });
    });
  }

  // ---------- comments ----------
  var cbox = document.getElementById("record-comments");
  var offset = 0;
  var LIMIT = 10;
  var mentions = {};
  var input = el("textarea", { id: "comment-input", "data-testid": "comment-input", rows: "3", maxlength: "65535",
    "aria-autocomplete": "list", "aria-controls": "mention-list", "aria-expanded": "false" });
  var suggest = el("ul", { id: "mention-list", class: "mention-list", role: "listbox", "data-testid": "mention-suggestions", "aria-label": K.t("records.mention_users") });
  suggest.hidden = true;
  var submit = el("button", { type: "submit", class: "button primary small", "data-testid": "comment-submit", text: K.t("records.comment_post") });
  var cmsg = el("div", { hidden: true });
  var list = el("ol", { class: "comment-list", "data-testid": "comments" });
  var pager = el("div", { class: "comment-pager" });
  var form = el("form", { class: "comment-form" }, [
    el("label", { for: "comment-input", class: "label", text: K.t("records.comment_add") }),
    el("div", { class: "mention-wrap" }, [input, suggest]),
    el("p", { class: "help", text: K.t("records.mention_help") }),
    cmsg,
    el("div", {}, [submit])]);
  cbox.appendChild(form);
  cbox.appendChild(list);
  cbox.appendChild(pager);

  var active = -1, matches = [], atStart = -1;
  function closeSuggest() { suggest.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function drawSuggest() {
    suggest.textContent = "";
    matches.forEach(function (u, i) {
      var li = el("li", { id: "mention-opt-" + i, role: "option", class: "mention-option" + (i === active ? " active" : ""), "aria-selected": i === active ? "true" : "false",
        "data-testid": "mention-option-" + u.code, text: u.name + " (" + u.code + ")" });
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(u); });
      suggest.appendChild(li);
    });
    suggest.hidden = !matches.length;
    input.setAttribute("aria-expanded", String(!!matches.length));
    if (active >= 0) input.setAttribute("aria-activedescendant", "mention-opt-" + active);
  }
  function pick(u) {
    var caret = input.selectionStart;
    var before = input.value.slice(0, atStart), after = input.value.slice(caret);
    var insert = "@" + u.code + " ";
    input.value = before + insert + after;
    var pos = before.length + insert.length;
    input.setSelectionRange(pos, pos);
    mentions[u.code] = true;
    closeSuggest();
    input.focus();
  }
  input.addEventListener("input", function () {
    var caret = input.selectionStart;
    var m = /(^|\s)@([^\s@]*)$/.exec(input.value.slice(0, caret));
    if (!m) { closeSuggest(); return; }
    atStart = caret - m[2].length - 1;
    var term = m[2].toLowerCase();
    R.users().then(function (users) {
      matches = users.filter(function (u) { return u.code.toLowerCase().indexOf(term) >= 0 || u.name.toLowerCase().indexOf(term) >= 0; }).slice(0, 8);
      active = matches.length ? 0 : -1;
      drawSuggest();
    });
  });
  input.addEventListener("keydown", function (e) {
    if (suggest.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); active = (active + 1) % matches.length; drawSuggest(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); active = (active - 1 + matches.length) % matches.length; drawSuggest(); }
    else if (e.key === "Enter" || e.key === "Tab") { if (active >= 0) { e.preventDefault(); pick(matches[active]); } }
    else if (e.key === "Escape") { e.preventDefault(); closeSuggest(); }
  });
  input.addEventListener("blur", function () { setTimeout(closeSuggest, 150); });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) { R.alert(cmsg, "error", K.t("records.comment_empty")); input.focus(); return; }
    var sent = Object.keys(mentions).filter(function (code) { return text.indexOf("@" + code) >= 0; }).slice(0, 10)
      .map(function (code) { return { code: code, type: "USER" }; });
    submit.disabled = true;
    K.api("POST", "record/comment.json", { app: R.appId, record: recordId, comment: { text: text, mentions: sent } }).then(function () {
      input.value = ""; mentions = {}; offset = 0;
      R.alert(cmsg, "", "");
      loadComments();
    }).catch(function (err) { R.alert(cmsg, "error", R.errorText(err), "comment-error"); })
      .then(function () { submit.disabled = false; });
  });

  function loadComments() {
    R.get("record/comments.json?app=" + encodeURIComponent(R.appId) + "&record=" + encodeURIComponent(recordId) + "&order=desc&offset=" + offset + "&limit=" + LIMIT).then(function (b) {
      list.textContent = "";
      var cs = b.comments || [];
      if (!cs.length) list.appendChild(el("li", { class: "muted", text: K.t("records.no_comments") }));
      cs.forEach(function (c) {
        var own = c.creator && c.creator.code === page.user.code;
        var head = el("div", { class: "comment-head" }, [
          el("strong", { text: (c.creator && (c.creator.name || c.creator.code)) || "" }),
          el("time", { datetime: c.createdAt, class: "muted", text: R.fmtDateTime(c.createdAt) })]);
        if (own) head.appendChild(el("button", { type: "button", class: "link-button", "data-testid": "comment-delete-" + c.id, text: K.t("records.delete"),
          onclick: function () {
            if (!window.confirm(K.t("records.comment_delete_confirm"))) return;
            K.api("DELETE", "record/comment.json", { app: R.appId, record: recordId, comment: c.id }).then(loadComments)
              .catch(function (err) { R.alert(cmsg, "error", R.errorText(err)); });
          } }));
        var mentionLine = (c.mentions || []).length ? el("div", { class: "comment-mentions" }, (c.mentions || []).map(function (m) { return el("span", { class: "chip", text: "@" + m.code }); })) : null;
        list.appendChild(el("li", { class: "comment", "data-testid": "comment-" + c.id }, [head, mentionLine, el("p", { class: "prewrap comment-text", text: c.text })]));
      });
      pager.textContent = "";
      if (b.newer) pager.appendChild(el("button", { type: "button", class: "button small", "data-testid": "comments-newer", text: K.t("records.newer"), onclick: function () { offset = Math.max(0, offset - LIMIT); loadComments(); } }));
      if (b.older) pager.appendChild(el("button", { type: "button", class: "button small", "data-testid": "comments-older", text: K.t("records.older"), onclick: function () { offset += LIMIT; loadComments(); } }));
    }).catch(function (e) {
      list.textContent = "";
      list.appendChild(el("li", { class: "alert error", text: R.errorText(e) }));
    });
  }
  loadComments();

  // ---------- history ----------
  function valueText(change, v) {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return K.t("records.history_empty");
    var p = props[change.field] || { type: change.type || "", code: change.field };
    return R.text(p, v) || K.t("records.history_empty");
  }
  function loadHistory() {
    var hbox = document.getElementById("record-history");
    R.get("/api/record/history.json?app=" + encodeURIComponent(R.appId) + "&id=" + encodeURIComponent(recordId)).then(function (b) {
      hbox.textContent = "";
      var entries = b.history || [];
      var ol = el("ol", { class: "timeline", "data-testid": "history" });
      if (!entries.length) ol.appendChild(el("li", { class: "muted", text: K.t("records.history_none") }));
      entries.forEach(function (h) {
        var what = h.action === "ADD" ? K.t("records.history_add") : K.t("records.history_update");
        var changes = el("ul", { class: "changes" }, (h.changes || []).map(function (c) {
          return el("li", {}, [el("span", { class: "change-field", text: c.label || c.field }), " ",
            el("span", { class: "change-old", text: valueText(c, c.old) }), el("span", { "aria-hidden": "true", text: " → " }),
            el("span", { class: "sr-only", text: " " + K.t("records.history_to") + " " }),
            el("span", { class: "change-new", text: valueText(c, c.new) })]);
        }));
        ol.appendChild(el("li", { class: "timeline-entry", "data-testid": "history-rev-" + h.revision }, [
          el("div", { class: "timeline-head" }, [el("strong", { text: what }), " ",
            el("span", { text: (h.actor && (h.actor.name || h.actor.code)) || "" }), " ",
            el("time", { datetime: h.at, class: "muted", text: R.fmtDateTime(h.at) }), " ",
            el("span", { class: "muted", text: K.t("records.revision", { n: h.revision }) })]),
          h.changes && h.changes.length ? changes : null]));
      });
      hbox.appendChild(ol);
      addRestoreButtons(ol, entries);
    }).catch(function (e) {
      hbox.textContent = "";
      hbox.appendChild(el("p", { class: "alert error", text: R.errorText(e) }));
    });
  }

  // ---------- restore an earlier revision (review area: /api/record/restore.json) ----------
  function addRestoreButtons(ol, entries) {
    entries.slice(1).forEach(function (h) {
      var li = ol.querySelector('[data-testid="history-rev-' + h.revision + '"]');
      if (!li) return;
      li.appendChild(el("button", { type: "button", class: "button small", "data-testid": "restore-rev-" + h.revision,
        text: K.t("records.restore.button"), onclick: function () {
          if (!window.confirm(K.t("records.restore.confirm", { n: h.revision }))) return;
          K.api("POST", "/api/record/restore.json", { app: R.appId, id: recordId, revision: h.revision }).then(function () {
            location.reload();
          }, function (e) { li.appendChild(el("p", { class: "alert error", text: R.errorText(e) })); });
        } }));
    });
  }
})();
