// Small progressive enhancements; every page works without this file.

// Removing a row (a filter, a grant entry) by keyboard must not drop the focus with it:
// it goes to the next row, else the one before, else the control that adds rows.
function removeRowKeepingFocus(row, fallback) {
  "use strict";
  var neighbour = row.nextElementSibling || row.previousElementSibling;
  row.remove();
  var next = (neighbour && neighbour.querySelector("select, input")) || fallback;
  if (next) next.focus();
}
(function () {
  "use strict";

  function tableForm() { return document.getElementById("table-form"); }
  function changed(form) { form.dispatchEvent(new Event("change", { bubbles: true })); }

  // Column headers sort through the table form, like the rest of the controls: the
  // request carries every control's current value and waits its turn behind a change
  // still on its way (a header rendered before that change would undo it). Shift-click
  // adds the column as another sort key. (The form's hidden cols/sort inputs live in
  // #results, so they follow every swap.) The sort clicked is kept aside until a table
  // asked with it is shown: every request of the form built before then carries it, so a
  // request halted, or an answer dropped as stale and asked for again (staleGuards below),
  // does not lose it. Paging and history, which replace the table otherwise, forget it.
  var pendingSort = null;
  function sortBy(link, event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;  // the browser's own (a new tab)
    var url = event.shiftKey ? link.getAttribute("data-add-sort") : link.getAttribute("href");
    if (!url) return false;
    var form = tableForm();
    if (!window.htmx || !form) {
      window.location.href = url;
      return true;
    }
    pendingSort = new URL(url, window.location.href).searchParams.get("sort") || "";
    changed(form);
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#results th a[href]");
    if (link && sortBy(link, event)) event.preventDefault();
  });
  // A header pressed just as an answer replaces the table is gone when the button is
  // released, and the browser sends no click at all. Released on the same column's new
  // header, the press counts as its click.
  var pressedHeader = null;
  document.addEventListener("pointerdown", function (event) {
    pressedHeader = event.isPrimary && event.button === 0 ? event.target.closest("#results th a[href]") : null;
  });
  document.addEventListener("pointerup", function (event) {
    var pressed = pressedHeader;
    pressedHeader = null;
    if (!pressed || pressed.isConnected || !event.isPrimary || event.button !== 0) return;
    var link = event.target.closest("#results th a[href]");
    if (link && pressed.id && link.id === pressed.id) sortBy(link, event);
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (pendingSort === null || event.detail.elt !== tableForm()) return;
    if (pendingSort) event.detail.parameters.sort = pendingSort;
    else delete event.detail.parameters.sort;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target, config = event.detail.requestConfig;
    if (pendingSort === null || !target || target.id !== "results") return;
    var asked = config && config.elt === tableForm() ? (config.formData.get("sort") || "") : null;
    if (asked === null || asked === pendingSort) pendingSort = null;
  });
  document.addEventListener("htmx:historyRestore", function () { pendingSort = null; });

  // The form asks only for what it has not just asked for. A search or value box fires
  // "change" when it loses the focus, after its typing was already fetched (live-input):
  // asking again would bring the same rows and replace the table with them, and with it
  // whatever the person went on to type below it (the name of a view being saved), one
  // API round trip for nothing. An explicit submit (Enter) always asks. What was asked is
  // forgotten when the table is replaced by anything else (paging, history) or the answer
  // never came (the banner below says so, and asking again must work).
  var lastAsked = null;
  document.addEventListener("htmx:configRequest", function (event) {
    // A request htmx's validation halts (it checks after this event) asks nothing either.
    if (event.detail.elt !== tableForm() || (event.detail.errors && event.detail.errors.length)) return;
    var asked = new URLSearchParams(event.detail.formData).toString();
    var trigger = event.detail.triggeringEvent;
    if (asked === lastAsked && !(trigger && trigger.type === "submit")) {
      event.preventDefault();
      return;
    }
    lastAsked = asked;
  });
  function forgetAsked() { lastAsked = null; }
  document.addEventListener("htmx:historyRestore", forgetAsked);
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "results" && event.detail.requestConfig && event.detail.requestConfig.elt !== tableForm()) forgetAsked();
  });
  ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
    document.addEventListener(name, function (event) { if (event.detail.elt === tableForm()) forgetAsked(); });
  });

  // Add and remove filter rows.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var index = parseInt(add.getAttribute("data-next-index"), 10) || 0;
      var template = document.getElementById("filter-row-template");
      var html = template.innerHTML.replace(/__i__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      document.getElementById("filter-rows").appendChild(row);
      add.setAttribute("data-next-index", String(index + 1));
      if (window.htmx) htmx.process(row);
      row.querySelector("select").focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var form = tableForm();
      removeRowKeepingFocus(remove.closest(".filter-row"), document.querySelector("[data-add-row]"));
      if (form) changed(form);
    }
  });

  // Typing in a search or value box refreshes the table after a pause (the form's
  // hx-trigger has "live-input delay:500ms"); delegated, so rows added later count too.
  document.addEventListener("input", function (event) {
    var form = tableForm();
    if (form && event.target.classList && event.target.classList.contains("live") && event.target.form === form) {
      form.dispatchEvent(new Event("live-input"));
    }
  });

  // Each filter row's error arrives with the table (out of band): mark its inputs.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("#filter-rows .filter-row").forEach(function (row) {
      var error = row.querySelector(".field-error");
      var invalid = !!(error && error.textContent.trim());
      row.classList.toggle("invalid", invalid);
      row.querySelectorAll("input.live").forEach(function (input) {
        if (invalid) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", error.id);
        } else {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      });
    });
  });

  // A person may go on choosing while an answer is on its way; swapping it in would throw away
  // what they chose since. So each request notes the values it was sent for, and an answer for
  // values the page no longer holds is dropped, and asked for again with what it holds now.
  // - A filter row is re-rendered by the server when its property or operator changes; its
  //   hx-sync "replace" keeps one request per row in flight (the newest).
  // - The table answers for the filter rows it was asked with (their errors come out of band,
  //   into each row): an answer for rows removed or changed since is not the table shown.
  function controlValues(container) {
    return Array.prototype.map.call(container.querySelectorAll("select, input"), function (el) {
      var value = el.multiple
        ? Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; }).join("\u0000")
        : el.value;
      return el.name + "=" + value;
    }).join("&");
  }
  var staleGuards = [
    { // a filter row's own re-render
      applies: function (detail) {
        var target = detail.target;
        return target && target.classList && target.classList.contains("filter-row") ? target : null;
      },
      values: controlValues,
      askAgain: function (row) { htmx.trigger(row.querySelector("select"), "row-stale"); }
    },
    { // the table, for the filter rows it was asked with
      applies: function (detail) {
        var rows = document.getElementById("filter-rows");
        var asker = detail.requestConfig ? detail.requestConfig.elt : detail.elt;  // the swap's detail.elt is its target
        return asker === tableForm() && rows ? rows : null;
      },
      values: controlValues,
      askAgain: function () { changed(tableForm()); }
    }
  ];
  document.addEventListener("htmx:beforeRequest", function (event) {
    staleGuards.forEach(function (guard, i) {
      var subject = guard.applies(event.detail);
      if (subject) event.detail.xhr["sentValues" + i] = guard.values(subject);
    });
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    staleGuards.forEach(function (guard, i) {
      var subject = guard.applies(event.detail);
      var sent = event.detail.xhr && event.detail.xhr["sentValues" + i];
      if (!subject || sent === undefined || sent === guard.values(subject) || !event.detail.shouldSwap) return;
      event.detail.shouldSwap = false;
      guard.askAgain(subject);
    });
  });

  // A field a person may be typing in when the part of the page around it is refreshed
  // (the name of a view to save, under the table) keeps its value and the focus across
  // the swap: marked data-keep, found again by its id.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!event.detail.shouldSwap || !target || !target.querySelectorAll || !event.detail.xhr) return;
    event.detail.xhr.prismKept = Array.prototype.map.call(target.querySelectorAll("[data-keep][id]"), function (el) {
      var focused = el === document.activeElement;
      return { id: el.id, value: el.value, checked: el.checked, focused: focused, start: focused ? el.selectionStart : null, end: focused ? el.selectionEnd : null };
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var kept = event.detail.xhr && event.detail.xhr.prismKept;
    if (!kept) return;
    kept.forEach(function (was) {
      var el = document.getElementById(was.id);
      if (!el) return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = was.checked;
      else el.value = was.value;
      if (was.focused) {
        el.focus();
        if (was.start !== null && el.setSelectionRange) el.setSelectionRange(was.start, was.end);
      }
    });
  });

  // After a row is re-rendered (property or operator changed), refresh the table.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.classList && event.target.classList.contains("filter-row")) {
      var form = tableForm();
      if (form) changed(form);
    }
  });

  // CSV export with a progress bar: stream the download and count its lines.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-export]");
    if (!link || !window.fetch || !window.ReadableStream) return;
    event.preventDefault();
    var bar = link.parentElement.querySelector(".export-progress");
    var notice = link.parentElement.querySelector("[data-export-stopped]");
    if (notice) notice.hidden = true;
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("export failed");
      var total = parseInt(response.headers.get("X-Total-Count") || "0", 10);
      // The server names the file (contact-export.csv); the link's bare download attribute does not.
      var named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      var reader = response.body.getReader();
      var chunks = [], lines = 0;
      if (bar) { bar.hidden = false; bar.max = Math.max(total, 1); bar.value = 0; }
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return;
          chunks.push(step.value);
          for (var i = 0; i < step.value.length; i++) if (step.value[i] === 10) lines++;
          if (bar) bar.value = Math.min(lines - 1, bar.max);
          return pump();
        });
      }
      return pump().then(function () {
        var blob = new Blob(chunks, { type: "text/csv" });
        // An export the API stopped early ends with a line saying so (exporting.STOPPED):
        // the file keeps it, and the page says it too.
        return blob.slice(Math.max(0, blob.size - 2000)).text().then(function (tail) {
          var stopped = /"?# (Export stopped after [^\n]*?)"?\s*$/.exec(tail);
          if (stopped && notice) {
            notice.textContent = stopped[1].replace(/""/g, '"') + " The file holds the rows read before that.";
            notice.hidden = false;
          }
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = (named && named[1]) || link.getAttribute("download") || "export.csv";
          a.click();
          setTimeout(function () { URL.revokeObjectURL(a.href); if (bar) bar.hidden = true; }, 1000);
        });
      });
    }).catch(function () { window.location.href = link.href; });
  });
})();

