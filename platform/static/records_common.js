// Shared code of the record pages: app metadata, value formatting, time zones, safe HTML-to-text.
// Everything is built with KUMIKI.el / textContent; data is never parsed as HTML into the page.
"use strict";
(function () {
  var K = window.KUMIKI;
  var page = K.page || {};
  var R = {};
  R.page = page;
  R.appId = page.app;
  R.tz = page.timezone || "Asia/Tokyo";
  R.lang = page.lang || "ja";

  // Opening a list or calendar counts as using the app (the portal's "recently used apps"); the
  // page itself is a GET and writes nothing, so the visit is posted from here.
  if (R.appId && (page.mode === "list" || page.mode === "calendar")) {
    K.api("POST", "/api/app/visit.json", { app: R.appId }).catch(function () {});
  }

  R.api = function (method, path, body) {
    return K.api(method, path, body);
  };

  R.get = function (path, params) {
    return K.api("GET", path, params);
  };

  var usersPromise = null;
  /** Users for pickers and mentions: [{code, name}] (cached). */
  R.users = function () {
    if (!usersPromise) {
      usersPromise = K.api("GET", "/api/users.json").then(function (b) { return b.users || []; })
        .catch(function () { usersPromise = null; return []; });
    }
    return usersPromise;
  };

  R.fields = function (app) {
    // System fields keep their default (Japanese) label in the definition: shown in the page's language.
    return R.get("app/form/fields.json?app=" + encodeURIComponent(app || R.appId)).then(function (b) {
      return window.KUMIKI_LABELS ? window.KUMIKI_LABELS.localize(b.properties || {}) : b.properties || {};
    });
  };
  R.layout = function () {
    return R.get("app/form/layout.json?app=" + encodeURIComponent(R.appId)).then(function (b) { return b.layout || []; });
  };
  R.views = function () {
    return R.get("app/views.json?app=" + encodeURIComponent(R.appId)).then(function (b) {
      var list = Object.keys(b.views || {}).map(function (k) { var v = b.views[k]; v.name = v.name || k; return v; });
      list.sort(function (a, b2) { return Number(a.index || 0) - Number(b2.index || 0); });
      return list;
    });
  };

  var LAYOUT_ONLY = { LABEL: 1, SPACER: 1, HR: 1, GROUP: 1, REFERENCE_TABLE: 1 };
  R.isLayoutOnly = function (t) { return !!LAYOUT_ONLY[t]; };
  R.SYSTEM = { RECORD_NUMBER: 1, CREATOR: 1, CREATED_TIME: 1, MODIFIER: 1, UPDATED_TIME: 1, STATUS: 1, STATUS_ASSIGNEE: 1, CATEGORY: 1, __ID__: 1, __REVISION__: 1 };
  R.TEXT_TYPES = { SINGLE_LINE_TEXT: 1, MULTI_LINE_TEXT: 1, RICH_TEXT: 1, LINK: 1 };

  /** Options of a choice field in their index order: [{key, label}]. */
  R.options = function (prop) {
    var o = prop.options || {};
    return Object.keys(o).map(function (k) { return { key: k, label: o[k].label || k, index: Number(o[k].index || 0) }; })
      .sort(function (a, b) { return a.index - b.index; });
  };

  /** Top-level data fields in form order (system fields left out when `withSystem` is false). */
  R.dataFields = function (props, withSystem) {
    return Object.keys(props).map(function (c) { return props[c]; }).filter(function (p) {
      if (R.isLayoutOnly(p.type)) return false;
      if ((p.type === "STATUS" || p.type === "STATUS_ASSIGNEE" || p.type === "CATEGORY") && p.enabled !== true) return false;
      if (withSystem === false && R.SYSTEM[p.type]) return false;
      return true;
    });
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  R.pad = pad;

  /** Wall-clock parts of an instant in the user's time zone. */
  R.partsIn = function (date, tz) {
    var fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz || R.tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    var out = {};
    fmt.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return { y: +out.year, m: +out.month, d: +out.day, h: +out.hour % 24, mi: +out.minute, s: +out.second };
  };

  /** Offset (minutes east of UTC) of the user's zone at an instant. */
  R.offsetAt = function (date, tz) {
    var p = R.partsIn(date, tz);
    var asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s);
    return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  };

  /** "YYYY-MM-DDTHH:MM" typed in the user's zone → ISO with that zone's offset. */
  R.localToIso = function (local) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || "");
    if (!m) return "";
    var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var off = R.offsetAt(new Date(guess));
    off = R.offsetAt(new Date(guess - off * 60000));
    var sign = off >= 0 ? "+" : "-";
    var a = Math.abs(off);
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":00" + sign + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  };

  /** ISO instant → "YYYY-MM-DDTHH:MM" in the user's zone (for datetime-local inputs). */
  R.isoToLocal = function (iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var p = R.partsIn(d);
    return p.y + "-" + pad(p.m) + "-" + pad(p.d) + "T" + pad(p.h) + ":" + pad(p.mi);
  };

  /** ISO instant → "YYYY-MM-DD HH:MM" in the user's zone. */
  R.fmtDateTime = function (iso) {
    var l = R.isoToLocal(iso);
    return l ? l.replace("T", " ") : "";
  };

  R.today = function () {
    var p = R.partsIn(new Date());
    return p.y + "-" + pad(p.m) + "-" + pad(p.d);
  };
  R.nowLocal = function () {
    var p = R.partsIn(new Date());
    return p.y + "-" + pad(p.m) + "-" + pad(p.d) + "T" + pad(p.h) + ":" + pad(p.mi);
  };

  var BLOCK = { P: 1, DIV: 1, LI: 1, BR: 1, H1: 1, H2: 1, H3: 1, H4: 1, H5: 1, H6: 1, TR: 1, BLOCKQUOTE: 1, PRE: 1, UL: 1, OL: 1 };
  /** HTML (rich text, labels) → plain text with line breaks. DOMParser documents are inert: nothing
   *  runs and nothing loads; only their text is read. */
  R.htmlToText = function (html) {
    if (!html) return "";
    var doc = new DOMParser().parseFromString(String(html), "text/html");
    var out = [];
    (function walk(node) {
      for (var c = node.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 3) out.push(c.nodeValue);
        else if (c.nodeType === 1) {
          if (c.tagName === "SCRIPT" || c.tagName === "STYLE") continue;
          if (c.tagName === "LI") out.push("・");
          walk(c);
          if (BLOCK[c.tagName]) out.push("\n");
        }
      }
    })(doc.body);
    return out.join("").replace(/\n{3,}/g, "\n\n").replace(/^\s+|\s+$/g, "");
  };

  function num(prop, v) {
    if (v === null || v === undefined || v === "") return "";
    var s = String(v);
    if (prop.digit === true || prop.digit === "true") {
      var parts = s.split(".");
      parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      s = parts.join(".");
    }
    if (prop.unit) s = prop.unitPosition === "BEFORE" ? prop.unit + s : s + prop.unit;
    return s;
  }

  function optionLabel(prop, key) {
    var o = (prop.options || {})[key];
    return o && o.label ? o.label : key;
  }

  /** A field value as plain text. */
  R.text = function (prop, v) {
    if (v === null || v === undefined) return "";
    switch (prop.type) {
      case "NUMBER": return num(prop, v);
      case "CALC":
        if (prop.format === "DATETIME") return R.fmtDateTime(v);
        return (!prop.format || prop.format.indexOf("NUMBER") === 0) ? num(prop, v) : String(v);
      case "CHECK_BOX": case "MULTI_SELECT": case "CATEGORY":
        return (v || []).map(function (k) { return optionLabel(prop, k); }).join(", ");
      case "RADIO_BUTTON": case "DROP_DOWN": return v ? optionLabel(prop, v) : "";
      case "DATETIME": case "CREATED_TIME": case "UPDATED_TIME": return R.fmtDateTime(v);
      case "USER_SELECT": case "ORGANIZATION_SELECT": case "GROUP_SELECT": case "STATUS_ASSIGNEE":
        return (v || []).map(function (u) { return u.name || u.code; }).join(", ");
      case "CREATOR": case "MODIFIER": return v.name || v.code || "";
      case "FILE": return (v || []).map(function (f) { return f.name; }).join(", ");
      case "RICH_TEXT": return R.htmlToText(v);
      case "SUBTABLE": return K.t("records.rows", { n: (v || []).length });
      default: return typeof v === "object" ? JSON.stringify(v) : String(v);
    }
  };

  /** A field value as a DOM node for display (links for LINK and FILE, line breaks kept). */
  R.display = function (prop, v) {
    var el = K.el;
    if (prop.type === "FILE") {
      var files = v || [];
      if (!files.length) return el("span", { class: "muted", text: "" });
      return el("ul", { class: "file-list" }, files.map(function (f) {
        return el("li", {}, [el("a", { href: K.apiUrl("/k/v1/file.json?fileKey=" + encodeURIComponent(f.fileKey)), download: f.name, text: f.name }),
          f.size ? el("span", { class: "muted", text: " (" + R.size(f.size) + ")" }) : null]);
      }));
    }
    if (prop.type === "LINK" && v) {
      var href = null;
      if (prop.protocol === "MAIL") href = "mailto:" + v;
      else if (prop.protocol === "CALL") href = "tel:" + v;
      else if (/^https?:\/\//i.test(v)) href = v;
      return href ? el("a", { href: href, rel: "noopener noreferrer", target: prop.protocol === "WEB" || !prop.protocol ? "_blank" : null, text: v }) : el("span", { text: v });
    }
    var text = R.text(prop, v);
    var multi = prop.type === "MULTI_LINE_TEXT" || prop.type === "RICH_TEXT";
    var dateLike = prop.type === "DATE" || prop.type === "TIME" || prop.type === "DATETIME" || prop.type === "CREATED_TIME" || prop.type === "UPDATED_TIME";
    return el("span", { class: multi ? "prewrap" : dateLike ? "nowrap" : null, text: text });
  };

  R.size = function (n) {
    n = Number(n) || 0;
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  };

  /** The text to show for a failed call. The server writes the messages of calls made from pages in
   *  the user's language from its catalogs (docs/ui.md "Error messages"): they are shown as sent. */
  R.errorText = function (e) {
    if (e && e.code === "GAIA_CO02") return K.t("records.conflict");
    if (e && (e.code === "CB_NO02" || e.code === "GAIA_NO01")) return K.t("records.err.forbidden");
    if (e && e.message && e.status) return e.message;
    return K.t("records.err.network");
  };

  /** Quotes a query string literal. */
  R.quote = function (s) {
    return "\"" + String(s).replace(/\\/g, "\\\\").replace(/"/g, "\\\"") + "\"";
  };

  /** Shows one message in `container` (empty text hides it). */
  R.alert = function (container, kind, text, testid) {
    container.textContent = "";
    if (!text) { container.hidden = true; return; }
    container.hidden = false;
    container.appendChild(K.el("p", { class: "alert " + kind, role: kind === "error" ? "alert" : "status", "data-testid": testid || null, text: text }));
  };

  R.recordUrl = function (id, edit) {
    return "/apps/" + encodeURIComponent(R.appId) + "/records/" + encodeURIComponent(id) + (edit ? "/edit" : "");
  };

  window.KUMIKI_RECORDS = R;
})();
