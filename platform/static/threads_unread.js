// The portal's unread block (issue 13, threads part): per space the user is a member of, its
// threads with unread posts, each linking to the thread page. Hidden when the user is in no space.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
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
