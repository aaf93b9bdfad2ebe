// Lesson forms (courses): show only the fields the chosen kind uses.
// Fields carry data-kinds="video" (space-separated kinds); fields without it serve every
// kind. Without this script every field shows, and its label says which kind uses it.
(function () {
  "use strict";

  function enhance(form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) {
      return;
    }
    function show() {
      form.querySelectorAll("[data-kinds]").forEach(function (element) {
        element.hidden = element.dataset.kinds.split(" ").indexOf(select.value) === -1;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  document.querySelectorAll("form[data-kind-form]").forEach(enhance);
})();
