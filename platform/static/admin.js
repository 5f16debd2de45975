// Admin pages: every form with `data-api` is sent as JSON to `/api/<data-api>.json` with its
// `data-method`; the page reloads on success, or shows the error in the form's `data-role=status`.
// A created token is shown once in the `data-role=token-once` panel. Forms with `data-prefill`
// fill their `data-field` controls from `KUMIKI.page[<data-prefill>][<value of the data-key select>]`.
"use strict";
(function () {
  var K = window.KUMIKI;
  var page = K.page || {};

  function setPath(body, name, value) {
    var parts = name.split(".");
    var at = body;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof at[parts[i]] !== "object" || at[parts[i]] === null) at[parts[i]] = {};
      at = at[parts[i]];
    }
    at[parts[parts.length - 1]] = value;
  }

  function bodyOf(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.type === "checkbox") return setPath(body, el.name, el.checked);
      if (el.tagName === "SELECT" && el.multiple) {
        return setPath(body, el.name, Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }));
      }
      if (el.value === "" && el.hasAttribute("data-optional")) return;
      setPath(body, el.name, el.value);
    });
    return body;
  }

  function errorText(err) {
    var lines = [err.message];
    Object.keys(err.errors || {}).forEach(function (k) {
      (err.errors[k].messages || []).forEach(function (m) { lines.push(k + ": " + m); });
    });
    return lines.join(" ");
  }

  function showToken(token) {
    var panel = document.querySelector("[data-role=token-once]");
    if (!panel) return window.location.reload();
    panel.querySelector("[data-role=token-value]").textContent = token;
    panel.hidden = false;
    panel.scrollIntoView();
    panel.querySelector("[data-role=token-done]").focus();
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-api")) return;
    ev.preventDefault();
    var confirmKey = form.getAttribute("data-confirm");
    if (confirmKey && !window.confirm(K.t(confirmKey))) return;
    var status = form.querySelector("[data-role=status]");
    if (status) status.textContent = "";
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    K.api(form.getAttribute("data-method") || "POST", "/api/" + form.getAttribute("data-api") + ".json", bodyOf(form))
      .then(function (resp) {
        if (resp && resp.token) return showToken(resp.token);
        window.location.reload();
      }, function (err) {
        if (status) status.textContent = errorText(err);
      })
      .then(function () { Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; }); });
  });

  var done = document.querySelector("[data-role=token-done]");
  if (done) done.addEventListener("click", function () { window.location.reload(); });

  function prefill(form) {
    var source = page[form.getAttribute("data-prefill")] || {};
    var key = form.querySelector("[data-key]");
    var item = key && source[key.value];
    if (!item) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (el) {
      var v = item[el.getAttribute("data-field")];
      if (el.tagName === "SELECT" && el.multiple) {
        var list = v || [];
        Array.prototype.forEach.call(el.options, function (o) { o.selected = list.indexOf(o.value) >= 0; });
      } else if (el.type === "checkbox") {
        el.checked = v === true || v === "true";
      } else {
        el.value = v === undefined || v === null ? "" : String(v);
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-prefill]"), function (form) {
    var key = form.querySelector("[data-key]");
    if (key) key.addEventListener("change", function () { prefill(form); });
    prefill(form);
  });
})();
