// Sortable tables: click a header to sort by it, click again to reverse. Cells sort by their
// data-sort value (else their text), as numbers in numeric columns; empty values always sort last.
(function () {
  "use strict";
  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.hasAttribute("data-numeric");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[index];  // data-sort is left out where it equals the text
      var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
      if (value === null || value === "") return null;
      return numeric ? parseFloat(value) : value.toLowerCase();
    }
    rows = rows.map(function (row, i) { return { row: row, key: key(row), i: i }; });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        return a.key === b.key ? a.i - b.i : (a.key === null ? 1 : -1);
      }
      var order = a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i;
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th) {
        th.querySelector("button").addEventListener("click", function () { sortTable(table, th); });
      });
    });
  });
})();
