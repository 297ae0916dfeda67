// The leaderboard (templates/leaderboard.html): per data set and task, every variant of every
// investigation as a point, accuracy against training FLOPs (or parameters), the Pareto
// frontier as a step line, one colour per investigation; clicking a point opens its page.
(function () {
  "use strict";
  var boards = [];

  var look = window.battlegroundLook;
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }

  function draw(b) {
    var d = b.data, x = b.x, text = look.css("--text"), colours = look.palette();
    var names = [];
    d.points.forEach(function (p) { if (names.indexOf(p.investigation) < 0) names.push(p.investigation); });
    var traces = names.map(function (name, i) {
      var pts = d.points.filter(function (p) { return p.investigation === name; });
      return {
        type: "scatter", mode: "markers", name: name, x: pts.map(function (p) { return p[x]; }),
        y: pts.map(function (p) { return p.accuracy; }), customdata: pts.map(function (p) { return p.href; }),
        text: pts.map(function (p) { return esc(p.label || p.variant) + "<br>" + p.seeds + " seed" + (p.seeds === 1 ? "" : "s"); }),
        marker: { size: 7, color: colours[(i + 1) % colours.length], opacity: 0.85 },
        // the cost as the table writes it (labels.quantity: "301.7 GFLOP"), not d3's "301.7GFLOP"
        hovertext: pts.map(function (p) { return x === "flops" ? p.flops_text : p.parameters.toLocaleString("en") + " parameters"; }),
        hovertemplate: "<b>%{text}</b><br>" + esc(name) + "<br>%{y:.2%} at %{hovertext}<extra></extra>",
      };
    });
    var front = d.frontier[x].map(function (i) { return d.points[i]; });
    traces.push({ type: "scatter", mode: "lines", name: "Pareto frontier", line: { shape: "hv", color: text, width: 1.5, dash: "dot" },
                  x: front.map(function (p) { return p[x]; }), y: front.map(function (p) { return p.accuracy; }), hoverinfo: "skip" });
    var layout = Object.assign(look.base(), {
      // a phone's width holds the x title on one line in a smaller size, as charts.js's
      xaxis: look.axis({ type: "log", title: { text: x === "flops" ? "training FLOPs to reach it (complete count)" : "parameters",
                                               font: b.plot.clientWidth < 480 ? { size: 10 } : undefined },
                         exponentformat: "SI" }),
      yaxis: look.axis({ title: { text: "best validation accuracy" }, tickformat: ".1~%" }),
      legend: { orientation: "h" },
    });
    return look.react(b.plot, traces, layout, { responsive: true, displaylogo: false, showTips: false });
  }

  function init(figure) {
    var data = figure.querySelector("script.leaderboard-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var b = { plot: plot, data: JSON.parse(data.textContent), x: "flops" };
    var select = figure.querySelector('select[data-control="x"]');
    if (select) select.addEventListener("change", function () { b.x = select.value; draw(b); });
    boards.push(b);
    draw(b).then(function () {
      look.watch(plot, function () { draw(b); });
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
