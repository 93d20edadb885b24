// Admin users table: select all, the selection count and the chosen action's hint.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) {
    return;
  }
  var all = document.getElementById("select-all");
  var count = document.getElementById("selected-count");
  var action = document.getElementById("bulk-action");
  var hint = document.getElementById("bulk-hint");

  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=mailbox_id]"));
  }

  function update() {
    var list = boxes();
    var chosen = list.filter(function (box) { return box.checked; }).length;
    count.textContent = chosen ? chosen + " selected" : "Select mailboxes, then an action";
    if (all) {
      all.checked = chosen > 0 && chosen === list.length;
      all.indeterminate = chosen > 0 && chosen < list.length;
    }
  }

  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "mailbox_id") {
      update();
    }
  });
  action.addEventListener("change", function () {
    var option = action.options[action.selectedIndex];
    hint.textContent = (option && option.getAttribute("data-hint")) || "";
  });
  form.addEventListener("submit", function (event) {
    if (!boxes().some(function (box) { return box.checked; })) {
      event.preventDefault();
      count.textContent = "Select at least one mailbox first";
      count.classList.add("error-text");
    }
  });
  update();
})();
