/* The countdown of a timed quiz attempt (quizzes/templates/quizzes/take.html).
 *
 * The page carries the attempt's deadline and the server's "now" when it rendered the
 * page (ISO 8601, data-deadline / data-server-now). The offset between the server's clock
 * and the device's is measured once, at load, so a device clock that is minutes or hours
 * wrong still counts down to the server's deadline (give or take the page's load time).
 *
 * Accessibility: the visible clock is a role="timer" (aria-live off: it changes every
 * second); a separate polite live region speaks the time left at sensible moments (every
 * ten minutes, then at 5 and 2 minutes, 1 minute, 30 and 10 seconds) and the warning.
 *
 * When time is up the form is submitted as if "Submit" was pressed, so what is on the
 * page is saved and submitted. The server accepts answers until the deadline plus a grace
 * (QUIZ_GRACE_SECONDS); after that it submits the attempt with what was saved. */
(function () {
  "use strict";
  var box = document.getElementById("countdown");
  if (!box) {
    return;
  }
  var deadline = Date.parse(box.getAttribute("data-deadline"));
  var serverNow = Date.parse(box.getAttribute("data-server-now"));
  if (isNaN(deadline) || isNaN(serverNow)) {
    return;
  }
  var offset = serverNow - Date.now();
  var timer = document.getElementById("time-left");
  var status = document.getElementById("countdown-status");
  var form = document.getElementById(box.getAttribute("data-form"));
  var WARN_SECONDS = 60;
  var finished = false;
  var warned = false;

  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - (Date.now() + offset)) / 1000));
  }

  function clock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    if (h > 0) {
      return h + ":" + (m < 10 ? "0" : "") + m + ":" + ss;
    }
    return m + ":" + ss;
  }

  function words(seconds) {
    if (seconds >= 120) {
      return Math.round(seconds / 60) + " minutes left.";
    }
    if (seconds >= 60) {
      return "1 minute left.";
    }
    return seconds + " seconds left.";
  }

  // The moments to speak, largest first, below the time left at load.
  function moments(from) {
    var list = [10, 30, 60, 120, 300];
    for (var t = 600; t < from; t += 600) {
      list.push(t);
    }
    return list
      .filter(function (t) { return t < from; })
      .sort(function (a, b) { return b - a; });
  }

  var pending = moments(secondsLeft());

  function say(text) {
    status.textContent = text;
  }

  function finish() {
    if (finished) {
      return;
    }
    finished = true;
    timer.textContent = clock(0);
    box.classList.add("countdown-warning");
    say("Time is up: submitting your answers.");
    if (!form) {
      window.location.reload();
      return;
    }
    var button = form.querySelector("button[name='submit']");
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button);
    } else {
      var flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "submit";
      flag.value = "1";
      form.appendChild(flag);
      form.submit();
    }
  }

  function tick() {
    var left = secondsLeft();
    var text = clock(left);
    if (timer.textContent !== text) {
      timer.textContent = text;
    }
    var spoken = null;
    while (pending.length && pending[0] >= left) {
      spoken = pending.shift();
    }
    if (left <= WARN_SECONDS && !warned) {
      warned = true;
      box.classList.add("countdown-warning");
      if (left > 0) {
        say("Less than a minute left: your answers will be submitted when time is up.");
        spoken = null;
      }
    }
    if (spoken !== null && left > 0) {
      say(words(spoken));
    }
    if (left <= 0) {
      finish();
    }
  }

  tick();
  window.setInterval(tick, 500);
  // One plain timeout as well: a hidden tab throttles the interval, not a single timeout
  // this much, so time up is not missed by long.
  window.setTimeout(tick, Math.max(0, deadline - (Date.now() + offset)) + 50);
  document.addEventListener("visibilitychange", tick);
})();
