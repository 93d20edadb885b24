/* The end of the add-in sign-in: hand the add-in token to the task pane that opened this
   Office dialog. The page carries the token in data attributes (no inline script). */
"use strict";

Office.onReady(function () {
  var handover = document.getElementById("handover");
  Office.context.ui.messageParent(JSON.stringify({
    kind: "ssi-sync-token",
    token: handover.dataset.token,
    expiresAt: handover.dataset.expiresAt
  }));
});
