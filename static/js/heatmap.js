// Heatmaps of a two-parameter grid (templates/heatmap.html): colour = the mean over seeds of the
// chosen accuracy, the cell's text = that mean and how many seeds collapsed or diverged, the
// hover = every seed's value. A selector switches the metric. Colours come from the theme's
// gruvbox variables, so the map follows the light and dark theme.
(function () {
  "use strict";
  var maps = [];

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function pct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(2) + "%"; }

  // A cell is small: "collapsed" when every seed did, else "2/3 coll."; the hover spells it out.
  var SHORT = { collapsed: "coll.", diverged: "div." };
  function noteText(seeds) {
    var counts = {};
    seeds.forEach(function (s) { if (s.note) counts[s.note] = (counts[s.note] || 0) + 1; });
    return Object.keys(counts).sort().map(function (n) {
      return counts[n] === seeds.length ? n : counts[n] + "/" + seeds.length + " " + (SHORT[n] || n);
    }).join(", ");
  }

  function draw(map) {
    var d = map.data, key = map.metric, label = d.metrics[key];
    var z = [], text = [], hover = [], narrow = map.plot.clientWidth < 560;
    d.cells.forEach(function (row, i) {
      z.push([]); text.push([]); hover.push([]);
      row.forEach(function (cell, j) {
        if (!cell) { z[i].push(null); text[i].push("no runs"); hover[i].push(d.row_name + "=" + d.rows[i] + ", " + d.column_name + "=" + d.columns[j] + ": no runs"); return; }
        var m = cell.mean[key], notes = noteText(cell.seeds);
        z[i].push(m);
        // a narrow screen has no room for words in a cell: "c" collapsed, "d" diverged (some seed)
        var marks = narrow ? cell.seeds.reduce(function (out, s) {
          var letter = s.note ? s.note.charAt(0) : "";
          return letter && out.indexOf(letter) < 0 ? out + letter : out;
        }, "") : "";
        text[i].push((m === null ? "—" : (100 * m).toFixed(1)) + (narrow ? (marks ? " " + marks : "") : (notes ? "<br>" + notes : "")));
        hover[i].push("<b>" + cell.variant + "</b><br>mean " + label + ": " + pct(m) + "<br>" +
          cell.seeds.map(function (s) { return "seed " + s.seed + ": " + pct(s[key]) + (s.note ? " (" + s.note + ")" : ""); }).join("<br>"));
      });
    });
    var text_color = css("--text"), muted = css("--text-light"), grid = css("--grid");
    var trace = {
      type: "heatmap", z: z, x: d.columns, y: d.rows, text: text, hovertext: hover,
      hovertemplate: "%{hovertext}<extra></extra>", texttemplate: "%{text}", textfont: { size: 10 },
      colorscale: [[0, css("--bad")], [0.5, css("--warn")], [1, css("--ok")]],
      xgap: 2, ygap: 2, connectgaps: false,
      colorbar: { title: { text: "mean " + label, side: "right" }, tickformat: ".0%", outlinewidth: 0 },
    };
    var layout = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: css("--accent-bg"),
      font: { family: "Iosevka, ui-monospace, monospace", color: text_color, size: 12 },
      margin: { l: 10, r: 10, t: 10, b: 10 },
      xaxis: { title: { text: d.column_name }, type: "category", automargin: true, linecolor: muted, gridcolor: grid, side: "bottom" },
      // the first row (depth 0, say) on top, as a table reads
      yaxis: { title: { text: d.row_name }, type: "category", autorange: "reversed", automargin: true, linecolor: muted, gridcolor: grid },
      hoverlabel: { bgcolor: css("--bg"), bordercolor: muted, font: { color: text_color, family: "Iosevka, ui-monospace, monospace" } },
    };
    return Plotly.react(map.plot, [trace], layout,
      { responsive: true, displaylogo: false, showTips: false, toImageButtonOptions: { filename: map.figure.id } });
  }

  function init(figure) {
    var data = figure.querySelector("script.heatmap-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var map = { figure: figure, plot: plot, data: JSON.parse(data.textContent) };
    map.metric = map.data.metric;
    var select = figure.querySelector('select[data-control="metric"]');
    if (select) {
      select.value = map.metric;
      select.addEventListener("change", function () { map.metric = select.value; draw(map); });
    }
    maps.push(map);
    draw(map).then(function () { plot.setAttribute("data-ready", ""); });
  }

  function start() {
    document.querySelectorAll("figure[data-heatmap]").forEach(init);
    document.addEventListener("battleground:theme", function () { maps.forEach(draw); });
    var wasNarrow = maps.map(function (m) { return m.plot.clientWidth < 560; });
    window.addEventListener("resize", function () {  // a cell's words fit or not: redraw when that changes
      maps.forEach(function (m, i) {
        var narrow = m.plot.clientWidth < 560;
        if (narrow !== wasNarrow[i]) { wasNarrow[i] = narrow; draw(m); }
      });
    });
  }
  // Plotly arrives after this script: charts.js loads it once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
