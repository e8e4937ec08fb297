// Keyboard shortcuts for the queue and the case page. They only press what is already on the
// page (links and form buttons), so without JavaScript every action works the same way by
// mouse or Tab. "?" shows the list. Keys are ignored while typing in a field, with Ctrl, Alt or
// Meta held, and while a dialog is open.
(function () {
  "use strict";
  var table = document.querySelector("table.case-table");
  var back = document.getElementById("back-to-queue");
  if (!table && !back) return;

  var TEXT_INPUTS = /^(checkbox|radio|button|submit|reset|image|range|color|file)$/;

  function typing(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !TEXT_INPUTS.test(element.type);
  }

  function press(element) {
    if (!element) return false;
    element.click(); // a submit button submits its form, and its confirmation (case.js) still asks
    return true;
  }

  function hint(element, key, visible) {
    if (!element) return;
    element.setAttribute("aria-keyshortcuts", key);
    if (visible) {
      var kbd = document.createElement("kbd");
      kbd.className = "key-hint ms-1 small";
      kbd.setAttribute("aria-hidden", "true");
      kbd.textContent = key;
      element.appendChild(kbd);
    }
  }

  var shortcuts = []; // [keys shown, what they do, handler keys, handler]
  function on(label, description, keys, handler) {
    shortcuts.push({ label: label, description: description, keys: keys, handler: handler });
  }

  // --- the queue: j/k move through the rows, Enter opens one ---------------------------------
  if (table) {
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (row) {
      return row.querySelector("td.name a");
    });
    var current = -1;
    var select = function (index) {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0 && rows[current]) {
        rows[current].classList.remove("table-active");
        rows[current].removeAttribute("data-key-selected");
      }
      current = index;
      rows[current].classList.add("table-active");
      rows[current].setAttribute("data-key-selected", "true");
      rows[current].querySelector("td.name a").focus();
    };
    // Tabbing or clicking into a row's link makes it the highlighted row.
    table.addEventListener("focusin", function (event) {
      var row = event.target.closest("tr");
      var index = rows.indexOf(row);
      if (index >= 0 && index !== current) select(index);
    });
    on("j", "Next row", ["j"], function () { select(current + 1); });
    on("k", "Previous row", ["k"], function () { select(current < 0 ? 0 : current - 1); });
    on("Enter", "Open the highlighted case", ["Enter"], function (event) {
      if (current < 0) return false;
      var link = rows[current].querySelector("td.name a");
      if (document.activeElement === link) return false; // the link opens itself
      if (document.activeElement && document.activeElement !== document.body) return false;
      window.location.assign(link.href);
      return true;
    });
    var search = document.getElementById("id_q");
    if (search) {
      on("/", "Search", ["/"], function () { search.focus(); search.select(); });
    }
  }

  // --- the case page: assign, notes, decisions, previous/next, back ---------------------------
  if (back) {
    var previous = document.getElementById("case-previous");
    var next = document.getElementById("case-next");
    var meInput = document.querySelector("section[aria-labelledby='assignee-title'] form input[name='assignee'][value='me']");
    var assign = meInput ? meInput.form.querySelector("button[type='submit']") : null;
    var note = document.getElementById("note-text");
    var decisions = Array.prototype.slice.call(
      document.querySelectorAll("section[aria-labelledby='actions-title'] button[name='name']"), 0, 9
    );
    hint(back, "u");
    hint(previous, "[");
    hint(next, "]");
    hint(assign, "a", true);
    hint(note, "n");
    decisions.forEach(function (button, index) { hint(button, String(index + 1), true); });

    if (assign) on("a", (assign.textContent.indexOf("Take over") >= 0 ? "Take over" : "Assign to me"), ["a"], function () { press(assign); });
    if (note) {
      on("n", "Write a note", ["n"], function () { note.focus(); });
      note.addEventListener("keydown", function (event) {
        if (event.key === "Escape") note.blur(); // back to the shortcuts
      });
    }
    if (decisions.length) {
      on("1–" + decisions.length, "The decision buttons, in order (a final one still asks to confirm)", [], null);
      decisions.forEach(function (button, index) {
        on(null, null, [String(index + 1)], function () { press(button); });
      });
    }
    if (previous || document.getElementById("case-previous-none")) {
      on("[ or k", "Previous case in the view", ["[", "k"], function () { press(previous); });
      on("] or j", "Next case in the view", ["]", "j"], function () { press(next); });
    }
    on("u or b", back.textContent.trim(), ["u", "b"], function () { press(back); });
  }

  // --- "?": the list of keys, as a modal dialog -----------------------------------------------
  var help = document.createElement("dialog");
  help.id = "keys-help";
  help.className = "keys-help border rounded shadow p-3";
  help.setAttribute("role", "dialog");
  help.setAttribute("aria-modal", "true");
  help.setAttribute("aria-labelledby", "keys-help-title");
  var title = document.createElement("h2");
  title.id = "keys-help-title";
  title.className = "h5";
  title.textContent = "Keyboard shortcuts";
  help.appendChild(title);
  var list = document.createElement("table");
  list.className = "table table-sm mb-3";
  var caption = document.createElement("caption");
  caption.className = "visually-hidden";
  caption.textContent = "Keys and what they do";
  list.appendChild(caption);
  var body = document.createElement("tbody");
  on("?", "Show this list", ["?"], null);
  shortcuts.forEach(function (shortcut) {
    if (!shortcut.label) return;
    var row = document.createElement("tr");
    var keyCell = document.createElement("th");
    keyCell.scope = "row";
    keyCell.className = "text-nowrap";
    shortcut.label.split(/( or |–)/).forEach(function (part) {
      if (part === " or " || part === "–") {
        keyCell.appendChild(document.createTextNode(part));
      } else {
        var kbd = document.createElement("kbd");
        kbd.textContent = part;
        keyCell.appendChild(kbd);
      }
    });
    var what = document.createElement("td");
    what.textContent = shortcut.description;
    row.appendChild(keyCell);
    row.appendChild(what);
    body.appendChild(row);
  });
  list.appendChild(body);
  help.appendChild(list);
  var tip = document.createElement("p");
  tip.className = "small text-muted";
  tip.textContent = "Keys do nothing while you type in a field (Esc leaves the note). Everything here is also a link or a button.";
  help.appendChild(tip);
  var close = document.createElement("button");
  close.type = "button";
  close.className = "btn btn-primary";
  close.textContent = "Close";
  help.appendChild(close);
  document.body.appendChild(help);

  var returnTo = null;
  function openHelp() {
    returnTo = document.activeElement;
    help.showModal(); // the page behind is inert: focus stays in the dialog; Esc closes it
    close.focus();
  }
  close.addEventListener("click", function () { help.close(); });
  help.addEventListener("close", function () {
    if (returnTo && typeof returnTo.focus === "function" && document.contains(returnTo)) returnTo.focus();
    returnTo = null;
  });

  // A visible way in, for those who do not know about "?".
  var main = document.getElementById("main");
  if (main) {
    var opener = document.createElement("button");
    opener.type = "button";
    opener.id = "keys-help-button";
    opener.className = "btn btn-link btn-sm p-0 mt-3";
    opener.setAttribute("aria-keyshortcuts", "?");
    opener.appendChild(document.createTextNode("Keyboard shortcuts "));
    var kbd = document.createElement("kbd");
    kbd.setAttribute("aria-hidden", "true");
    kbd.textContent = "?";
    opener.appendChild(kbd);
    opener.addEventListener("click", openHelp);
    main.appendChild(opener);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (help.open || document.querySelector("dialog[open]")) return;
    if (typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      openHelp();
      return;
    }
    for (var i = 0; i < shortcuts.length; i++) {
      var shortcut = shortcuts[i];
      if (!shortcut.handler || shortcut.keys.indexOf(event.key) < 0) continue;
      if (shortcut.handler(event) !== false) event.preventDefault();
      return;
    }
  });
})();
