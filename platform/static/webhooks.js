// Webhook settings (/apps/{id}/webhooks): the app's webhooks read from and saved to
// `/api/app/webhooks.json` (the whole list at once; saved webhooks take effect at once), a webhook's
// secret (`/api/app/webhook/secret.json`: POST shows, with `regenerate` replaces it; audited), a test delivery
// (`/api/app/webhook/test.json`) and the delivery log (`/api/app/webhook/deliveries.json`).
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t, page = K.page || {};
  var APP = String(page.app || "");
  var EVENTS = ["ADD_RECORD", "UPDATE_RECORD", "DELETE_RECORD", "UPDATE_STATUS", "ADD_RECORD_COMMENT"];
  var S = { hooks: [], current: -1, busy: false };

  function $(id) { return document.getElementById(id); }
  function q(params) {
    return Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function message(kind, text) {
    var box = $("w-message");
    box.className = "alert " + kind;
    box.textContent = text;
    box.hidden = !text;
  }

  function fieldError(id, text) {
    var box = $(id);
    box.textContent = text || "";
    box.hidden = !text;
  }

  function renderList() {
    var list = $("w-list");
    list.textContent = "";
    S.hooks.forEach(function (h, i) {
      var label = h.name + (h.enabled === false ? " (" + t("webhooks.disabled") + ")" : "");
      list.appendChild(el("li", {}, [el("button", {
        type: "button", class: "whk-item" + (i === S.current ? " current" : ""),
        "aria-current": i === S.current ? "true" : null, "data-testid": "webhook-item-" + i,
        onclick: function () { edit(i); }
      }, [el("strong", { text: label }), el("span", { class: "muted whk-url", text: h.url })])]));
    });
    $("w-empty").hidden = S.hooks.length > 0;
  }

  function renderEvents(events) {
    var box = $("w-events");
    box.textContent = "";
    EVENTS.forEach(function (ev) {
      var input = el("input", { type: "checkbox", value: ev, "data-testid": "webhook-event-" + ev });
      input.checked = events.indexOf(ev) >= 0;
      box.appendChild(el("label", { class: "choice" }, [input, document.createTextNode(" " + t("webhooks.event." + ev))]));
    });
  }

  function edit(i) {
    S.current = i;
    var h = i >= 0 && i < S.hooks.length ? S.hooks[i] : { name: "", url: "", enabled: true, events: ["ADD_RECORD"] };
    $("w-name").value = h.name;
    $("w-url").value = h.url;
    $("w-enabled").checked = h.enabled !== false;
    renderEvents(h.events || []);
    ["w-name-error", "w-url-error", "w-events-error"].forEach(function (id) { fieldError(id, ""); });
    $("w-editor").hidden = false;
    $("w-remove").hidden = !h.id;
    $("w-secret-box").hidden = !h.id;
    $("w-secret").hidden = true;
    $("w-secret").textContent = "";
    renderList();
    $("w-name").focus();
  }

  function fromEditor() {
    var events = [];
    Array.prototype.forEach.call($("w-events").querySelectorAll("input"), function (c) { if (c.checked) events.push(c.value); });
    var h = { name: $("w-name").value.trim(), url: $("w-url").value.trim(), enabled: $("w-enabled").checked, events: events };
    var old = S.hooks[S.current];
    if (old && old.id) h.id = old.id;
    return h;
  }

  function save(list, index) {
    if (S.busy) return;
    S.busy = true;
    message("", "");
    K.api("PUT", "/api/app/webhooks.json", { app: APP, webhooks: list }).then(function (b) {
      S.hooks = b.webhooks || [];
      S.current = Math.min(index, S.hooks.length - 1);
      message("info", t("webhooks.saved"));
      if (S.current >= 0) edit(S.current); else { $("w-editor").hidden = true; renderList(); }
      loadLog();
    }).catch(function (e) {
      message("error", t("webhooks.failed") + (e.message ? " " + e.message : ""));
      var errs = e.errors || {};
      ["name", "url", "events"].forEach(function (m) {
        var err = errs["webhooks[" + index + "]." + m];
        fieldError("w-" + m + "-error", err && err.messages ? err.messages.join(" ") : "");
      });
    }).then(function () { S.busy = false; });
  }

  function current() { return S.hooks[S.current]; }

  function showSecret(regenerate) {
    var h = current();
    if (!h || !h.id) return;
    if (regenerate && !window.confirm(t("webhooks.secret.regenerate.confirm"))) return;
    K.api("POST", "/api/app/webhook/secret.json", { app: APP, id: h.id, regenerate: !!regenerate }).then(function (b) {
      $("w-secret").textContent = b.secret;
      $("w-secret").hidden = false;
    }).catch(function (e) { message("error", e.message); });
  }

  function sendTest() {
    var h = current();
    if (!h || !h.id) return;
    K.api("POST", "/api/app/webhook/test.json", { app: APP, id: h.id }).then(function () {
      message("info", t("webhooks.test.sent"));
      setTimeout(loadLog, 1500);
    }).catch(function (e) { message("error", e.message); });
  }

  function loadLog() {
    return K.api("GET", "/api/app/webhook/deliveries.json?" + q({ app: APP, limit: 50 })).then(function (b) {
      var rows = b.deliveries || [];
      var names = {};
      S.hooks.forEach(function (h) { names[h.id] = h.name; });
      var body = $("w-log");
      body.textContent = "";
      rows.forEach(function (d) {
        var when = new Date(d.createdAt * 1000).toLocaleString(page.lang === "en" ? "en" : "ja-JP");
        var response = d.responseCode ? String(d.responseCode) : "";
        if (d.lastError && d.state !== "delivered") response = (response ? response + " " : "") + d.lastError;
        body.appendChild(el("tr", { "data-testid": "webhook-log-row", "data-state": d.state }, [
          el("td", { text: when }),
          el("td", { text: names[d.webhookId] || d.webhookId }),
          el("td", { text: t("webhooks.event." + d.event) }),
          el("td", {}, [el("span", { class: "whk-state whk-" + d.state, "data-testid": "webhook-log-state", text: t("webhooks.state." + d.state) })]),
          // Labelled cells: at phone width the table's head is hidden.
          el("td", { "data-label": t("webhooks.log.attempts"), text: String(d.attempts) }),
          el("td", { class: "whk-response", "data-label": t("webhooks.log.response"), text: response })
        ]));
      });
      $("w-log-table").hidden = rows.length === 0;
      $("w-log-empty").hidden = rows.length > 0;
      $("w-log-card").hidden = false;
    }).catch(function (e) { message("error", e.message); });
  }

  function load() {
    K.api("GET", "/api/app/webhooks.json?" + q({ app: APP })).then(function (b) {
      S.hooks = b.webhooks || [];
      $("w-loading").hidden = true;
      $("w-list-card").hidden = false;
      renderList();
      loadLog();
    }).catch(function (e) { $("w-loading").hidden = true; message("error", e.message); });
  }

  $("w-add").addEventListener("click", function () { edit(S.hooks.length); });
  $("w-cancel").addEventListener("click", function () { S.current = -1; $("w-editor").hidden = true; renderList(); });
  $("w-save").addEventListener("click", function () {
    var list = S.hooks.slice();
    var index = S.current < 0 ? list.length : S.current;
    list[index] = fromEditor();
    save(list, index);
  });
  $("w-remove").addEventListener("click", function () {
    if (!window.confirm(t("webhooks.remove.confirm"))) return;
    var list = S.hooks.slice();
    list.splice(S.current, 1);
    save(list, -1);
  });
  $("w-secret-show").addEventListener("click", function () { showSecret(false); });
  $("w-secret-new").addEventListener("click", function () { showSecret(true); });
  $("w-test").addEventListener("click", sendTest);
  $("w-log-refresh").addEventListener("click", loadLog);
  // The log follows deliveries as they are sent.
  setInterval(function () { if (!document.hidden && !$("w-log-card").hidden) loadLog(); }, 5000);
  load();
})();
