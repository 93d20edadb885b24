/* Gmail's message links carry the message in the fragment (#all/<id>, #inbox/<id>), which only
   the page sees: open that message in the emulated Gmail's inbox. */
(function () {
  "use strict";
  var inbox = document.getElementById("gmail-link").getAttribute("data-inbox");
  var parts = window.location.hash.replace(/^#/, "").split("/");
  var message = parts.length > 1 ? parts[parts.length - 1] : "";
  window.location.replace(message ? inbox + "?message=" + encodeURIComponent(message) : inbox);
})();
