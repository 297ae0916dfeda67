// The leaderboard (templates/leaderboard.html): per data set and task, every variant of every
// investigation as a point, accuracy against training FLOPs (or parameters), the Pareto
// frontier as a step line, one colour per investigation; clicking a point opens its page.
(function () {
  "use strict";
  var boards = [];

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }

  function draw(b) {
    var d = b.data, x = b.x, text = css("--text"), muted = css("--text-light"), grid = css("--grid");
    var names = [];
    d.points.forEach(function (p) { if (names.indexOf(p.investigation) < 0) names.push(p.investigation); });
    var traces = names.map(function (name, i) {
      var pts = d.points.filter(function (p) { return p.investigation === name; });
      return {
        type: "scatter", mode: "markers", name: name, x: pts.map(function (p) { return p[x]; }),
        y: pts.map(function (p) { return p.accuracy; }), customdata: pts.map(function (p) { return p.href; }),
        text: pts.map(function (p) { return esc(p.variant) + "<br>" + p.seeds + " seed" + (p.seeds === 1 ? "" : "s"); }),
        marker: { size: 7, color: css("--series-" + (i + 1)) || "#928374", opacity: 0.85 },
        hovertemplate: "<b>%{text}</b><br>" + esc(name) + "<br>%{y:.2%} at %{x:.3s}" + (x === "flops" ? "FLOP" : " parameters") + "<extra></extra>",
      };
    });
    var front = d.frontier[x].map(function (i) { return d.points[i]; });
    traces.push({ type: "scatter", mode: "lines", name: "Pareto frontier", line: { shape: "hv", color: text, width: 1.5, dash: "dot" },
                  x: front.map(function (p) { return p[x]; }), y: front.map(function (p) { return p.accuracy; }), hoverinfo: "skip" });
    var layout = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "Iosevka, ui-monospace, monospace", color: text, size: 12 },
      margin: { l: 10, r: 10, t: 10, b: 10 },
      xaxis: { type: "log", title: { text: x === "flops" ? "training FLOPs to reach it (complete count)" : "parameters" },
               exponentformat: "SI", automargin: true, gridcolor: grid, linecolor: muted },
      yaxis: { title: { text: "best validation accuracy" }, tickformat: ".1~%", automargin: true, gridcolor: grid, linecolor: muted },
      legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" }, hovermode: "closest",
      hoverlabel: { bgcolor: css("--bg"), bordercolor: muted, font: { color: text, family: "Iosevka, ui-monospace, monospace" } },
    };
    return Plotly.react(b.plot, traces, layout, { responsive: true, displaylogo: false, showTips: false });
  }

  function init(figure) {
    var data = figure.querySelector("script.leaderboard-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var b = { plot: plot, data: JSON.parse(data.textContent), x: "flops" };
    var select = figure.querySelector('select[data-control="x"]');
    if (select) select.addEventListener("change", function () { b.x = select.value; draw(b); });
    boards.push(b);
    draw(b).then(function () {
      plot.on("plotly_click", function (event) {
        var href = event.points[0] && event.points[0].customdata;
        if (href) window.location.href = href;
      });
      plot.setAttribute("data-ready", "");
    });
  }

  function start() {
    document.querySelectorAll("figure[data-leaderboard]").forEach(init);
    document.addEventListener("battleground:theme", function () { boards.forEach(draw); });
  }
  (window.battlegroundPlotly || Promise.resolve()).then(start);  // charts.js loads Plotly once
})();
