/* The emulated Outlook's side of the Office host: answers the task pane's Office.js calls for the
   open item (see office.js) and keeps the item's category chips current. */
(function () {
  "use strict";

  var chips = document.getElementById("reading-chips");
  var frame = document.getElementById("taskpane");
  if (!chips) return;
  var item = chips.dataset;

  function chip(category) {
    var node = document.createElement("span");
    node.className = "chip" + (category.color ? " coloured" : "");
    if (category.color) node.style.background = category.color;
    node.textContent = category.displayName;
    return node;
  }

  function show(categories) {
    chips.replaceChildren.apply(chips, categories.map(chip));
    var row = document.querySelector('.owa-row[data-item="' + item.itemId + '"] .owa-chips');
    if (row) row.replaceChildren.apply(row, categories.map(chip));
  }

  function refresh() {
    return fetch(item.api + "?ItemID=" + encodeURIComponent(item.itemId), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { show(data.categories); return data.categories; });
  }

  function edit(op, names) {
    if (op === "get") return refresh();
    var body = { ItemID: item.itemId };
    body[op] = names.map(function (c) { return typeof c === "string" ? c : c.displayName; });
    return fetch(item.categories, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) { return response.json(); })
      .then(function (data) { show(data.categories); return data.categories; });
  }

  // The sync server changes categories too (markers come and go): show them as they are.
  window.setInterval(refresh, 3000);

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || !event.data) return;
    var data = event.data;
    function reply(message) {
      message.id = data.id;
      event.source.postMessage(message, event.origin);
    }
    if (data.type === "office:hello") {
      reply({
        type: "office:host",
        item: { itemId: item.itemId, itemType: item.itemType, subject: item.subject },
        user: { emailAddress: item.user },
        displayLanguage: item.language || undefined
      });
    } else if (data.type === "office:categories") {
      edit(data.op, data.names || []).then(function (categories) {
        reply({ type: "office:categories", categories: categories });
      });
    }
  });
})();