// Reference pickers: choosing a suggestion fills the hidden id and the search box.
(function () {
  "use strict";
  function pick(option) {
    var picker = option.closest("[data-reference-picker]");
    picker.querySelector("[data-reference-id]").value = option.getAttribute("data-id");
    var search = picker.querySelector("[data-reference-search]");
    search.value = option.getAttribute("data-label");
    search.setAttribute("aria-expanded", "false");
    option.parentElement.innerHTML = "";
    search.focus();
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-reference-option]");
    if (option) pick(option);
  });
  document.addEventListener("keydown", function (event) {
    var option = event.target.closest("[data-reference-option]");
    var search = event.target.closest("[data-reference-search]");
    if (search && event.key === "ArrowDown") {
      var first = search.closest("[data-reference-picker]").querySelector("[data-reference-option]");
      if (first) { event.preventDefault(); first.focus(); }
    } else if (option && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault(); pick(option);
    } else if (option && event.key === "ArrowDown" && option.nextElementSibling) {
      event.preventDefault(); option.nextElementSibling.focus();
    } else if (option && event.key === "ArrowUp") {
      event.preventDefault();
      (option.previousElementSibling || option.closest("[data-reference-picker]").querySelector("[data-reference-search]")).focus();
    } else if ((search || option) && event.key === "Escape") {
      // Escape closes the suggestions and keeps the text (a second Escape clears the search box).
      var picker = (search || option).closest("[data-reference-picker]");
      var list = picker.querySelector("[role=listbox]");
      if (!list.children.length) return;
      event.preventDefault();
      list.innerHTML = "";
      var box = picker.querySelector("[data-reference-search]");
      box.setAttribute("aria-expanded", "false");
      box.focus();
    }
  });
  // Typing clears a previously picked id: the text is looked up again on save.
  document.addEventListener("input", function (event) {
    var search = event.target.closest("[data-reference-search]");
    if (search) {
      search.closest("[data-reference-picker]").querySelector("[data-reference-id]").value = "";
      search.setAttribute("aria-expanded", "true");
    }
  });
})();

