// Shared page code: messages, the CSRF token, and a small client for Kumiki's kintone API.
"use strict";
(function () {
  function readJson(id, fallback) {
    var el = document.getElementById(id);
    if (!el) return fallback;
    try { return JSON.parse(el.textContent); } catch (e) { return fallback; }
  }
  // The catalog arrives as a cached script (/static/i18n/<lang>.js) loaded just before this one.
  var messages = window.KUMIKI_MESSAGES || {};
  var csrf = readJson("kumiki-session", "");

  /** The message for `key`, with `{name}` placeholders filled from `args`. */
  function t(key, args) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    if (args) Object.keys(args).forEach(function (k) { text = text.split("{" + k + "}").join(String(args[k])); });
    return text;
  }

  /** An API error with kintone's code, message and per-field errors. */
  function ApiError(status, body) {
    this.status = status;
    this.code = body && body.code;
    this.message = (body && body.message) || ("HTTP " + status);
    this.errors = (body && body.errors) || {};
  }

  // Issue 13, guests: a page of an app in a guest space names the space (`guestSpace` in its page
  // data); its calls then go through that space's path, as kintone requires (`/k/guest/<id>/v1/`,
  // and Kumiki's `/api/guest/<id>/...` twin for its own JSON APIs).
  var pageData = readJson("kumiki-page", null);
  var guestSpace = pageData && pageData.guestSpace;

  /** The URL of an API call: `/k/v1/<path>` for a bare path, through the page's guest space if any. */
  function apiUrl(path) {
    var url = path.charAt(0) === "/" ? path : "/k/v1/" + path;
    if (!guestSpace) return url;
    if (url.indexOf("/k/v1/") === 0) return "/k/guest/" + guestSpace + "/v1/" + url.slice(6);
    if (/^\/api\/[^?]*\.json/.test(url) && url.indexOf("/api/guest/") !== 0 && url.indexOf("/api/auth/") !== 0) {
      return "/api/guest/" + guestSpace + "/" + url.slice(5);
    }
    return url;
  }

  /** Calls `/k/v1/<path>` (or a full path) with the session cookie and the CSRF header. */
  function api(method, path, body) {
    var url = apiUrl(path);
    var init = { method: method, headers: { "X-CSRF-Token": csrf, "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin" };
    if (body !== undefined) {
      if (method === "GET") {
        init.method = "POST";
        init.headers["X-HTTP-Method-Override"] = "GET";
      }
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = null; }
        if (!resp.ok) throw new ApiError(resp.status, data);
        return data;
      });
    });
  }

  /**
   * Publishes an app's pre-live settings (`preview/app/deploy.json`, with the pre-live revision when
   * given) and waits for the deploy to finish: resolves to its final status (SUCCESS, FAIL, …) and
   * rejects with an ApiError when the deploy is refused (GAIA_RV01 when review is required).
   */
  function deploy(app, revision) {
    var entry = { app: app };
    if (revision) entry.revision = revision;
    function poll(tries) {
      return new Promise(function (resolve) { setTimeout(resolve, 400); }).then(function () {
        return api("GET", "preview/app/deploy.json?apps[0]=" + encodeURIComponent(app));
      }).then(function (r) {
        var status = r.apps && r.apps[0] && r.apps[0].status;
        if (status === "PROCESSING" && tries > 0) return poll(tries - 1);
        return status;
      });
    }
    return api("POST", "preview/app/deploy.json", { apps: [entry] }).then(function () { return poll(75); });
  }

  /** Creates an element: el("div", {class: "x", text: "..."}, [children]). Text is never parsed as HTML. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  window.KUMIKI = { t: t, api: api, apiUrl: apiUrl, deploy: deploy, el: el, csrf: csrf, page: readJson("kumiki-page", null), ApiError: ApiError };
})();
