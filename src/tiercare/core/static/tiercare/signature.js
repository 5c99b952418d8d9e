/* Signature pads (canvas[data-signature-pad]): drawing with a finger, pen or mouse; each stroke's end writes the
 * drawing as a PNG data URL into the form's [data-signature-input]. Delegated, so pads loaded by htmx work too. */
(function () {
  "use strict";
  var drawing = null;
  function pos(canvas, event) {
    var r = canvas.getBoundingClientRect();
    return { x: (event.clientX - r.left) * canvas.width / r.width, y: (event.clientY - r.top) * canvas.height / r.height };
  }
  function input(canvas) {
    var form = canvas.closest("form");
    return form ? form.querySelector("[data-signature-input]") : null;
  }
  document.addEventListener("pointerdown", function (event) {
    var canvas = event.target.closest && event.target.closest("[data-signature-pad]");
    if (!canvas) { return; }
    event.preventDefault();
    drawing = canvas;
    var ctx = canvas.getContext("2d");
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#1f2933";
    var p = pos(canvas, event);
    ctx.beginPath(); ctx.moveTo(p.x, p.y);
  });
  document.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = pos(drawing, event);
    var ctx = drawing.getContext("2d");
    ctx.lineTo(p.x, p.y); ctx.stroke();
  });
  document.addEventListener("pointerup", function () {
    if (!drawing) { return; }
    var field = input(drawing);
    if (field) { field.value = drawing.toDataURL("image/png"); }
    drawing = null;
  });
  document.addEventListener("click", function (event) {
    var clear = event.target.closest && event.target.closest("[data-signature-clear]");
    if (!clear) { return; }
    var form = clear.closest("form");
    var canvas = form && form.querySelector("[data-signature-pad]");
    if (canvas) { canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height); }
    var field = form && form.querySelector("[data-signature-input]");
    if (field) { field.value = ""; }
  });
})();
