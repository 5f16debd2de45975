// What the settings pages that edit a named, ordered list of an app's items share (the views of
// views_settings.js, the charts of reports_settings.js): the status line and the message box, the name
// checks made before asking the server, the save pre-live (`PUT preview/app/{kind}.json`) with the
// server's errors spread onto the item they name, the publish (`preview/app/deploy.json`) and the load.
// One piece of code so that both pages report a conflict, a review or a failure the same way.
//
// window.KUMIKI_SETTINGS_LIST(cfg) with cfg:
//   S          the page's state: revision, unpublished, dirty, busy, selected, errors, and the list
//   app        the app id
//   prefix     the DOM id and message key prefix ("vs", "cs"): {prefix}-status, -save, -publish, -message,
//              -loading, -workspace; {prefix}.err.name_required, .err.name_taken, .load.failed
//   kind       the API's name for the list ("views", "reports"): the path and the body's member
//   list       the member of S that holds the items (each with uid, name, id)
//   member(key) → [_, name, member] for an error key of the server naming an item, or null
//   payload()  → the body's map of items by name
//   loadFields(properties), fromServer(item) → the page's item
//   renderList(), renderEditor()
//   published() says that the publish went through (message and links)
// Returns { renderStatus, message, changed, save, publish, load }.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;

  function $(id) { return document.getElementById(id); }

  window.KUMIKI_SETTINGS_LIST = function (cfg) {
    var S = cfg.S, APP = cfg.app, P = cfg.prefix;
    function items() { return S[cfg.list]; }

    function renderStatus() {
      var state = S.dirty ? "dirty" : (S.unpublished ? "unpublished" : "published");
      var box = $(P + "-status");
      box.setAttribute("data-state", state);
      box.textContent = t("vs.status." + state);
      $(P + "-save").disabled = S.busy;
      $(P + "-publish").disabled = S.busy;
    }

    function message(kind, text, extra) {
      var box = $(P + "-message");
      box.className = "alert " + kind;
      box.setAttribute("role", kind === "error" ? "alert" : "status");
      box.textContent = text;
      if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
      box.hidden = false;
    }

    function changed() { S.dirty = true; renderStatus(); }

    function selectFirstBad() {
      var bad = items().filter(function (x) { return S.errors[x.uid]; })[0];
      if (bad) S.selected = items().indexOf(bad);
    }

    /** Problems the page can tell before asking the server (names). Returns true when there are none. */
    function checkNames() {
      S.errors = {};
      var seen = {}, ok = true;
      items().forEach(function (x) {
        var n = x.name.trim();
        var msg = !n ? t(P + ".err.name_required") : seen[n] ? t(P + ".err.name_taken", { name: n }) : null;
        if (msg) { S.errors[x.uid] = { name: [msg] }; ok = false; }
        seen[n] = true;
      });
      return ok;
    }

    // The server names the member at fault as `{kind}.<name>.<member>`; what names no item of the page
    // is said in the message line.
    function showErrors(err) {
      S.errors = {};
      var byName = {};
      items().forEach(function (x) { byName[x.name.trim()] = x; });
      var general = [];
      Object.keys((err && err.errors) || {}).forEach(function (key) {
        var msgs = (err.errors[key] || {}).messages || [];
        var m = cfg.member(key);
        var x = m && byName[m[1]];
        if (!x) { msgs.forEach(function (s) { general.push(s); }); return; }
        var e = S.errors[x.uid] = S.errors[x.uid] || {};
        e[m[2]] = (e[m[2]] || []).concat(msgs);
      });
      selectFirstBad();
      cfg.renderList(); cfg.renderEditor();
      message("error", t("vs.save.failed") + (general.length ? " " + general.join(" / ") : (err && !err.errors && err.message ? " " + err.message : "")));
    }

    /** Saves the list pre-live; resolves to true when saved. */
    function save() {
      if (!checkNames()) { selectFirstBad(); cfg.renderList(); cfg.renderEditor(); message("error", t("vs.save.failed")); return Promise.resolve(false); }
      S.busy = true; renderStatus();
      var body = { app: APP };
      body[cfg.kind] = cfg.payload();
      if (S.revision) body.revision = S.revision;
      return K.api("PUT", "preview/app/" + cfg.kind + ".json", body).then(function (r) {
        S.busy = false;
        if (r && r.revision) S.revision = r.revision;
        // New items get their id from the answer, so that a later save keeps them the same items.
        items().forEach(function (x) { var got = r && r[cfg.kind] && r[cfg.kind][x.name.trim()]; if (got && got.id) x.id = String(got.id); });
        S.dirty = false; S.unpublished = true; S.errors = {};
        renderStatus(); cfg.renderList(); cfg.renderEditor();
        message("ok", t("vs.save.done"));
        return true;
      }, function (err) {
        S.busy = false; renderStatus();
        if (err && err.code === "GAIA_CO02") { message("error", t("vs.save.conflict")); return false; }
        showErrors(err);
        return false;
      });
    }

    // As the permissions page: unsaved changes are saved first, then the app is deployed.
    function publish() {
      if (S.busy) return;
      (S.dirty ? save() : Promise.resolve(true)).then(function (ok) {
        if (!ok) return;
        S.busy = true; renderStatus();
        message("info", t("vs.publish.running"));
        return K.deploy(APP, S.revision).then(function (status) {
          S.busy = false;
          if (status !== "SUCCESS") { message("error", t("vs.publish.failed")); renderStatus(); return; }
          S.unpublished = false;
          renderStatus();
          cfg.published();
        }, function (err) {
          S.busy = false; renderStatus();
          if (err && err.code === "GAIA_RV01") {
            message("error", t("vs.publish.review"), el("a", { href: "/apps/" + APP + "/review", "data-testid": P + "-review-link", text: t("vs.open_review") }));
            return;
          }
          var details = [];
          Object.keys((err && err.errors) || {}).forEach(function (k) {
            ((err.errors[k] || {}).messages || []).forEach(function (m) { details.push(k + ": " + m); });
          });
          message("error", t("vs.publish.failed") + " " + ((err && err.message) || "") + (details.length ? " " + details.join(" / ") : ""));
        });
      });
    }

    function load() {
      var q = "?app=" + encodeURIComponent(APP);
      return Promise.all([K.api("GET", "preview/app/" + cfg.kind + ".json" + q), K.api("GET", "preview/app/form/fields.json" + q)]).then(function (r) {
        cfg.loadFields(r[1].properties || {});
        var got = r[0][cfg.kind] || {};
        var list = Object.keys(got).map(function (k) { var v = got[k]; v.name = v.name || k; return v; });
        list.sort(function (a, b) { return Number(a.index || 0) - Number(b.index || 0); });
        S[cfg.list] = list.map(cfg.fromServer);
        S.revision = r[0].revision || S.revision;
        $(P + "-loading").hidden = true;
        $(P + "-workspace").hidden = false;
        cfg.renderList(); cfg.renderEditor(); renderStatus();
      }, function (err) {
        $(P + "-loading").hidden = true;
        message("error", t(P + ".load.failed") + " " + ((err && err.message) || ""));
      });
    }

    return { renderStatus: renderStatus, message: message, changed: changed, save: save, publish: publish, load: load };
  };
})();
