/* Video heartbeats for the lesson player (enrollments/templates/enrollments/portal/lesson.html).
 *
 * The player's <video data-progress-url=...> is tracked: its position goes to the lessons
 * API (POST /api/v1/lessons/{id}/progress/, the session cookie plus the CSRF token in a
 * header) every HEARTBEAT_SECONDS of playback and on pause, seek, end and when the page is
 * hidden. The server credits forward movement as watched and completes the lesson at the
 * course's share; the line under the video shows the watched share it answers. The video
 * resumes at the stored position. No inline script: this file is loaded with `defer`.
 */
(function () {
  "use strict";

  var HEARTBEAT_SECONDS = 10;
  var MAX_SECONDS = 24 * 3600; // the API's bound for positions and durations

  var video = document.querySelector("video[data-progress-url]");
  if (!video) {
    return;
  }
  var url = video.dataset.progressUrl;
  var token = video.dataset.csrfToken;
  var status = document.getElementById(video.dataset.status || "");
  var length = parseInt(video.dataset.length, 10) || 0; // the lesson's duration, if set
  var resumeAt = parseInt(video.dataset.position, 10) || 0;
  var lastSent = resumeAt;
  var resuming = false;

  function clamp(seconds) {
    return Math.max(0, Math.min(MAX_SECONDS, Math.floor(seconds)));
  }

  function playerDuration() {
    var duration = video.duration;
    return isFinite(duration) && duration >= 1 ? clamp(duration) : null;
  }

  function show(watched, completed) {
    if (!status) {
      return;
    }
    if (completed) {
      status.textContent = "Watched: this lesson is complete.";
      return;
    }
    var total = length || playerDuration();
    if (total) {
      status.textContent = "Watched " + Math.min(100, Math.floor((watched * 100) / total)) + " %.";
    }
  }

  function send(options) {
    var position = clamp(video.currentTime || 0);
    if (position === lastSent && !(options && options.force)) {
      return;
    }
    lastSent = position;
    var body = { position_seconds: position };
    var duration = playerDuration();
    if (duration) {
      body.duration_seconds = duration;
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(options && options.keepalive),
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token,
      },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && answer.data) {
          show(answer.data.position.watched_seconds, answer.data.completed);
        }
      })
      .catch(function () {
        // A lost heartbeat: the next one carries the position again.
      });
  }

  video.addEventListener("loadedmetadata", function () {
    var duration = playerDuration();
    if (resumeAt > 0 && (!duration || resumeAt < duration - 1)) {
      resuming = true;
      video.currentTime = resumeAt;
    }
  });
  video.addEventListener("timeupdate", function () {
    if (!video.paused && Math.abs(video.currentTime - lastSent) >= HEARTBEAT_SECONDS) {
      send();
    }
  });
  video.addEventListener("seeked", function () {
    if (resuming) {
      resuming = false; // our own seek to the stored position: nothing new to tell
      return;
    }
    send();
  });
  video.addEventListener("pause", function () {
    send();
  });
  video.addEventListener("ended", function () {
    send({ force: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      send({ keepalive: true });
    }
  });
})();