// Bulk selection: the header checkbox selects every row of the page; grant rows add/remove.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-page]");
    if (!all) return;
    document.querySelectorAll("[data-row-select]").forEach(function (box) { box.checked = all.checked; });
  });
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-grant-row]");
    if (add) {
      event.preventDefault();
      var index = parseInt(add.getAttribute("data-next-index"), 10) || 1;
      var html = document.getElementById("grant-row-template").innerHTML.replace(/__i__/g, String(index));
      var body = document.createElement("tbody");
      body.innerHTML = html.trim();
      var row = body.firstElementChild;
      var rows = document.getElementById("grant-rows");
      rows.appendChild(row);
      rows.closest("[data-grant-table]").hidden = false;
      add.setAttribute("data-next-index", String(index + 1));
      row.querySelector("input").focus();
      return;
    }
    var remove = event.target.closest("[data-remove-grant-row]");
    if (remove) {
      event.preventDefault();
      var table = remove.closest("[data-grant-table]");
      removeRowKeepingFocus(remove.closest("tr"), document.querySelector("[data-add-grant-row]"));
      if (table) table.hidden = !table.querySelector("tbody tr");
    }
  });
  // A group row suggests groups, a user row users.
  document.addEventListener("change", function (event) {
    var kind = event.target.closest("[data-grant-kind]");
    if (!kind) return;
    var who = kind.closest("tr").querySelector("[data-grant-who]");
    who.setAttribute("list", kind.value === "group" ? "directory-groups" : "directory-users");
  });
})();

