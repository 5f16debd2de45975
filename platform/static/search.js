// The search page: choosing an app submits the form at once, so the field filter lists that app's
// fields (a field belongs to one app, so the old choice is cleared). Everything else is a plain form.
"use strict";
(function () {
  var app = document.getElementById("search-app");
  var field = document.getElementById("search-field");
  var q = document.getElementById("search-q");
  if (!app || !app.form) return;
  app.addEventListener("change", function () {
    if (field) field.value = "";
    if (q && q.value.trim()) app.form.submit();
  });
})();
