// Learning-curve charts: validation accuracy against training compute, drawn with Plotly from
// the JSON embedded in each <figure data-chart>. Controls switch the x axis (FLOPs, epochs,
// seconds), the y scale (linear or "nines", -log2(1 - accuracy)), the seed (one, or all as a
// min–max band around the median) and, in a faceted chart, the view (e.g. one depth, or one
// activation). A legend click highlights one variant and dims the others. Runs that diverged or
// collapsed to one class say so in their legend name and hover. The hover is three short lines
// (which run, where, what accuracy) and names every other curve at exactly the same point; the
// command that reproduces the run under the pointer (battleground/site/reproduce.py) is on a line
// under the chart with a copy button. Colours, legend placement and resizing: plot-look.js.
(function () {
  "use strict";
  var DIM = 0.15;            // opacity of the variants not highlighted
  var NINES_FLOOR = 1e-6;    // as battleground/site/charts.py: 1 - accuracy is clamped here
  var MIN_SPAN = { linear: 0.1, nines: 1 };  // the narrowest y range: ten points, or one nine
  var charts = [];
  var look = window.battlegroundLook;
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

  // meta[3]: the legend's label, meta[1]: which seed (or the band's median); customdata[4]: the
  // other curves at exactly this point ("" if none), so a curve hidden under another is still
  // found. The command is not in the hover (a label as wide as a command covered half a chart):
  // it is on the reproduce line under the chart.
  // The metric on the y axis: the spec's (battleground/site/charts.py, metric_spec) where its
  // problem's headline metric is not accuracy, else validation accuracy.
  var ACCURACY = { label: "validation accuracy", short: "val. accuracy", fraction: true, low: 0, high: 1 };
  function metricOf(spec) { return spec.metric || ACCURACY; }
  function hoverOf(metric) {
    return "<b>%{meta[3]}</b> · %{meta[1]}<br>epoch %{customdata[0]} · %{customdata[1]:.3s}FLOPs · " +
           "%{customdata[3]:.3~s} s<br>" + metric.short + " %{customdata[2]:" + (metric.fraction ? ".2%" : ".4~g") +
           "}%{customdata[4]}<extra></extra>";
  }

  // The command that reproduces the runs of ``seeds`` of series ``index``, as
  // battleground/site/reproduce.py builds it: the series carries the halves around the seed
  // flags (command_parts), joined as reproduce.seed_flags does; where its seeds trained
  // differently, each run carries its own, and the band has none.
  function command(spec, index, seeds) {
    var series = spec.series[index];
    if (!series.command) return seeds.length === 1 ? series.runs[seeds[0]].command : null;
    var flags = seeds.map(function (seed) { return "--seed " + seed; }).join(" ");
    var undeclared = seeds.some(function (seed) { return spec.seeds.indexOf(seed) < 0; });
    return series.command[0] + " " + flags + (undeclared ? " --force" : "") + series.command[1];
  }

  // Each hoverable trace's points, listed with the other traces at exactly the same point.
  function coincident(shown) {
    var at = {};
    function key(t, i) { return t.x[i] === null || t.y[i] === null ? null : (+t.x[i]).toPrecision(8) + "|" + (+t.y[i]).toPrecision(8); }
    shown.forEach(function (t, n) {
      if (t.hoverinfo === "skip") return;
      t.x.forEach(function (_, i) { var k = key(t, i); if (k !== null) (at[k] = at[k] || []).push(n); });
    });
    shown.forEach(function (t, n) {
      if (t.hoverinfo === "skip") return;
      t.customdata.forEach(function (row, i) {
        var k = key(t, i), others = k === null ? [] : at[k].filter(function (m) { return m !== n; });
        row[4] = others.length ? "<br>also here: " + others.map(function (m) {
          return shown[m].meta[3] + " (" + shown[m].meta[1] + ")";
        }).join("; ") : "";
      });
    });
  }

  // The page carries each run compactly (battleground/site/charts.py, page_run): accuracy in
  // whole 1/acc_scale as differences from the previous non-null value, FLOPs as one number per
  // epoch, epochs as one grid per chart plus the run lengths. Decode once.
  // Cumulative seconds come at every stride-th point and the last (seconds_anchors in
  // charts.py); the points between are interpolated linearly in epochs.
  function interpolate(epoch, anchors, stride) {
    var n = epoch.length;
    return epoch.map(function (e, i) {
      var a = Math.floor(i / stride), lo = a * stride, hi = Math.min(lo + stride, n - 1);
      if (i === lo || hi === lo) return anchors[a];
      var high = anchors[a + 1];
      return anchors[a] + (high - anchors[a]) * (e - epoch[lo]) / (epoch[hi] - epoch[lo]);
    });
  }
  function undelta(values) {
    var previous = 0;
    return values.map(function (d) { return d === null ? null : (previous += d); });
  }
  function decode(spec) {
    return spec.series.map(function (series) {
      // as kept_indices in charts.py: the grid up to the longest run, plus every run's last epoch
      var longest = Math.max.apply(null, series.lengths), out = {};
      var epochs = spec.grid.filter(function (e) { return e <= longest && series.lengths.indexOf(e) < 0; })
        .concat(series.lengths).sort(function (a, b) { return a - b; });
      Object.keys(series.runs).forEach(function (seed) {
        var run = series.runs[seed], epoch = epochs.slice(0, run.acc.length);
        out[seed] = { epoch: epoch, seconds: interpolate(epoch, run.seconds, spec.seconds_stride),
                      note: run.note || null,
                      flops: epoch.map(function (e) { return e * run.flops_per_epoch; }),
                      acc: undelta(run.acc).map(function (a) { return a === null ? null : a / spec.acc_scale; }) };
      });
      return out;
    });
  }

  // Min, median and max accuracy across seeds at each epoch all of them reached. The seeds of a
  // variant keep the same epochs (kept_indices in charts.py), so index i is one epoch in each.
  function band(runs) {
    var curves = Object.keys(runs).map(function (seed) { return runs[seed]; });
    var n = Math.min.apply(null, curves.map(function (c) { return c.acc.length; }));
    var out = { epoch: curves[0].epoch.slice(0, n), flops: curves[0].flops.slice(0, n),
                seconds: [], lo: [], mid: [], hi: [] };
    for (var i = 0; i < n; i++) {
      var accs = curves.map(function (c) { return c.acc[i]; }).filter(function (a) { return a !== null; })
        .sort(function (a, b) { return a - b; });
      var m = accs.length, half = Math.floor(m / 2);
      out.seconds.push(curves.reduce(function (sum, c) { return sum + c.seconds[i]; }, 0) / curves.length);
      out.lo.push(m ? accs[0] : null);
      out.hi.push(m ? accs[m - 1] : null);
      out.mid.push(m ? (m % 2 ? accs[half] : (accs[half - 1] + accs[half]) / 2) : null);
    }
    return out;
  }

  // " (collapsed)" for one run; " (collapsed: 2 of 3 seeds)" for the band of several.
  function noteText(notes, total) {
    var counts = {};
    notes.forEach(function (n) { if (n) counts[n] = (counts[n] || 0) + 1; });
    var parts = Object.keys(counts).sort().map(function (n) {
      return total === 1 ? n : n + ": " + counts[n] + " of " + total + " seeds";
    });
    return parts.length ? " (" + parts.join("; ") + ")" : "";
  }

  function traces(chart) {
    var spec = chart.spec, s = chart.state, colors = look.palette(), out = [];
    var view = spec.views[s.view] || spec.views[0];
    view.series.forEach(function (entry) {
      var index = entry[0], label = entry[2], series = spec.series[index], runs = chart.runs[index];
      var color = colors[entry[1] % colors.length];
      var group = "s" + index;
      var opacity = s.highlight !== null && s.highlight !== group ? DIM : 1;
      var common = { type: "scatter", mode: "lines", legendgroup: group, opacity: opacity };
      var seeds = Object.keys(runs);
      if (s.seed === "all" && seeds.length > 1) {
        var b = chart.bands[index] || (chart.bands[index] = band(runs)), x = xs(b, s.x);
        var note = noteText(seeds.map(function (seed) { return runs[seed].note; }), seeds.length);
        out.push(Object.assign({}, common, { x: x, y: ys(b.lo, s.y), line: { width: 0, color: color },
          hoverinfo: "skip", showlegend: false, name: label }));
        out.push(Object.assign({}, common, { x: x, y: ys(b.hi, s.y), line: { width: 0, color: color },
          fill: "tonexty", fillcolor: rgba(color, 0.25), hoverinfo: "skip", showlegend: false,
          name: label }));
        var all = command(spec, index, seeds);
        out.push(Object.assign({}, common, { x: x, y: ys(b.mid, s.y), line: { width: 2, color: color },
          name: label + note, meta: [series.name_html, "median of " + seeds.length + " seeds" + note, all, label],
          command: all, customdata: zip(b.epoch, b.flops, b.mid, b.seconds), hovertemplate: hoverOf(metricOf(spec)) }));
        return;
      }
      var shown = s.seed === "all" ? seeds : seeds.filter(function (seed) { return seed === s.seed; });
      shown.forEach(function (seed, j) {
        var run = runs[seed], note = noteText([run.note], 1);
        var one = command(spec, index, [seed]);
        out.push(Object.assign({}, common, { x: xs(run, s.x), y: ys(run.acc, s.y), line: { width: 2, color: color },
          name: label + note, showlegend: j === 0, meta: [series.name_html, "seed " + seed + note, one, label],
          command: one, customdata: zip(run.epoch, run.flops, run.acc, run.seconds), hovertemplate: hoverOf(metricOf(spec)) }));
      });
    });
    return out;
  }

  // An x title fits a phone's width on one line: a chart narrower than NARROW_PX sets it smaller,
  // and a small chart (the home page's, in a card) drops its parenthesis, which its page's chart
  // gives in full.
  var NARROW_PX = 480;
  function xTitle(title, chart) {
    var out = { text: chart.small ? title.split(" (")[0] : title };
    if (chart.plot.clientWidth < NARROW_PX) out.font = { size: 10 };
    return out;
  }

  function layout(chart, shown) {
    var spec = chart.spec, s = chart.state;
    // a small chart's plotting area is short: a long y title would run past its top
    var y = s.y === "nines"
      ? { title: { text: chart.small ? "val. accuracy (nines)" : "validation accuracy (nines scale)" }, tickmode: "array", tickvals: spec.nines.vals, ticktext: spec.nines.text }
      : { title: { text: metricOf(spec).label }, tickformat: metricOf(spec).fraction ? ".1~%" : "" };
    var values = [];
    shown.forEach(function (t) { values.push.apply(values, t.y); });
    var high = metricOf(spec).high === null ? undefined : metricOf(spec).high;
    var range = look.spanAtLeast(values, MIN_SPAN[s.y], metricOf(spec).low, s.y === "nines" ? undefined : high);
    if (range) y.range = range;
    return Object.assign(look.base(), {
      // t: room above the plotting area for Plotly's toolbar (a small chart has none), so it never
      // covers a curve; l: the y title clear of the chart's edge; b: plot-look.js sets it
      margin: { l: 16, r: 10, t: chart.small ? 10 : 40, b: 16 },
      xaxis: look.axis({ type: "log", title: xTitle(spec.x_titles[s.x], chart), exponentformat: "SI" }),
      yaxis: look.axis(y),
      showlegend: true,
      legend: { orientation: "h", font: { size: chart.small ? 10 : 12 }, itemclick: false, itemdoubleclick: false },
    });
  }

  var CONFIG = { responsive: true, displaylogo: false, showTips: false,
                 modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  // Under a full chart, the command of the run last hovered or clicked, with a copy button: a
  // hover label cannot be clicked, and the keyboard cannot hover.
  function reproduceLine(chart) {
    if (chart.small) return null;
    var line = document.createElement("p"), button = document.createElement("button"),
        code = document.createElement("code"), status = document.createElement("span");
    line.className = "reproduce-line";
    line.hidden = true;
    button.type = "button";
    button.className = "copy";
    button.textContent = "copy";
    code.className = "command";
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    line.appendChild(document.createTextNode("Reproduce the run under the pointer: "));
    line.appendChild(button);
    line.appendChild(document.createTextNode(" "));
    line.appendChild(code);
    line.appendChild(status);
    button.addEventListener("click", function () { copyText(code.textContent, button, status); });
    chart.plot.parentNode.insertBefore(line, chart.plot.nextSibling);
    return line;
  }
  function showCommand(line, text) {
    if (!line || !text) return;
    line.querySelector("code").textContent = text;
    line.hidden = false;
  }
  // The clipboard API (http://localhost, https and file:// may use it), else a selection copied.
  function copyText(text, button, status) {
    function done(ok) {
      button.textContent = ok ? "copied" : "select and copy";
      status.textContent = ok ? "Copied: " + text : "Could not copy; select the command instead.";
      setTimeout(function () { button.textContent = "copy"; }, 2000);
    }
    function fallback() {
      var range = document.createRange(), selection = window.getSelection(), ok = false;
      range.selectNodeContents(button.parentNode.querySelector("code"));
      selection.removeAllRanges();
      selection.addRange(range);
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    else fallback();
  }

  // A seed that no run of the view has draws nothing: say so, rather than axes around nothing.
  function emptyNotice(chart, empty) {
    if (!chart.empty) {
      chart.empty = document.createElement("p");
      chart.empty.className = "notice no-runs-for-seed";
      chart.plot.parentNode.insertBefore(chart.empty, chart.plot);
    }
    chart.empty.textContent = "No runs for seed " + chart.state.seed + " in this view.";
    chart.empty.hidden = !empty;
    chart.plot.style.visibility = empty ? "hidden" : "";
  }

  // Log-axis ticks that say their value: "1, 10, 100" or "10G, 100G, 1T" over several decades,
  // with 2 and 5 (and 3 within one decade) between them over fewer, each written in full, never a
  // bare "2" after "10" as Plotly's minor labels are.
  function number(v) {
    var units = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
      if (v >= units[i][0]) return +(v / units[i][0]).toPrecision(3) + units[i][1];
    }
    return String(+v.toPrecision(3));
  }

  function logTicks(shown) {
    var xs = [];
    shown.forEach(function (t) { (t.x || []).forEach(function (x) { if (x > 0) xs.push(x); }); });
    if (!xs.length) return {};
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs), span = Math.log10(hi / lo);
    var steps = span > 2 ? [1] : span > 1 ? [1, 2, 5] : [1, 2, 3, 5], vals = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      steps.forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (v >= lo / 1.0001 && v <= hi * 1.0001) vals.push(v);
      });
    }
    return { tickvals: vals, ticktext: vals.map(number) };
  }

  function draw(chart) {
    if (!window.Plotly) return plotlyReady;  // the first draw follows Plotly's load, with the state then
    if (chart.loading) { chart.loading.remove(); chart.loading = null; chart.plot.removeAttribute("aria-busy"); }
    var shown = traces(chart), laid = layout(chart, shown);
    coincident(shown);
    emptyNotice(chart, shown.length === 0);
    Object.assign(laid.xaxis, logTicks(shown));
    return look.react(chart.plot, shown, laid,
      Object.assign({ toImageButtonOptions: { filename: chart.spec.id } }, CONFIG, chart.small ? { displayModeBar: false } : {}));
  }

  // The downloads list a pair of files per variant; a faceted chart lists those of the view on
  // show. Without JavaScript every variant's files stay listed.
  function showDownloads(chart) {
    var view = chart.spec.views[chart.state.view] || chart.spec.views[0], shown = {};
    view.series.forEach(function (entry) { shown[entry[0]] = true; });
    chart.downloads.forEach(function (item) { item.hidden = !shown[item.getAttribute("data-series")]; });
  }

  // Plotly is 4.8 MB. This script runs without it, so the page (its tables, the theme button) is
  // usable at once; the page preloads Plotly and this script runs it, once however many charts
  // there are. Until then each chart's area keeps its final size and says it is loading.
  var script = document.currentScript;
  var plotlyReady = new Promise(function (resolve, reject) {
    if (window.Plotly) return resolve();
    var src = script && script.getAttribute("data-plotly");
    var tag = document.createElement("script");
    tag.src = src;
    tag.onload = function () { resolve(); };
    tag.onerror = function () { reject(new Error("could not load " + src)); };
    document.head.appendChild(tag);
  });
  // The other Plotly elements (heatmap.js, distribution.js, zoo.js, ...) draw when this settles.
  window.battlegroundPlotly = plotlyReady;
  plotlyReady.catch(function (error) {
    charts.forEach(function (chart) {
      if (chart.loading) chart.loading.textContent = "The chart could not be drawn: " + error.message + ".";
    });
  });

  function loadingNote(plot) {
    var note = document.createElement("p");
    note.className = "chart-loading";
    note.textContent = "Loading chart…";
    plot.setAttribute("aria-busy", "true");
    plot.appendChild(note);
    return note;
  }

  function init(figure) {
    var data = figure.querySelector("script.chart-data"), plot = figure.querySelector(".plot");
    if (!data || !plot) return;
    var spec = JSON.parse(data.textContent);
    var line = null;  // the reproduce line, made once Plotly draws (reproduceLine)
    var chart = { spec: spec, plot: plot, small: figure.classList.contains("chart-small"),
                  runs: decode(spec), bands: {},
                  downloads: Array.prototype.slice.call(figure.querySelectorAll(".downloads li[data-series]")),
                  state: { x: spec.x, y: spec.y, seed: spec.seed, view: "0", highlight: null } };
    figure.querySelectorAll("select[data-control]").forEach(function (select) {
      select.value = chart.state[select.getAttribute("data-control")];
      select.addEventListener("change", function () {
        chart.state[select.getAttribute("data-control")] = select.value;
        if (line) line.hidden = true;  // its command was of a run this choice may no longer show
        if (select.getAttribute("data-control") === "view") {
          chart.state.highlight = null;  // another set of series
          showDownloads(chart);
        }
        draw(chart);
      });
    });
    chart.loading = loadingNote(plot);
    charts.push(chart);
    showDownloads(chart);
    line = reproduceLine(chart);
    plotlyReady.then(function () { return draw(chart); }).then(function () {
      look.watch(plot, function () { draw(chart); });
      plot.on("plotly_hover", function (event) { showCommand(line, event.points[0].data.command); });
      plot.on("plotly_click", function (event) { showCommand(line, event.points[0].data.command); });
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
