/* Small form behaviours without inline handlers (the Content-Security-Policy forbids them).
 * A submit button with data-submit-once is disabled once its form is submitted, so a double click cannot send the
 * form twice. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-submit-once]");
    if (button) {
      // Disabled after the browser has taken the button's value for this submission.
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });
})();
