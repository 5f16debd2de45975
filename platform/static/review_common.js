// Shared by the review and versions pages: readable tables of an app-definition diff
// (`/api/app/diff.json`), dates, messages and error texts.
(function () {
  "use strict";
  var K = window.KUMIKI, el = K.el, t = K.t;

  function fmt(at) {
    if (!at) return "";
    var d = new Date(at);
    if (isNaN(d.getTime())) return at;
    return d.toLocaleString(K.page && K.page.lang === "en" ? "en-GB" : "ja-JP");
  }

  function errorText(e) {
    if (!e) return t("review.error");
    var parts = [e.message || t("review.error")];
    Object.keys(e.errors || {}).forEach(function (k) {
      var m = e.errors[k] && e.errors[k].messages;
      if (m && m.length) parts.push(k + ": " + m.join(" "));
    });
    return parts.join(" ");
  }

  function message(box, kind, text, extra) {
    box.hidden = false;
    box.className = "alert " + kind;
    box.textContent = text;
    if (extra) { box.appendChild(document.createTextNode(" ")); box.appendChild(extra); }
  }

  function valueText(v) {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "string") return v;
    if (typeof v === "object" && !Array.isArray(v) && v.row !== undefined) {
      var pos = t("review.position", { row: v.row, column: v.column });
      return v.group ? t("review.position_group", { group: v.group }) + " " + pos : pos;
    }
    return JSON.stringify(v);
  }

  function label(prefix, key) {
    var text = t(prefix + key);
    return text === prefix + key ? key : text;
  }

  /** Renders a diff response into `box`: one table per section, and the plain text. */
  function renderDiff(box, body) {
    box.textContent = "";
    var sections = body.sections || [];
    if (!sections.length) {
      box.appendChild(el("p", { class: "muted", "data-testid": "diff-empty", text: t("review.diff.none") }));
      return;
    }
    sections.forEach(function (s) {
      box.appendChild(el("h3", { class: "rv-diff-section", text: label("review.section.", s.section) }));
      var tbody = el("tbody");
      s.changes.forEach(function (c) {
        var name = c.label && c.label !== c.key ? c.label + " (" + c.key + ")" : c.key;
        var details = el("ul", { class: "rv-details" }, (c.details || []).map(function (d) {
          return el("li", {}, [
            el("span", { class: "rv-path", text: d.path }), ": ",
            el("del", { class: "rv-old", text: valueText(d.old) }),
            el("span", { "aria-hidden": "true", text: " → " }),
            el("span", { class: "sr-only", text: " " + t("review.diff.to") + " " }),
            el("ins", { class: "rv-new", text: valueText(d.new) })
          ]);
        }));
        tbody.appendChild(el("tr", { "data-testid": "diff-" + s.section + "-" + c.key }, [
          el("td", {}, [el("span", { class: "rv-kind rv-kind-" + c.kind, text: label("review.kind.", c.kind) })]),
          el("td", {}, [el("span", { class: "muted", text: label("review.item.", c.item) + " " }), el("strong", { text: name })]),
          el("td", {}, [details])
        ]));
      });
      box.appendChild(el("div", { class: "rv-table-wrap" }, [el("table", { class: "data rv-diff" }, [
        el("thead", {}, [el("tr", {}, [
          el("th", { scope: "col", text: t("review.diff.col_change") }),
          el("th", { scope: "col", text: t("review.diff.col_item") }),
          el("th", { scope: "col", text: t("review.diff.col_details") })])]),
        tbody])]));
    });
    box.appendChild(el("details", { class: "rv-text" }, [
      el("summary", { text: t("review.diff.text") }),
      el("pre", { "data-testid": "diff-text", text: body.text || "" })]));
  }

  window.KUMIKI_REVIEW = { fmt: fmt, errorText: errorText, message: message, renderDiff: renderDiff };
})();
