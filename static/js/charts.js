// Learning-curve charts: validation accuracy against training compute, drawn with Plotly from
// the JSON embedded in each <figure data-chart>. Controls switch the x axis (FLOPs, epochs,
// seconds), the y scale (linear or "nines", -log2(1 - accuracy)) and the seed (one, or all as a
// min–max band around the median). A legend click highlights one variant and dims the others.
(function () {
  "use strict";
  var DIM = 0.15;            // opacity of the variants not highlighted
  var NINES_FLOOR = 1e-6;    // as battleground/site/charts.py: 1 - accuracy is clamped here
  var charts = [];

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function palette() {
    var out = [];
    for (var i = 0; i < 16; i++) out.push(css("--series-" + i) || "#928374");
    return out;
  }
  function rgba(hex, alpha) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    if (!m) return hex;
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + alpha + ")";
  }
  function nines(a) { return a === null ? null : -Math.log2(Math.max(1 - a, NINES_FLOOR)); }
  function xs(columns, axis) { return axis === "flops" ? columns.flops : axis === "epochs" ? columns.epoch : columns.seconds; }
  function ys(values, scale) { return scale === "nines" ? values.map(nines) : values; }
  function zip() {
    var columns = Array.prototype.slice.call(arguments);
    return columns[0].map(function (_, i) { return columns.map(function (c) { return c[i]; }); });
  }

  var HOVER = "<b>%{meta[0]}</b><br>%{meta[1]}<br>epoch %{customdata[0]}<br>%{customdata[1]:.4s}FLOPs" +
              "<br>%{customdata[3]:.4~s} s<br>val. accuracy %{customdata[2]:.2%}<extra></extra>";

  function traces(chart) {
    var spec = chart.spec, s = chart.state, colors = palette(), out = [];
    spec.series.forEach(function (series, i) {
      var color = colors[series.color % colors.length];
      var group = "s" + i;
      var opacity = s.highlight !== null && s.highlight !== group ? DIM : 1;
      var common = { type: "scatter", mode: "lines", legendgroup: group, opacity: opacity };
      var seeds = Object.keys(series.runs);
      if (s.seed === "all" && series.band) {
        var b = series.band, x = xs(b, s.x);
        out.push(Object.assign({}, common, { x: x, y: ys(b.lo, s.y), line: { width: 0, color: color },
          hoverinfo: "skip", showlegend: false, name: series.label_html }));
        out.push(Object.assign({}, common, { x: x, y: ys(b.hi, s.y), line: { width: 0, color: color },
          fill: "tonexty", fillcolor: rgba(color, 0.25), hoverinfo: "skip", showlegend: false,
          name: series.label_html }));
        out.push(Object.assign({}, common, { x: x, y: ys(b.mid, s.y), line: { width: 2, color: color },
          name: series.label_html, meta: [series.name_html, "median of seeds " + seeds.join(", ")],
          customdata: zip(b.epoch, b.flops, b.mid, b.seconds), hovertemplate: HOVER }));
        return;
      }
      var shown = s.seed === "all" ? seeds : seeds.filter(function (seed) { return seed === s.seed; });
      shown.forEach(function (seed, j) {
        var run = series.runs[seed];
        out.push(Object.assign({}, common, { x: xs(run, s.x), y: ys(run.acc, s.y), line: { width: 2, color: color },
          name: series.label_html, showlegend: j === 0, meta: [series.name_html, "seed " + seed],
          customdata: zip(run.epoch, run.flops, run.acc, run.seconds), hovertemplate: HOVER }));
      });
    });
    return out;
  }

  function layout(chart) {
    var spec = chart.spec, s = chart.state;
    var text = css("--text"), muted = css("--text-light"), grid = css("--grid"), bg = css("--bg");
    var axis = { gridcolor: grid, zerolinecolor: grid, linecolor: muted, tickcolor: muted, automargin: true };
    var y = s.y === "nines"
      ? { title: { text: "validation accuracy (nines scale)" }, tickmode: "array", tickvals: spec.nines.vals, ticktext: spec.nines.text }
      : { title: { text: "validation accuracy" }, tickformat: ".1~%" };
    return {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "Iosevka, ui-monospace, monospace", color: text, size: 12 },
      margin: { l: 10, r: 10, t: 10, b: 10 },
      xaxis: Object.assign({ type: "log", title: { text: spec.x_titles[s.x] }, exponentformat: "SI" }, axis),
      yaxis: Object.assign(y, axis),
      showlegend: true,
      legend: { orientation: "h", x: 0, xanchor: "left", y: chart.small ? -0.3 : -0.2, yanchor: "top", font: { size: chart.small ? 10 : 12 },
                itemclick: false, itemdoubleclick: false },
      hovermode: "closest",
      hoverlabel: { bgcolor: bg, bordercolor: muted, font: { color: text, family: "Iosevka, ui-monospace, monospace" } },
    };
  }

  var CONFIG = { responsive: true, displaylogo: false, showTips: false,
                 modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  function draw(chart) {
    return Plotly.react(chart.plot, traces(chart), layout(chart),
      Object.assign({ toImageButtonOptions: { filename: chart.spec.id } }, CONFIG, chart.small ? { displayModeBar: false } : {}));
  }

  function init(figure) {
    var data = figure.querySelector("script.chart-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var spec = JSON.parse(data.textContent);
    var chart = { spec: spec, plot: plot, small: figure.classList.contains("chart-small"),
                  state: { x: spec.x, y: spec.y, seed: spec.seed, highlight: null } };
    figure.querySelectorAll("select[data-control]").forEach(function (select) {
      select.value = chart.state[select.getAttribute("data-control")];
      select.addEventListener("change", function () {
        chart.state[select.getAttribute("data-control")] = select.value;
        draw(chart);
      });
    });
    charts.push(chart);
    draw(chart).then(function () {
      plot.on("plotly_legendclick", function (event) {
        var group = event.data[event.curveNumber].legendgroup;
        chart.state.highlight = chart.state.highlight === group ? null : group;
        draw(chart);
        return false;  // highlight, never hide
      });
      plot.on("plotly_legenddoubleclick", function () { return false; });
      plot.setAttribute("data-ready", "");
    });
  }

  document.querySelectorAll("figure[data-chart]").forEach(init);
  document.addEventListener("battleground:theme", function () { charts.forEach(draw); });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { charts.forEach(draw); });
  window.battlegroundCharts = charts;
})();
