// The space pages (platform/src/pages/spaces.rs): create a space (or one from a template), join and
// leave, add threads and apps, and the settings page (general switches, body editor, members with
// the entity picker, threads, save as template, delete). Every call goes through the kintone API;
// a guest space's calls use its guest path (pageData.apiBase = "/k/guest/<id>/v1/").
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, P = window.KUMIKI_PICKER;
  var data = K.page || {};
  var base = data.apiBase || "/k/v1/";
  var space = data.space;

  function status(text, ok) {
    var box = document.querySelector("[data-role=status]");
    if (!box) return;
    box.hidden = !text;
    box.textContent = text || "";
    box.className = ok ? "alert ok" : "alert";
  }

  /** The first per-field message of an API error, else its message. */
  function message(e) {
    var keys = Object.keys((e && e.errors) || {});
    if (keys.length && e.errors[keys[0]].messages) return e.errors[keys[0]].messages[0];
    return (e && e.message) || String(e);
  }

  function fail(e) { status(message(e), false); }

  function on(id, fn) {
    var form = document.getElementById(id);
    if (form) form.addEventListener("submit", function (ev) { ev.preventDefault(); fn(form); });
  }

  function me() { return { entity: { type: "USER", code: data.user }, isAdmin: true }; }

  // ---- The spaces list ----
  on("space-create", function (f) {
    K.api("POST", "/api/space.json", {
      name: f.elements.name.value,
      isPrivate: f.elements.isPrivate.checked,
      useMultiThread: f.elements.useMultiThread.checked,
      isGuest: f.elements.isGuest.checked,
      members: [me()]
    }).then(function (r) { location.href = "/spaces/" + r.id; }, fail);
  });
  on("space-from-template", function (f) {
    K.api("POST", "template/space.json", {
      id: f.elements.template.value, name: f.elements.name.value, members: [me()]
    }).then(function (r) { location.href = "/spaces/" + r.id; }, fail);
  });

  // ---- A space ----
  document.querySelectorAll("[data-action=join],[data-action=leave]").forEach(function (b) {
    b.addEventListener("click", function () {
      K.api("POST", "/api/space/" + b.getAttribute("data-action") + ".json", { id: space })
        .then(function () { location.reload(); }, fail);
    });
  });
  on("thread-add", function (f) {
    K.api("POST", base + "space/thread.json", { space: space, name: f.elements.name.value })
      .then(function () { location.reload(); }, fail);
  });
  on("app-add", function (f) {
    K.api("POST", base + "preview/app.json", { name: f.elements.name.value, space: space })
      .then(function (r) { location.href = "/apps/" + r.app + "/settings"; }, fail);
  });

  if (data.view !== "settings") return;

  // ---- Settings ----
  on("space-general", function (f) {
    var body = {
      id: space, name: f.elements.name.value,
      useMultiThread: f.elements.useMultiThread.checked,
      fixedMember: f.elements.fixedMember.checked,
      permissions: { createApp: f.elements.createApp.value }
    };
    if (!f.elements.isPrivate.disabled) body.isPrivate = f.elements.isPrivate.checked;
    K.api("PUT", base + "space.json", body).then(function () { location.reload(); }, fail);
  });

  var editor = document.querySelector("[data-testid=space-body-editor]");
  document.querySelectorAll("[data-cmd]").forEach(function (b) {
    b.addEventListener("click", function () {
      var cmd = b.getAttribute("data-cmd"), arg = null;
      if (cmd === "createLink") {
        arg = window.prompt(t("spaces.editor.link_prompt"), "https://");
        if (!arg) return;
      }
      editor.focus();
      document.execCommand(cmd, false, arg);
    });
  });
  on("space-body-form", function () {
    K.api("PUT", base + "space/body.json", { id: space, body: editor.innerHTML })
      .then(function () { status(t("spaces.saved"), true); }, fail);
  });

  // Members: the list, with "admin" per entry and "include sub-departments" per department.
  var members = [];
  var list = document.querySelector("[data-testid=space-member-list]");
  function drawMembers() {
    list.textContent = "";
    members.forEach(function (m, i) {
      var id = "member-" + i;
      var admin = el("input", { type: "checkbox", id: id + "-admin", "data-testid": id + "-admin" });
      admin.checked = !!m.isAdmin;
      admin.addEventListener("change", function () { m.isAdmin = admin.checked; });
      var parts = [
        el("span", { class: "muted", text: P.kindLabel(m.entity.type) }),
        el("span", { class: "space-member-name", "data-testid": id + "-name", text: P.label(m.entity) }),
        el("label", { class: "check", for: id + "-admin" }, [admin, t("spaces.admin")])
      ];
      if (m.entity.type === "ORGANIZATION") {
        var subs = el("input", { type: "checkbox", id: id + "-subs" });
        subs.checked = !!m.includeSubs;
        subs.addEventListener("change", function () { m.includeSubs = subs.checked; });
        parts.push(el("label", { class: "check", for: id + "-subs" }, [subs, t("entity_picker.include_subs")]));
      }
      parts.push(el("button", { type: "button", class: "ent-picker-remove", "data-testid": id + "-remove",
        "aria-label": t("entity_picker.remove", { name: P.label(m.entity) }), text: "×",
        onclick: function () { members.splice(i, 1); drawMembers(); } }));
      list.appendChild(el("li", { class: "space-member", "data-testid": id }, parts));
    });
  }
  P.load().then(function () {
    return K.api("GET", base + "space/members.json?id=" + encodeURIComponent(space));
  }).then(function (r) {
    members = (r.members || []).map(function (m) {
      return { entity: { type: m.entity.type, code: m.entity.code }, isAdmin: m.isAdmin, includeSubs: m.includeSubs };
    });
    drawMembers();
    document.getElementById("space-member-picker").appendChild(P.create({
      id: "space-member-pick", kinds: ["USER", "ORGANIZATION", "GROUP"],
      onPick: function (entry) {
        var dup = members.some(function (m) { return m.entity.type === entry.entity.type && m.entity.code === entry.entity.code; });
        if (!dup) members.push({ entity: entry.entity, isAdmin: false, includeSubs: false });
        drawMembers();
      }
    }));
  }, fail);
  var saveMembers = document.querySelector("[data-action=save-members]");
  saveMembers.addEventListener("click", function () {
    K.api("PUT", base + "space/members.json", { id: space, members: members })
      .then(function () { status(t("spaces.saved"), true); }, fail);
  });

  document.querySelectorAll("[data-action=rename-thread]").forEach(function (b) {
    b.addEventListener("click", function () {
      var id = b.getAttribute("data-thread");
      var input = document.querySelector("input[data-thread='" + id + "']");
      K.api("PUT", base + "space/thread.json", { id: id, name: input.value })
        .then(function () { status(t("spaces.saved"), true); }, fail);
    });
  });

  on("space-template-save", function (f) {
    K.api("POST", "/api/space/template.json", { space: space, name: f.elements.name.value })
      .then(function () { status(t("spaces.template.saved"), true); f.reset(); }, fail);
  });

  var del = document.querySelector("[data-action=delete-space]");
  del.addEventListener("click", function () {
    if (!window.confirm(t("spaces.delete.confirm"))) return;
    K.api("DELETE", base + "space.json", { id: space })
      .then(function () { location.href = "/spaces"; }, fail);
  });
})();
