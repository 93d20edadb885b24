/* The Outlook task pane: the open item's sync state, its issue, the Save dialog, Retry and
   "Track in SAP". Plain DOM code, no build step; every value from the server is set as text,
   never as HTML. Talks to the add-in API with a bearer add-in token kept in localStorage.
   It speaks Office's display language: its own words through _() (the page carries their
   translations), the server's in the language each request asks for (Accept-Language). */
"use strict";

(function () {
  var pane = document.getElementById("pane");
  var body = document.getElementById("pane-body");
  var live = document.getElementById("pane-live");
  var API = pane.dataset.api;
  var VERSION = pane.dataset.version;
  var TOKEN_KEY = "ssi-sync.addin.token";
  var REFRESH_BEFORE_MS = 10 * 60 * 1000;
  var POLL_MS = 3000;
  var POLLS = 100; // about five minutes of "Waiting for the next sync"
  var TEXTS = JSON.parse(document.getElementById("pane-texts").textContent || "{}");
  var LANGUAGE = "en"; // the product's language closest to Office's display language
  var LOCALE = "en-US"; // Office's display language, for dates

  // The pane's words in its language (English when there is no translation), with %(name)s
  // placeholders filled from values.
  function _(text, values) {
    var found = (TEXTS[LANGUAGE] && TEXTS[LANGUAGE][text]) || text;
    return found.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  function N_(text) { return text; } // marks words translated later, where shown

  function speak(displayLanguage) {
    LOCALE = displayLanguage || navigator.language || "en-US";
    var wanted = LOCALE.toLowerCase().split(/[-_]/)[0];
    LANGUAGE = TEXTS[wanted] ? wanted : "en";
    document.documentElement.lang = LANGUAGE;
  }

  var STATES = {
    synced: { label: N_("In sync with SAP"), finished: N_("Sync finished: in sync with SAP."), tone: "ok" },
    issue: { label: N_("Sync issue"), finished: N_("Sync finished: sync issue."), tone: "error" },
    pending: { label: N_("Waiting for the next sync"), finished: N_("Waiting for the next sync."), tone: "busy" },
    not_tracked: { label: N_("Not tracked in SAP"), finished: N_("Sync finished: not tracked in SAP."), tone: "muted" }
  };

  // -- small DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else if (name === "onsubmit") node.addEventListener("submit", value);
      else if (name === "onkeydown") node.addEventListener("keydown", value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var view = 0; // bumped by every new view: a poll of an older view stops

  function show(nodes, focus) {
    view += 1;
    body.replaceChildren.apply(body, nodes.filter(Boolean));
    var heading = body.querySelector("h1, h2");
    if (focus !== false && heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function announce(text) {
    live.textContent = text;
  }

  function message(text, tone) {
    return el("p", { class: "message message-" + (tone || "info"), role: tone === "error" ? "alert" : null, text: text });
  }

  function button(label, onclick, kind, id) {
    return el("button", { type: "button", class: "btn btn-" + (kind || "secondary"), id: id, onclick: onclick, text: label });
  }

  function openInBrowser(url) {
    if (Office.context.ui.openBrowserWindow) Office.context.ui.openBrowserWindow(url);
    else window.open(url, "_blank", "noopener");
  }

  // -- token --------------------------------------------------------------------------------

  function storedToken() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(TOKEN_KEY) || "null");
      return saved && saved.token && saved.expiresAt ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function storeToken(token, expiresAt) {
    window.localStorage.setItem(TOKEN_KEY, JSON.stringify({ token: token, expiresAt: expiresAt }));
  }

  function forgetToken() {
    window.localStorage.removeItem(TOKEN_KEY);
  }

  function msLeft(saved) {
    return Date.parse(saved.expiresAt) - Date.now();
  }

  // -- API ----------------------------------------------------------------------------------

  function ApiError(status, payload) {
    this.status = status;
    this.code = (payload && payload.error) || "unavailable";
    this.message = (payload && payload.message) || _("SAP Sync cannot be reached. Try again in a moment.");
    this.payload = payload || {};
  }

  function api(method, path, payload) {
    var saved = storedToken();
    var headers = { "X-Addin-Version": VERSION, "Accept": "application/json", "Accept-Language": LOCALE };
    if (saved) headers.Authorization = "Bearer " + saved.token;
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 204) return {};
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return data;
        throw new ApiError(response.status, data);
      });
    }, function () {
      throw new ApiError(0, null);
    });
  }

  function failed(error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) {
      forgetToken();
      signInView(error.code === "token_expired" ? _("Your sign-in has expired. Sign in again.") : error.message);
    } else if (error.status === 426) {
      updateView(error.payload.minimum);
    } else {
      show([message(error.message, "error"), button(_("Try again"), start, "primary", "try-again")]);
    }
  }

  // -- views --------------------------------------------------------------------------------

  function updateView(minimum) {
    show([
      el("h1", { text: _("Please update the add-in") }),
      message(minimum
        ? _("This version of SAP Sync (%(version)s) is too old for the server, which needs %(minimum)s or newer. Close and reopen Outlook, or ask your administrator to update the add-in.", { version: VERSION, minimum: minimum })
        : _("This version of SAP Sync (%(version)s) is too old for the server. Close and reopen Outlook, or ask your administrator to update the add-in.", { version: VERSION }), "warn")
    ]);
  }

  function signInView(reason) {
    show([
      el("h1", { text: _("Sign in to SAP Sync") }),
      reason ? message(reason, "warn") : null,
      el("p", { text: _("Sign in with your work account to see how this item syncs with SAP Cloud for Customer.") }),
      button(_("Sign in"), signIn, "primary", "sign-in")
    ]);
  }

  function signIn() {
    var profile = Office.context.mailbox && Office.context.mailbox.userProfile;
    var owner = profile && profile.emailAddress ? "?mailbox=" + encodeURIComponent(profile.emailAddress) : "";
    var url = window.location.origin + pane.dataset.signin + owner;
    Office.context.ui.displayDialogAsync(url, { height: 60, width: 30, promptBeforeOpen: false }, function (result) {
      if (result.status !== Office.AsyncResultStatus.Succeeded) {
        signInView(_("The sign-in window could not open (%(reason)s).", { reason: result.error && result.error.message }));
        return;
      }
      var dialog = result.value;
      show([
        el("h1", { text: _("Signing in…") }),
        el("p", { text: _("Finish signing in in the window that opened.") }),
        button(_("Cancel"), function () { dialog.close(); signInView(); }, "secondary", "cancel-sign-in")
      ]);
      dialog.addEventHandler(Office.EventType.DialogMessageReceived, function (arg) {
        var data = null;
        try { data = JSON.parse(arg.message); } catch (error) { data = null; }
        dialog.close();
        if (!data || data.kind !== "ssi-sync-token") {
          signInView(_("The sign-in did not finish. Try again."));
          return;
        }
        storeToken(data.token, data.expiresAt);
        announce(_("Signed in."));
        start();
      });
      dialog.addEventHandler(Office.EventType.DialogEventReceived, function () {
        signInView(_("The sign-in window was closed before you were signed in."));
      });
    });
  }

  function currentItem() {
    var item = Office.context.mailbox && Office.context.mailbox.item;
    if (!item || !item.itemId) return null;
    return { id: item.itemId, type: String(item.itemType), subject: typeof item.subject === "string" ? item.subject : "" };
  }

  function mailboxBanner(mailbox) {
    if (!mailbox || !mailbox.sync_stopped) return null;
    var text = mailbox.needs_reactivation
      ? _("Sync of your mailbox is stopped: SAP Sync needs your permission again.")
      : _("Sync of your mailbox has failed. Your key user has been told.");
    return el("div", { class: "banner banner-error", role: "alert", id: "mailbox-banner" }, [
      el("p", { text: text }),
      mailbox.needs_reactivation
        ? button(_("Re-activate sync"), function () { openInBrowser(mailbox.reactivate_url); }, "primary", "reactivate")
        : null
    ]);
  }

  // What will break the sync if nobody acts (a consent ending, failures rising): one note each.
  function warningNotes(mailbox) {
    if (!mailbox || !mailbox.warnings || !mailbox.warnings.length) return null;
    return el("section", { class: "banner banner-warn", id: "warnings", "aria-label": _("Warnings") },
      mailbox.warnings.map(function (warning, index) {
        return el("div", { class: "warning", "data-kind": warning.kind }, [
          el("p", {}, [el("strong", { text: warning.title })]),
          el("p", { text: warning.detail }),
          el("p", { text: warning.action }),
          button(warning.link.label, function () { openInBrowser(warning.link.url); }, "secondary", "warning-" + index)
        ]);
      }));
  }

  function pendingNote(mailbox) {
    if (mailbox.sync_stopped) return _("It syncs once sync of your mailbox runs again.");
    if (mailbox.status === "PAUSED") return _("Sync is paused: it syncs when you resume it on the dashboard.");
    return _("SAP Sync picks it up within a minute.");
  }

  function statusView(data, notice) {
    var item = data.item;
    var state = STATES[item.state] || STATES.not_tracked;
    var nodes = [
      el("h1", { class: "visually-hidden", text: _("Sync status") }),
      notice ? message(notice, "success") : null,
      mailboxBanner(data.mailbox),
      warningNotes(data.mailbox),
      el("section", { class: "card", "aria-label": _("This item") }, [
        currentItem() && currentItem().subject ? el("p", { class: "item-subject", text: currentItem().subject }) : null,
        el("div", { class: "state state-" + state.tone, id: "item-state", "data-state": item.state }, [
          el("span", { class: "dot", "aria-hidden": "true" }), _(state.label)
        ]),
        item.last_synced_at ? el("p", { class: "muted", text: _("Last synced %(when)s", { when: new Date(item.last_synced_at).toLocaleString(LOCALE) }) }) : null,
        item.state === "pending" ? el("p", { class: "muted", text: pendingNote(data.mailbox) }) : null,
        item.c4c_link ? el("p", {}, [el("a", { href: item.c4c_link, target: "_blank", rel: "noopener", text: _("Open in SAP") })]) : null,
        item.can_track ? el("p", { class: "muted", text: _("Track this item to keep a copy in SAP Cloud for Customer.") }) : null,
        item.can_track ? button(_("Track in SAP"), function () { track(); }, "primary", "track") : null
      ])
    ];
    data.issues.forEach(function (issue) { nodes.push(issueCard(issue)); });
    show(nodes, !notice);
    if (item.state === "pending") waitForSync(view, POLLS);
  }

  // While the item waits for its sync, ask again now and then and show the new state when the
  // run has taken it (no reload needed).
  function waitForSync(shown, left) {
    var item = currentItem();
    if (!item) return;
    window.setTimeout(function () {
      if (shown !== view) return;
      api("GET", "/item?id=" + encodeURIComponent(item.id) + "&type=" + encodeURIComponent(item.type))
        .then(function (data) {
          if (shown !== view) return;
          if (data.item.state === "pending") {
            if (left > 1) waitForSync(shown, left - 1);
            return;
          }
          var after = STATES[data.item.state] || STATES.not_tracked;
          statusView(data, _(after.finished));
          announce(_(after.label) + ".");
        }, function () {
          if (shown === view && left > 1) waitForSync(shown, left - 1);
        });
    }, POLL_MS);
  }

  function issueCard(issue) {
    var action = issue.recommended_action || {};
    return el("section", { class: "card issue", id: "issue-" + issue.id, "aria-labelledby": "issue-title-" + issue.id }, [
      el("h2", { id: "issue-title-" + issue.id, text: action.title || _("This item did not sync") }),
      issue.message ? el("p", { class: "issue-message", text: issue.message }) : null,
      action.text ? el("p", { class: "issue-action", text: action.text }) : null,
      el("p", { class: "muted small", text: _("Code %(code)s", { code: issue.code }) + (issue.occurrences > 1 ? " · " + _("seen %(count)s times", { count: issue.occurrences }) : "") }),
      el("div", { class: "actions" }, [
        issue.can_fix ? button(_("Fix"), function () { openForm(issue.id); }, "primary", "fix-" + issue.id) : null,
        issue.can_retry ? button(_("Retry"), function () { retry(issue.id); }, "secondary", "retry-" + issue.id) : null
      ])
    ]);
  }

  // -- the Save dialog ----------------------------------------------------------------------

  function fieldInput(field, zone) {
    var id = "field-" + field.name;
    var described = field.error ? id + "-error" : null;
    var readOnly = field.read_only;
    var note = readOnly ? id + "-readonly" : null;
    var common = { id: id, name: field.name, "aria-describedby": [described, note].filter(Boolean).join(" ") || null,
                   "aria-invalid": field.error ? "true" : null, required: field.required && !readOnly,
                   "data-read-only": readOnly ? "true" : null };
    var input;
    if (field.kind === "code") {
      input = el("select", Object.assign({ disabled: readOnly }, common), [el("option", { value: "", text: "—" })].concat(field.options.map(function (option) {
        return el("option", { value: option.code, selected: option.code === field.value, text: option.text || option.code });
      })));
    } else if (field.kind === "boolean") {
      input = el("input", Object.assign({ type: "checkbox", value: "true", checked: field.value === "true", disabled: readOnly }, common));
    } else {
      var types = { email: "email", number: "text", date: "date", datetime: "datetime-local" };
      input = el("input", Object.assign({ type: types[field.kind] || "text", value: field.value || "", readonly: readOnly,
        maxlength: readOnly ? null : field.max_length || null, inputmode: field.kind === "number" ? "decimal" : null }, common));
    }
    return el("div", { class: "field" + (field.error ? " field-invalid" : "") + (readOnly ? " field-read-only" : "") }, [
      el("label", { for: id }, [field.label, field.required && !readOnly ? el("span", { class: "required", "aria-hidden": "true", text: " *" }) : null,
        readOnly ? el("span", { class: "read-only-note", id: note, text: _("cannot be changed here") }) : null]),
      input,
      field.kind === "datetime" && !readOnly ? el("p", { class: "field-hint", text: _("Time in %(zone)s", { zone: zone }) }) : null,
      field.error ? el("p", { class: "field-error", id: id + "-error", text: field.error }) : null
    ]);
  }

  function relatedBlock(form) {
    var related = form.related;
    if (!related) return null;
    return el("fieldset", { class: "related" + (related.error ? " field-invalid" : "") }, [
      el("legend", { text: related.label + (related.required ? " *" : "") }),
      el("p", { id: "related-current", text: related.display ? _("Linked to %(name)s", { name: related.display }) : _("Not linked yet") }),
      el("input", { type: "hidden", name: "related_id", id: "related_id", value: related.object_id || "" }),
      related.error ? el("p", { class: "field-error", text: related.error }) : null,
      el("div", { class: "search" }, [
        el("label", { for: "related-query", class: "visually-hidden", text: _("Search %(what)s", { what: related.label }) }),
        el("input", { type: "search", id: "related-query", placeholder: _("Search SAP by name"), autocomplete: "off",
          onkeydown: function (event) {
            // Enter searches; in the form it would submit it as a Save.
            if (event.key === "Enter" && !event.isComposing) {
              event.preventDefault();
              searchRelated(form.issue_id);
            }
          } }),
        button(_("Search"), function () { searchRelated(form.issue_id); }, "secondary", "related-search")
      ]),
      el("div", { id: "related-results", role: "group", "aria-label": _("Search results") })
    ]);
  }

  function formView(form, notice) {
    var errors = form.errors.map(function (text) { return message(text, "error"); });
    var fields = form.fields.map(function (field) { return fieldInput(field, form.time_zone); });
    var formNode = el("form", { id: "save-form", novalidate: true, onsubmit: function (event) { event.preventDefault(); save(form.issue_id); } },
      fields.concat([
        relatedBlock(form),
        el("div", { class: "actions" }, [
          el("button", { type: "submit", class: "btn btn-primary", id: "save", text: _("Save and sync") }),
          button(_("Cancel"), function () { start(); }, "secondary", "cancel")
        ])
      ]));
    show([
      el("h1", { text: _("Fix “%(title)s”", { title: form.title }) }),
      form.message ? el("p", { class: "muted", text: form.message }) : null,
      notice ? message(notice, "error") : null
    ].concat(errors, [formNode]));
  }

  function typedValues() {
    var values = {};
    document.querySelectorAll("#save-form [name]").forEach(function (input) {
      if (input.name === "related_id" || input.disabled || input.readOnly) return;
      values[input.name] = input.type === "checkbox" ? (input.checked ? "true" : "false") : input.value;
    });
    return values;
  }

  function openForm(issueId) {
    show([el("p", { class: "pane-loading", text: _("Opening the form…") })], false);
    api("GET", "/issues/" + issueId + "/form").then(function (form) { formView(form); }, function (error) {
      if (error instanceof ApiError && error.code === "already_fixed") {
        show([el("h1", { text: _("Already fixed") }), message(error.message, "success"), button(_("Back"), function () { start(); }, "secondary", "back")]);
      } else {
        failed(error);
      }
    });
  }

  function setBusy(busy) {
    document.querySelectorAll("#save-form button").forEach(function (node) { node.disabled = busy; });
  }

  function save(issueId) {
    var payload = { values: typedValues(), related_id: document.getElementById("related_id")
      ? document.getElementById("related_id").value || null : null };
    setBusy(true);
    announce(_("Saving…"));
    api("POST", "/issues/" + issueId + "/form", payload).then(function (result) {
      start(_("Saved. “%(title)s” is in sync with SAP.", { title: result.form.title }));
    }, function (error) {
      if (error instanceof ApiError && error.status === 422) {
        formView(error.payload.form, _("SAP did not accept this yet. Check the marked fields."));
      } else if (error instanceof ApiError && error.code === "already_fixed") {
        alreadyFixed(error.message);
      } else if (error instanceof ApiError && (error.status === 503 || error.status === 0)) {
        // Keep everything typed: only say what happened.
        setBusy(false);
        var old = document.getElementById("save-problem");
        if (old) old.remove();
        var note = message(error.message, "error");
        note.id = "save-problem";
        document.getElementById("save-form").prepend(note);
        announce(error.message);
      } else {
        failed(error);
      }
    });
  }

  // The issue was fixed meanwhile (another tab, an old pane): say so above the form, keep what
  // was typed where it is (not saved), and offer the way back.
  function alreadyFixed(text) {
    var formNode = document.getElementById("save-form");
    var old = document.getElementById("save-problem");
    if (old) old.remove();
    var note = el("div", { id: "save-problem", class: "message message-success", role: "alert" }, [
      el("p", { text: text }),
      el("p", { text: _("What you typed below was not saved; copy it if you still need it.") }),
      button(_("Back to the item"), function () { start(); }, "secondary", "back")
    ]);
    formNode.prepend(note);
    document.getElementById("save").disabled = true;
    announce(text);
  }

  function searchRelated(issueId) {
    var query = document.getElementById("related-query").value.trim();
    var results = document.getElementById("related-results");
    if (query.length < 2) {
      results.replaceChildren(message(_("Type at least two letters."), "warn"));
      return;
    }
    results.replaceChildren(el("p", { class: "muted", text: _("Searching…") }));
    api("GET", "/issues/" + issueId + "/related?q=" + encodeURIComponent(query)).then(function (data) {
      if (!data.candidates.length) {
        results.replaceChildren(el("p", { class: "muted", text: _("Nothing found in SAP for “%(query)s”.", { query: query }) }));
        return;
      }
      results.replaceChildren.apply(results, data.candidates.map(function (candidate) {
        return el("button", { type: "button", class: "candidate", "data-id": candidate.object_id, onclick: function () {
          document.getElementById("related_id").value = candidate.object_id;
          document.getElementById("related-current").textContent = _("Linked to %(name)s (saved with the form)", { name: candidate.name });
          results.querySelectorAll(".candidate").forEach(function (node) { node.setAttribute("aria-pressed", "false"); });
          this.setAttribute("aria-pressed", "true");
        } }, [el("strong", { text: candidate.name }), el("span", { class: "muted", text: candidate.detail || candidate.kind })]);
      }));
      announce(_("%(count)s found.", { count: data.candidates.length }));
    }, function (error) {
      if (error instanceof ApiError && error.status !== 401 && error.status !== 426) {
        results.replaceChildren(message(error.message, "error"));
      } else {
        failed(error);
      }
    });
  }

  // -- actions ------------------------------------------------------------------------------

  function retry(issueId) {
    api("POST", "/issues/" + issueId + "/retry").then(function () {
      start(_("It will be tried again in a moment."));
    }, function (error) {
      if (error instanceof ApiError && error.code === "already_resolved") start(error.message);
      else failed(error);
    });
  }

  function track() {
    var item = currentItem();
    var trackButton = document.getElementById("track");
    if (trackButton) trackButton.disabled = true;
    api("POST", "/item/track", { id: item.id, type: item.type }).then(function (data) {
      statusView(data, _("Tracked. SAP Sync copies it to SAP now."));
    }, function (error) {
      if (error instanceof ApiError && error.status === 409) {
        show([message(error.message, "error"), button(_("Back"), function () { start(); }, "secondary", "back")]);
      } else {
        failed(error);
      }
    });
  }

  // -- start ----------------------------------------------------------------------------------

  function refreshIfDue(saved) {
    if (msLeft(saved) > REFRESH_BEFORE_MS) return Promise.resolve();
    return api("POST", "/token/refresh").then(function (fresh) {
      storeToken(fresh.token, fresh.expires_at);
    });
  }

  function start(notice) {
    var saved = storedToken();
    if (!saved || msLeft(saved) <= 0) {
      if (saved) forgetToken();
      signInView(saved ? _("Your sign-in has expired. Sign in again.") : null);
      return;
    }
    var item = currentItem();
    var said = typeof notice === "string" ? notice : null;
    function whoAsks(user) { document.getElementById("pane-user").textContent = user.name; }
    // An open item's answer names the user too: one request each time an item opens.
    refreshIfDue(saved)
      .then(function () {
        if (item) {
          return api("GET", "/item?id=" + encodeURIComponent(item.id) + "&type=" + encodeURIComponent(item.type))
            .then(function (data) { whoAsks(data.user); statusView(data, said); });
        }
        return api("GET", "/me").then(function (me) {
          whoAsks(me.user);
          show([mailboxBanner(me.mailbox), el("h1", { text: _("Open an e-mail or appointment") }),
                el("p", { text: _("SAP Sync shows how the open item syncs with SAP.") })]);
        });
      })
      .catch(failed);
  }

  Office.onReady(function () {
    speak(Office.context.displayLanguage);
    api("GET", "/version").then(function (version) {
      if (compareVersions(VERSION, version.minimum) < 0) {
        updateView(version.minimum);
        return;
      }
      if (Office.context.mailbox && Office.context.mailbox.addHandlerAsync && Office.EventType.ItemChanged) {
        Office.context.mailbox.addHandlerAsync(Office.EventType.ItemChanged, function () { start(); });
      }
      start();
    }, failed);
  });

  function compareVersions(a, b) {
    var left = String(a).split(".").map(Number);
    var right = String(b).split(".").map(Number);
    for (var i = 0; i < 4; i += 1) {
      var diff = (left[i] || 0) - (right[i] || 0);
      if (diff) return diff < 0 ? -1 : 1;
    }
    return 0;
  }
})();
