// The portal's unread block (issue 13, threads part): per space the user is a member of, its
// threads with unread posts, each linking to the thread page. Hidden when the user is in no space.
// On a space page it marks that space's threads with unread posts instead.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
  var page = K.page || {};
  // The space page: a badge beside each of its threads with unread posts (members only; a guest
  // space is asked through its own path).
  var threads = document.querySelector("[data-testid=space-threads]");
  if (page.view === "space" && threads) {
    var guest = /^\/k\/guest\/\d+\//.test(page.apiBase || "") ? "/k/guest/" + page.space + "/api/" : "/api/";
    K.api("GET", guest + "spaces/unread.json").then(function (r) {
      (r.spaces || []).filter(function (s) { return String(s.id) === String(page.space); }).forEach(function (s) {
        s.threads.forEach(function (th) {
          var link = threads.querySelector("[data-testid='space-thread-" + th.id + "']");
          if (!link) return;
          link.parentNode.appendChild(el("span", { class: "thr-badge", "data-testid": "space-thread-unread-" + th.id,
            text: t("threads.unread.count", { n: th.unread + (th.more ? "+" : "") }) }));
        });
      });
    }, function () { /* the space page works without the badges */ });
    return;
  }
  var box = document.getElementById("portal-unread"), list = document.getElementById("portal-unread-list");
  if (!box || !list) return;
  K.api("GET", "/api/spaces/unread.json").then(function (r) {
    if (!r.spaces || !r.spaces.length) return;
    r.spaces.forEach(function (s) {
      var count = s.unread + (s.more ? "+" : "");
      list.appendChild(el("li", { "data-testid": "portal-unread-space", "data-space": s.id }, [
        el("a", { href: "/spaces/" + s.id, text: s.name }),
        s.unread !== "0" ? el("span", { class: "thr-badge", "data-testid": "portal-unread-count", text: t("threads.unread.count", { n: count }) }) : null,
      ]));
      s.threads.forEach(function (th) {
        list.appendChild(el("li", { class: "thr-unread-thread", "data-testid": "portal-unread-thread", "data-thread": th.id }, [
          el("a", { href: "/spaces/" + s.id + "/threads/" + th.id, text: th.name }),
          el("span", { class: "thr-badge", text: th.unread + (th.more ? "+" : "") }),
        ]));
      });
    });
    if (r.total === "0") list.appendChild(el("li", { class: "muted", text: t("threads.unread.none") }));
    box.hidden = false;
  }, function () { /* the portal works without the block */ });
})();
