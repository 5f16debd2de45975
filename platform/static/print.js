// The print views' one button: the browser's print dialog (no inline script under the pages' CSP).
(function () {
  'use strict';
  var button = document.getElementById('print-now');
  if (button) {
    button.addEventListener('click', function () { window.print(); });
  }
})();
