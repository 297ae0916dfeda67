// The network zoo's charts (templates/zoo.html): every network as a point in a box per
// computation kind or activation, with a metric to choose; and the ensembles' accuracy against
// their size. The data is the JSON embedded in each figure (battleground/site/zoo_page.py).
// Colours, font and legend come from plot-look.js, as every chart's do, and follow the theme.
(function () {
  "use strict";
  var look = window.battlegroundLook, redraws = [];
  var CONFIG = { responsive: true, displaylogo: false, showTips: false };
  function layoutBase() { return Object.assign(look.base(), { showlegend: false }); }
  function readJSON(figure) { return JSON.parse(figure.querySelector("script[type='application/json']").textContent); }

  function drawStrategy(figure) {
    var data = readJSON(figure), plot = figure.querySelector(".plot");
    var metricSelect = figure.querySelector("[data-control=metric]"), groupSelect = figure.querySelector("[data-control=group]");
    var gold = {};
    data.gold.forEach(function (i) { gold[i] = true; });
    function draw() {
      var key = metricSelect.value, by = groupSelect.value, colours = look.palette();
      var metric = data.metrics.filter(function (m) { return m.key === key; })[0];
      var traces = data.order[by].map(function (group, g) {
        var ys = [], names = [];
        data.names.forEach(function (name, i) {
          if (data[by][i] === group && data[key][i] !== null) { ys.push(data[key][i]); names.push(name); }
        });
        var colour = colours[(g + 1) % colours.length];
        return { type: "box", name: group, y: ys, text: names, boxpoints: "all", jitter: 0.6, pointpos: 0,
                 marker: { size: 4, opacity: 0.6, color: colour }, line: { width: 1, color: colour }, fillcolor: "rgba(0,0,0,0)",
                 hovertemplate: "%{text}<br>%{y:.4~s}<extra></extra>" };
      });
      var stars = { type: "scatter", mode: "markers", x: [], y: [], text: [], name: "gold star",
                    marker: { symbol: "star", size: 11, color: look.css("--marked"), line: { width: 1, color: look.css("--text") } },
                    hovertemplate: "★ %{text}<br>%{y:.4~s}<extra></extra>" };
      data.gold.forEach(function (i) {
        if (data[key][i] !== null) { stars.x.push(data[by][i]); stars.y.push(data[key][i]); stars.text.push(data.names[i]); }
      });
      traces.push(stars);
      var layout = layoutBase();
      layout.yaxis = look.axis({ title: { text: metric.title }, type: metric.log ? "log" : "linear" });
      layout.xaxis = look.axis({ type: "category", categoryorder: "array", categoryarray: data.order[by] });
      return look.react(plot, traces, layout, CONFIG);
    }
    metricSelect.addEventListener("change", draw);
    groupSelect.addEventListener("change", draw);
    redraws.push(draw);
    look.watch(plot, draw);
    draw().then(function () { plot.setAttribute("data-ready", ""); });
  }

  function drawEnsembles(figure) {
    var data = readJSON(figure), plot = figure.querySelector(".plot");
    function draw() {
      var colours = look.palette();
      function line(curve, name, colour) {
        var ks = Object.keys(curve).map(Number).sort(function (a, b) { return a - b; });
        return { type: "scatter", mode: "lines+markers", name: name, x: ks, y: ks.map(function (k) { return curve[k]; }),
                 line: { color: colour, width: 2 }, marker: { color: colour, size: 6 },
                 hovertemplate: name + ", k = %{x}: %{y:.2%}<extra></extra>" };
      }
      var traces = [line(data.basic, "k Basic networks", colours[1])];
      if (Object.keys(data.zoo).length) traces.push(line(data.zoo, "k random zoo networks (mean of draws)", colours[2]));
      var layout = layoutBase();
      layout.showlegend = true;
      layout.legend = { orientation: "h" };
      layout.xaxis = look.axis({ title: { text: "k, networks in the vote" } });
      layout.yaxis = look.axis({ title: { text: "test accuracy" }, tickformat: ".1%" });
      layout.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: data.best, y1: data.best,
                         line: { dash: "dash", width: 1.5, color: look.css("--text") } }];
      layout.annotations = [{ xref: "paper", x: 1, y: data.best, xanchor: "right", yanchor: "bottom", showarrow: false,
                              text: "best single network" }];
      return look.react(plot, traces, layout, CONFIG);
    }
    redraws.push(draw);
    look.watch(plot, draw);
    draw().then(function () { plot.setAttribute("data-ready", ""); });
  }

  function start() {
    document.querySelectorAll("[data-zoo-strategy]").forEach(drawStrategy);
    document.querySelectorAll("[data-zoo-ensembles]").forEach(drawEnsembles);
    document.addEventListener("battleground:theme", function () { redraws.forEach(function (draw) { draw(); }); });
  }
  // deferred, after charts.js, which loads Plotly once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
