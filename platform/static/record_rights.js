// Shows only what the signed-in user may do with this record: the edit and delete buttons disappear
// where record permissions do not allow them, and an edit form the user may not save says so at once
// (the server refuses such saves anyway; this spares the user typing in vain).
"use strict";
(function () {
  var K = window.KUMIKI, page = K.page || {};
  if (!page.record) return;
  K.api("GET", "records/acl/evaluate.json?app=" + encodeURIComponent(page.app) + "&ids[0]=" + encodeURIComponent(page.record))
    .then(function (data) {
      var rights = (data.rights || [])[0];
      if (!rights) return;
      if (!rights.record.editable) {
        document.querySelectorAll("[data-testid=edit-record]").forEach(function (b) { b.hidden = true; });
        if (page.mode === "edit") {
          var root = document.getElementById("record-form-root");
          // Beside the form, not inside it: the form script replaces its root's content when it renders.
          if (root && root.parentNode) root.parentNode.insertBefore(K.el("p", { class: "alert error", role: "alert", "data-testid": "not-editable",
            text: K.t("records.not_editable") }), root);
          // The form is built by another script, possibly after this answer: disable its save button
          // whenever it appears.
          var disableSave = function () {
            document.querySelectorAll("[data-testid=save-record]").forEach(function (b) { b.disabled = true; });
          };
          disableSave();
          new MutationObserver(disableSave).observe(document.body, { childList: true, subtree: true });
        }
      }
      if (!rights.record.deletable) {
        document.querySelectorAll("[data-testid=delete-record]").forEach(function (b) { b.hidden = true; });
      }
    })
    .catch(function () { /* without an answer the page stays as it is; the server still decides */ });
})();
