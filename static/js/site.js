/* Behaviour every page may use, declared with data-* attributes (no inline handlers:
   the Content-Security-Policy refuses them).
   - <form data-confirm="Question?">: asks before submitting.
   - <input data-select-on-click>: selects its text when clicked (secrets shown once).
   - <select data-navigate-form>: submitting the form to the chosen value as its action. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-click")) {
      target.select();
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-navigate-form")) {
      target.form.action = target.value;
      target.form.submit();
    }
  });
})();
