// The look and the layout every Plotly chart of the site shares (window.battlegroundLook): colours
// from the theme's CSS variables, read at each draw so a chart follows the theme toggle, and a
// legend below the x axis that can never print over an axis title nor hide an entry behind a
// scrollbar. Loaded before charts.js and the other chart scripts, which draw through react().
(function () {
  "use strict";
  var FONT = "Iosevka, ui-monospace, monospace";
  var GAP = 10;          // px between the x axis's lowest text and the legend
  var STANDOFF = 10;     // px between the x tick labels and the x title
  var PAD = 6;           // px under the lowest text (legend or x title), clear of the chart's edge
  var AREA_SHARE = 0.6;  // the plotting area keeps at least this share of the chart's CSS height

  function css(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback || "";
  }
  function palette() {
    var out = [];
    for (var i = 0; i < 16; i++) out.push(css("--series-" + i, "#928374"));
    return out;
  }

  // Paper, font and hover label in the theme's colours; the caller adds axes, legend and margins.
  function base() {
    var text = css("--text"), muted = css("--text-light");
    return {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, color: text, size: 12 },
      margin: { l: 16, r: 10, t: 10, b: 16 },  // l, b: axis titles clear of the chart's edge
      hovermode: "closest",
      // a hover label is a few short lines in a small font: it names a point, it is no table
      hoverlabel: { bgcolor: css("--bg"), bordercolor: muted, font: { color: text, family: FONT, size: 11 }, align: "left" },
    };
  }
  function axis(extra) {
    var muted = css("--text-light"), grid = css("--grid");
    return Object.assign({ gridcolor: grid, zerolinecolor: grid, linecolor: muted, tickcolor: muted, automargin: true }, extra || {});
  }

  // An axis range at least `span` wide (accuracy: 0.1, ten points), inside [floor, ceiling]: a
  // view whose runs all sit near 10% would otherwise zoom into their noise and read like a real
  // spread. Null where the values span enough already (Plotly's autorange then) or there are none.
  function spanAtLeast(values, span, floor, ceiling) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (v !== null && v !== undefined && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (lo === Infinity || hi - lo >= span) return null;
    var low = (lo + hi - span) / 2, high = low + span;
    if (floor !== undefined && low < floor) { high += floor - low; low = floor; }
    if (ceiling !== undefined && high > ceiling) { low = Math.max(floor === undefined ? -Infinity : floor, low - (high - ceiling)); high = ceiling; }
    return [low, high];
  }

  // How far below the plotting area the x axis's tick labels and title reach, and the legend's
  // height (0 without one), in px, as drawn.
  function measure(plot) {
    var area = plot.querySelector(".nsewdrag"), legend = plot.querySelector(".legend .bg");
    if (!area) return null;
    var top = plot.getBoundingClientRect().top, box = area.getBoundingClientRect(), below = 0;
    plot.querySelectorAll(".xaxislayer-above text, .g-xtitle text").forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.height) below = Math.max(below, r.bottom - box.bottom);
    });
    return { areaTop: box.top - top, below: Math.ceil(below),
             legend: legend ? Math.ceil(legend.getBoundingClientRect().height) : 0 };
  }

  // The chart's height as its stylesheet or template sets it, read before a legend first grew it.
  function cssHeight(plot) {
    if (plot._lookHeight === undefined) plot._lookHeight = plot.clientHeight;
    return plot._lookHeight;
  }

  // Plotly.react with a bottom margin measured to hold the x axis's labels and title, then the
  // legend (a horizontal one) under them, then PAD: Plotly's own automargin gives the axis and the
  // legend the same strip, so a legend placed at a fraction of the plot's height lands on the
  // title whenever the tick labels run long, and it sets a lone x title flush with the chart's
  // edge. The first draw measures, the second places; later draws start from the last fit, so a
  // redraw at the same width is one draw unless what it shows changed. The chart grows by what
  // the legend needs, and the legend never scrolls. A layout's height, where the element sets one
  // (a row per variant, say), replaces the CSS one.
  function react(plot, traces, layout, config) {
    var height = layout.height || cssHeight(plot);
    if (!plot.clientWidth) {  // not laid out (hidden): nothing to measure
      plot.style.height = height + "px";
      return Plotly.react(plot, traces, Object.assign(layout, { height: height }), config);
    }
    // a set standoff: Plotly's default one stretches to the margin, moving the title as the margin grows
    if (layout.xaxis && layout.xaxis.title && layout.xaxis.title.standoff === undefined) layout.xaxis.title.standoff = STANDOFF;
    if (layout.showlegend !== false && layout.legend && layout.legend.orientation === "h") {
      layout.legend = Object.assign({ x: 0, xanchor: "left" }, layout.legend,
                                    { yref: "container", y: 0, yanchor: "bottom", maxheight: 100000 });
    }
    function place(fit) {
      layout.margin = Object.assign({}, layout.margin, { b: fit.b });
      layout.height = fit.height;
      plot.style.height = fit.height + "px";
    }
    var fit = plot._lookFit && plot._lookFit.width === plot.clientWidth ? plot._lookFit : null;
    if (fit) place(fit);
    else { layout.height = height; plot.style.height = height + "px"; }
    return Plotly.react(plot, traces, layout, config).then(function () {
      var m = measure(plot);
      if (!m) return plot;
      var b = m.below + (m.legend ? GAP + m.legend : 0) + PAD;
      var want = { width: plot.clientWidth, b: b, height: Math.max(height, Math.ceil(m.areaTop + AREA_SHARE * height + b)) };
      plot._lookFit = want;
      if (fit && Math.abs(fit.b - want.b) <= 1 && Math.abs(fit.height - want.height) <= 1) return plot;
      place(want);
      return Plotly.react(plot, traces, layout, config);
    });
  }

  // Redraw `redraw` (the element's own draw) when the chart's width changes: the legend's rows, and
  // what fits in a cell or a tick label, depend on it.
  var watched = [];
  function watch(plot, redraw) { watched.push({ plot: plot, redraw: redraw, width: plot.clientWidth }); }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      watched.forEach(function (w) {
        if (w.plot.clientWidth && w.plot.clientWidth !== w.width) { w.width = w.plot.clientWidth; w.redraw(); }
      });
    }, 150);
  });

  window.battlegroundLook = { css: css, palette: palette, base: base, axis: axis, spanAtLeast: spanAtLeast,
                              react: react, watch: watch };
})();
