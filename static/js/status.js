// The Status page during a mailbox's first import: the counts and each item type's progress are
// read again every few seconds until the import ends. Without this script the page shows them
// as they were when it loaded.
(function () {
  "use strict";
  var stats = document.getElementById("stats");
  if (!stats || !stats.hasAttribute("data-importing") || !window.fetch) {
    return;
  }
  var timer = window.setInterval(function () {
    window.fetch(window.location.href, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("stats");
        if (!fresh) {
          return;
        }
        if (stats.innerHTML !== fresh.innerHTML) {
          stats.innerHTML = fresh.innerHTML;
        }
        if (!fresh.hasAttribute("data-importing")) {
          stats.removeAttribute("data-importing");
          window.clearInterval(timer);
        }
      })
      .catch(function () { window.clearInterval(timer); });
  }, 5000);
})();
