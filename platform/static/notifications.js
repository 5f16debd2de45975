// The notifications page: opening a notification marks it read first; "mark all read" marks every
// notification of the user read (POST /api/notifications/read.json) and reloads the list.
(function () {
  var K = window.KUMIKI;
  var all = document.getElementById("notify-read-all");
  if (all) {
    all.addEventListener("click", function () {
      all.disabled = true;
      K.api("POST", "/api/notifications/read.json", { all: true }).then(function () {
        window.location.reload();
      }, function () { all.disabled = false; });
    });
  }
  document.querySelectorAll("a.notify-title").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var item = a.closest(".notify-item");
      if (!item || !item.classList.contains("unread")) return;
      ev.preventDefault();
      var go = function () { window.location.href = a.getAttribute("href"); };
      K.api("POST", "/api/notifications/read.json", { ids: [a.dataset.id] }).then(go, go);
    });
  });
})();