// Conflict screen: typing another value for a property chooses "Another value" for it.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var choice = event.target.closest("[data-conflict-choice]");
    if (!choice || event.target.type === "radio") return;
    var another = choice.querySelector("input[type=radio][value=edit]");
    if (another) another.checked = true;
  });
})();

// The selection survives paging: ids are kept per table in sessionStorage and sent with
// the bulk form, so "select the page" on pages 1, 2 and 3 selects all three pages.
(function () {
  "use strict";
  function form() { return document.getElementById("bulk-form"); }
  function storeKey(f) { return "selection:" + f.getAttribute("action"); }
  function load(f) {
    try { return JSON.parse(sessionStorage.getItem(storeKey(f)) || "[]"); } catch (e) { return []; }
  }
  function save(f, ids) { sessionStorage.setItem(storeKey(f), JSON.stringify(ids)); }
  function render(f) {
    var ids = load(f);
    document.querySelectorAll("[data-row-select]").forEach(function (box) {
      if (ids.indexOf(box.value) >= 0) box.checked = true;
      else if (box.checked) { ids.push(box.value); }
    });
    save(f, ids);
    var count = f.querySelector("[data-selection-count]");
    if (count) {
      count.textContent = ids.length ? ids.length + " selected" : "";
      count.hidden = !ids.length;
    }
    var clear = f.querySelector("[data-clear-selection]");
    if (clear) clear.hidden = !ids.length;
  }
  function sync() { var f = form(); if (f) render(f); }
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSettle", sync);
  document.addEventListener("change", function (event) {
    var f = form();
    if (!f) return;
    var boxes = event.target.closest("[data-row-select]") ? [event.target]
      : (event.target.closest("[data-select-page]") ? Array.prototype.slice.call(document.querySelectorAll("[data-row-select]")) : null);
    if (!boxes) return;
    var ids = load(f);
    boxes.forEach(function (box) {
      var at = ids.indexOf(box.value);
      if (box.checked && at < 0) ids.push(box.value);
      if (!box.checked && at >= 0) ids.splice(at, 1);
    });
    save(f, ids);
    render(f);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-clear-selection]")) return;
    var f = form();
    save(f, []);
    document.querySelectorAll("[data-row-select], [data-select-page]").forEach(function (box) { box.checked = false; });
    render(f);
  });
  document.addEventListener("submit", function (event) {
    var f = event.target;
    if (f.id !== "bulk-form") return;
    var shown = {};
    document.querySelectorAll("[data-row-select]").forEach(function (box) { shown[box.value] = true; });
    load(f).forEach(function (id) {
      if (shown[id]) return;  // on this page its own checkbox is sent
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "ids"; input.value = id;
      f.appendChild(input);
    });
    sessionStorage.removeItem(storeKey(f));  // the action takes the selection
  });
})();

