// Issue 16, dashboards: the 「ダッシュボードに追加」 control on chart pages and record lists, and
// the remove / move buttons of pins on the portal and space pages. Everything goes through
// /api/dashboard/pins.json — through a guest space's path (/k/guest/<id>/api/...) for its board
// and its apps, as the page says in data-api / data-dash-api; the server decides who may do what.
"use strict";
(function () {
  var K = window.KUMIKI;
  if (!K) return;

  function message(e) {
    var details = Object.keys((e && e.errors) || {}).map(function (k) {
      var v = e.errors[k];
      return (v && v.messages) ? v.messages.join(" ") : "";
    }).filter(Boolean);
    return details.length ? details.join(" / ") : ((e && e.message) || String(e));
  }

  // The form opens under its button, aligned to the button's right edge; when the button sits near
  // the left edge (the record list's buttons wrap), that would push the form off the screen, so it
  // then opens to the right instead.
  document.querySelectorAll(".dash-add").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var form = details.querySelector(".dash-add-form");
      if (!details.open || !form) return;
      form.classList.remove("opens-right");
      if (form.getBoundingClientRect().left < 0) form.classList.add("opens-right");
    });
  });

  var PINS = "/api/dashboard/pins.json";

  document.querySelectorAll(".dash-add-form").forEach(function (form) {
    // A private view (個人用の一覧) goes on the user's own board only: other targets disable it
    // (the server refuses it too).
    var target = form.querySelector("[name=target]");
    var view = form.querySelector("[name=item]");
    function privateOnlyMine() {
      if (!view) return;
      var mine = target.value === "USER";
      view.querySelectorAll("option[data-private]").forEach(function (o) { o.disabled = !mine; });
      var chosen = view.options[view.selectedIndex];
      if (chosen && chosen.disabled) view.value = "";
    }
    target.addEventListener("change", privateOnlyMine);
    privateOnlyMine();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var status = form.querySelector(".dash-add-status");
      // Named lookups, not `form.elements.item`: that is the collection's item() method.
      var field = function (name) { return form.querySelector("[name=" + name + "]"); };
      var target = field("target").value;
      var body = { kind: form.dataset.kind, app: form.dataset.app, item: form.dataset.item };
      if (target.indexOf("SPACE:") === 0) { body.scope = "SPACE"; body.space = target.slice(6); }
      else body.scope = target;
      if (field("item")) body.item = field("item").value;
      if (field("rows")) body.rows = field("rows").value;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.className = "dash-add-status";
      K.api("POST", form.dataset.api || PINS, body).then(function () {
        var where = body.scope === "SPACE" ? "/spaces/" + encodeURIComponent(body.space) : "/";
        status.textContent = K.t("dash.added") + " ";
        status.appendChild(K.el("a", { href: where, "data-testid": "dash-added-link", text: K.t("dash.open_board") }));
        status.classList.add("ok");
      }, function (e) {
        status.textContent = message(e);
        status.classList.add("error");
      }).then(function () { button.disabled = false; });
    });
  });

  document.addEventListener("click", function (ev) {
    var remove = ev.target.closest("[data-pin-remove]");
    var move = ev.target.closest("[data-pin-move]");
    if (!remove && !move) return;
    var card = (remove || move).closest(".dash-pin");
    var board = card.closest("[data-dash-board]");
    var api = (board && board.dataset.dashApi) || PINS;
    if (remove) {
      remove.disabled = true;
      K.api("DELETE", api, { id: remove.dataset.pinRemove }).then(function () {
        var list = card.parentNode;
        card.remove();
        if (list && !list.children.length) {
          var section = list.closest("[data-dash-board]");
          if (section) section.hidden = true;
        }
      }, function (e) { remove.disabled = false; window.alert(message(e)); });
      return;
    }
    var cards = Array.prototype.slice.call(card.parentNode.children);
    var index = cards.indexOf(card) + Number(move.dataset.pinMove);
    if (index < 0 || index >= cards.length) return;
    K.api("PUT", api, { id: move.dataset.pinId, index: index }).then(function () {
      var list = card.parentNode;
      var others = cards.filter(function (c) { return c !== card; });
      list.insertBefore(card, others[index] || null);
    }, function (e) { window.alert(message(e)); });
  });
})();
