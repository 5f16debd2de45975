// Issue 15, public forms — the staff's pages (pages/public_forms.rs): the forms list, the editor, the
// per-recipient links, the live results and the template gallery. Everything goes through
// /api/public-form*.json with the session's CSRF header (KUMIKI.api); nothing is inserted as HTML
// except the results fragment, which the server rendered from an escaped template.
"use strict";
(function () {
  var K = window.KUMIKI;
  var page = K.page || {};
  var t = K.t;
  var el = K.el;
  var LANGS = ["ja", "en", "easy"];
  var TEXT_KEYS = ["title", "intro", "confirm", "done"];
  var FORM_TYPES = ["SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "NUMBER", "DATE", "TIME", "DATETIME", "DROP_DOWN",
    "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT", "LINK", "FILE"];

  function $(id) { return document.getElementById(id); }

  /** An absolute URL for a path the API returned (it is already absolute under --public-url). */
  function absolute(url) {
    return /^https?:\/\//.test(url) ? url : window.location.origin + url;
  }

  /** Shows an API error (with kintone's per-key errors) in the page's error box. */
  function showError(err) {
    var box = $("pf-errors") || $("pf-error");
    if (!box) return;
    box.textContent = "";
    var message = (err && err.message) || String(err);
    box.appendChild(el("p", { text: t("pf_staff.error.generic", { message: message }) }));
    var keys = Object.keys((err && err.errors) || {});
    if (keys.length) {
      var list = el("ul");
      keys.forEach(function (k) {
        var msgs = (err.errors[k] && err.errors[k].messages) || [];
        msgs.forEach(function (m) { list.appendChild(el("li", { text: k + ": " + m })); });
      });
      box.appendChild(list);
    }
    box.hidden = false;
    if (box.focus) box.focus();
  }

  function clearMessages() {
    ["pf-errors", "pf-error"].forEach(function (id) { if ($(id)) { $(id).hidden = true; $(id).textContent = ""; } });
    if ($("pf-status")) $("pf-status").hidden = true;
  }

  function status(text) {
    var s = $("pf-status");
    if (!s) return;
    s.textContent = text;
    s.hidden = false;
  }

  /** "2026-12-05T08:00:00Z" → the value of a datetime-local input, in the browser's time zone. */
  function toLocalInput(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function fromLocalInput(value) {
    if (!value) return null;
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function localTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d.getTime()) ? "" : d.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "ja-JP");
  }

  /** The app's fields: live, else pre-live (a form on an app never deployed). */
  function appFields(app) {
    return K.api("GET", "app/form/fields.json?app=" + encodeURIComponent(app)).catch(function () {
      return K.api("GET", "preview/app/form/fields.json?app=" + encodeURIComponent(app));
    }).then(function (r) { return r.properties || {}; });
  }

  // ---- the forms list -------------------------------------------------------------------------

  function listPage() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-pf-url]"), function (a) {
      a.textContent = absolute(a.getAttribute("data-pf-url"));
    });
    var form = $("pf-new");
    if (!form) return;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearMessages();
      var name = $("pf-new-name").value.trim();
      if (!name) { $("pf-new-name").focus(); return; }
      K.api("POST", "/api/public-form.json", { app: form.getAttribute("data-app"), name: name }).then(function (r) {
        window.location.href = "/forms/" + r.id + "/edit";
      }).catch(showError);
    });
  }

  // ---- the template gallery -------------------------------------------------------------------

  function templatesPage() {
    Array.prototype.forEach.call(document.querySelectorAll(".pf-use-template"), function (button) {
      button.addEventListener("click", function () {
        clearMessages();
        var all = document.querySelectorAll(".pf-use-template");
        Array.prototype.forEach.call(all, function (b) { b.disabled = true; });
        $("pf-status").textContent = t("pf_staff.templates.creating", { name: button.getAttribute("data-name") });
        K.api("POST", "/api/public-form/template.json", { template: button.getAttribute("data-template") }).then(function (r) {
          window.location.href = "/forms/" + r.form + "/edit";
        }).catch(function (e) {
          Array.prototype.forEach.call(all, function (b) { b.disabled = false; });
          $("pf-status").textContent = "";
          showError(e);
        });
      });
    });
  }

  // ---- the editor -----------------------------------------------------------------------------

  function editPage() {
    var formId = page.form;
    var state = { form: null, fields: {}, rows: [] };

    function fieldLabel(code) {
      var f = state.fields[code];
      return (f && f.label) || code;
    }

    /** One row per app field: chosen ones first in the form's order, then the others. */
    function buildRows(settings) {
      var chosen = (settings.fields || []).map(function (f) { return f.code; });
      var rows = [];
      (settings.fields || []).forEach(function (f) {
        if (state.fields[f.code]) rows.push({ code: f.code, use: true, required: !!f.required, label: f.label || {}, help: f.help || {} });
      });
      Object.keys(state.fields).forEach(function (code) {
        var f = state.fields[code];
        if (chosen.indexOf(code) >= 0) return;
        if (FORM_TYPES.indexOf(f.type) < 0) return;
        rows.push({ code: code, use: false, required: false, label: {}, help: {} });
      });
      state.rows = rows;
    }

    function renderRows() {
      var list = $("pf-fields");
      list.textContent = "";
      state.rows.forEach(function (row, i) {
        var f = state.fields[row.code] || {};
        var label = fieldLabel(row.code);
        var use = el("input", { type: "checkbox", "data-testid": "pf-field-use", "data-code": row.code, "aria-label": t("pf_staff.edit.field_use", { label: label }) });
        use.checked = row.use;
        use.addEventListener("change", function () { row.use = use.checked; item.classList.toggle("pf-off", !row.use); });
        var req = el("input", { type: "checkbox", "data-testid": "pf-field-required" });
        req.checked = row.required || !!f.required;
        req.disabled = !!f.required;
        req.addEventListener("change", function () { row.required = req.checked; });
        var up = el("button", { type: "button", class: "button small", text: "↑", "aria-label": t("pf_staff.edit.move_up", { label: label }), "data-testid": "pf-field-up",
          onclick: function () { move(i, -1); } });
        var down = el("button", { type: "button", class: "button small", text: "↓", "aria-label": t("pf_staff.edit.move_down", { label: label }), "data-testid": "pf-field-down",
          onclick: function () { move(i, 1); } });
        up.disabled = i === 0;
        down.disabled = i === state.rows.length - 1;
        var details = el("details", { class: "pf-field-details" }, [el("summary", { text: t("pf_staff.edit.field_details") })]);
        var grid = el("div", { class: "pf-lang-grid" });
        LANGS.forEach(function (lang) {
          var langName = t("pf_staff.lang." + lang);
          var l = el("input", { type: "text", maxlength: "200", "data-testid": "pf-field-label-" + lang, placeholder: lang === "ja" ? label : "" });
          l.value = row.label[lang] || "";
          l.addEventListener("input", function () { row.label[lang] = l.value; });
          var h = el("textarea", { rows: "2", "data-testid": "pf-field-help-" + lang });
          h.value = row.help[lang] || "";
          h.addEventListener("input", function () { row.help[lang] = h.value; });
          grid.appendChild(el("label", { class: "field" }, [el("span", { class: "label", text: t("pf_staff.edit.field_label", { lang: langName }) }), l]));
          grid.appendChild(el("label", { class: "field" }, [el("span", { class: "label", text: t("pf_staff.edit.field_help", { lang: langName }) }), h]));
        });
        details.appendChild(grid);
        var item = el("li", { class: "pf-field" + (row.use ? "" : " pf-off"), "data-testid": "pf-field", "data-code": row.code }, [
          el("div", { class: "pf-field-head" }, [
            el("label", { class: "check pf-field-name" }, [use, el("span", { text: label }), el("span", { class: "help", text: " " + (f.type || "") })]),
            el("label", { class: "check" }, [req, el("span", { text: f.required ? t("pf_staff.edit.field_required_app") : t("pf_staff.edit.field_required") })]),
            el("span", { class: "pf-move" }, [up, down]),
          ]),
          details,
        ]);
        list.appendChild(item);
      });
    }

    function move(i, delta) {
      var j = i + delta;
      if (j < 0 || j >= state.rows.length) return;
      var tmp = state.rows[i];
      state.rows[i] = state.rows[j];
      state.rows[j] = tmp;
      renderRows();
      var buttons = document.querySelectorAll("[data-testid=pf-field-" + (delta < 0 ? "up" : "down") + "]");
      var target = buttons[j];
      if (target && !target.disabled) target.focus();
    }

    function renderTexts(texts) {
      var box = $("pf-texts");
      box.textContent = "";
      TEXT_KEYS.forEach(function (key) {
        var group = el("fieldset", { class: "pf-text-group" }, [el("legend", { class: "label", text: t("pf_staff.text." + key) })]);
        var grid = el("div", { class: "pf-lang-grid" });
        LANGS.forEach(function (lang) {
          var input = key === "title"
            ? el("input", { type: "text", maxlength: "200", id: "pf-text-" + key + "-" + lang, "data-testid": "pf-text-" + key + "-" + lang })
            : el("textarea", { rows: "3", id: "pf-text-" + key + "-" + lang, "data-testid": "pf-text-" + key + "-" + lang });
          input.value = ((texts || {})[key] || {})[lang] || "";
          grid.appendChild(el("label", { class: "field" }, [el("span", { class: "label", text: t("pf_staff.lang." + lang) }), input]));
        });
        group.appendChild(grid);
        box.appendChild(group);
      });
    }

    function option(value, text, selected) {
      var o = el("option", { value: value, text: text });
      if (selected) o.selected = true;
      return o;
    }

    function fillSelects(settings) {
      var codes = Object.keys(state.fields).filter(function (c) { return FORM_TYPES.indexOf(state.fields[c].type) >= 0; });
      var copy = $("pf-copy-field");
      copy.textContent = "";
      copy.appendChild(option("", t("pf_staff.edit.copy_none"), !settings.email_copy_field));
      codes.filter(function (c) { return ["LINK", "SINGLE_LINE_TEXT"].indexOf(state.fields[c].type) >= 0; }).forEach(function (c) {
        copy.appendChild(option(c, fieldLabel(c), settings.email_copy_field === c));
      });
      var pivot = (settings.results && settings.results.pivot) || null;
      var axes = [["", t("pf_staff.edit.pivot_off")], ["_recipient", t("pf_staff.pivot.recipient")], ["_hour", t("pf_staff.pivot.hour")]];
      codes.forEach(function (c) { axes.push([c, fieldLabel(c)]); });
      [["pf-pivot-rows", pivot && pivot.rows], ["pf-pivot-cols", pivot && pivot.columns]].forEach(function (p) {
        var s = $(p[0]);
        s.textContent = "";
        axes.forEach(function (a) { s.appendChild(option(a[0], a[1], (p[1] || "") === a[0])); });
      });
      var value = $("pf-pivot-value");
      value.textContent = "";
      value.appendChild(option("", t("pf_staff.pivot.count"), !(pivot && pivot.value)));
      codes.filter(function (c) { return state.fields[c].type === "NUMBER"; }).forEach(function (c) {
        value.appendChild(option(c, fieldLabel(c), pivot && pivot.value === c));
      });
    }

    function fill(form) {
      var s = form.settings || {};
      $("pf-name").value = form.name || "";
      var langs = s.languages && s.languages.length ? s.languages : ["ja"];
      Array.prototype.forEach.call(document.querySelectorAll("input[name=lang]"), function (c) {
        c.checked = c.value === "ja" || langs.indexOf(c.value) >= 0;
      });
      buildRows(s);
      renderRows();
      renderTexts(s.texts);
      $("pf-opens").value = toLocalInput(form.opensAt);
      $("pf-closes").value = toLocalInput(form.closesAt);
      $("pf-max").value = form.maxAnswers || "";
      var files = s.files || {};
      $("pf-file-mb").value = files.max_bytes ? Math.round(files.max_bytes / 104857.6) / 10 : "";
      var types = files.types || [];
      Array.prototype.forEach.call(document.querySelectorAll("input[name=ftype]"), function (c) { c.checked = types.indexOf(c.value) >= 0; });
      var pow = s.pow || {};
      $("pf-pow").checked = !!pow.enabled;
      $("pf-pow-bits").value = pow.bits || 16;
      var limits = s.limits || {};
      $("pf-limit-address").value = limits.per_address_per_minute === undefined ? 20 : limits.per_address_per_minute;
      $("pf-limit-form").value = limits.per_form_per_minute === undefined ? 30000 : limits.per_form_per_minute;
      fillSelects(s);
      setState(form.state);
    }

    function setState(value) {
      var badge = $("pf-state-badge");
      badge.textContent = t("pf_staff.state." + value);
      badge.className = "pf-state pf-state-" + value;
      $("pf-publish").hidden = value === "published";
      $("pf-close").hidden = value !== "published";
      $("pf-draft").hidden = value === "draft";
    }

    function texts(map) {
      var out = {};
      LANGS.forEach(function (lang) { var v = (map[lang] || "").trim(); if (v) out[lang] = v; });
      return out;
    }

    function collect() {
      var old = (state.form && state.form.settings) || {};
      var settings = JSON.parse(JSON.stringify(old));
      settings.fields = state.rows.filter(function (r) { return r.use; }).map(function (r) {
        return { code: r.code, required: !!r.required, label: texts(r.label), help: texts(r.help) };
      });
      settings.texts = {};
      TEXT_KEYS.forEach(function (key) {
        var m = {};
        LANGS.forEach(function (lang) { m[lang] = $("pf-text-" + key + "-" + lang).value; });
        settings.texts[key] = texts(m);
      });
      settings.languages = Array.prototype.filter.call(document.querySelectorAll("input[name=lang]"), function (c) { return c.checked; })
        .map(function (c) { return c.value; });
      var mb = parseFloat($("pf-file-mb").value);
      settings.files = {
        max_bytes: isNaN(mb) ? ((old.files && old.files.max_bytes) || 5242880) : Math.round(mb * 1048576),
        types: Array.prototype.filter.call(document.querySelectorAll("input[name=ftype]"), function (c) { return c.checked; }).map(function (c) { return c.value; }),
      };
      settings.pow = { enabled: $("pf-pow").checked, bits: parseInt($("pf-pow-bits").value, 10) || 16 };
      settings.limits = {
        per_address_per_minute: parseInt($("pf-limit-address").value, 10) || 0,
        per_form_per_minute: parseInt($("pf-limit-form").value, 10) || 0,
      };
      settings.email_copy_field = $("pf-copy-field").value || null;
      var rows = $("pf-pivot-rows").value;
      var cols = $("pf-pivot-cols").value;
      settings.results = { pivot: rows && cols ? { rows: rows, columns: cols, value: $("pf-pivot-value").value || null } : null };
      return {
        id: formId,
        name: $("pf-name").value.trim(),
        settings: settings,
        opensAt: fromLocalInput($("pf-opens").value),
        closesAt: fromLocalInput($("pf-closes").value),
        maxAnswers: $("pf-max").value.trim() || null,
      };
    }

    function save(newState, doneKey) {
      clearMessages();
      var body = collect();
      if (newState) body.state = newState;
      return K.api("PUT", "/api/public-form.json", body).then(function (form) {
        state.form = form;
        setState(form.state);
        var heading = $("pf-heading");
        if (heading && heading.firstChild && heading.firstChild.nodeType === 3) heading.firstChild.nodeValue = form.name + " ";
        if ($("pf-crumb-name")) $("pf-crumb-name").textContent = form.name;
        status(t(doneKey));
      }).catch(showError);
    }

    Promise.all([K.api("GET", "/api/public-form.json?id=" + encodeURIComponent(formId)), appFields(page.app)]).then(function (r) {
      state.form = r[0];
      state.fields = r[1];
      $("pf-url").textContent = absolute(r[0].url);
      $("pf-url").href = r[0].path;
      fill(r[0]);
      $("pf-loading").hidden = true;
      $("pf-edit-form").hidden = false;
    }).catch(function (e) { $("pf-loading").hidden = true; showError(e); });

    $("pf-edit-form").addEventListener("submit", function (ev) { ev.preventDefault(); save(null, "pf_staff.edit.saved"); });
    $("pf-publish").addEventListener("click", function () { save("published", "pf_staff.edit.published"); });
    $("pf-close").addEventListener("click", function () { save("closed", "pf_staff.edit.closed"); });
    $("pf-draft").addEventListener("click", function () { save("draft", "pf_staff.edit.drafted"); });
    $("pf-delete").addEventListener("click", function () {
      if (!window.confirm(t("pf_staff.edit.delete_confirm"))) return;
      K.api("DELETE", "/api/public-form.json", { id: formId }).then(function () {
        window.location.href = "/apps/" + page.app + "/forms";
      }).catch(showError);
    });
  }

  // ---- the recipients' links ------------------------------------------------------------------

  function linksPage() {
    var formId = page.form;
    var links = [];

    function linkState(l) {
      if (l.revoked) return "revoked";
      if (l.answeredAt) return "answered";
      if (l.expiresAt && new Date(l.expiresAt).getTime() < Date.now()) return "expired";
      return "waiting";
    }

    function updateRevoke() {
      $("pf-revoke").disabled = !document.querySelector("#pf-links-rows input[type=checkbox]:checked");
    }

    function render() {
      var body = $("pf-links-rows");
      body.textContent = "";
      var answered = 0;
      links.forEach(function (l) {
        var st = linkState(l);
        if (l.answeredAt) answered++;
        var pick = el("input", { type: "checkbox", value: l.id, "aria-label": t("pf_staff.links.select_one", { recipient: l.recipient }), "data-testid": "pf-link-select" });
        pick.disabled = l.revoked;
        pick.addEventListener("change", updateRevoke);
        var url = absolute(l.url);
        body.appendChild(el("tr", { "data-testid": "pf-link-row", "data-state": st }, [
          el("td", {}, [pick]),
          el("td", { text: l.recipient, "data-testid": "pf-link-recipient" }),
          el("td", { class: "pf-link-url" }, [el("a", { href: l.path, target: "_blank", rel: "noopener", text: url, "data-testid": "pf-link-url" })]),
          el("td", { text: t("pf_staff.links.mode." + l.mode) }),
          el("td", {}, [el("span", { class: "pf-link-state pf-link-" + st, text: t("pf_staff.links.state." + st), "data-testid": "pf-link-state" })]),
          el("td", { text: l.receipt || "", "data-testid": "pf-link-receipt" }),
          el("td", { text: localTime(l.answeredAt) }),
        ]));
      });
      $("pf-links-count").textContent = links.length ? t("pf_staff.links.count", { n: links.length, answered: answered }) : t("pf_staff.links.none");
      updateRevoke();
    }

    function load() {
      return K.api("GET", "/api/public-form/links.json?form=" + encodeURIComponent(formId)).then(function (r) {
        links = r.links || [];
        render();
      }).catch(showError);
    }

    Promise.all([K.api("GET", "/api/public-form.json?id=" + encodeURIComponent(formId)), appFields(page.app)]).then(function (r) {
      var fields = r[1];
      var select = $("pf-prefill-field");
      ((r[0].settings && r[0].settings.fields) || []).forEach(function (f) {
        var label = (f.label && f.label.ja) || (fields[f.code] && fields[f.code].label) || f.code;
        select.appendChild(el("option", { value: f.code, text: label }));
      });
    }).catch(showError);
    load();

    $("pf-links-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearMessages();
      var field = $("pf-prefill-field").value;
      var expires = fromLocalInput($("pf-expires").value);
      var mode = $("pf-mode").value;
      var list = $("pf-recipients").value.split(/\r?\n/).map(function (line) { return line.replace(/\s+$/, ""); })
        .filter(function (line) { return line.trim(); }).map(function (line) {
          var parts = line.split("\t");
          var prefill = {};
          if (field && parts.length > 1 && parts.slice(1).join("\t").trim()) prefill[field] = parts.slice(1).join("\t").trim();
          return { recipient: parts[0].trim(), prefill: prefill, mode: mode, expiresAt: expires };
        });
      if (!list.length) { showError({ message: t("pf_staff.links.empty_error") }); return; }
      K.api("POST", "/api/public-form/links.json", { form: formId, links: list }).then(function (r) {
        $("pf-recipients").value = "";
        status(t("pf_staff.links.created_n", { n: (r.links || []).length }));
        return load();
      }).catch(showError);
    });

    $("pf-revoke").addEventListener("click", function () {
      var ids = Array.prototype.map.call(document.querySelectorAll("#pf-links-rows input[type=checkbox]:checked"), function (c) { return c.value; });
      if (!ids.length || !window.confirm(t("pf_staff.links.revoke_confirm", { n: ids.length }))) return;
      clearMessages();
      K.api("DELETE", "/api/public-form/links.json", { form: formId, ids: ids }).then(function () {
        status(t("pf_staff.links.revoked_n", { n: ids.length }));
        return load();
      }).catch(showError);
    });

    $("pf-copy-all").addEventListener("click", function () {
      var tsv = links.filter(function (l) { return !l.revoked; }).map(function (l) { return l.recipient + "\t" + absolute(l.url); }).join("\n");
      function done() { status(t("pf_staff.links.copied")); }
      // The clipboard API exists only on https and localhost; plain http in a closed network falls back.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(tsv).then(done, fallback);
      } else {
        fallback();
      }
      function fallback() {
        var area = el("textarea", { class: "sr-only", "aria-hidden": "true" });
        area.value = tsv;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (e) { showError(e); }
        area.remove();
      }
    });
  }

  // ---- the results ----------------------------------------------------------------------------

  function resultsPage() {
    var box = $("pf-results");
    var live = $("pf-live");
    function refresh() {
      fetch(window.location.pathname + "?part=results", { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (resp) {
          if (!resp.ok) throw new Error("HTTP " + resp.status);
          return resp.text();
        }).then(function (html) {
          // The fragment is our own escaped template; parsed inertly, then moved in.
          var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
          var fresh = doc.body.firstElementChild;
          var open = {};
          Array.prototype.forEach.call(box.querySelectorAll("details"), function (d, i) { open[i] = d.open; });
          box.replaceChildren.apply(box, Array.prototype.slice.call(fresh.childNodes));
          Array.prototype.forEach.call(box.querySelectorAll("details"), function (d, i) { if (open[i]) d.open = true; });
          live.textContent = t("pf_staff.results.refreshed", { time: new Date().toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "ja-JP") });
        }).catch(function () { live.textContent = t("pf_staff.results.refresh_failed"); });
    }
    window.setInterval(refresh, 15000);
  }

  var views = { list: listPage, templates: templatesPage, edit: editPage, links: linksPage, results: resultsPage };
  if (views[page.view]) views[page.view]();
})();
