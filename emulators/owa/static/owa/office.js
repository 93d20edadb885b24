/* An Office host for the add-ins this emulated Outlook shows, standing in for Microsoft's
   office.js (which the demo cannot load offline). It implements the part of Office.js our task
   pane uses and records every call in `Office.__calls`.

   Where the host comes from:
   - in the emulated Outlook, the page framing the pane answers over postMessage (preview.js);
   - in a test, `window.__officeHost = {item: {...}, user: {...}}` is set before scripts run, and
     categories live in that object;
   - in a dialog window there is no item; `messageParent` reaches the pane that opened it
     through a BroadcastChannel (the dialog's last page has the add-in's origin, as Office
     requires). */
(function () {
  "use strict";

  var calls = [];
  var preset = window.__officeHost || null;
  var framed = !preset && window.parent !== window;
  var pending = {};
  var sequence = 0;

  function record(name, args) {
    calls.push({ name: name, args: Array.prototype.slice.call(args || []) });
  }

  function askParent(message) {
    return new Promise(function (resolve) {
      sequence += 1;
      message.id = sequence;
      pending[sequence] = resolve;
      window.parent.postMessage(message, "*");
    });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || !pending[event.data.id]) return;
    var resolve = pending[event.data.id];
    delete pending[event.data.id];
    resolve(event.data);
  });

  function succeeded(value) {
    return { status: "succeeded", value: value };
  }

  function editCategories(host, op, names) {
    if (!preset) return askParent({ type: "office:categories", op: op, names: names || [] });
    var current = host.item.categories || [];
    var wanted = (names || []).map(function (c) { return typeof c === "string" ? c : c.displayName; });
    if (op === "add") wanted.forEach(function (name) { if (current.indexOf(name) < 0) current.push(name); });
    if (op === "remove") current = current.filter(function (name) { return wanted.indexOf(name) < 0; });
    host.item.categories = current;
    return Promise.resolve({ categories: current.map(function (name) { return { displayName: name }; }) });
  }

  function categories(host) {
    function call(op) {
      return function () {
        record("item.categories." + op + "Async", arguments);
        var args = Array.prototype.slice.call(arguments);
        var callback = args.filter(function (a) { return typeof a === "function"; })[0];
        editCategories(host, op, op === "get" ? [] : args[0]).then(function (answer) {
          if (callback) callback(succeeded(answer.categories));
        });
      };
    }
    return { getAsync: call("get"), addAsync: call("add"), removeAsync: call("remove") };
  }

  function itemOf(host) {
    if (!host.item) return null;
    return {
      itemId: host.item.itemId,
      itemType: host.item.itemType,
      subject: host.item.subject,
      categories: categories(host)
    };
  }

  // Sign-in pages between the pane and the dialog's last page may sever `window.opener` (COOP,
  // other origins), as they do in Office; the pane and the dialog talk over a channel instead.
  var DIALOG_CHANNEL = "office-dialog";

  function displayDialogAsync(url, options, callback) {
    record("ui.displayDialogAsync", arguments);
    var handlers = {};
    var channel = new BroadcastChannel(DIALOG_CHANNEL);
    channel.onmessage = function (event) {
      if (!event.data || event.data.type !== "message") return;
      if (handlers.dialogMessageReceived) {
        handlers.dialogMessageReceived({ message: event.data.message, origin: window.location.origin });
      }
    };
    window.open(url, "office-dialog", "width=480,height=640");
    var dialog = {
      addEventHandler: function (type, handler) { handlers[type] = handler; },
      close: function () {
        record("dialog.close", []);
        channel.postMessage({ type: "close" });
        channel.close();
      }
    };
    if (typeof callback === "function") callback(succeeded(dialog));
  }

  function messageParent(message) {
    record("ui.messageParent", [String(message).slice(0, 20) + "…"]);
    var channel = new BroadcastChannel(DIALOG_CHANNEL);
    channel.postMessage({ type: "message", message: message });
    // The pane closes the dialog when it has the message.
    channel.onmessage = function (event) {
      if (event.data && event.data.type === "close") window.close();
    };
  }

  function hello() {
    // The framing page may not listen yet: ask again until it answers.
    var asked = askParent({ type: "office:hello" });
    var again = window.setInterval(function () {
      window.parent.postMessage({ type: "office:hello", id: sequence }, "*");
    }, 300);
    return asked.then(function (host) { window.clearInterval(again); return host; });
  }

  var readyHost = preset ? Promise.resolve(preset) : framed ? hello() : Promise.resolve({});

  var Office = {
    __calls: calls,
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
      ItemChanged: "olkItemSelectedChanged"
    },
    MailboxEnums: {
      ItemType: { Message: "message", Appointment: "appointment" },
      CategoryColor: { Preset0: "Preset0", None: "None" },
      RestVersion: { v1_0: "v1.0", v2_0: "v2.0" }
    },
    context: {
      mailbox: null,
      ui: {
        displayDialogAsync: displayDialogAsync,
        messageParent: messageParent,
        openBrowserWindow: function (url) { record("ui.openBrowserWindow", arguments); window.open(url, "_blank", "noopener"); }
      },
      requirements: {
        isSetSupported: function (name, version) {
          record("requirements.isSetSupported", arguments);
          return name === "Mailbox" && parseFloat(version || "1.0") <= 1.8;
        }
      }
    },
    onReady: function (callback) {
      record("onReady", []);
      return readyHost.then(function (host) {
        // Outlook on the web shows itself in the user's language, which the browser gives.
        Office.context.displayLanguage = host.displayLanguage || navigator.language || "en-US";
        Office.context.mailbox = {
          item: itemOf(host),
          userProfile: host.user || {},
          convertToEwsId: function (id) {
            record("mailbox.convertToEwsId", arguments);
            return id.replace(/-/g, "/").replace(/_/g, "+");
          },
          addHandlerAsync: function (type, handler, callback) {
            record("mailbox.addHandlerAsync", [type]);
            if (typeof callback === "function") callback(succeeded());
          }
        };
        var info = { host: "Outlook", platform: "OfficeOnline" };
        if (typeof callback === "function") callback(info);
        return info;
      });
    }
  };

  window.Office = Office;
})();
