// The Save dialog page: Enter in "Search by name" searches (it would otherwise submit the form
// with its default button, Save).
(function () {
  "use strict";
  var query = document.getElementById("related-query");
  var search = document.getElementById("related-search");
  if (!query || !search) {
    return;
  }
  query.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      search.click();
    }
  });
})();
