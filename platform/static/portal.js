// Portal: "assigned to me" counts of apps with process management, linking to the app's list filtered
// to the caller's records.
"use strict";
(function () {
  var K = window.KUMIKI;
  var box = document.getElementById("assigned");
  if (!box) return;
  K.api("GET", "/api/process/assigned.json").then(function (data) {
    var apps = (data && data.apps) || [];
    if (!apps.length) return;
    var list = K.el("ul", { class: "assigned-list", "data-testid": "assigned-list" });
    apps.forEach(function (a) {
      var cond = JSON.stringify({ m: "and", c: [{ f: a.assigneeField || "Assignee", op: "in", v: ["LOGINUSER()"] }] });
      var href = "/apps/" + encodeURIComponent(a.app) + "?cond=" + encodeURIComponent(cond);
      list.appendChild(K.el("li", {}, [
        K.el("a", { href: href, "data-testid": "assigned-" + a.app }, [
          K.el("span", { class: "app-name", text: a.name }),
          K.el("span", { class: "badge", text: K.t("portal.assigned_count", { count: a.count }) })
        ])
      ]));
    });
    box.appendChild(list);
    box.hidden = false;
  }).catch(function () { /* the counts are a convenience; the portal works without them */ });
})();
