// Rubric builder: edits the rubric JSON field through criteria and level rows.
(function () {
  "use strict";
  var field = document.querySelector("textarea.rubric-json");
  var builder = document.getElementById("rubric-builder");
  if (!field || !builder) return;
  var list = builder.querySelector(".criteria");
  var rubric = [];
  try { rubric = JSON.parse(field.value || "[]") || []; } catch (ignored) { return; }
  builder.hidden = false;
  field.closest(".field").hidden = true;

  function input(value, label, cls) {
    var el = document.createElement("input");
    el.type = "text"; el.value = value; el.className = cls;
    el.setAttribute("aria-label", label);
    return el;
  }
  function button(text, action) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "secondary small"; b.textContent = text; b.dataset.action = action;
    return b;
  }
  function levelRow(level, n) {
    var row = document.createElement("div");
    row.className = "rubric-level";
    row.append(input(level.title || "", "Level " + n + " title", "level-title"),
               input(String(level.points == null ? "" : level.points), "Level " + n + " points", "level-points"),
               button("Remove level", "remove-level"));
    if (level.id) row.dataset.id = level.id;
    return row;
  }
  function criterionBox(criterion, n) {
    var box = document.createElement("div");
    box.className = "rubric-criterion";
    if (criterion.id) box.dataset.id = criterion.id;
    box.append(input(criterion.title || "", "Criterion " + n + " title", "criterion-title"));
    var levels = document.createElement("div");
    levels.className = "levels";
    (criterion.levels || [{}]).forEach(function (lv, i) { levels.append(levelRow(lv, i + 1)); });
    box.append(levels, button("Add level", "add-level"), button("Remove criterion", "remove-criterion"));
    return box;
  }
  function sync() {
    var out = [];
    list.querySelectorAll(".rubric-criterion").forEach(function (box) {
      var c = { title: box.querySelector(".criterion-title").value, levels: [] };
      if (box.dataset.id) c.id = box.dataset.id;
      box.querySelectorAll(".rubric-level").forEach(function (row) {
        var lv = { title: row.querySelector(".level-title").value,
                   points: row.querySelector(".level-points").value || "0" };
        if (row.dataset.id) lv.id = row.dataset.id;
        c.levels.push(lv);
      });
      out.push(c);
    });
    field.value = out.length ? JSON.stringify(out) : "";
  }
  rubric.forEach(function (c, i) { list.append(criterionBox(c, i + 1)); });
  builder.addEventListener("click", function (event) {
    var action = event.target.dataset && event.target.dataset.action;
    if (!action) return;
    var box = event.target.closest(".rubric-criterion");
    if (action === "add-criterion") list.append(criterionBox({ levels: [{}] }, list.children.length + 1));
    if (action === "add-level") box.querySelector(".levels").append(levelRow({}, box.querySelectorAll(".rubric-level").length + 1));
    if (action === "remove-level") event.target.closest(".rubric-level").remove();
    if (action === "remove-criterion") box.remove();
    sync();
  });
  builder.addEventListener("input", sync);
  field.form.addEventListener("submit", sync);
})();
