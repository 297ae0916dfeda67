// The network zoo's charts (templates/zoo.html): every network as a point in a box per
// computation kind or activation, with a metric to choose; and the ensembles' accuracy against
// their size. The data is the JSON embedded in each figure (battleground/site/zoo_page.py).
(function () {
  "use strict";
  function css(name, fallback) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback; }
  function layoutBase() {
    var text = css("--text", "#222");
    return { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: text },
             margin: { l: 70, r: 20, t: 10, b: 90 }, showlegend: false };
  }
  function readJSON(figure) { return JSON.parse(figure.querySelector("script[type='application/json']").textContent); }

  function drawStrategy(figure) {
    var data = readJSON(figure), plot = figure.querySelector(".plot");
    var metricSelect = figure.querySelector("[data-control=metric]"), groupSelect = figure.querySelector("[data-control=group]");
    var gold = {};
    data.gold.forEach(function (i) { gold[i] = true; });
    function draw() {
      var key = metricSelect.value, by = groupSelect.value;
      var metric = data.metrics.filter(function (m) { return m.key === key; })[0];
      var traces = data.order[by].map(function (group) {
        var ys = [], names = [];
        data.names.forEach(function (name, i) {
          if (data[by][i] === group && data[key][i] !== null) { ys.push(data[key][i]); names.push(name); }
        });
        return { type: "box", name: group, y: ys, text: names, boxpoints: "all", jitter: 0.6, pointpos: 0,
                 marker: { size: 4, opacity: 0.6 }, line: { width: 1 },
                 hovertemplate: "%{text}<br>%{y:.4~s}<extra></extra>" };
      });
      var stars = { type: "scatter", mode: "markers", x: [], y: [], text: [], name: "gold star",
                    marker: { symbol: "star", size: 11, color: "#d79921", line: { width: 1, color: "#3c3836" } },
                    hovertemplate: "★ %{text}<br>%{y:.4~s}<extra></extra>" };
      data.gold.forEach(function (i) {
        if (data[key][i] !== null) { stars.x.push(data[by][i]); stars.y.push(data[key][i]); stars.text.push(data.names[i]); }
      });
      traces.push(stars);
      var layout = layoutBase();
      layout.yaxis = { title: { text: metric.title }, type: metric.log ? "log" : "linear", gridcolor: css("--border", "#ccc") };
      layout.xaxis = { type: "category", categoryorder: "array", categoryarray: data.order[by] };
      Plotly.react(plot, traces, layout, { responsive: true, displaylogo: false });
    }
    metricSelect.addEventListener("change", draw);
    groupSelect.addEventListener("change", draw);
    draw();
  }

  function drawEnsembles(figure) {
    var data = readJSON(figure), plot = figure.querySelector(".plot");
    function line(curve, name) {
      var ks = Object.keys(curve).map(Number).sort(function (a, b) { return a - b; });
      return { type: "scatter", mode: "lines+markers", name: name, x: ks, y: ks.map(function (k) { return curve[k]; }),
               hovertemplate: name + ", k = %{x}: %{y:.2%}<extra></extra>" };
    }
    var traces = [line(data.basic, "k Basic networks")];
    if (Object.keys(data.zoo).length) traces.push(line(data.zoo, "k random zoo networks (mean of draws)"));
    var layout = layoutBase();
    layout.showlegend = true;
    layout.legend = { orientation: "h", y: -0.25 };
    layout.xaxis = { title: { text: "k, networks in the vote" } };
    layout.yaxis = { title: { text: "test accuracy" }, tickformat: ".1%", gridcolor: css("--border", "#ccc") };
    layout.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: data.best, y1: data.best,
                       line: { dash: "dash", width: 1.5, color: css("--text", "#222") } }];
    layout.annotations = [{ xref: "paper", x: 1, y: data.best, xanchor: "right", yanchor: "bottom", showarrow: false,
                            text: "best single network" }];
    Plotly.react(plot, traces, layout, { responsive: true, displaylogo: false });
  }

  function start() {
    document.querySelectorAll("[data-zoo-strategy]").forEach(drawStrategy);
    document.querySelectorAll("[data-zoo-ensembles]").forEach(drawEnsembles);
  }
  // deferred, after charts.js, which loads Plotly once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
