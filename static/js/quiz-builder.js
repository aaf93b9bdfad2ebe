/* The quiz builder's "Add a question" form shows only the fields of the chosen question
 * kind. Each kind-specific field is wrapped in an element with data-kinds="single
 * multiple ..."; the others are hidden and disabled (a disabled field is not posted, so a
 * stray value typed for another kind can never fail validation out of sight).
 * Without JavaScript every field stays visible with a "Used by: ..." hint. */
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  if (!form) {
    return;
  }
  var select = form.querySelector("select[name$='kind']");
  if (!select) {
    return;
  }
  var parts = Array.prototype.slice.call(form.querySelectorAll("[data-kinds]"));

  function show() {
    var kind = select.value;
    parts.forEach(function (part) {
      var wanted = part.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      part.hidden = !wanted;
      Array.prototype.forEach.call(
        part.querySelectorAll("input, select, textarea"),
        function (control) { control.disabled = !wanted; }
      );
    });
  }

  form.classList.add("kinds-filtered"); // hides the "Used by" hints (app.css)
  select.addEventListener("change", show);
  show();
})();
