// A small code editor for the script settings page: a textarea with line numbers, Tab/Shift+Tab
// indentation, Enter keeping the indentation, and one highlighted line (where a syntax error is). No
// external library: the page must work offline and under a strict Content-Security-Policy.
// Tab indents while the editor has focus; Escape then Tab leaves it (keyboard users are never trapped).
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el;
  var INDENT = "  ";
  var LINE_PX = 20; // must match .code-editor line-height in app.css

  /** Mounts an editor into `box`; returns {get, set, markLine, clearMark, focus, onChange, textarea}. */
  function create(box, opts) {
    opts = opts || {};
    box.textContent = "";
    var gutter = el("div", { class: "code-gutter", "aria-hidden": "true" });
    var band = el("div", { class: "code-band", hidden: true, "aria-hidden": "true" });
    var input = el("textarea", {
      class: "code-input", id: opts.id || null, spellcheck: "false", autocapitalize: "off", autocomplete: "off",
      wrap: "off", "data-testid": opts.testid || "code-input", "aria-describedby": opts.describedBy || null
    });
    var body = el("div", { class: "code-body" }, [band, input]);
    box.appendChild(gutter);
    box.appendChild(body);
    var listeners = [], marked = 0, escaped = false;

    function lineCount() { return input.value.split("\n").length; }
    function drawGutter() {
      var n = lineCount();
      if (gutter.childNodes.length === n) return;
      gutter.textContent = "";
      for (var i = 1; i <= n; i++) gutter.appendChild(el("div", { class: i === marked ? "code-ln code-ln-error" : "code-ln", "data-line": String(i), text: String(i) }));
    }
    function syncScroll() {
      gutter.scrollTop = input.scrollTop;
      if (marked) band.style.top = ((marked - 1) * LINE_PX - input.scrollTop + 8) + "px";
    }
    function changed() {
      drawGutter();
      syncScroll();
      listeners.forEach(function (f) { f(); });
    }
    /** Replaces the selection with `text` through the editing command when possible, so undo works. */
    function insert(text) {
      input.focus();
      if (!document.execCommand || !document.execCommand("insertText", false, text)) {
        var s = input.selectionStart, e = input.selectionEnd;
        input.value = input.value.slice(0, s) + text + input.value.slice(e);
        input.selectionStart = input.selectionEnd = s + text.length;
      }
      changed();
    }
    function lineStart(pos) { return input.value.lastIndexOf("\n", pos - 1) + 1; }
    /** Indents (or dedents) every line the selection touches. */
    function shiftLines(dedent) {
      var v = input.value, s = input.selectionStart, e = input.selectionEnd;
      var from = lineStart(s), to = e > s && v.charAt(e - 1) === "\n" ? e - 1 : e;
      var lines = v.slice(from, to).split("\n");
      var out = lines.map(function (l) {
        if (!dedent) return INDENT + l;
        return l.indexOf(INDENT) === 0 ? l.slice(INDENT.length) : l.replace(/^ /, "");
      }).join("\n");
      input.setSelectionRange(from, to);
      insert(out);
      input.setSelectionRange(from, from + out.length);
    }
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { escaped = true; return; }
      if (ev.key === "Tab" && !escaped && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
        ev.preventDefault();
        var multi = input.value.slice(input.selectionStart, input.selectionEnd).indexOf("\n") >= 0;
        if (ev.shiftKey || multi) shiftLines(ev.shiftKey);
        else insert(INDENT);
        return;
      }
      escaped = false;
      if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
        ev.preventDefault();
        var s = input.selectionStart;
        var line = input.value.slice(lineStart(s), s);
        var indent = (/^[ \t]*/.exec(line) || [""])[0];
        if (/[{(\[]\s*$/.test(line)) indent += INDENT;
        insert("\n" + indent);
      }
    });
    input.addEventListener("blur", function () { escaped = false; });
    input.addEventListener("input", changed);
    input.addEventListener("scroll", syncScroll);

    var api = {
      textarea: input,
      get: function () { return input.value; },
      // Loading a text is not an edit: listeners hear only what the user types.
      set: function (text) { input.value = text || ""; api.clearMark(); input.scrollTop = 0; drawGutter(); syncScroll(); },
      onChange: function (f) { listeners.push(f); },
      focus: function () { input.focus(); },
      /** Highlights `line` (1-based), numbers it red, and puts the caret at `column` of it. */
      markLine: function (line, column) {
        var lines = input.value.split("\n");
        marked = Math.max(1, Math.min(line || 1, lines.length));
        gutter.textContent = "";
        drawGutter();
        band.hidden = false;
        var pos = 0;
        for (var i = 0; i < marked - 1; i++) pos += lines[i].length + 1;
        var col = Math.max(0, Math.min((column || 1) - 1, lines[marked - 1].length));
        input.focus();
        input.setSelectionRange(pos + col, pos + col);
        // Put the line in view: the textarea scrolls in whole pixels of LINE_PX per line.
        var top = (marked - 1) * LINE_PX;
        if (top < input.scrollTop || top > input.scrollTop + input.clientHeight - 2 * LINE_PX) input.scrollTop = Math.max(0, top - 3 * LINE_PX);
        syncScroll();
      },
      clearMark: function () {
        marked = 0;
        band.hidden = true;
        gutter.textContent = "";
        drawGutter();
      }
    };
    drawGutter();
    return api;
  }

  window.KUMIKI_CODE = { create: create };
})();
