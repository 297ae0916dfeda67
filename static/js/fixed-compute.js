// Accuracy at fixed compute (templates/fixed_compute.html): a dot chart, one row per variant and
// one dot per training-FLOP budget at the accuracy it had reached there (mean over seeds), with
// the best variant of each budget starred. Rows, not a line per variant over the budgets: one
// budget then reads as a ranking instead of a column of dots, and the legend lists the few
// budgets, not every variant. The table beside it holds the same numbers.
(function () {
  "use strict";
  var look = window.battlegroundLook;
  var ROW_PX = 24;        // height of one variant's row
  var FRAME_PX = 90;      // the x axis, its title and the margins, before the legend
  var CHAR_PX = 6.6;      // width of one character of an 11 px Iosevka tick label
  var LABEL_SHARE = 0.45; // a row's label takes at most this share of the chart's width
  var X_TITLE = "validation accuracy reached";
  var TITLE_CHAR_PX = 7.2; // width of one character of the axis title
  var TITLE_SPARE_PX = 36; // the right margin, the clearance either side of the title and the tick labels' pad
  var SYMBOLS = ["circle", "diamond", "square", "triangle-up", "x", "cross"];
  var views = [];

  function pct(v) { return (100 * v).toFixed(2) + "%"; }
  function esc(text) { return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  // A label longer than `room` characters keeps its head and its tail (where the parameters that
  // tell variants apart often are) around "…"; the hover has it whole.
  function shorten(text, room) {
    if (text.length <= room) return text;
    var keep = Math.max(room - 1, 8), head = Math.ceil(keep / 2);
    return text.slice(0, head) + "…" + text.slice(text.length - (keep - head));
  }

  function draw(v) {
    var d = v.data, colours = look.palette(), width = v.plot.clientWidth;
    // the labels take their share, but on a narrow screen leave the plotting area wide enough for
    // the x axis title, which Plotly centres on it: a narrower area pushes the title past the edge
    var labelPx = Math.min(LABEL_SHARE * width, width - X_TITLE.length * TITLE_CHAR_PX - TITLE_SPARE_PX);
    var room = Math.max(Math.floor(labelPx / CHAR_PX), 8);
    var rows = d.rows.map(function (row, i) { return String(i); });  // rows by index: labels may repeat once shortened
    var values = [];
    var traces = d.budgets.map(function (budget, j) {
      var x = [], y = [], text = [];
      d.rows.forEach(function (row, i) {
        var cell = row.cells[j];
        if (cell.mean === null) return;
        x.push(cell.mean); y.push(rows[i]); values.push(cell.mean);
        text.push("<b>" + esc(row.label) + "</b><br>" + d.budget_labels[j] + ": " + pct(cell.mean) +
                  " (" + cell.seeds + "/" + cell.of + " seeds)");
      });
      return { type: "scatter", mode: "markers", name: "at " + d.budget_labels[j], x: x, y: y, text: text, hoverinfo: "text",
               marker: { size: 8, color: colours[(j + 1) % colours.length], symbol: SYMBOLS[j % SYMBOLS.length] } };
    });
    var best = { x: [], y: [], text: [] };
    d.best.forEach(function (name, j) {
      if (name === null) return;
      var i = d.rows.map(function (r) { return r.variant; }).indexOf(name);
      best.x.push(d.rows[i].cells[j].mean); best.y.push(rows[i]);
      best.text.push("best at " + d.budget_labels[j] + ": " + esc(d.rows[i].label) + ", " + pct(d.rows[i].cells[j].mean));
    });
    traces.push({ type: "scatter", mode: "markers", name: "best at the budget", x: best.x, y: best.y, text: best.text,
                  hoverinfo: "text", marker: { symbol: "star", size: 15, color: "rgba(0,0,0,0)", line: { color: look.css("--text"), width: 1.5 } } });
    var range = look.spanAtLeast(values, 0.1, 0, 1);
    var layout = Object.assign(look.base(), {
      height: FRAME_PX + ROW_PX * d.rows.length,
      xaxis: look.axis({ title: { text: X_TITLE }, tickformat: ".1~%",
                         range: range || undefined, side: "bottom" }),
      // the first variant on top, as the table reads
      yaxis: look.axis({ type: "category", autorange: "reversed", tickvals: rows, showgrid: true,
                         ticktext: d.rows.map(function (row) { return esc(shorten(row.label, room)); }), tickfont: { size: 11 } }),
      legend: { orientation: "h" },
      showlegend: true,
    });
    return look.react(v.plot, traces, layout, { responsive: true, displaylogo: false, showTips: false,
                                                toImageButtonOptions: { filename: v.figure.id } });
  }

  function init(figure) {
    var data = figure.querySelector("script.fixed-compute-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var v = { figure: figure, plot: plot, data: JSON.parse(data.textContent) };
    views.push(v);
    draw(v).then(function () {
      look.watch(plot, function () { draw(v); });
      plot.setAttribute("data-ready", "");
    });
  }

  function start() {
    document.querySelectorAll("figure[data-fixed-compute]").forEach(init);
    document.addEventListener("battleground:theme", function () { views.forEach(draw); });
  }
  (window.battlegroundPlotly || Promise.resolve()).then(start);  // charts.js loads Plotly once
})();
