// The survey pages' shared code (issue 14, 調査照会): state labels, times, sizes, file uploads
// through kintone's file API, and showing an API error beside its fields and in a summary.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;
  var STATES = ["unopened", "opened", "draft", "submitted", "returned", "accepted"];

  /** The page's label of an answer or survey state key. */
  function stateLabel(state, kind) {
    return t("surveys." + (kind || "state") + "." + state);
  }

  /** A state chip; late answers get the words 遅延 too, never colour alone. */
  function stateChip(state, late, kind) {
    var chip = el("span", { class: "sv-state sv-state-" + state, "data-state": state, "data-testid": "survey-state", text: stateLabel(state, kind) });
    if (!late) return chip;
    return el("span", { class: "sv-state-wrap" }, [chip, " ", lateLabel()]);
  }
  function lateLabel() {
    return el("span", { class: "sv-late", "data-testid": "survey-late", text: t("surveys.late") });
  }

  /** A time for people: the page's language, short date and time. */
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return "";
    return d.toLocaleString(document.documentElement.lang || "ja", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  /** 1.2 MB. */
  function size(n) {
    n = Number(n) || 0;
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  /** {date: "2026-12-24", time: "17:00"} in the browser's zone from an RFC 3339 time. */
  function split(iso) {
    var d = iso ? new Date(iso) : null;
    if (!d || isNaN(d)) return { date: "", time: "" };
    return { date: d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()), time: pad(d.getHours()) + ":" + pad(d.getMinutes()) };
  }
  /** The RFC 3339 time of a local date and time ("" when the date is empty); 17:00 when no time. */
  function join(date, time) {
    if (!date) return "";
    var d = new Date(date + "T" + (time || "17:00") + ":00");
    return isNaN(d) ? "" : d.toISOString();
  }

  // The guest space a page's calls go through when the page data could not name one (a guest in
  // several guest spaces: the answer page finds the space of its answer).
  var space = null;
  function setSpace(id) { space = id; }
  /** The base of Kumiki's own API for this page: `/api/` or a guest space's `/api/guest/<id>/`. */
  function apiBase() { return space ? "/api/guest/" + encodeURIComponent(space) + "/" : "/api/"; }
  function fileApi(rest) { return space ? "/k/guest/" + encodeURIComponent(space) + "/v1/" + rest : K.apiUrl(rest); }

  /** The download URL of a file key (through the page's guest path). */
  function fileUrl(fileKey) {
    return fileApi("file.json?fileKey=" + encodeURIComponent(fileKey));
  }

  /** Uploads one file through POST /k/v1/file.json; resolves to its temporary file key. */
  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name);
    return fetch(fileApi("file.json"), { method: "POST", body: form, credentials: "same-origin",
      headers: { "X-CSRF-Token": K.csrf, "X-Requested-With": "XMLHttpRequest" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var b = null;
          try { b = text ? JSON.parse(text) : {}; } catch (e) { b = null; }
          if (!resp.ok) throw new K.ApiError(resp.status, b);
          return b.fileKey;
        });
      });
  }

  /**
   * Shows an API error: the message and every field message in `summary` (a list), and each field
   * message beside the element whose data-error-for names the error's key (or its first part).
   */
  function showError(summary, e, root) {
    clearErrors(summary, root);
    if (!summary) return;
    summary.appendChild(el("p", { class: "sv-error-title", text: (e && e.message) || String(e) }));
    var errors = (e && e.errors) || {};
    var keys = Object.keys(errors);
    var first = null;
    if (keys.length) {
      summary.appendChild(el("ul", {}, keys.map(function (key) {
        var msgs = (errors[key] && errors[key].messages) || [];
        var placed = placeBeside(root || document, key, msgs);
        first = first || placed;
        return el("li", { "data-error-key": key, text: msgs.join(" ") });
      })));
    }
    summary.hidden = false;
    // The first field in error comes into view (mid-screen: the header sticks to the top), else
    // the summary.
    var target = first || summary;
    if (target.scrollIntoView) target.scrollIntoView({ block: first ? "center" : "nearest" });
    var control = first && first.querySelector("input, select, textarea");
    if (control) control.focus({ preventScroll: true });
  }
  // Puts the messages into the element named by the error key or by its longest part
  // (`values.count.value` → `count`); returns that element, or null.
  function placeBeside(root, key, msgs) {
    var parts = key.replace(/\[(\d+)\]/g, ".$1").split(".");
    for (var start = 0; start < parts.length; start++) {
      for (var n = parts.length; n > start; n--) {
        var name = parts.slice(start, n).join(".");
        var target = root.querySelector("[data-error-for=\"" + name.replace(/["\\]/g, "") + "\"]");
        if (target) {
          target.appendChild(el("p", { class: "field-error sv-field-error", role: "alert", text: msgs.join(" ") }));
          var field = target.closest ? target.closest(".field") : null;
          if (field) field.classList.add("has-error");
          return target;
        }
      }
    }
    return null;
  }
  function clearErrors(summary, root) {
    if (summary) { summary.textContent = ""; summary.hidden = true; }
    Array.prototype.forEach.call((root || document).querySelectorAll(".sv-field-error"), function (n) { n.remove(); });
    Array.prototype.forEach.call((root || document).querySelectorAll(".has-error"), function (n) { n.classList.remove("has-error"); });
  }

  /** A short notice in `box` (role=status). */
  function notice(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  /** A modal dialog with a text area (or a date-time); resolves to the value, or null when cancelled. */
  function ask(opts) {
    return new Promise(function (resolve) {
      var input, read, area = null;
      if (opts.kind === "datetime") {
        var parts = split(opts.value);
        var date = el("input", { type: "date", value: parts.date, "data-testid": "survey-dialog-date", "aria-label": t("surveys.due_date") });
        var time = el("input", { type: "time", value: parts.time || "17:00", "data-testid": "survey-dialog-time", "aria-label": t("surveys.due_time") });
        input = el("div", { class: "sv-datetime" }, [date, time]);
        read = function () { return join(date.value, time.value); };
      } else {
        area = el("textarea", { rows: 4, "data-testid": "survey-dialog-text", "aria-label": opts.label || opts.title });
        input = area;
        read = function () { return area.value; };
      }
      var dialog = el("dialog", { class: "sv-dialog", "data-testid": "survey-dialog" });
      var ok = el("button", { type: "button", class: "button primary", "data-testid": "survey-dialog-ok", text: opts.ok || t("surveys.ok") });
      var cancel = el("button", { type: "button", class: "button", "data-testid": "survey-dialog-cancel", text: t("surveys.cancel") });
      dialog.appendChild(el("h2", { text: opts.title }));
      if (opts.text) dialog.appendChild(el("p", { text: opts.text }));
      dialog.appendChild(el("label", { class: "label", text: opts.label || "" }));
      dialog.appendChild(input);
      dialog.appendChild(el("div", { class: "dialog-actions" }, [ok, cancel]));
      document.body.appendChild(dialog);
      function done(v) { dialog.close(); dialog.remove(); resolve(v); }
      ok.addEventListener("click", function () {
        var v = read();
        if (opts.requireValue && !String(v).trim()) { (area || input.firstChild).focus(); return; }
        done(v);
      });
      cancel.addEventListener("click", function () { done(null); });
      dialog.addEventListener("cancel", function (ev) { ev.preventDefault(); done(null); });
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
      (area || input.firstChild).focus();
    });
  }

  /** The field properties of a survey (`fields` is `{properties}` in the API). */
  function properties(survey) {
    var f = (survey && survey.fields) || {};
    return f.properties && typeof f.properties === "object" ? f.properties : f;
  }
  /** The answer sheet's template file `{fileKey, name}` of a survey's sheet, or null. */
  function template(sheet) {
    if (!sheet) return null;
    if (sheet.template && sheet.template.fileKey) return sheet.template;
    var key = sheet.templateFileKey || sheet.fileKey;
    return key ? { fileKey: key, name: sheet.templateName || "", size: sheet.size } : null;
  }

  /** A query string from an object (empty values left out). */
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== undefined && params[k] !== null && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  window.KUMIKI_SURVEYS = {
    STATES: STATES, stateLabel: stateLabel, stateChip: stateChip, lateLabel: lateLabel, when: when, size: size,
    split: split, join: join, fileUrl: fileUrl, setSpace: setSpace, apiBase: apiBase, upload: upload, showError: showError, clearErrors: clearErrors,
    notice: notice, ask: ask, query: query, properties: properties, template: template,
  };
})();