// Inline cell editing (records/list.html): a td[data-edit-url] becomes its typed input on
// Enter or double-click (the server renders the record form's own field, and reads the
// record's version then); Enter saves, Escape cancels without a request, Tab saves a
// changed value and moves to the next cell. One cell of the table is in the Tab order
// (arrow keys move it). Other code starts an edit with prismDashboard.startCellEdit(td)
// or by dispatching "prism:edit-cell" on a cell or on any element of a row.
(function () {
  "use strict";
  var CELL = "td[data-edit-url]";
  var FOCUSABLE = "input:not([type=hidden]), select, textarea, button";

  function cells() { return Array.prototype.slice.call(document.querySelectorAll("#results " + CELL)); }
  function rove(td) {
    cells().forEach(function (cell) { cell.tabIndex = cell === td ? 0 : -1; });
  }
  function roveFirst() {
    var all = cells();
    if (all.length && !all.some(function (cell) { return cell.tabIndex === 0; })) all[0].tabIndex = 0;
  }
  document.addEventListener("DOMContentLoaded", roveFirst);
  document.addEventListener("htmx:afterSettle", roveFirst);
  document.addEventListener("focusin", function (event) {
    var td = event.target.matches && event.target.matches(CELL) ? event.target : null;
    if (td) rove(td);
  });

  function editorOf(td) { return td.querySelector("[data-cell-editor]"); }
  function snapshot(form) { return new URLSearchParams(new FormData(form)).toString(); }
  function controls(form) {
    return Array.prototype.filter.call(form.querySelectorAll(FOCUSABLE), function (el) { return !el.disabled && el.tabIndex >= 0; });
  }
  function stopHeartbeat(td) {
    if (td.prismHeartbeat) { clearInterval(td.prismHeartbeat); td.prismHeartbeat = null; }
  }
  function heartbeat(td, form) {
    // While the editor is open, the person counts as editing the record (presence.py).
    stopHeartbeat(td);
    var url = form.getAttribute("data-presence-url");
    var seconds = parseInt(form.getAttribute("data-heartbeat"), 10) || 5;
    if (!url) return;
    td.prismHeartbeat = setInterval(function () {
      if (!td.isConnected || !editorOf(td)) { stopHeartbeat(td); return; }
      var data = new FormData();
      data.append("mode", "editing");
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      fetch(url, { method: "POST", body: data, credentials: "same-origin" }).catch(function () {});
    }, seconds * 1000);
  }

  // Put the server's fragment in the cell; an editor (the input, an error, a conflict)
  // takes the focus, a saved value gives it back to the cell.
  function show(td, html, keepFocus) {
    td.innerHTML = html;
    if (window.htmx) htmx.process(td);
    var form = editorOf(td);
    if (!form) {
      td.removeAttribute("data-editing");
      stopHeartbeat(td);
      if (!keepFocus) td.focus();
      return;
    }
    td.setAttribute("data-editing", "true");
    td.prismSnapshot = snapshot(form);
    if (!form.hasAttribute("data-cell-conflict")) heartbeat(td, form);
    if (keepFocus) return;
    var first = form.querySelector("[aria-invalid=true]") || controls(form)[0];
    if (first) {
      first.focus();
      if (first.select && first.type !== "checkbox" && first.type !== "radio") first.select();
    }
  }
  function failed(td, keepFocus) {
    show(td, '<p class="field-error" role="alert" data-cell-error>The dashboard did not answer as expected (is your session still open?); nothing was saved. Press Escape to go back.</p>', keepFocus);
  }
  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin", headers: { "HX-Request": "true" } }, options))
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // A redirect (an ended session: the sign-in page) or anything but HTML is not the cell's fragment.
        if (response.redirected || type.indexOf("text/html") < 0) throw new Error("not a fragment");
        return response.text();
      });
  }

  function startCellEdit(td) {
    if (!td || !td.matches(CELL) || td.hasAttribute("data-editing")) return Promise.resolve();
    cells().forEach(function (other) { if (other !== td && other.hasAttribute("data-editing")) commit(other, true); });
    td.prismOriginal = td.innerHTML;
    td.setAttribute("data-editing", "loading");
    td.setAttribute("aria-busy", "true");
    var from = document.activeElement;
    // The editor takes the focus only if the person is still where they asked for it.
    function moved() { var now = document.activeElement; return now !== from && now !== td && now !== document.body; }
    return request(td.getAttribute("data-edit-url"), {}).then(function (html) {
      td.removeAttribute("aria-busy");
      show(td, html, moved());
    }, function () {
      td.removeAttribute("aria-busy");
      failed(td, moved());
    });
  }
  function cancel(td) {
    stopHeartbeat(td);
    if (td.prismOriginal !== undefined) td.innerHTML = td.prismOriginal;
    td.removeAttribute("data-editing");
    td.removeAttribute("aria-busy");
  }
  // Text a number or date input cannot read is sent as "" by the browser: that would clear
  // the value. Say so in place instead, sending nothing.
  function unreadable(form) {
    var bad = Array.prototype.find.call(form.elements, function (el) { return el.validity && el.validity.badInput; });
    if (!bad) return false;
    var note = form.querySelector("[data-cell-unreadable]");
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-cell-unreadable", "");
      note.id = bad.id + "_unreadable";
      bad.insertAdjacentElement("afterend", note);
    }
    note.textContent = bad.validationMessage || "This value cannot be read.";
    bad.setAttribute("aria-invalid", "true");
    bad.setAttribute("aria-describedby", ((bad.getAttribute("aria-describedby") || "") + " " + note.id).trim());
    bad.focus();
    return true;
  }
  function save(td, submitter, keepFocus) {
    var form = editorOf(td);
    if (!form) return Promise.resolve();
    if (!submitter && unreadable(form)) return Promise.resolve();
    var body = new FormData(form, submitter || undefined);
    td.setAttribute("aria-busy", "true");
    return request(form.getAttribute("action"), { method: "POST", body: body }).then(function (html) {
      td.removeAttribute("aria-busy");
      show(td, html, keepFocus);
    }, function () {
      td.removeAttribute("aria-busy");
      failed(td, keepFocus);
    });
  }
  // Leave a cell: save what changed, else put the value back (no request).
  function commit(td, keepFocus) {
    var form = editorOf(td);
    if (form && !form.hasAttribute("data-cell-conflict") && snapshot(form) !== td.prismSnapshot) return save(td, null, keepFocus);
    if (!form || !form.hasAttribute("data-cell-conflict")) cancel(td);
    return Promise.resolve();
  }
  function neighbour(td, step) {
    var all = cells();
    return all[all.indexOf(td) + step] || null;
  }
  function below(td, step) {
    var row = td.closest("tr");
    var column = td.getAttribute("data-col");
    for (var r = step > 0 ? row.nextElementSibling : row.previousElementSibling; r; r = step > 0 ? r.nextElementSibling : r.previousElementSibling) {
      var cell = r.querySelector(CELL + '[data-col="' + CSS.escape(column) + '"]');
      if (cell) return cell;
    }
    return null;
  }

  document.addEventListener("dblclick", function (event) {
    var td = event.target.closest(CELL);
    if (td && !event.target.closest("[data-cell-editor], a")) startCellEdit(td);
  });
  document.addEventListener("prism:edit-cell", function (event) {
    var target = event.target;
    var td = target.matches && target.matches(CELL) ? target : (target.closest && (target.closest("tr") || target).querySelector(CELL));
    if (td) startCellEdit(td);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-cell-cancel]")) return;
    var td = event.target.closest(CELL);
    cancel(td);
    td.focus();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-cell-editor]");
    if (!form) return;
    event.preventDefault();
    save(form.closest(CELL), event.submitter, false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target.matches && target.matches(CELL)) {
      var next = null;
      if (event.key === "Enter") { event.preventDefault(); startCellEdit(target); return; }
      if (event.key === "Escape" && target.querySelector("[data-cell-error]")) { event.preventDefault(); cancel(target); return; }
      if (event.key === "ArrowRight") next = neighbour(target, 1);
      else if (event.key === "ArrowLeft") next = neighbour(target, -1);
      else if (event.key === "ArrowDown") next = below(target, 1);
      else if (event.key === "ArrowUp") next = below(target, -1);
      if (next) { event.preventDefault(); next.focus(); }
      return;
    }
    var form = target.closest && target.closest("[data-cell-editor]");
    if (!form) return;
    var td = form.closest(CELL);
    if (event.key === "Escape") {
      event.preventDefault();
      cancel(td);
      td.focus();
    } else if (event.key === "Enter" && !form.hasAttribute("data-cell-conflict") && target.tagName !== "BUTTON" && !(target.tagName === "TEXTAREA" && event.shiftKey)) {
      // Enter saves (Shift+Enter is a new line in long text); a conflict's buttons choose.
      event.preventDefault();
      save(td, null, false);
    } else if (event.key === "Tab") {
      var list = controls(form);
      var edge = event.shiftKey ? list[0] : list[list.length - 1];
      if (target !== edge) return;  // between the inputs of one cell (a multiselect's boxes)
      // The table's last (or first) cell: the focus stays on it, the editor closed.
      var to = neighbour(td, event.shiftKey ? -1 : 1) || td;
      event.preventDefault();
      commit(td, true);
      to.focus();
    }
  });

  window.prismDashboard = window.prismDashboard || {};
  window.prismDashboard.startCellEdit = startCellEdit;
})();

