// Saved recipient lists, /surveys/lists (issue 14): a named list of organisations such as
// 「県内35市町村」, created, changed and deleted through /api/surveys/lists.json.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, S = window.KUMIKI_SURVEYS;
  var $ = function (id) { return document.getElementById(id); };
  var editing = null, picker = null;
  var errors = $("svl-errors");

  function fail(e) { S.showError(errors, e, $("svl-form")); }

  function edit(list) {
    editing = list;
    $("svl-form-title").textContent = list ? t("surveys.lists.edit_title", { name: list.name }) : t("surveys.lists.new");
    $("svl-name").value = list ? list.name : "";
    $("svl-cancel").hidden = !list;
    if (picker) picker.set(list ? list.entries : []);
    if (list) $("svl-name").focus();
  }

  function load() {
    return K.api("GET", "/api/surveys/lists.json").then(function (r) {
      var items = $("svl-items");
      items.textContent = "";
      (r.lists || []).forEach(function (l) {
        var names = (l.entries || []).map(function (e) { return e.name || e.code; });
        items.appendChild(el("li", { class: "card sv-list-item", "data-testid": "lists-item", "data-id": l.id }, [
          el("div", {}, [
            el("strong", { text: l.name }), " ",
            el("span", { class: "muted", text: t("surveys.recipients.count", { n: names.length }) }),
            el("p", { class: "muted sv-list-names", text: names.slice(0, 20).join("、") + (names.length > 20 ? " …" : "") }),
          ]),
          el("div", { class: "sv-row-actions" }, [
            el("button", { type: "button", class: "button small", "data-testid": "lists-edit", text: t("surveys.lists.edit"), onclick: function () { edit(l); } }),
            el("button", { type: "button", class: "button small danger", "data-testid": "lists-delete", text: t("surveys.lists.delete"), onclick: function () {
              if (!window.confirm(t("surveys.lists.delete_confirm", { name: l.name }))) return;
              K.api("DELETE", "/api/surveys/lists.json", { id: l.id }).then(function () { S.notice($("svl-status"), t("surveys.lists.deleted")); edit(null); return load(); }).catch(fail);
            } }),
          ]),
        ]));
      });
      $("svl-empty").hidden = items.children.length > 0;
    }, fail);
  }

  $("svl-form").addEventListener("submit", function (e) {
    e.preventDefault();
    S.clearErrors(errors, $("svl-form"));
    var body = { name: $("svl-name").value.trim(), entries: picker ? picker.get().map(function (x) { return { kind: x.kind, code: x.code }; }) : [] };
    var req = editing ? K.api("PUT", "/api/surveys/lists.json", Object.assign({ id: editing.id }, body)) : K.api("POST", "/api/surveys/lists.json", body);
    req.then(function () { S.notice($("svl-status"), t("surveys.lists.saved", { name: body.name })); edit(null); return load(); }).catch(fail);
  });
  $("svl-cancel").addEventListener("click", function () { edit(null); });

  window.KUMIKI_SURVEY_RECIPIENTS.create({ orgs: $("svl-orgs"), filter: $("svl-filter"), picked: $("svl-picked"), count: $("svl-count") })
    .then(function (p) { picker = p; }, fail);
  load();
})();
