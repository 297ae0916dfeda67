// Heatmaps of a two-parameter grid (templates/heatmap.html): colour = the mean over seeds of the
// chosen accuracy, the cell's text = that mean and how many seeds collapsed or diverged, the
// hover = every seed's value. A selector switches the metric. Colours come from the theme's
// gruvbox variables, so the map follows the light and dark theme.
(function () {
  "use strict";
  var maps = [];

  function pct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(2) + "%"; }

  // A cell is small: "collapsed" when every seed did, else "2/3 coll."; the hover spells it out.
  var SHORT = { collapsed: "coll.", diverged: "div.", "not learning yet": "not yet" };
  function noteText(seeds) {
    var counts = {};
    seeds.forEach(function (s) { if (s.note) counts[s.note] = (counts[s.note] || 0) + 1; });
    return Object.keys(counts).sort().map(function (n) {
      return counts[n] === seeds.length ? n : counts[n] + "/" + seeds.length + " " + (SHORT[n] || n);
    }).join(", ");
  }

  // A cell's text fits its cell or is not drawn (the hover and the JSON still have it): a number
  // cut at the cell's edge read "18.3" as "8.3". The text takes a size at which "100.0" fits and
  // the most notes fit in words; a cell's note is in words where they fit, else its letters. A
  // narrow chart moves the colour bar above the map, so the cells have the width. The cells' width
  // is measured after a draw (estimated before the first), and the map redrawn if that changes.
  var CHAR_EM = 0.6;        // an Iosevka character's width, in ems
  var FONT_PX = [10, 9, 8]; // text sizes to try, largest first
  var VALUE_CHARS = 5;      // "100.0"
  var RESERVE_PX = { narrow: 70, wide: 170 };  // first guess: the y axis (and, wide, the colour bar)
  function fits(chars, size, cellPx) { return chars * CHAR_EM * size + 4 <= cellPx; }

  function draw(map) {
    var d = map.data, key = map.metric, label = d.metrics[key], look = window.battlegroundLook;
    var z = [], text = [], hover = [], narrow = map.plot.clientWidth < 560;
    var areaPx = map.areaPx || map.plot.clientWidth - RESERVE_PX[narrow ? "narrow" : "wide"];
    var cellPx = areaPx / Math.max(d.columns.length, 1);
    // of the sizes at which the numbers fit, the one that puts the most notes in words (the larger on a tie)
    var notesOf = [];
    d.cells.forEach(function (row) { row.forEach(function (cell) { if (cell) notesOf.push(noteText(cell.seeds)); }); });
    var size = null, inWords = -1;
    FONT_PX.filter(function (f) { return fits(VALUE_CHARS, f, cellPx); }).forEach(function (f) {
      var n = notesOf.filter(function (t) { return t && fits(t.length, f, cellPx); }).length;
      if (n > inWords) { size = f; inWords = n; }
    });
    d.cells.forEach(function (row, i) {
      z.push([]); text.push([]); hover.push([]);
      row.forEach(function (cell, j) {
        if (!cell) { z[i].push(null); text[i].push(size && fits(7, size, cellPx) ? "no runs" : "—"); hover[i].push(d.row_name + "=" + d.rows[i] + ", " + d.column_name + "=" + d.columns[j] + ": no runs"); return; }
        var m = cell.mean[key], notes = noteText(cell.seeds);
        z[i].push(m);
        // where the words do not fit: "c" collapsed, "d" diverged, "n" not learning yet (some seed)
        var marks = cell.seeds.reduce(function (out, s) {
          var letter = s.note ? s.note.charAt(0) : "";
          return letter && out.indexOf(letter) < 0 ? out + letter : out;
        }, "");
        var note = notes && size && fits(notes.length, size, cellPx) ? notes : marks;
        text[i].push((m === null ? "—" : (100 * m).toFixed(1)) + (note ? "<br>" + note : ""));
        hover[i].push("<b>" + cell.variant + "</b><br>mean " + label + ": " + pct(m) + "<br>" +
          cell.seeds.map(function (s) { return "seed " + s.seed + ": " + pct(s[key]) + (s.note ? " (" + s.note + ")" : ""); }).join("<br>"));
      });
    });
    var trace = {
      type: "heatmap", z: z, x: d.columns, y: d.rows, text: text, hovertext: hover,
      hovertemplate: "%{hovertext}<extra></extra>", texttemplate: size ? "%{text}" : "", textfont: { size: size || 10 },
      colorscale: [[0, look.css("--heat-low")], [0.5, look.css("--heat-mid")], [1, look.css("--heat-high")]],
      xgap: 2, ygap: 2, connectgaps: false,
      colorbar: narrow
        ? { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", len: 1, thickness: 10,
            title: { text: "mean " + label, side: "top" }, tickformat: ".0%", outlinewidth: 0 }
        : { title: { text: "mean " + label, side: "right" }, tickformat: ".0%", outlinewidth: 0 },
    };
    var layout = Object.assign(look.base(), {
      plot_bgcolor: look.css("--accent-bg"),
      xaxis: look.axis({ title: { text: d.column_name }, type: "category", side: "bottom" }),
      // the first row (depth 0, say) on top, as a table reads
      yaxis: look.axis({ title: { text: d.row_name }, type: "category", autorange: "reversed" }),
    });
    return look.react(map.plot, [trace], layout,
      { responsive: true, displaylogo: false, showTips: false, toImageButtonOptions: { filename: map.figure.id } })
      .then(function () {
        var area = map.plot.querySelector(".nsewdrag"), drawn = area ? area.getBoundingClientRect().width : 0;
        if (!drawn || Math.abs(drawn - areaPx) <= 2 || map.refitting) return map.plot;
        map.areaPx = drawn;
        map.refitting = true;  // once: the text never moves the cells, so one more draw settles it
        return draw(map).then(function () { map.refitting = false; return map.plot; });
      });
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
    draw(map).then(function () {
      window.battlegroundLook.watch(plot, function () { draw(map); });  // what fits a cell depends on the width
      plot.setAttribute("data-ready", "");
    });
  }

  function start() {
    document.querySelectorAll("figure[data-heatmap]").forEach(init);
    document.addEventListener("battleground:theme", function () { maps.forEach(draw); });
  }
  // Plotly arrives after this script: charts.js loads it once and says when (window.battlegroundPlotly)
  (window.battlegroundPlotly || Promise.resolve()).then(start);
})();
