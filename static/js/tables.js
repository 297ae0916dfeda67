// Sortable tables: click a header to sort by it, click again to reverse. The first click sorts a
// column best first where the header says which end is best (data-best="high": accuracies;
// "low": time, FLOPs, size), ascending otherwise. Cells sort by their data-sort value (else their
// text), as numbers in numeric columns; empty values always sort last.
//
// A grouped results table (templates/table.html) has one <tbody> per variant: its summary row,
// then its seeds' rows and a row of what they share with the commands that reproduce them, hidden
// until the seed count's button opens them. Sorting moves whole tbodies by their summary row. A
// table with data-fold="N" shows its first N variants (in the order on show) and a button for all
// of them. Each command's "copy" button copies it.
(function () {
  "use strict";
  function groupsOf(table) {
    if (table.classList.contains("grouped")) {
      return Array.prototype.map.call(table.tBodies, function (body) { return { node: body, row: body.rows[0] }; });
    }
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) { return { node: row, row: row }; });
  }

  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.hasAttribute("data-numeric");
    var current = th.getAttribute("aria-sort");
    var ascending = current ? current !== "ascending" : th.getAttribute("data-best") !== "high";
    function key(row) {
      var cell = row.cells[index];  // data-sort is left out where it equals the text
      var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
      if (value === null || value === "") return null;
      if (!numeric) return value.toLowerCase();
      var number = parseFloat(value);
      return isNaN(number) ? null : number;  // "–": nothing to sort by
    }
    var groups = groupsOf(table).map(function (g, i) { return { node: g.node, key: key(g.row), i: i }; });
    groups.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        return a.key === b.key ? a.i - b.i : (a.key === null ? 1 : -1);
      }
      var order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return order === 0 ? a.i - b.i : ascending ? order : -order;
    });
    var parent = groups.length ? groups[0].node.parentNode : null;
    groups.forEach(function (g) { parent.appendChild(g.node); });
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    fold(table);
  }

  // Hide the variants past the fold while the table is folded; the rest stay as they are.
  function fold(table) {
    var limit = parseInt(table.getAttribute("data-fold"), 10);
    if (!limit) return;
    var folded = table.getAttribute("data-folded") !== "false";
    Array.prototype.forEach.call(table.tBodies, function (body, i) { body.hidden = folded && i >= limit; });
  }

  function initFold(figure, table) {
    var button = figure.querySelector("button.show-all");
    if (!button || !table.hasAttribute("data-fold")) return;
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      table.setAttribute("data-folded", open ? "false" : "true");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = button.getAttribute(open ? "data-less" : "data-more");
      fold(table);
    });
    fold(table);
  }

  function toggleSeeds(button) {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var body = button.closest("tbody");
    Array.prototype.forEach.call(body.querySelectorAll("tr.seed-row, tr.details-row"), function (row) { row.hidden = !open; });
  }

  // The commands, listed in the variant's details row (below its seeds' rows), each with a copy
  // button: every seed that ran, then each seed's run. battleground/site/reproduce.py builds the
  // command; the tbody carries it as two halves around the seed flags (command_parts), joined here
  // as reproduce.seed_flags does: "--seed N" for each, then "--force" if one is not declared. Where
  // the seeds trained differently each seed's row carries its own (data-command).
  function seedFlags(seeds, declared) {
    var flags = seeds.map(function (seed) { return "--seed " + seed; }).join(" ");
    return flags + (seeds.some(function (seed) { return declared.indexOf(seed) < 0; }) ? " --force" : "");
  }
  function writeCommands(table) {
    var declared = (table.getAttribute("data-declared-seeds") || "").split(" ");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var head = body.getAttribute("data-command-head"), tail = body.getAttribute("data-command-tail");
      var seedRows = Array.prototype.filter.call(body.rows, function (row) { return row.hasAttribute("data-seed"); });
      if (!seedRows.length) return;
      // the details row holds what the seeds share, where they share anything the variant's row
      // does not show; else it is made here, for the commands alone (a page-size budget)
      var details = body.querySelector("tr.details-row"), list = document.createElement("ul");
      if (!details) {
        details = document.createElement("tr");
        details.className = "details-row";
        details.hidden = !body.querySelector("tr.seed-row:not([hidden])");
        details.appendChild(document.createElement("td")).colSpan = body.rows[0].cells.length;
        body.appendChild(details);
      }
      list.className = "commands";
      details.cells[0].appendChild(list);
      function command(seeds) { return head === null ? null : head + " " + seedFlags(seeds, declared) + tail; }
      function add(label, text, seed) {
        if (text === null) return;
        var item = document.createElement("li"), button = document.createElement("button"),
            code = document.createElement("code");
        if (seed === null) item.className = "all-seeds"; else item.setAttribute("data-seed", seed);
        button.type = "button";
        button.className = "copy";
        button.textContent = "copy";
        code.className = "command";
        code.textContent = text;
        item.appendChild(document.createTextNode(label + " "));
        item.appendChild(button);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(code);
        list.appendChild(item);
      }
      if (seedRows.length > 1) {
        add("every seed", command(seedRows.map(function (r) { return r.getAttribute("data-seed"); })), null);
      }
      seedRows.forEach(function (row) {
        var seed = row.getAttribute("data-seed");
        add("seed " + seed, row.getAttribute("data-command") || command([seed]), seed);
      });
    });
  }

  // The clipboard API where the page may use it (http://localhost, https, file://), else the
  // older copy of a selection; the button says "copied" for a moment and a live region says what.
  function copyCommand(button, status) {
    var code = button.parentNode.querySelector("code.command"), text = code.textContent;
    function done(ok) {
      button.textContent = ok ? "copied" : "select and copy";
      if (status) status.textContent = ok ? "Copied: " + text : "Could not copy; select the command instead.";
      setTimeout(function () { button.textContent = "copy"; }, 2000);
    }
    function fallback() {
      var range = document.createRange(), selection = window.getSelection();
      range.selectNodeContents(code);
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th) {
        var button = th.querySelector("button");
        if (button) button.addEventListener("click", function () { sortTable(table, th); });
      });
      var figure = table.closest("figure") || table.parentNode;
      var status = figure.querySelector(".copy-status");
      table.addEventListener("click", function (event) {
        var button = event.target.closest("button");
        if (!button || !table.contains(button)) return;
        if (button.classList.contains("expand")) toggleSeeds(button);
        else if (button.classList.contains("copy")) copyCommand(button, status);
      });
      if (table.classList.contains("grouped")) writeCommands(table);
      initFold(figure, table);
    });
  });
})();