// Edit presence (partials/presence.html): the page's heartbeat is htmx polling; an
// unchanged answer is not swapped in (its live region would announce it again), and a
// hidden or closed page says goodbye at once (sendBeacon, with the CSRF token), so the
// others see it go without waiting out the heartbeat's expiry.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = event.detail.target;
    if (!box || !box.hasAttribute || !box.hasAttribute("data-presence")) return;
    // Not the heartbeat's own answer (a session that ended redirects to the sign-in page):
    // nothing to show here.
    var answered = event.detail.xhr && event.detail.xhr.responseURL;
    if (event.detail.serverResponse.trim() === box.innerHTML.trim() || (answered && !/\/presence\/$/.test(new URL(answered).pathname))) {
      event.detail.shouldSwap = false;
    }
  });
  window.addEventListener("pagehide", function () {
    if (!navigator.sendBeacon) return;
    document.querySelectorAll("[data-presence-leave]").forEach(function (box) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", box.getAttribute("data-csrf"));
      navigator.sendBeacon(box.getAttribute("data-presence-leave"), data);
    });
  });
})();

// An htmx answer that is not swapped in (an error status, or no answer at all) leaves the
// part of the page as it was, and on its own would say nothing: a table still showing what
// the previous search found, under the new search text. Say so where the messages go.
// (The dashboard's own failures arrive as 200 banners, errors.py; these are the rest: a
// proxy's 502, a server restarting, the network.) The presence heartbeat is left out: it
// runs in the background and tries again on its own.
(function () {
  "use strict";
  function heartbeat(event) {
    var elt = event.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-presence]"));
  }
  function tell(event, text) {
    var box = document.getElementById("messages");
    if (!box || heartbeat(event)) return;
    var banner = document.createElement("div");
    banner.className = "banner banner-error";
    banner.setAttribute("role", "alert");
    banner.setAttribute("data-htmx-failure", "");
    banner.textContent = text;
    box.replaceChildren(banner);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    tell(event, "The dashboard did not answer as expected (status " + status + "), so this part of the page was not updated. Try again, or reload the page.");
  });
  document.addEventListener("htmx:sendError", function (event) {
    tell(event, "The dashboard could not be reached, so this part of the page was not updated. Check the connection, then try again.");
  });
  // The next answer that is swapped in means the dashboard answers again.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (heartbeat(event)) return;
    document.querySelectorAll("[data-htmx-failure]").forEach(function (banner) { banner.remove(); });
  });
})();

