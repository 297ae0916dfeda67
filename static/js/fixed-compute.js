// Accuracy at fixed compute (templates/fixed_compute.html): one line per variant through the
// accuracy it had reached at each training-FLOP budget (mean over seeds), and the best variant
// of each budget marked with a larger point. The table beside it holds the same numbers.
(function () {
  "use strict";
  var views = [];

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  function draw(v) {
    var d = v.data, text = css("--text"), muted = css("--text-light"), grid = css("--grid");
    var colours = [];
    for (var i = 0; i < 16; i++) colours.push(css("--series-" + i) || "#928374");
    var traces = d.rows.map(function (row, i) {
      return {
        type: "scatter", mode: "lines+markers", name: row.label, x: d.budgets,
        y: row.cells.map(function (c) { return c.mean; }),
        line: { color: colours[i % colours.length], width: 1.5 }, marker: { size: 5 },
        customdata: row.cells.map(function (c) { return c.seeds + "/" + c.of; }),
        hovertemplate: "<b>" + row.variant.replace(/</g, "&lt;") + "</b><br>%{x:.3s}FLOP: %{y:.2%} (%{customdata} seeds)<extra></extra>",
      };
    });
    var best = { x: [], y: [], text: [] };
    d.best.forEach(function (name, j) {
      if (name === null) return;
      var row = d.rows.filter(function (r) { return r.variant === name; })[0];
      best.x.push(d.budgets[j]); best.y.push(row.cells[j].mean); best.text.push(row.label);
    });
    traces.push({ type: "scatter", mode: "markers", name: "best at the budget", x: best.x, y: best.y, text: best.text,
                  marker: { symbol: "star", size: 14, color: css("--marked"), line: { color: text, width: 1 } },
                  hovertemplate: "best at %{x:.3s}FLOP: %{text}, %{y:.2%}<extra></extra>" });
    var layout = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "Iosevka, ui-monospace, monospace", color: text, size: 12 },
      margin: { l: 10, r: 10, t: 10, b: 10 },
      xaxis: { type: "log", title: { text: "training FLOPs (budget)" }, tickvals: d.budgets, ticktext: d.budget_labels,
               automargin: true, gridcolor: grid, linecolor: muted },
      yaxis: { title: { text: "validation accuracy reached" }, tickformat: ".1~%", automargin: true, gridcolor: grid, linecolor: muted },
      legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
      hovermode: "closest",
      hoverlabel: { bgcolor: css("--bg"), bordercolor: muted, font: { color: text, family: "Iosevka, ui-monospace, monospace" } },
    };
    return Plotly.react(v.plot, traces, layout, { responsive: true, displaylogo: false, showTips: false });
  }

  function init(figure) {
    var data = figure.querySelector("script.fixed-compute-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var v = { plot: plot, data: JSON.parse(data.textContent) };
    views.push(v);
    draw(v).then(function () { plot.setAttribute("data-ready", ""); });
  }

  function start() {
    document.querySelectorAll("figure[data-fixed-compute]").forEach(init);
    document.addEventListener("battleground:theme", function () { views.forEach(draw); });
  }
  (window.battlegroundPlotly || Promise.resolve()).then(start);  // charts.js loads Plotly once
})();
