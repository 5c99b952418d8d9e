/* Small form behaviours without inline handlers (the Content-Security-Policy forbids them).
 * A submit button with data-submit-once is disabled once its form is submitted, so a double click cannot send the
 * form twice.
 * A date (or date-and-time) field written straight into a template, outside a Django form, gets the same format hint
 * the form widgets render (core/_date_hint.html); the words come from <body data-date-hint data-datetime-hint>. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-submit-once]");
    if (button) {
      // Disabled after the browser has taken the button's value for this submission.
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });

  function addDateHints(root) {
    var body = document.body;
    if (!body || !root || !root.querySelectorAll) { return; }
    var inputs = root.querySelectorAll('input[type="date"], input[type="datetime-local"]');
    Array.prototype.forEach.call(inputs, function (input) {
      var next = input.nextElementSibling;
      if (next && next.classList.contains("format-hint")) { return; }
      var withTime = input.type === "datetime-local";
      var text = withTime ? body.dataset.datetimeHint : body.dataset.dateHint;
      if (!text) { return; }
      var hint = document.createElement("small");
      hint.className = "format-hint";
      hint.textContent = text;
      input.insertAdjacentElement("afterend", hint);
      if (!input.placeholder) { input.placeholder = withTime ? body.dataset.datetimePlaceholder : body.dataset.datePlaceholder; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { addDateHints(document); });
  document.addEventListener("htmx:load", function (event) { addDateHints(event.target); });
})();
