// The header's global search (templates/base.html, search.html#options): a combobox whose
// listbox of results, grouped by type, works by keyboard alone. Ctrl/⌘+K comes to it;
// other code opens it with openGlobalSearch() or the "global-search:open" event.
// The focus stays in the field; the active result is its aria-activedescendant.
(function () {
  "use strict";
  function field() { return document.getElementById("global-search"); }
  function list() { return document.getElementById("global-search-results"); }
  function options() {
    return Array.prototype.slice.call(list().querySelectorAll("a[role=option]"));
  }
  function active() { return list().querySelector("[aria-selected=true]"); }

  function setActive(option) {
    var current = active();
    if (current) current.setAttribute("aria-selected", "false");
    if (option) {
      option.setAttribute("aria-selected", "true");
      field().setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      field().removeAttribute("aria-activedescendant");
    }
  }
  function setOpen(open) {
    var box = list();
    if (!box) return;
    box.hidden = !open;
    field().setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(null);
  }
  function openSearch() {
    var input = field();
    if (!input) return;
    input.focus();
    input.select();
    if (list().children.length) setOpen(true);
  }
  window.openGlobalSearch = openSearch;
  document.addEventListener("global-search:open", openSearch);

  document.addEventListener("keydown", function (event) {
    if (event.target !== field()) return;
    var all = options();
    var index = all.indexOf(active());
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!list().children.length) return;
      event.preventDefault();
      setOpen(true);
      if (!all.length) return;
      var next = event.key === "ArrowDown" ? (index + 1) % all.length : (index <= 0 ? all.length - 1 : index - 1);
      setActive(all[next]);
    } else if (event.key === "Enter" && index >= 0 && !list().hidden) {
      event.preventDefault();  // open the result, not the results page
      window.location.href = all[index].href;
    } else if (event.key === "Escape" && !list().hidden) {
      event.preventDefault();  // a second Escape clears the field, as search fields do
      setOpen(false);
    }
  });

  // New results: nothing picked yet; shown while the field has the focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== list()) return;
    setActive(null);
    setOpen(list().children.length > 0 && document.activeElement === field());
  });
  // Leaving the search (a click or the focus elsewhere) closes the results.
  document.addEventListener("click", function (event) {
    if (list() && !event.target.closest("[data-global-search]")) setOpen(false);
  });
  document.addEventListener("focusin", function (event) {
    if (list() && !event.target.closest("[data-global-search]")) setOpen(false);
  });
})();
