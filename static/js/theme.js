// The light / dark theme: the visitor's choice (kept in localStorage) or else the system's.
// Loaded in <head> without defer, so the page never flashes the wrong theme.
(function () {
  "use strict";
  var KEY = "battleground-theme";
  var root = document.documentElement;
  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }  // storage can be off
  }
  function system() { return query && query.matches ? "dark" : "light"; }
  function apply(theme) {
    root.setAttribute("data-theme", theme);
    document.dispatchEvent(new CustomEvent("battleground:theme", { detail: theme }));
  }

  apply(stored() || system());
  if (query && query.addEventListener) {
    query.addEventListener("change", function () { if (!stored()) { apply(system()); label(); } });
  }

  function label() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var dark = root.getAttribute("data-theme") === "dark";
    button.textContent = dark ? "☀ light" : "☾ dark";
    button.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
  }

  // A region that scrolls sideways (a code block, a wide table) must be reachable by keyboard to
  // be scrolled (WCAG 2.1.1): it takes a tab stop while, and only while, its content overflows.
  function focusableScrolling() {
    document.querySelectorAll("pre, .table-scroll").forEach(function (region) {
      if (region.scrollWidth > region.clientWidth) region.setAttribute("tabindex", "0");
      else region.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", focusableScrolling);
  window.addEventListener("load", focusableScrolling);  // web fonts change widths
  window.addEventListener("resize", focusableScrolling);

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    label();
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      try { localStorage.setItem(KEY, next); } catch (e) { /* the choice lasts this page only */ }
      apply(next);
      label();
    });
  });
})();
