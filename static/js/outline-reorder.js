// The Content page (courses): reorder modules and lessons in the page, then save the whole
// new order in one request (the hidden form #order-bar posts it to courses:reorder).
//
// Mouse: drag a module or a lesson by its handle (HTML drag and drop); a lesson may be
// dropped into another module. Keyboard: the Move up / Move down buttons, which without
// this script post one move each, here move the row in the page and keep the focus on
// the button (a lesson at the top of a module moves to the end of the one before).
// Nothing is saved until "Save order"; "Discard changes" reloads the page.
(function () {
  "use strict";

  var outline = document.getElementById("outline");
  var bar = document.getElementById("order-bar");
  if (!outline || !bar || outline.dataset.reorder !== "on") {
    return;
  }
  var status = document.getElementById("order-status");
  var saved = serialise();
  var dragged = null;

  function modules() {
    return Array.prototype.slice.call(outline.querySelectorAll(":scope > li.module"));
  }

  function lessonsOf(module) {
    return Array.prototype.slice.call(module.querySelectorAll(":scope ol.lessons > li.lesson"));
  }

  function listOf(module) {
    return module.querySelector("ol.lessons");
  }

  function serialise() {
    return JSON.stringify(
      modules().map(function (module) {
        return {
          id: Number(module.dataset.moduleId),
          lessons: lessonsOf(module).map(function (lesson) {
            return Number(lesson.dataset.lessonId);
          }),
        };
      })
    );
  }

  function moveButton(item, name) {
    var scope = item.matches("li.module") ? ":scope > .module-head " : "";
    return item.querySelector(scope + 'form[data-move="' + name + '"] button');
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  // Numbers, counts, and which move buttons can act, after any change.
  function refresh() {
    var all = modules();
    all.forEach(function (module, index) {
      var lessons = lessonsOf(module);
      module.querySelector(".module-number").textContent = "Module " + (index + 1);
      moveButton(module, "module-up").disabled = index === 0;
      moveButton(module, "module-down").disabled = index === all.length - 1;
      module.querySelector(".lessons-empty").hidden = lessons.length > 0;
      var minutes = lessons.reduce(function (sum, lesson) {
        return sum + Number(lesson.dataset.minutes || 0);
      }, 0);
      module.querySelector(".module-count").textContent =
        plural(lessons.length, "lesson") + (minutes ? " · " + minutes + " min" : "");
      lessons.forEach(function (lesson, place) {
        moveButton(lesson, "lesson-up").disabled = index === 0 && place === 0;
        moveButton(lesson, "lesson-down").disabled =
          index === all.length - 1 && place === lessons.length - 1;
      });
    });
    var changed = serialise() !== saved;
    bar.hidden = !changed;
    outline.classList.toggle("changed", changed);
  }

  function describe(item) {
    var module = item.closest("li.module");
    var moduleNumber = modules().indexOf(module) + 1;
    if (item === module) {
      return "Module “" + module.dataset.title + "” is now module " + moduleNumber + ".";
    }
    var place = lessonsOf(module).indexOf(item) + 1;
    var title = item.querySelector(".lesson-title").textContent;
    return "Lesson “" + title + "” is now lesson " + place + " of module " + moduleNumber + ".";
  }

  function announce(item) {
    status.textContent = describe(item) + " The new order is not saved yet.";
  }

  function openModule(module) {
    var body = module.querySelector("details.module-body");
    if (body) {
      body.open = true;
    }
  }

  function moveLesson(lesson, up) {
    var all = modules();
    var index = all.indexOf(lesson.closest("li.module"));
    var sibling = up ? lesson.previousElementSibling : lesson.nextElementSibling;
    if (sibling) {
      sibling[up ? "before" : "after"](lesson);
    } else if (up && index > 0) {
      listOf(all[index - 1]).append(lesson);
      openModule(all[index - 1]);
    } else if (!up && index < all.length - 1) {
      listOf(all[index + 1]).prepend(lesson);
      openModule(all[index + 1]);
    } else {
      return false;
    }
    return true;
  }

  function moveModule(module, up) {
    var sibling = up ? module.previousElementSibling : module.nextElementSibling;
    if (!sibling) {
      return false;
    }
    sibling[up ? "before" : "after"](module);
    return true;
  }

  // Keyboard (and mouse clicks): the move buttons act in the page instead of posting.
  outline.addEventListener("submit", function (event) {
    var form = event.target;
    var move = form.dataset.move;
    if (!move) {
      return;
    }
    event.preventDefault();
    var item = form.closest(move.indexOf("lesson") === 0 ? "li.lesson" : "li.module");
    var up = move.slice(-2) === "up";
    var moved = item.matches("li.lesson") ? moveLesson(item, up) : moveModule(item, up);
    if (!moved) {
      return;
    }
    refresh();
    announce(item);
    // Moving the row took the focus away: give it back, to the other button at an end.
    var button = moveButton(item, move);
    if (button.disabled) {
      button = moveButton(item, up ? move.replace("up", "down") : move.replace("down", "up"));
    }
    button.focus();
  });

  // Mouse: drag and drop by the handles.
  outline.addEventListener("dragstart", function (event) {
    var handle = event.target.closest ? event.target.closest(".handle") : null;
    if (!handle) {
      return;
    }
    dragged = handle.closest("li.lesson") || handle.closest("li.module");
    lastTarget = null;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    event.dataTransfer.setDragImage(dragged, 12, 12);
    dragged.classList.add("dragging");
  });

  // Over a row of the same list, the dragged row takes that row's place (so dropping on
  // any part of the first row puts it first); over a row of another list, it goes before
  // or after that row by the pointer's half. After a move, further events over the same
  // row are ignored until the pointer is over another one: rows of unequal heights would
  // otherwise trade places back and forth under a still pointer.
  var lastTarget = null;

  function placeOver(event, target, item) {
    if (target === item) {
      lastTarget = null;
      return;
    }
    if (target === lastTarget) {
      return;
    }
    if (target.parentNode === item.parentNode) {
      var itemFirst = item.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING;
      target[itemFirst ? "after" : "before"](item);
    } else {
      var box = target.getBoundingClientRect();
      target[event.clientY < box.top + box.height / 2 ? "before" : "after"](item);
    }
    lastTarget = target;
  }

  outline.addEventListener("dragover", function (event) {
    if (!dragged) {
      return;
    }
    var overModule = event.target.closest("li.module");
    if (!overModule) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (dragged.matches("li.module")) {
      placeOver(event, overModule, dragged);
      return;
    }
    var overLesson = event.target.closest("li.lesson");
    if (overLesson) {
      placeOver(event, overLesson, dragged);
    } else if (event.target.closest(".module-head")) {
      if (listOf(overModule).firstElementChild !== dragged) {
        listOf(overModule).prepend(dragged);
        openModule(overModule);
      }
    } else if (!listOf(overModule).contains(dragged)) {
      listOf(overModule).append(dragged);
    }
  });

  outline.addEventListener("drop", function (event) {
    if (dragged) {
      event.preventDefault();
    }
  });

  outline.addEventListener("dragend", function () {
    if (!dragged) {
      return;
    }
    var item = dragged;
    dragged = null;
    item.classList.remove("dragging");
    refresh();
    if (!bar.hidden) {
      announce(item);
    }
  });

  bar.addEventListener("submit", function () {
    bar.querySelector("input[name=order]").value = serialise();
  });

  refresh();
})();
