// Admin users table: select all, the selection count, the chosen action's hint, and a
// confirmation dialog (how many mailboxes, what happens) before an action that cannot simply be
// undone. The server asks again on its own page when this script does not run.
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
  // The page's words, in its language (data attributes of the form); the number goes in here.
  var words = form.dataset;
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang) : null;

  function mailboxes(number) {
    var form = plural && plural.select(number) === "one" ? words.mailboxesOne : words.mailboxesOther;
    return form.replace("%(num)d", String(number));
  }

  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=mailbox_id]"));
  }

  function update() {
    var list = boxes();
    var chosen = list.filter(function (box) { return box.checked; }).length;
    count.textContent = chosen ? words.selected.replace("{n}", String(chosen)) : words.none;
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
  var dialog = document.getElementById("bulk-confirm");
  var confirmed = document.getElementById("bulk-confirmed");
  var apply = document.getElementById("apply-bulk");

  function ask(option, chosen) {
    var label = option.textContent;
    document.getElementById("bulk-confirm-title").textContent =
      option.getAttribute("data-question").replace("{mailboxes}", mailboxes(chosen));
    document.getElementById("bulk-confirm-what").textContent = option.getAttribute("data-warning");
    document.getElementById("bulk-confirm-go").textContent = label;
    dialog.showModal();
    document.getElementById("bulk-cancel").focus();
  }

  if (dialog) {
    document.getElementById("bulk-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("bulk-confirm-go").addEventListener("click", function () {
      confirmed.value = "yes";
      dialog.close();
      form.submit();
    });
    dialog.addEventListener("close", function () {
      if (confirmed.value !== "yes") apply.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    var chosen = boxes().filter(function (box) { return box.checked; }).length;
    if (!chosen) {
      event.preventDefault();
      count.textContent = words.empty;
      count.classList.add("error-text");
      return;
    }
    var option = action.options[action.selectedIndex];
    if (dialog && option && option.hasAttribute("data-warning") && confirmed.value !== "yes") {
      event.preventDefault();
      ask(option, chosen);
    }
  });
  update();
})();
