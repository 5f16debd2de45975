// Shared by the review, versions and review-policy pages: the difference between two app
// definitions as sentences (`statements` of /api/app/diff.json: message keys with arguments, old
// and new settings side by side, script line diffs), the path-by-path detail folded away as 詳細,
// times in the user's time zone, messages and error texts.
(function () {
  "use strict";
  var K = window.KUMIKI, el = K.el, t = K.t;
  var page = K.page || {};

  /** An ISO time in the user's time zone (`KUMIKI.page.timeZone`), as the record pages show times. */
  function fmt(at) {
    if (!at) return "";
    var d = new Date(at);
    if (isNaN(d.getTime())) return at;
    var opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
    if (page.timeZone) opts.timeZone = page.timeZone;
    try {
      return new Intl.DateTimeFormat(page.lang === "en" ? "en-GB" : "ja-JP", opts).format(d);
    } catch (e) {
      delete opts.timeZone;
      return new Intl.DateTimeFormat(page.lang === "en" ? "en-GB" : "ja-JP", opts).format(d);
    }
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

  /** One argument of a sentence: text, a list, or a message key with its own arguments. */
  function arg(a) {
    if (a === null || a === undefined) return "";
    if (typeof a === "string") return a;
    if (Array.isArray(a)) return a.length ? a.map(arg).join(t("review.list_sep")) : t("review.value.none");
    if (typeof a === "object" && a.key) {
      var args = {};
      Object.keys(a.args || {}).forEach(function (k) { args[k] = arg(a.args[k]); });
      var text = t(a.key, args);
      // A property or setting the catalog does not name yet shows its own name.
      if (text === a.key) return args.name || a.key.split(".").pop();
      return text;
    }
    return String(a);
  }

  function sentence(st) {
    var args = {};
    Object.keys(st.args || {}).forEach(function (k) { args[k] = arg(st.args[k]); });
    return t(st.key, args);
  }

  function compareTable(rows) {
    return el("div", { class: "rv-table-wrap" }, [el("table", { class: "data rv-compare-table" }, [
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: t("review.diff.col_setting") }),
        el("th", { scope: "col", text: t("review.diff.col_old") }),
        el("th", { scope: "col", text: t("review.diff.col_new") })])]),
      el("tbody", {}, rows.map(function (r) {
        return el("tr", {}, [
          el("th", { scope: "row", text: arg(r.label) }),
          el("td", { class: "rv-old" }, [el("del", { text: arg(r.old) })]),
          el("td", { class: "rv-new" }, [el("ins", { text: arg(r.new) })])]);
      }))])]);
  }

  function lineDiff(lines) {
    var marks = { add: "+ ", del: "- ", same: "  ", skip: "" };
    return el("pre", { class: "rv-lines", "data-testid": "script-lines" }, lines.map(function (l) {
      if (l.kind === "skip") return el("span", { class: "rv-line rv-line-skip", text: t("review.diff.skipped") + "\n" });
      var label = l.kind === "add" ? t("review.diff.line_added") : l.kind === "del" ? t("review.diff.line_removed") : "";
      var kids = [];
      if (label) kids.push(el("span", { class: "sr-only", text: label + " " }));
      kids.push(document.createTextNode(marks[l.kind] + l.text + "\n"));
      return el(l.kind === "add" ? "ins" : l.kind === "del" ? "del" : "span", { class: "rv-line rv-line-" + l.kind }, kids);
    }));
  }

  /** The path-by-path detail (the older presentation), folded away. */
  function details(body) {
    var box = el("details", { class: "rv-text", "data-testid": "diff-details" }, [el("summary", { text: t("review.diff.details") })]);
    (body.sections || []).forEach(function (s) {
      box.appendChild(el("h4", { text: t("review.section." + s.section) }));
      box.appendChild(el("ul", { class: "rv-details" }, s.changes.map(function (c) {
        return el("li", {}, [el("strong", { text: c.item + " " + c.key }), el("ul", {}, (c.details || []).map(function (d) {
          return el("li", { class: "rv-path", text: d.path + ": " + JSON.stringify(d.old) + " → " + JSON.stringify(d.new) });
        }))]);
      })));
    });
    box.appendChild(el("pre", { "data-testid": "diff-text", text: body.text || "" }));
    return box;
  }

  /** Renders a diff response into `box`: sentences per section, then the folded detail. */
  function renderDiff(box, body) {
    box.textContent = "";
    var sections = body.statements || [];
    if (!sections.length) {
      box.appendChild(el("p", { class: "muted", "data-testid": "diff-empty", text: t("review.diff.none") }));
      return;
    }
    sections.forEach(function (s) {
      box.appendChild(el("h3", { class: "rv-diff-section", text: t("review.section." + s.section) }));
      box.appendChild(el("ul", { class: "rv-sentences", "data-testid": "diff-" + s.section }, s.statements.map(function (st) {
        var kids = [el("p", { class: "rv-sentence", "data-testid": "diff-sentence", text: sentence(st) })];
        if (st.compare && st.compare.length) kids.push(compareTable(st.compare));
        if (st.lines && st.lines.length) kids.push(lineDiff(st.lines));
        return el("li", { class: "rv-statement rv-" + st.key.split(".").pop() }, kids);
      })));
    });
    box.appendChild(details(body));
  }

  window.KUMIKI_REVIEW = { fmt: fmt, errorText: errorText, message: message, renderDiff: renderDiff, arg: arg };
})();
