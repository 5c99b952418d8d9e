/* Search pickers (core.widgets.SearchPicker): a click on a match fills the hidden input and shows its label;
 * "Change" empties the choice and shows the search box again. No inline handlers (Content-Security-Policy). */
(function () {
  "use strict";
  function box(el) { return el.closest("[data-picker]"); }
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-picker-value]");
    if (option && box(option)) {
      var p = box(option);
      p.querySelector("[data-picker-input]").value = option.getAttribute("data-picker-value");
      p.querySelector("[data-picker-label]").textContent = option.getAttribute("data-picker-text");
      var search = p.querySelector("[data-picker-search]");
      search.value = "";
      search.hidden = true;
      p.querySelector("[data-picker-clear]").hidden = false;
      p.querySelector(".picker-results").innerHTML = "";
      p.querySelector("[data-picker-input]").dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    var clear = event.target.closest("[data-picker-clear]");
    if (clear && box(clear)) {
      var q = box(clear);
      q.querySelector("[data-picker-input]").value = "";
      q.querySelector("[data-picker-label]").textContent = "";
      clear.hidden = true;
      var s = q.querySelector("[data-picker-search]");
      s.hidden = false;
      s.focus();
    }
  });
})();
