// A number computed from the runs (battleground/site/findings.py) links to its variant's rows of
// the results table. A long table shows only its first variants (tables.js), so a link to a
// variant past the fold first shows them all; the browser then scrolls to the rows as usual.
(function () {
  "use strict";
  function reveal(id) {
    var target = id ? document.getElementById(id) : null;
    if (!target || target.tagName !== "TBODY" || !target.hidden) return;
    var figure = target.closest("figure");
    var button = figure ? figure.querySelector("button.show-all[aria-expanded='false']") : null;
    if (button) button.click();
    target.hidden = false;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.evidence-value[href^='#']") : null;
    if (!link) return;
    var id = link.getAttribute("href").slice(1);
    reveal(id);
    // the charts above may still be drawing and change the page's height: scroll once they settle
    setTimeout(function () { var target = document.getElementById(id); if (target) target.scrollIntoView(); }, 100);
  });
  window.addEventListener("load", function () {
    if (location.hash) {
      reveal(decodeURIComponent(location.hash.slice(1)));
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  });
})();
