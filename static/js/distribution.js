// Distributions over seeds (templates/distribution.html): one horizontal box per variant with
// every seed drawn as a point, the label carrying mean ± std and the seed count. A selector
// switches the metric. Colours come from the theme's variables, so the chart follows the theme.
(function () {
  "use strict";
  var charts = [];

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function shown(key, v) {
    if (v === null || v === undefined) return "—";
    return key === "train_seconds" ? v.toFixed(1) + " s" : (100 * v).toFixed(2) + "%";
  }
  function spreadText(key, s) {
    if (s.mean === null) return "no value";
    return shown(key, s.mean) + (s.std === null ? "" : " ± " + shown(key, s.std).replace("%", " pp")) + ", n=" + s.n;
  }

  function draw(chart) {
    var d = chart.data, key = chart.metric, text = css("--text"), muted = css("--text-light");
    var colours = [css("--accent"), css("--ok"), css("--warn"), css("--bad"), css("--text-light")];
    // the first variant on top, as a table reads
    var traces = d.boxes.slice().reverse().map(function (box, i) {
      var points = box.seeds.map(function (seed, j) { return { seed: seed, value: box.values[key][j] }; })
        .filter(function (p) { return p.value !== null; });
      return {
        type: "box", orientation: "h", name: box.label + " · " + spreadText(key, box.spread[key]),
        x: points.map(function (p) { return p.value; }),
        text: points.map(function (p) { return box.variant + "<br>seed " + p.seed + ": " + shown(key, p.value); }),
        hovertemplate: "%{text}<extra></extra>", boxpoints: "all", jitter: 0.4, pointpos: 0,
        marker: { size: 6, opacity: 0.8, color: colours[(d.boxes.length - 1 - i) % colours.length] },
        line: { width: 1.5, color: colours[(d.boxes.length - 1 - i) % colours.length] },
        fillcolor: "rgba(0,0,0,0)", showlegend: false,
      };
    });
    var layout = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "Iosevka, ui-monospace, monospace", color: text, size: 12 },
      margin: { l: 10, r: 20, t: 10, b: 10 },
      xaxis: { title: { text: d.metrics[key] }, tickformat: key === "train_seconds" ? "" : ".0%",
               type: key === "train_seconds" ? "log" : "linear", automargin: true, linecolor: muted,
               gridcolor: css("--grid"), zeroline: false },
      yaxis: { automargin: true, linecolor: muted, tickfont: { size: 11 } },
      hoverlabel: { bgcolor: css("--bg"), bordercolor: muted, font: { color: text, family: "Iosevka, ui-monospace, monospace" } },
    };
    return Plotly.react(chart.plot, traces, layout,
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
    draw(chart).then(function () { plot.setAttribute("data-ready", ""); });
  }

  function start() {
    document.querySelectorAll("figure[data-distribution]").forEach(init);
    document.addEventListener("battleground:theme", function () { charts.forEach(draw); });
  }
  // Plotly arrives after this script: charts.js loads it once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
