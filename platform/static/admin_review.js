// The review policy page (/admin/review): saves the mode and the chosen departments through
// PUT /api/review/policy.json; the department list is usable only for "apps of chosen departments".
(function () {
  "use strict";
  var K = window.KUMIKI, R = window.KUMIKI_REVIEW, t = K.t;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("rp-form"), msg = $("rp-message");

  function mode() {
    var checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "off";
  }

  function sync() {
    var on = mode() === "departments";
    $("rp-departments").disabled = !on;
    $("rp-departments").classList.toggle("rp-off", !on);
  }

  form.addEventListener("change", sync);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var departments = Array.prototype.map.call(form.querySelectorAll("input[name=departments]:checked"), function (i) { return i.value; });
    if (mode() === "departments" && !departments.length) {
      R.message(msg, "error", t("review.policy.need_department"));
      return;
    }
    $("rp-save").disabled = true;
    K.api("PUT", "/api/review/policy.json", { mode: mode(), departments: departments }).then(function (b) {
      var names = (b.departments || []).map(function (d) { return d.name; }).join(t("review.list_sep"));
      R.message(msg, "ok", b.mode === "departments" ? t("review.policy.saved_departments", { names: names }) : t("review.policy.saved_" + b.mode));
    }, function (e) { R.message(msg, "error", R.errorText(e)); }).then(function () { $("rp-save").disabled = false; });
  });
  sync();
})();
