// The thread page (issue 13, threads part): posts newest first with "older" paging, replies,
// mentions (users, departments, groups through KUMIKI_PICKER), up to 5 attachments, editing and
// deleting one's own posts, 既読 N with the readers on click. Opening the page marks the thread
// read up to its newest post. Every call goes to Kumiki's /api (the guest path for a guest space).
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, P = window.KUMIKI_PICKER;
  var page = K.page || {};
  var base = page.apiBase || "/api/";
  var $ = function (id) { return document.getElementById(id); };
  var posts = $("thr-posts"), older = $("thr-older"), errorBox = $("thr-error");
  var mentions = [], files = [], replyTo = null, oldest = null;

  function call(method, api, body) { return K.api(method, base + api, body); }
  function fail(e) {
    errorBox.textContent = t("threads.failed", { message: (e && e.message) || String(e) });
    var first = e && e.errors && Object.keys(e.errors)[0];
    if (first && e.errors[first].messages) errorBox.textContent += " " + e.errors[first].messages.join(" ");
    errorBox.hidden = false;
  }
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString(document.documentElement.lang || "ja", { dateStyle: "short", timeStyle: "short" });
  }
  function fileLink(f) {
    return el("a", { href: page.fileBase + "?fileKey=" + encodeURIComponent(f.fileKey), download: f.name, class: "thr-file", text: f.name });
  }

  function showReaders(id) {
    var list = $("thr-readers-list");
    list.textContent = "";
    call("GET", "space/thread/readers.json?post=" + encodeURIComponent(id)).then(function (r) {
      if (!r.readers.length) list.appendChild(el("li", { class: "muted", text: t("threads.readers.none") }));
      r.readers.forEach(function (x) { list.appendChild(el("li", { "data-code": x.code, text: x.name + " (" + when(x.readAt) + ")" })); });
      var d = $("thr-readers");
      if (d.showModal) d.showModal(); else d.setAttribute("open", "");
    }, fail);
  }

  function startEdit(p, item, bodyBox) {
    var area = el("textarea", { rows: 3, class: "thr-edit", "data-testid": "thread-edit-text" });
    area.value = p.text;
    var save = el("button", { type: "button", class: "button primary", "data-testid": "thread-edit-save", text: t("threads.save"), onclick: function () {
      call("PUT", "space/thread/comment.json", { id: p.id, comment: { text: area.value } }).then(reload, fail);
    } });
    var cancel = el("button", { type: "button", class: "button", text: t("threads.cancel"), onclick: reload });
    bodyBox.replaceWith(el("div", { class: "thr-editing" }, [area, el("div", { class: "thr-tools" }, [save, cancel])]));
    area.focus();
  }

  function renderPost(p, isReply) {
    var item = el("li", { class: "thr-post" + (isReply ? " thr-reply" : ""), id: "post-" + p.id, "data-testid": "thread-post", "data-id": p.id });
    var head = el("div", { class: "thr-head" }, [
      el("strong", { class: "thr-author", text: p.author.name }),
      el("time", { class: "muted", datetime: p.createdAt, text: when(p.createdAt) }),
      p.edited ? el("span", { class: "muted", text: t("threads.edited") }) : null,
    ]);
    item.appendChild(head);
    var body;
    if (p.deleted) {
      body = el("p", { class: "muted thr-deleted", "data-testid": "thread-post-deleted", text: t("threads.deleted") });
    } else {
      // The server stored sanitised HTML (spaces::html::sanitize); it is shown as such.
      body = el("div", { class: "thr-text", "data-testid": "thread-post-text" });
      body.innerHTML = p.html;
    }
    item.appendChild(body);
    if (!p.deleted && p.mentions && p.mentions.length) {
      item.appendChild(el("div", { class: "thr-chips" }, p.mentions.map(function (m) {
        return el("span", { class: "thr-chip", text: "@" + (P.name(m.type, m.code) || m.code) });
      })));
    }
    if (!p.deleted && p.files && p.files.length) {
      item.appendChild(el("ul", { class: "thr-files" }, p.files.map(function (f) { return el("li", {}, [fileLink(f)]); })));
    }
    var actions = el("div", { class: "thr-actions" });
    if (!p.deleted) {
      actions.appendChild(el("button", { type: "button", class: "link thr-read", "data-testid": "thread-read-count",
        text: t("threads.read", { n: p.readCount }), onclick: function () { showReaders(p.id); } }));
    }
    // A deleted post keeps its replies in place but takes no new ones.
    if (!isReply && !p.deleted) {
      actions.appendChild(el("button", { type: "button", class: "link", "data-testid": "thread-reply", text: t("threads.reply"), onclick: function () {
        setReply(p);
        $("thr-text").focus();
      } }));
    }
    if (!p.deleted && p.author.code === page.me) {
      actions.appendChild(el("button", { type: "button", class: "link", "data-testid": "thread-edit", text: t("threads.edit"),
        onclick: function () { startEdit(p, item, body); } }));
      actions.appendChild(el("button", { type: "button", class: "link danger", "data-testid": "thread-delete", text: t("threads.delete"), onclick: function () {
        if (!window.confirm(t("threads.delete_confirm"))) return;
        call("DELETE", "space/thread/comment.json", { id: p.id }).then(reload, fail);
      } }));
    }
    item.appendChild(actions);
    if (p.replies && p.replies.length) {
      item.appendChild(el("ol", { class: "thr-replies" }, p.replies.map(function (r) { return renderPost(r, true); })));
    }
    return item;
  }

  function load(before) {
    var q = "space/thread/comments.json?space=" + page.space + "&thread=" + page.thread + "&limit=20" + (before ? "&before=" + before : "");
    return call("GET", q).then(function (r) {
      $("thr-loading").hidden = true;
      r.comments.forEach(function (p) { posts.appendChild(renderPost(p, false)); oldest = p.id; });
      older.hidden = !r.older;
      $("thr-empty").hidden = posts.children.length > 0;
      // Reading the newest page marks the thread read up to its newest post.
      if (!before && r.lastPostId !== "0" && r.lastPostId !== r.readPosition) {
        call("POST", "space/thread/read.json", { space: page.space, thread: page.thread, post: r.lastPostId }).catch(function () {});
      }
    }, function (e) { $("thr-loading").hidden = true; fail(e); });
  }
  function reload() { posts.textContent = ""; oldest = null; errorBox.hidden = true; return load(null); }

  // Replying to `p` (null: a new top-level post); the note under the box says to whom, with a way out.
  function setReply(p) {
    replyTo = p;
    var box = $("thr-replying");
    box.textContent = "";
    box.hidden = !p;
    if (!p) return;
    box.appendChild(document.createTextNode(t("threads.replying", { name: p.author.name }) + " "));
    box.appendChild(el("button", { type: "button", class: "link", "data-testid": "thread-reply-cancel", text: t("threads.cancel_reply"),
      onclick: function () { setReply(null); } }));
  }
  function drawChips() {
    var box = $("thr-mentions");
    box.textContent = "";
    mentions.forEach(function (m, i) {
      box.appendChild(el("span", { class: "thr-chip", "data-testid": "thread-mention-chip" }, [
        "@" + (P.name(m.type, m.code) || m.code),
        el("button", { type: "button", class: "link", "aria-label": t("threads.remove"), text: "×", onclick: function () { mentions.splice(i, 1); drawChips(); } }),
      ]));
    });
  }
  function drawFiles() {
    var list = $("thr-files");
    list.textContent = "";
    files.forEach(function (f, i) {
      list.appendChild(el("li", { "data-testid": "thread-attached" }, [
        f.key ? f.name : f.name + " " + t("threads.uploading"),
        el("button", { type: "button", class: "link", text: t("threads.remove"), onclick: function () { files.splice(i, 1); drawFiles(); } }),
      ]));
    });
  }
  function upload(file) {
    var entry = { name: file.name, key: null };
    files.push(entry);
    drawFiles();
    var form = new FormData();
    form.append("file", file, file.name);
    return fetch(page.fileBase, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": K.csrf, "X-Requested-With": "XMLHttpRequest" } })
      .then(function (resp) { return resp.json().then(function (b) { if (!resp.ok) throw new K.ApiError(resp.status, b); return b; }); })
      .then(function (b) { entry.key = b.fileKey; drawFiles(); }, function (e) { files.splice(files.indexOf(entry), 1); drawFiles(); fail(e); });
  }

  $("thr-file").addEventListener("change", function (e) {
    var chosen = Array.prototype.slice.call(e.target.files || []);
    if (files.length + chosen.length > page.maxFiles) { fail(new Error(t("threads.too_many_files", { n: page.maxFiles }))); }
    chosen.slice(0, Math.max(0, page.maxFiles - files.length)).forEach(upload);
    e.target.value = "";
  });
  $("thr-mention").addEventListener("click", function () {
    var box = $("thr-picker");
    box.hidden = !box.hidden;
    $("thr-mention").setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden && !box.firstChild) {
      box.appendChild(P.create({ id: "thr-pick", kinds: ["USER", "ORGANIZATION", "GROUP"], onPick: function (entry) {
        var m = { code: entry.entity.code, type: entry.entity.type };
        if (!mentions.some(function (x) { return x.code === m.code && x.type === m.type; })) mentions.push(m);
        drawChips();
      } }));
    }
  });
  $("thr-compose").addEventListener("submit", function (e) {
    e.preventDefault();
    errorBox.hidden = true;
    if (files.some(function (f) { return !f.key; })) return;
    var comment = { text: $("thr-text").value, mentions: mentions, files: files.map(function (f) { return { fileKey: f.key }; }) };
    if (replyTo) comment.parent = replyTo.id;
    $("thr-send").disabled = true;
    call("POST", "space/thread/comment.json", { space: page.space, thread: page.thread, comment: comment }).then(function () {
      $("thr-text").value = ""; mentions = []; files = [];
      setReply(null);
      drawChips(); drawFiles();
      return reload();
    }, fail).then(function () { $("thr-send").disabled = false; });
  });
  older.addEventListener("click", function () { load(oldest); });

  P.load().then(function () { return load(null); }, function () { return load(null); }).then(function () {
    var hash = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (hash) hash.scrollIntoView();
  });
})();