// Board (records/board.html): a card moves to another column by dragging it, or by keyboard
// (Space picks it up, Left/Right move it between columns, Space/Enter drop it, Escape puts it
// back). A drop is one POST to the card's move URL: the server reads the record's version and
// PATCHes with If-Match (dashboard/board.py). Refused, the card goes back where it came from
// and says why (who changed the record meanwhile).
(function () {
  "use strict";
  var held = null;  // {card, list, next}: the card picked up, and where it came from

  function status(text) {
    var live = document.querySelector("[data-board-status]");
    if (live) { live.textContent = ""; live.textContent = text; }
  }
  function columnOf(el) { return el.closest(".board-column"); }
  function label(column) { return column.getAttribute("data-column-label"); }
  function title(card) { var a = card.querySelector(".board-card-title"); return a ? a.textContent : ""; }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function placeAtTop(card, column) {
    var list = column.querySelector(".board-cards");
    list.insertBefore(card, list.firstElementChild);
  }
  function putBack(origin) {
    var list = origin.list;
    list.insertBefore(origin.card, origin.next && origin.next.parentNode === list ? origin.next : list.querySelector(".board-more"));
  }
  function count(column, delta) {
    var badge = column.querySelector("[data-board-count]");
    if (!badge || badge.textContent.trim() === "") return;
    badge.textContent = String((parseInt(badge.textContent, 10) || 0) + delta);
  }
  function showError(card, text) {
    var error = card.querySelector(".board-card-error");
    error.textContent = text;
    error.hidden = !text;
  }

  // The card is in its new column already; the server decides whether it stays.
  function commit(origin) {
    var card = origin.card, from = columnOf(origin.list), to = columnOf(card);
    if (from === to) { putBack(origin); status(title(card) + " stays in " + label(from) + "."); return; }
    var board = card.closest("[data-board]");
    var body = new FormData();
    body.append("group", board.getAttribute("data-group"));
    body.append("to", to.getAttribute("data-column"));
    body.append("updated_at", card.getAttribute("data-updated-at"));
    showError(card, "");
    card.setAttribute("aria-busy", "true");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.text().then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html").querySelector(".move-outcome");
        var text = answer ? answer.textContent : "The card could not be moved; try again.";
        if (response.ok && answer) {
          card.setAttribute("data-updated-at", answer.getAttribute("data-updated-at") || "");
          count(from, -1); count(to, 1);
          status(text);
        } else {
          putBack(origin);
          showError(card, text);
          status(text);
        }
      });
    }).catch(function () {
      putBack(origin);
      showError(card, "The dashboard could not be reached; the card was not moved.");
    }).then(function () {
      card.removeAttribute("aria-busy");
      if (document.activeElement === document.body || !document.activeElement) card.focus();
    });
  }

  // Dragging with a pointer.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[data-move-url]");
    if (!card) return;
    dragged = { card: card, list: card.parentNode, next: card.nextElementSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-record-id"));
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column || column.closest("[data-board]") !== dragged.card.closest("[data-board]")) return;
    event.preventDefault();  // a column takes the drop
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) { if (c !== column) c.classList.remove("drop-target"); });
    column.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    var origin = dragged;
    dragged = null;
    column.classList.remove("drop-target");
    if (column !== columnOf(origin.list)) placeAtTop(origin.card, column);
    commit(origin);
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });

  // The keyboard.
  function neighbour(column, step) {
    var columns = Array.prototype.slice.call(column.closest("[data-board]").querySelectorAll(".board-column"));
    return columns[columns.indexOf(column) + step] || null;
  }
  function drop(cancel) {
    var origin = held;
    held = null;
    origin.card.classList.remove("grabbed");
    if (cancel) {
      putBack(origin);
      status("Cancelled: " + title(origin.card) + " stays in " + label(columnOf(origin.card)) + ".");
    } else {
      commit(origin);
    }
    origin.card.focus();
  }
  document.addEventListener("keydown", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[data-move-url]");
    if (!card || event.target !== card || event.ctrlKey || event.metaKey || event.altKey) return;
    var column = columnOf(card);
    if (held && held.card === card) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        var next = neighbour(column, event.key === "ArrowRight" ? 1 : -1);
        if (next) { placeAtTop(card, next); card.focus(); status(label(next)); }
      } else if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        drop(false);
      } else if (event.key === "Escape" || event.key === "Tab") {
        if (event.key === "Escape") event.preventDefault();
        drop(true);
      }
      return;
    }
    if (event.key === " ") {
      event.preventDefault();
      if (held) drop(true);  // another card was still held
      held = { card: card, list: card.parentNode, next: card.nextElementSibling };
      card.classList.add("grabbed");
      showError(card, "");
      status("Picked up " + title(card) + " in " + label(column) + ". Left and right arrows move it, Space or Enter drops it, Escape cancels.");
    } else if (event.key === "Enter") {
      event.preventDefault();
      card.querySelector(".board-card-title").click();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var sibling = event.key === "ArrowDown" ? card.nextElementSibling : card.previousElementSibling;
      if (sibling && sibling.classList.contains("board-card")) { event.preventDefault(); sibling.focus(); }
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var side = neighbour(column, event.key === "ArrowRight" ? 1 : -1);
      var first = side && side.querySelector(".board-card[data-move-url]");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
})();

