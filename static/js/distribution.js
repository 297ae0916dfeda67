// Distributions over seeds (templates/distribution.html): one horizontal box per variant with
// every seed drawn as a point, and a label above it carrying mean ± std and the seed count. A
// selector switches the metric. Colours come from the theme's variables, so the chart follows the theme.
(function () {
  "use strict";
  var charts = [];

  function shown(key, v) {
    if (v === null || v === undefined) return "—";
    return key === "train_seconds" ? v.toFixed(1) + " s" : (100 * v).toFixed(2) + "%";
  }
  function spreadText(key, s) {
    if (s.mean === null) return "no value";
    return shown(key, s.mean) + (s.std === null ? "" : " ± " + shown(key, s.std).replace("%", " pp")) + ", n=" + s.n;
  }

  // Each variant is a strip the chart's full width: its label on a line above it, not on the y
  // axis, where a long label left the seeds some 70 px on a phone.
  var ROW_PX = 46;     // a label line and a strip
  var FRAME_PX = 70;   // the x axis, its title and the margins
  var CHAR_PX = 6.6;   // width of one character of an 11 px Iosevka label
  // A label longer than `room` characters keeps its head and its tail (where the parameters that
  // tell variants apart often are) around "…"; the hover has it whole.
  function esc(text) { return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }  // Plotly reads markup
  function shorten(text, room) {
    if (text.length <= room) return text;
    var keep = Math.max(room - 1, 8), head = Math.ceil(keep / 2);
    return text.slice(0, head) + "…" + text.slice(text.length - (keep - head));
  }

  function draw(chart) {
    var d = chart.data, key = chart.metric, look = window.battlegroundLook;
    var colours = [look.css("--accent"), look.css("--ok"), look.css("--warn"), look.css("--bad"), look.css("--text-light")];
    var room = Math.floor(chart.plot.clientWidth / CHAR_PX) - 2, n = d.boxes.length;
    var traces = d.boxes.map(function (box, i) {
      var points = box.seeds.map(function (seed, j) { return { seed: seed, value: box.values[key][j] }; })
        .filter(function (p) { return p.value !== null; });
      return {
        type: "box", orientation: "h", name: box.label, y: points.map(function () { return i; }), width: 0.42,
        x: points.map(function (p) { return p.value; }),
        text: points.map(function (p) { return esc(box.variant) + "<br>seed " + p.seed + ": " + shown(key, p.value); }),
        hovertemplate: "%{text}<extra></extra>", boxpoints: "all", jitter: 0.5, pointpos: 0,
        marker: { size: 6, opacity: 0.8, color: colours[i % colours.length] },
        line: { width: 1.5, color: colours[i % colours.length] },
        fillcolor: "rgba(0,0,0,0)", showlegend: false,
      };
    });
    var labels = d.boxes.map(function (box, i) {
      var spread = spreadText(key, box.spread[key]);  // always whole: the label gives way
      return { xref: "paper", x: 0, xanchor: "left", yref: "y", y: i, yanchor: "bottom", yshift: 9, showarrow: false,
               align: "left", font: { size: 11 }, text: esc(shorten(box.label, room - spread.length - 3)) + " · " + spread };
    });
    var layout = Object.assign(look.base(), {
      height: FRAME_PX + ROW_PX * n,
      margin: { l: 10, r: 20, t: 10, b: 16 },
      annotations: labels,
      xaxis: look.axis({ title: { text: d.metrics[key] }, tickformat: key === "train_seconds" ? "" : ".0%",
                         type: key === "train_seconds" ? "log" : "linear", zeroline: false,
                         nticks: chart.plot.clientWidth < 560 ? 5 : 10 }),
      // the first variant on top, as a table reads; the range leaves the first label its line
      yaxis: look.axis({ type: "linear", range: [n - 0.5, -0.95], showticklabels: false, showgrid: false, ticks: "", showline: false,
                         zeroline: false, fixedrange: true }),
    });
    return look.react(chart.plot, traces, layout,
      { responsive: true, displaylogo: false, showTips: false, toImageButtonOptions: { filename: chart.figure.id } });
  }

  function init(figure) {
    var data = figure.querySelector("script.distribution-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var chart = { figure: figure, plot: plot, data: JSON.parse(data.textContent) };
    chart.metric = chart.data.metric;
    var select = figure.querySelector('select[data-control="metric"]');
    if (select) {
      select.value = chart.metric;
      select.addEventListener("change", function () { chart.metric = select.value; draw(chart); });
    }
    charts.push(chart);
    draw(chart).then(function () {
      window.battlegroundLook.watch(plot, function () { draw(chart); });
      plot.setAttribute("data-ready", "");
    });
  }

  function start() {
    document.querySelectorAll("figure[data-distribution]").forEach(init);
    document.addEventListener("battleground:theme", function () { charts.forEach(draw); });
  }
  // Plotly arrives after this script: charts.js loads it once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
