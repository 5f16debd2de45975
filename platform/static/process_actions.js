// The record page's process panel: the current status and assignees, and a button for each action the
// signed-in user may run now (with the next assignee to choose when the action needs one).
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, page = K.page || {};
  var panel = document.getElementById("process-panel");
  if (!panel || !page.record) return;
  var body = document.getElementById("process-body");

  function show(data) {
    body.textContent = "";
    body.appendChild(el("p", { class: "process-status" }, [
      el("span", { class: "label", text: K.t("process.status") }),
      el("span", { class: "badge status-badge", "data-testid": "process-status", text: data.status || "-" })
    ]));
    var names = (data.assignees || []).map(function (a) { return a.name || a.code; });
    body.appendChild(el("p", { class: "muted", "data-testid": "process-assignees",
      text: K.t("process.assignees") + ": " + (names.length ? names.join("、") : K.t("process.nobody")) }));
    var error = el("p", { class: "field-error", role: "alert", "data-testid": "process-error" });
    body.appendChild(error);
    if (!(data.actions || []).length) {
      body.appendChild(el("p", { class: "muted", text: K.t("process.no_actions") }));
      return;
    }
    (data.actions || []).forEach(function (a, i) {
      var select = null;
      if (a.assigneeRequired) {
        select = el("select", { "aria-label": K.t("process.next_assignee"), "data-testid": "process-assignee-" + i },
          a.assigneeCandidates.map(function (c) { return el("option", { value: c.code, text: c.name || c.code }); }));
      }
      var button = el("button", { type: "button", class: "button " + (a.type === "PRIMARY" ? "primary" : ""),
        "data-testid": "process-action-" + i, text: a.name + " → " + a.to,
        onclick: function () {
          button.disabled = true;
          error.textContent = "";
          var req = { app: page.app, id: page.record, action: a.name, revision: data.revision };
          if (select) req.assignee = select.value;
          K.api("PUT", "record/status.json", req).then(function () { location.reload(); }, function (e) {
            button.disabled = false;
            error.textContent = e.status === 409 ? K.t("process.conflict") : e.message;
          });
        } });
      body.appendChild(el("div", { class: "process-action" }, select ? [select, button] : [button]));
    });
  }

  K.api("GET", "/api/process/actions.json?app=" + encodeURIComponent(page.app) + "&id=" + encodeURIComponent(page.record))
    // An app without process management answers `enabled: false`: no panel.
    .then(function (data) { if (data.enabled === false) return; panel.hidden = false; show(data); })
    .catch(function () { /* the record is gone or cannot be read: no panel */ });
})();
