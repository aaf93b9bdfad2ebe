// Speed grader keys: j next, k previous, Ctrl+Enter saves.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var form = document.getElementById("grade-form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var link = document.querySelector('a[data-key="' + event.key + '"]');
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
})();
