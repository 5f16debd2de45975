// The import page (pages/package_import.rs): each role's 「絞り込み」 field narrows its list of
// local entities by name or code, so a long list of users stays usable. The list works without it.
(function () {
  "use strict";
  document.querySelectorAll("[data-role-filter]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-role-filter"));
    if (!select) return;
    input.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var first = null;
      select.querySelectorAll("option").forEach(function (o) {
        var show = !o.value || o.selected || !q || o.textContent.toLowerCase().indexOf(q) >= 0;
        o.hidden = !show;
        if (show && o.value && !first && q && o.textContent.toLowerCase().indexOf(q) >= 0) first = o;
      });
      // The first match is chosen, as typing into a picker does.
      if (first) select.value = first.value;
    });
  });
})();
