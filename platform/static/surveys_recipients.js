// Choosing recipient organisations (issue 14): guest organisations and departments from
// GET /api/surveys/organisations.json, a filter box, the picked ones as chips with their contacts.
// Used by the survey editor and the saved lists page.
"use strict";
(function () {
  var K = window.KUMIKI, el = K.el, t = K.t;

  function key(o) { return o.kind + ":" + o.code; }

  /**
   * opts: {orgs: element for the choosable list, filter: input, picked: ul, count: element, testid}.
   * Resolves to {get() → [{kind, code, name}], set(entries), add(entries), onChange(fn)}.
   */
  function create(opts) {
    var all = [], byKey = {}, picked = [], listeners = [];
    var boxes = {};

    function changed() {
      drawPicked();
      Object.keys(boxes).forEach(function (k) { boxes[k].checked = picked.some(function (p) { return key(p) === k; }); });
      listeners.forEach(function (f) { f(picked); });
    }
    function contactsText(o) {
      var c = (byKey[key(o)] || o).contacts || [];
      return c.length ? t("surveys.recipients.contacts", { names: c.map(function (x) { return x.name || x.code; }).join("、") }) : t("surveys.recipients.no_contacts");
    }
    function drawPicked() {
      if (opts.count) opts.count.textContent = t("surveys.recipients.count", { n: picked.length });
      if (!opts.picked) return;
      opts.picked.textContent = "";
      picked.forEach(function (p, i) {
        var known = byKey[key(p)] || p;
        opts.picked.appendChild(el("li", { class: "chip sv-chip", "data-testid": "recipient-chip", "data-key": key(p), title: contactsText(p) }, [
          el("span", { class: "sv-kind", text: t("surveys.kind." + p.kind) }), " ", known.name || p.name || p.code,
          el("button", { type: "button", class: "chip-remove", "aria-label": t("surveys.recipients.remove", { name: known.name || p.code }), text: "×",
            onclick: function () { picked.splice(i, 1); changed(); } }),
        ]));
      });
    }
    function draw() {
      var q = (opts.filter && opts.filter.value || "").trim().toLowerCase();
      opts.orgs.textContent = "";
      ["space", "department"].forEach(function (kind) {
        var rows = all.filter(function (o) {
          return o.kind === kind && (!q || (o.name + " " + o.code).toLowerCase().indexOf(q) >= 0 ||
            (o.contacts || []).some(function (c) { return String(c.name).toLowerCase().indexOf(q) >= 0; }));
        });
        if (!rows.length) return;
        var list = el("ul", { class: "sv-org-list" });
        rows.forEach(function (o) {
          var k = key(o);
          var id = "org-" + k.replace(/[^A-Za-z0-9_-]/g, "_");
          var box = boxes[k] || el("input", { type: "checkbox", id: id, "data-testid": "recipient-org", "data-key": k });
          if (!boxes[k]) {
            boxes[k] = box;
            box.addEventListener("change", function () {
              if (box.checked) { if (!picked.some(function (p) { return key(p) === k; })) picked.push({ kind: o.kind, code: o.code, name: o.name }); }
              else picked = picked.filter(function (p) { return key(p) !== k; });
              changed();
            });
          }
          box.checked = picked.some(function (p) { return key(p) === k; });
          list.appendChild(el("li", { class: "sv-org" }, [
            el("label", { class: "check", for: id }, [box, " ", el("span", { class: "sv-org-name", text: o.name })]),
            el("span", { class: "muted sv-org-contacts", text: contactsText(o) }),
          ]));
        });
        opts.orgs.appendChild(el("div", { class: "sv-org-group" }, [
          el("h3", { class: "sv-org-kind", text: t("surveys.kind_group." + kind, { n: rows.length }) }),
          list,
        ]));
      });
      if (!opts.orgs.firstChild) opts.orgs.appendChild(el("p", { class: "muted", text: all.length ? t("surveys.recipients.no_match") : t("surveys.recipients.none") }));
    }
    if (opts.filter) opts.filter.addEventListener("input", draw);

    var api = {
      get: function () { return picked.map(function (p) { return { kind: p.kind, code: p.code, name: p.name }; }); },
      set: function (entries) { picked = (entries || []).map(function (p) { return { kind: p.kind, code: String(p.code), name: p.name }; }); changed(); },
      add: function (entries) {
        (entries || []).forEach(function (p) {
          if (!picked.some(function (x) { return key(x) === key(p); })) picked.push({ kind: p.kind, code: String(p.code), name: p.name });
        });
        changed();
      },
      onChange: function (f) { listeners.push(f); },
    };
    return K.api("GET", "/api/surveys/organisations.json").then(function (r) {
      all = (r.organisations || []).map(function (o) { return { kind: o.kind, code: String(o.code), name: o.name || String(o.code), contacts: o.contacts || [] }; });
      all.forEach(function (o) { byKey[key(o)] = o; });
      draw();
      drawPicked();
      return api;
    });
  }

  window.KUMIKI_SURVEY_RECIPIENTS = { create: create, key: key };
})();