// Keyboard shortcuts (listed in the dialog of base.html, opened by "?"): j/k or the arrows
// through table rows, Enter opens the row's record, e edits the focused cell (the inline
// editor listens for "prism:edit-cell"), / focuses the table's search, Ctrl/⌘+K the global
// search where there is one. None act while a field has the focus.
(function () {
  "use strict";
  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }
  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll("#results table.records tbody tr"), function (tr) {
      return !tr.querySelector(".empty-state");
    });
  }
  function focusRow(tr) {
    if (!tr) return;
    tr.tabIndex = -1;  // focusable by script, not a Tab stop
    tr.focus();
  }
  function openShortcuts() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (!dialog || dialog.open) return;
    var opener = document.activeElement;
    // The close event comes a task after Escape: by then the person may have moved on
    // (Ctrl+K to the global search). Give the focus back only if it has gone nowhere.
    dialog.addEventListener("close", function () {
      var now = document.activeElement;
      if (opener && opener.focus && (!now || now === document.body || dialog.contains(now))) opener.focus();
    }, { once: true });
    dialog.showModal();
  }
  function openGlobalSearch() {  // global-search.js, on pages that have the header's search
    if (typeof window.openGlobalSearch !== "function") return false;
    window.openGlobalSearch();
    return true;
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-open-shortcuts]")) openShortcuts();
  });
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey) return;
    // Ctrl/⌘+K works from anywhere, a field too (as in most apps); the rest never while typing.
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "k") {
      if (openGlobalSearch()) event.preventDefault();
      return;
    }
    if (typing(event.target)) return;
    if (event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return;  // a dialog holds the keyboard
    var all = rows();
    var row = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#results table.records tbody tr") : null;
    var at = row ? all.indexOf(row) : -1;
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      openShortcuts();
    } else if (key === "/") {
      var search = document.getElementById("quick-search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (key === "j" || key === "k" || ((key === "ArrowDown" || key === "ArrowUp") && at >= 0)) {
      if (!all.length) return;
      event.preventDefault();
      var down = key === "j" || key === "ArrowDown";
      focusRow(at < 0 ? all[0] : all[Math.max(0, Math.min(all.length - 1, at + (down ? 1 : -1)))]);
    } else if (key === "Enter" && row && event.target === row) {
      var open = row.querySelector("a[data-row-link]");
      if (open) { event.preventDefault(); open.click(); }
    } else if (key === "e") {
      var cell = document.activeElement.closest && document.activeElement.closest("td[data-edit-url]");
      cell = cell || (row ? row.querySelector("td[data-edit-url]") : null);
      if (cell) {
        event.preventDefault();
        cell.dispatchEvent(new CustomEvent("prism:edit-cell", { bubbles: true }));
      }
    }
  });
})();

// Small screens: the menu button folds the sidebar away (CSS hides it below 700 px once
// the body is .menu-ready) and opens it again; Escape closes it and gives the focus back.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-button]");
  var sidebar = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!sidebar) return;
  button.hidden = false;
  document.body.classList.add("menu-ready");

  function setOpen(open, focusTarget) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    sidebar.classList.toggle("open", open);
    if (focusTarget) focusTarget.focus();
  }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    setOpen(open, open ? sidebar.querySelector("a[href]") : null);
  });
  sidebar.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" && window.getComputedStyle(button).display !== "none") {
      setOpen(false, button);
    }
  });
})();
