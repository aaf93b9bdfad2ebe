// Hand in through the API with upload progress (session cookie + CSRF header).
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("submit-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("X-CSRFToken", form.dataset.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        bar.value = 100;
        status.textContent = "Submitted.";
        window.location.reload();
        return;
      }
      var message = "The submission failed (" + xhr.status + ").";
      try {
        var problem = JSON.parse(xhr.responseText);
        message = problem.detail || message;
        if (problem.errors && problem.errors.length) {
          message = problem.errors.map(function (e) { return e.detail; }).join(" ");
        }
      } catch (ignored) { /* not JSON */ }
      status.textContent = message;
    });
    xhr.addEventListener("error", function () { status.textContent = "Network error; try again."; });
    xhr.send(new FormData(form));
  });
})();
