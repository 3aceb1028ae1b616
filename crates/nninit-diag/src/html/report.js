// nninit HTML report: renders the embedded report document (nninit_report: 1) into SVG charts
// and tables. No network, no libraries. Schema: crates/nninit-diag/src/html.rs.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  // Okabe & Ito (2008), colour-blind safe; the pale yellow left out
  var PAL = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255", "#44AA99", "#999933"];
  var DASH = { measured: null, predicted: "7 4", gradient: "2 3", bias: "2 3" };

  var doc = JSON.parse(document.getElementById("nninit-data").textContent);
  var app = document.getElementById("app");
  var runs = Array.isArray(doc.runs) ? doc.runs : [];

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function isNum(x) { return typeof x === "number" && isFinite(x); }
  function fmt(x) {
    if (x === null || x === undefined) return "-";
    if (typeof x !== "number") return String(x);
    if (!isFinite(x)) return String(x);
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e4) return x.toFixed(4);
    var s = x.toExponential(2).split("e");
    return s[0] + "e" + parseInt(s[1], 10);
  }
  function pct(x) { return isNum(x) ? (100 * x).toFixed(1) + "%" : "-"; }
  function tickLabel(v, log) {
    if (v === 0) return "0";
    if (log) {
      var e = Math.round(Math.log10(v));
      if (e >= -2 && e <= 3) return String(Math.pow(10, e)).replace(/(\.\d*?)0+$/, "$1");
      return "1e" + e;
    }
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
    return String(+v.toPrecision(3));
  }
  function color(i) { return PAL[i % PAL.length]; }

  // ---------------------------------------------------------------- line chart
  // opts: title, xlabels (category axis) or xs (numeric, shared), series [{name, color, dash,
  // ys, width}], log, yfixed [lo, hi], refs [{y, label}], xlabel, ylabel, styles (legend
  // extra entries [{name, dash}]).
  function lineChart(opts) {
    var W = 980, H = 300, L = 78, T = 34, PW = 640, PH = 200, LEGX = L + PW + 24;
    var cat = !!opts.xlabels;
    var nx = cat ? opts.xlabels.length : 0;
    var longest = cat ? opts.xlabels.reduce(function (m, s) { return Math.max(m, Math.min(String(s).length, 22)); }, 1) : 0;
    var bottom = cat ? 30 + Math.round(5.6 * longest) : 50;
    var svg = sv("svg", { width: W, height: T + PH + bottom, viewBox: "0 0 " + W + " " + (T + PH + bottom), class: "chart", role: "img" });
    svg.appendChild(sv("text", { x: L, y: 18, class: "ctitle" }, opts.title));
    var log = !!opts.log;
    var ys = [];
    opts.series.forEach(function (s) { s.ys.forEach(function (y) { if (isNum(y) && (!log || y > 0)) ys.push(y); }); });
    (opts.refs || []).forEach(function (r) { if (!log || r.y > 0) ys.push(r.y); });
    var lo, hi;
    if (opts.yfixed) { lo = opts.yfixed[0]; hi = opts.yfixed[1]; }
    else if (!ys.length) {
      svg.appendChild(sv("text", { x: L + 10, y: T + 30, class: "note" }, "no values to draw" + (log ? " (log axis: zeros are not drawn)" : "")));
      return svg;
    } else {
      lo = Math.min.apply(null, ys); hi = Math.max.apply(null, ys);
      if (log) { lo = Math.pow(10, Math.floor(Math.log10(lo))); hi = Math.pow(10, Math.ceil(Math.log10(hi))); if (lo === hi) { lo /= 10; hi *= 10; } }
      else {
        if (lo === hi) { lo -= 1; hi += 1; }
        var nt = niceTicks(lo, hi, 4), st = nt.length > 1 ? nt[1] - nt[0] : (hi - lo);
        lo = Math.floor(lo / st - 1e-9) * st; hi = Math.ceil(hi / st + 1e-9) * st;
      }
    }
    var tr = log ? function (v) { return Math.log10(v); } : function (v) { return v; };
    var xs = cat ? null : opts.xs;
    var xmin = cat ? 0 : Math.min.apply(null, xs), xmax = cat ? Math.max(nx - 1, 1) : Math.max.apply(null, xs);
    if (xmax === xmin) xmax = xmin + 1;
    function px(i) { var v = cat ? i : xs[i]; return L + PW * (v - xmin) / (xmax - xmin); }
    function py(v) { return T + PH - PH * (tr(v) - tr(lo)) / (tr(hi) - tr(lo)); }
    svg.appendChild(sv("rect", { x: L, y: T, width: PW, height: PH, class: "frame" }));
    // y ticks
    var ticks = [];
    if (log) {
      var a = Math.round(Math.log10(lo)), b = Math.round(Math.log10(hi)), step = Math.max(1, Math.ceil((b - a) / 8));
      for (var e = a; e <= b; e += step) ticks.push(Math.pow(10, e));
    } else { ticks = niceTicks(lo, hi, 5); }
    ticks.forEach(function (t) {
      var y = py(t);
      svg.appendChild(sv("line", { x1: L, x2: L + PW, y1: y, y2: y, class: "grid" }));
      svg.appendChild(sv("text", { x: L - 6, y: y + 4, class: "tick", "text-anchor": "end" }, tickLabel(t, log)));
    });
    if (opts.ylabel) svg.appendChild(sv("text", { x: 14, y: T + PH / 2, class: "axis", transform: "rotate(-90 14 " + (T + PH / 2) + ")", "text-anchor": "middle" }, opts.ylabel));
    // x ticks
    if (cat) {
      var every = Math.max(1, Math.ceil(nx / 40));
      opts.xlabels.forEach(function (lab, i) {
        if (i % every) return;
        var x = px(i);
        svg.appendChild(sv("text", { x: 0, y: 0, class: "xtick", transform: "translate(" + x + "," + (T + PH + 8) + ") rotate(55)" }, lab.length > 22 ? lab.slice(0, 21) + "…" : lab));
      });
    } else {
      var xt = niceTicks(xmin, xmax, 6);
      if (xs.every(function (v) { return Number.isInteger(v); })) xt = xt.filter(function (v) { return Number.isInteger(v); });
      xt.forEach(function (t) {
        var x = L + PW * (t - xmin) / (xmax - xmin);
        svg.appendChild(sv("line", { x1: x, x2: x, y1: T + PH, y2: T + PH + 4, class: "axisline" }));
        svg.appendChild(sv("text", { x: x, y: T + PH + 16, class: "tick", "text-anchor": "middle" }, tickLabel(t, false)));
      });
    }
    if (opts.xlabel) svg.appendChild(sv("text", { x: L + PW / 2, y: T + PH + bottom - 6, class: "axis", "text-anchor": "middle" }, opts.xlabel));
    (opts.refs || []).forEach(function (r) {
      if (r.y < lo || r.y > hi) return;
      var y = py(r.y);
      svg.appendChild(sv("line", { x1: L, x2: L + PW, y1: y, y2: y, class: "ref" }));
      svg.appendChild(sv("text", { x: L + PW - 4, y: y - 4, class: "tick", "text-anchor": "end" }, r.label));
    });
    var clipId = "c" + Math.random().toString(36).slice(2);
    var cp = sv("clipPath", { id: clipId });
    cp.appendChild(sv("rect", { x: L, y: T - 2, width: PW, height: PH + 4 }));
    svg.appendChild(cp);
    var g = sv("g", { "clip-path": "url(#" + clipId + ")" });
    svg.appendChild(g);
    opts.series.forEach(function (s) {
      var d = "", pen = false, pts = [];
      s.ys.forEach(function (y, i) {
        if (!isNum(y) || (log && y <= 0)) { pen = false; return; }
        var X = px(i), Y = py(y);
        d += (pen ? "L" : "M") + X.toFixed(1) + "," + Y.toFixed(1);
        pen = true; pts.push([X, Y, y, i]);
      });
      if (!d) return;
      var p = sv("path", { d: d, fill: "none", stroke: s.color, "stroke-width": s.width || 2, "stroke-dasharray": s.dash || null });
      p.appendChild(sv("title", {}, s.name));
      g.appendChild(p);
      if (!s.dash && pts.length <= 80) pts.forEach(function (q) {
        var c = sv("circle", { cx: q[0], cy: q[1], r: 2.5, fill: s.color });
        c.appendChild(sv("title", {}, s.name + " @ " + (cat ? opts.xlabels[q[3]] : fmt(xs[q[3]])) + ": " + fmt(q[2])));
        g.appendChild(c);
      });
    });
    // legend outside the plot area, with the line styles
    var entries = opts.series.filter(function (s) { return !s.noLegend; });
    var ly = T + 6;
    entries.forEach(function (s) {
      svg.appendChild(sv("line", { x1: LEGX, x2: LEGX + 26, y1: ly, y2: ly, stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash || null }));
      var drawable = s.ys.some(function (y) { return isNum(y) && (!log || y > 0); });
      var nm = s.name.length > 34 ? s.name.slice(0, 33) + "…" : s.name;
      if (!drawable) nm += s.ys.some(isNum) ? " (0: not drawn)" : " (no data)";
      svg.appendChild(sv("text", { x: LEGX + 32, y: ly + 4, class: "legend" }, nm));
      ly += 16;
    });
    (opts.styles || []).forEach(function (st) {
      svg.appendChild(sv("line", { x1: LEGX, x2: LEGX + 26, y1: ly, y2: ly, stroke: "#444", "stroke-width": 2, "stroke-dasharray": st.dash || null }));
      svg.appendChild(sv("text", { x: LEGX + 32, y: ly + 4, class: "legend" }, st.name));
      ly += 16;
    });
    var needH = ly + 10;
    if (needH > T + PH + bottom) { svg.setAttribute("height", needH); svg.setAttribute("viewBox", "0 0 " + W + " " + needH); }
    return svg;
  }
  function niceTicks(a, b, n) {
    var span = b - a, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var m = span / n / step;
    step *= m >= 5 ? 5 : m >= 2 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(a / step) * step; t <= b + 1e-9 * span; t += step) out.push(Math.abs(t) < 1e-9 * step ? 0 : +t.toPrecision(12));
    return out;
  }

  // ---------------------------------------------------------------- histograms (makemore)
  function histChart(title, items, key) {
    // items: [{name, color, h: {lo, hi, counts}, note}], densities as lines
    var series = [], lo = Infinity, hi = -Infinity;
    items.forEach(function (it) { var h = it.h; if (h && isNum(h.lo) && isNum(h.hi)) { lo = Math.min(lo, h.lo); hi = Math.max(hi, h.hi); } });
    if (!isFinite(lo)) return null;
    var W = 980, H = 300, L = 78, T = 34, PW = 640, PH = 210, LEGX = L + PW + 24;
    var svg = sv("svg", { width: W, height: T + PH + 50, viewBox: "0 0 " + W + " " + (T + PH + 50), class: "chart" });
    svg.appendChild(sv("text", { x: L, y: 18, class: "ctitle" }, title));
    var dens = items.map(function (it) {
      var h = it.h, c = h.counts, n = c.reduce(function (s, v) { return s + v; }, 0), bw = (h.hi - h.lo) / c.length;
      return c.map(function (v, i) { return { x: h.lo + (i + 0.5) * bw, y: n ? v / (n * bw) : 0 }; });
    });
    var ymax = 0;
    dens.forEach(function (d) { d.forEach(function (p) { if (p.y > ymax) ymax = p.y; }); });
    if (!(ymax > 0)) ymax = 1;
    function px(x) { return L + PW * (x - lo) / (hi - lo); }
    function py(y) { return T + PH - PH * y / (ymax * 1.05); }
    svg.appendChild(sv("rect", { x: L, y: T, width: PW, height: PH, class: "frame" }));
    niceTicks(lo, hi, 8).forEach(function (t) {
      var x = px(t);
      svg.appendChild(sv("line", { x1: x, x2: x, y1: T, y2: T + PH, class: "grid" }));
      svg.appendChild(sv("text", { x: x, y: T + PH + 16, class: "tick", "text-anchor": "middle" }, tickLabel(t, false)));
    });
    niceTicks(0, ymax * 1.05, 4).forEach(function (t) {
      var y = py(t);
      svg.appendChild(sv("text", { x: L - 6, y: y + 4, class: "tick", "text-anchor": "end" }, tickLabel(t, false)));
    });
    svg.appendChild(sv("text", { x: L + PW / 2, y: T + PH + 40, class: "axis", "text-anchor": "middle" }, key === "grad" ? "dL/d(output)" : "output value"));
    svg.appendChild(sv("text", { x: 14, y: T + PH / 2, class: "axis", transform: "rotate(-90 14 " + (T + PH / 2) + ")", "text-anchor": "middle" }, "density"));
    var ly = T + 6;
    items.forEach(function (it, k) {
      var d = "";
      dens[k].forEach(function (p, i) { d += (i ? "L" : "M") + px(p.x).toFixed(1) + "," + py(p.y).toFixed(1); });
      var path = sv("path", { d: d, fill: "none", stroke: it.color, "stroke-width": 1.8 });
      path.appendChild(sv("title", {}, it.name + " " + it.note));
      svg.appendChild(path);
      if (k < 24) {
        svg.appendChild(sv("line", { x1: LEGX, x2: LEGX + 22, y1: ly, y2: ly, stroke: it.color, "stroke-width": 2 }));
        var t = (it.name + " " + it.note);
        svg.appendChild(sv("text", { x: LEGX + 28, y: ly + 4, class: "legend" }, t.length > 52 ? t.slice(0, 51) + "…" : t));
        ly += 15;
      }
    });
    if (items.length > 24) svg.appendChild(sv("text", { x: LEGX, y: ly + 4, class: "legend" }, "(+" + (items.length - 24) + " more)"));
    if (ly + 10 > T + PH + 50) { svg.setAttribute("height", ly + 10); svg.setAttribute("viewBox", "0 0 " + W + " " + (ly + 10)); }
    return svg;
  }

  // ---------------------------------------------------------------- sections
  function section(title, id) {
    var s = el("section", { id: id }, el("h2", null, title));
    app.appendChild(s);
    return s;
  }
  function select(label, options, onChange) {
    var s = el("select", { "aria-label": label });
    options.forEach(function (o, i) { s.appendChild(el("option", { value: String(i) }, o)); });
    s.addEventListener("change", function () { onChange(parseInt(s.value, 10)); });
    return el("label", { class: "ctl" }, label + " ", s);
  }

  function header() {
    app.appendChild(el("h1", null, doc.title || "nninit report"));
    if (doc.subtitle) app.appendChild(el("p", { class: "sub" }, doc.subtitle));
    var meta = doc.meta || {};
    var keys = Object.keys(meta);
    if (keys.length) {
      var t = el("table", { class: "meta" });
      keys.forEach(function (k) {
        var v = meta[k];
        t.appendChild(el("tr", null, el("th", null, k), el("td", null, Array.isArray(v) ? (v.length > 12 ? v.slice(0, 12).join(", ") + ", … (" + v.length + ")" : v.join(", ")) : typeof v === "object" && v !== null ? JSON.stringify(v) : Number.isInteger(v) ? String(v) : fmt(v))));
      });
      app.appendChild(t);
    }
  }

  function advice() {
    var any = runs.some(function (r) { return Array.isArray(r.advice); });
    if (!any) return;
    var s = section("Advice", "advice");
    runs.forEach(function (r, i) {
      var list = Array.isArray(r.advice) ? r.advice : [];
      var box = el("div", { class: "adv" }, el("h3", { style: "color:" + color(i) }, r.name));
      if (!list.length) box.appendChild(el("p", { class: "ok" }, "nothing flagged"));
      var ul = el("ul");
      list.forEach(function (a) {
        if (typeof a === "string") { ul.appendChild(el("li", null, a)); return; }
        var sym = String(a.symptom || "").replace(/_/g, " ");
        var span = !a.from_layer ? "" : a.from_layer === a.to_layer ? " at " + a.from_layer : " from " + a.from_layer + " to " + a.to_layer;
        var what = "";
        if (a.symptom === "saturation" && isNum(a.factor_total)) what = " (worst " + Math.round(100 * a.factor_total) + "% saturated)";
        else if (isNum(a.factor_per_layer) && isNum(a.factor_total)) what = " (x" + fmt(a.factor_per_layer) + " per layer, x" + fmt(a.factor_total) + " over " + a.steps + (a.steps === 1 ? " step" : " steps") + (a.basis === "predicted" ? ", mean-field prediction" : "") + ")";
        var li = el("li", null, el("b", null, sym), span + what + ": " + (a.cause || ""));
        ul.appendChild(li);
      });
      box.appendChild(ul);
      // the fix is the same for every finding of an init: shown once; so is each remedy
      var fx = null, said = [];
      list.forEach(function (a) { if (a && a.fix && !fx) fx = a.fix; });
      if (fx && typeof fx === "object") {
        var pred = [];
        if (isNum(fx.std_factor)) pred.push("std x" + fmt(fx.std_factor) + " over the hidden layers");
        if (isNum(fx.grad_factor)) pred.push("gradient x" + fmt(fx.grad_factor));
        if (isNum(fx.cosine)) pred.push("cosine " + fmt(fx.cosine) + " at the last hidden layer");
        box.appendChild(el("div", { class: "fix" }, "fix: " + fx.init + (isNum(fx.gain) ? " (gain " + fmt(fx.gain) + ": " + (fx.rationale || "") + (pred.length ? "; mean-field check passes: " + pred.join(", ") : "") + ")" : "")));
      } else if (typeof fx === "string") box.appendChild(el("div", { class: "fix" }, "fix: " + fx));
      list.forEach(function (a) {
        if (a && a.remedy && said.indexOf(a.remedy) < 0) { said.push(a.remedy); box.appendChild(el("div", { class: "fix" }, a.remedy)); }
      });
      s.appendChild(box);
    });
  }

  function layerNames(filter) {
    if (!runs.length || !Array.isArray(runs[0].layers)) return [];
    return runs[0].layers.filter(filter).map(function (l) { return l.name; });
  }
  function stat(r, name, key) {
    var l = (r._ix || (r._ix = index(r.layers)))[name];
    return l ? l[key] : null;
  }
  function index(layers) { var m = {}; (layers || []).forEach(function (l) { m[l.name] = l; }); return m; }
  function has(key) { return runs.some(function (r) { return (r.layers || []).some(function (l) { return isNum(l[key]); }); }); }

  function perLayer() {
    if (!runs.some(function (r) { return Array.isArray(r.layers) && r.layers.length; })) return;
    var s = section("Per-layer statistics", "layers");
    var hasBlocks = runs[0].layers.some(function (l) { return l.block; });
    var views = [["all module outputs", function () { return true; }]];
    if (hasBlocks) views.push(["blocks (residual stream)", function (l) { return !!l.block; }]);
    var kinds = [];
    runs[0].layers.forEach(function (l) { if (kinds.indexOf(l.kind) < 0) kinds.push(l.kind); });
    kinds.forEach(function (k) { views.push(["only " + k, function (l) { return l.kind === k; }]); });
    var box = el("div");
    var first = hasBlocks && runs[0].layers.length > 30 ? 1 : 0;  // many outputs: the residual stream first
    var show = select("show", views.map(function (v) { return v[0]; }), function (i) { draw(views[i][1]); });
    show.querySelector("select").value = String(first);
    s.appendChild(show);
    s.appendChild(box);
    function draw(filter) {
      box.textContent = "";
      var names = layerNames(filter);
      function ser(key, dash, suffix) {
        return runs.map(function (r, i) {
          return { name: r.name + (suffix || ""), color: color(i), dash: dash, ys: names.map(function (n) { return stat(r, n, key); }) };
        });
      }
      var std = ser("std", DASH.measured);
      var styles = [{ name: "measured", dash: null }];
      if (has("predicted_std")) { std = std.concat(ser("predicted_std", DASH.predicted, " (mean-field)").map(function (x) { x.noLegend = true; return x; })); styles.push({ name: "mean-field prediction", dash: DASH.predicted }); }
      box.appendChild(lineChart({ title: "Activation std per module output (log scale)", xlabels: names, series: std, log: true, ylabel: "std", styles: styles.length > 1 ? styles : null }));
      if (has("signal")) {
        var sig = ser("signal", DASH.measured).concat(ser("bias_spread", DASH.bias, " bias spread").map(function (x) { x.noLegend = true; return x; }));
        box.appendChild(lineChart({ title: "Signal (mean per-unit std across inputs) vs bias spread (std of per-unit means)", xlabels: names, series: sig, log: true, ylabel: "std", styles: [{ name: "signal", dash: null }, { name: "bias spread", dash: DASH.bias }] }));
      }
      if (has("correlation")) box.appendChild(lineChart({ title: "Mean cosine similarity between different inputs (1 = inputs no longer told apart)", xlabels: names, series: ser("correlation"), yfixed: [-1, 1], ylabel: "cosine", refs: [{ y: 0, label: "" }] }));
      if (has("frac_saturated") || has("frac_dead")) {
        var sat = ser("frac_saturated").concat(ser("frac_dead", DASH.gradient, " dead units").map(function (x) { x.noLegend = true; return x; }));
        box.appendChild(lineChart({ title: "Saturated outputs (tanh |y|>0.97, sigmoid outside [0.03, 0.97]) and dead units", xlabels: names, series: sat, yfixed: [0, 1], ylabel: "fraction", styles: [{ name: "saturated", dash: null }, { name: "dead units", dash: DASH.gradient }], refs: [{ y: 0.2, label: "20%" }] }));
      }
      if (has("grad_std")) box.appendChild(lineChart({ title: "Gradient std of each output, std(dL/dh) (log scale)", xlabels: names, series: ser("grad_std", DASH.gradient), log: true, ylabel: "std(dL/dh)", styles: [{ name: "gradient", dash: DASH.gradient }] }));
      if (has("update_to_data")) {
        var wn = names.filter(function (n) { return runs.some(function (r) { return isNum(stat(r, n, "update_to_data")); }); });
        if (wn.length) box.appendChild(lineChart({ title: "update:data ratio of one SGD step, std(lr·dL/dW)/std(W) (log scale)", xlabels: wn, series: runs.map(function (r, i) { return { name: r.name, color: color(i), ys: wn.map(function (n) { return stat(r, n, "update_to_data"); }) }; }), log: true, ylabel: "ratio", refs: [{ y: 1e-3, label: "1e-3" }] }));
      }
    }
    draw(views[first][1]);
  }

  function histograms() {
    var withHist = runs.filter(function (r) { return (r.layers || []).some(function (l) { return l.hist; }); });
    if (!withHist.length) return;
    var s = section("Histograms (makemore style)", "hist");
    s.appendChild(el("p", { class: "note" }, "One curve per module output: density over fixed bins. Legend: mean, std, and % saturated (tanh/sigmoid)."));
    var kinds = ["(every output)"];
    if (runs[0].layers.some(function (l) { return l.block; })) kinds.push("(blocks)");
    runs[0].layers.forEach(function (l) { if (kinds.indexOf(l.kind) < 0) kinds.push(l.kind); });
    var pick = { run: 0, kind: defaultKind() };
    var box = el("div");
    s.appendChild(select("init", runs.map(function (r) { return r.name; }), function (i) { pick.run = i; draw(); }));
    var ks = select("outputs", kinds, function (i) { pick.kind = i; draw(); });
    ks.querySelector("select").value = String(pick.kind);
    s.appendChild(ks);
    s.appendChild(box);
    function defaultKind() {
      var pref = ["Tanh", "Sigmoid", "ReLU", "GELU", "(blocks)"];
      for (var i = 0; i < pref.length; i++) { var k = kinds.indexOf(pref[i]); if (k >= 0) return k; }
      return 0;
    }
    function draw() {
      box.textContent = "";
      var r = runs[pick.run], kind = kinds[pick.kind];
      var ls = (r.layers || []).filter(function (l) { return kind === "(every output)" || (kind === "(blocks)" ? l.block : l.kind === kind); });
      var act = ls.filter(function (l) { return l.hist; }).map(function (l, i) {
        return { name: l.name, color: color(i), h: l.hist, note: "mean " + fmt(l.mean) + ", std " + fmt(l.std) + (isNum(l.frac_saturated) ? ", saturated " + pct(l.frac_saturated) : "") };
      });
      var c = histChart("Activation distribution: " + r.name, act, "act");
      if (c) box.appendChild(c);
      var gr = ls.filter(function (l) { return l.grad_hist; }).map(function (l, i) {
        return { name: l.name, color: color(i), h: l.grad_hist, note: "mean " + fmt(l.grad_mean) + ", std " + fmt(l.grad_std) };
      });
      var g = histChart("Gradient distribution dL/d(output): " + r.name, gr, "grad");
      if (g) box.appendChild(g);
    }
    draw();
  }

  function training() {
    var tr = runs.filter(function (r) { return Array.isArray(r.epochs) && r.epochs.length; });
    if (!tr.length) return;
    var s = section("Training curves", "train");
    var maxE = 0;
    runs.forEach(function (r) { (r.epochs || []).forEach(function (e) { if (e.epoch > maxE) maxE = e.epoch; }); });
    var xs = []; for (var e = 0; e <= maxE; e++) xs.push(e);
    function ser(key, init, dash, suffix) {
      return runs.map(function (r, i) {
        var ys = xs.map(function (x) {
          if (x === 0) return init ? r[init] : null;
          var ep = (r.epochs || []).filter(function (q) { return q.epoch === x; })[0];
          return ep ? ep[key] : null;
        });
        return { name: r.name + (suffix || ""), color: color(i), dash: dash, ys: ys, noLegend: !!suffix };
      });
    }
    s.appendChild(lineChart({ title: "Loss (mean cross-entropy; log scale)", xs: xs, series: ser("test_loss", "initial_test_loss", null).concat(ser("train_loss", null, DASH.predicted, " train")), log: true, xlabel: "epoch", ylabel: "loss", styles: [{ name: "test", dash: null }, { name: "train (mean over the epoch)", dash: DASH.predicted }] }));
    s.appendChild(lineChart({ title: "Test accuracy", xs: xs, series: ser("test_acc", "initial_test_acc", null), yfixed: [0, 1], xlabel: "epoch", ylabel: "accuracy" }));
  }

  function watch() {
    var wr = runs.filter(function (r) { return Array.isArray(r.steps) && r.steps.length; });
    if (!wr.length) return;
    var s = section("Over training steps", "watch");
    var pick = 0, box = el("div");
    s.appendChild(select("run", wr.map(function (r) { return r.name; }), function (i) { pick = i; draw(); }));
    s.appendChild(box);
    function draw() {
      box.textContent = "";
      var r = wr[pick], steps = r.steps, xs = steps.map(function (q) { return q.step; });
      if (steps.some(function (q) { return isNum(q.loss); }))
        box.appendChild(lineChart({ title: "Loss at the watched steps", xs: xs, series: [{ name: "loss", color: color(0), ys: steps.map(function (q) { return q.loss; }) }], log: true, xlabel: "step", ylabel: "loss" }));
      var anyBlock = steps.some(function (q) { return (q.layers || []).some(function (m) { return m.block; }); });
      var names = [];
      steps.forEach(function (q) { (q.layers || []).forEach(function (l) { if (names.indexOf(l.name) < 0 && (l.block || !anyBlock)) names.push(l.name); }); });
      names = names.slice(0, 40);
      function lser(key) {
        return names.map(function (n, i) {
          return { name: n, color: color(i), ys: steps.map(function (q) { var l = index(q.layers)[n]; return l ? l[key] : null; }) };
        });
      }
      box.appendChild(lineChart({ title: "Activation std over steps" + (anyBlock ? " (blocks)" : ""), xs: xs, series: lser("std"), log: true, xlabel: "step", ylabel: "std" }));
      var pn = [];
      steps.forEach(function (q) { (q.params || []).forEach(function (p) { if (pn.indexOf(p.name) < 0 && (!p.shape || p.shape.length >= 2)) pn.push(p.name); }); });
      pn = pn.slice(0, 40);
      var up = pn.map(function (n, i) {
        return { name: n, color: color(i), ys: steps.map(function (q) { var p = (q.params || []).filter(function (x) { return x.name === n; })[0]; return p && isNum(p.update_to_data) && p.update_to_data > 0 ? Math.log10(p.update_to_data) : null; }) };
      });
      if (up.some(function (x) { return x.ys.some(isNum); }))
        box.appendChild(lineChart({ title: "log10 update:data per weight, log10(std(ΔW)/std(W)) (makemore: about -3)", xs: xs, series: up, refs: [{ y: -3, label: "-3" }], xlabel: "step", ylabel: "log10 ratio" }));
      var gd = pn.map(function (n, i) {
        return { name: n, color: color(i), ys: steps.map(function (q) { var p = (q.params || []).filter(function (x) { return x.name === n; })[0]; return p ? p.grad_to_data : null; }) };
      });
      if (gd.some(function (x) { return x.ys.some(isNum); }))
        box.appendChild(lineChart({ title: "grad:data per weight, std(dL/dW)/std(W) (log scale)", xs: xs, series: gd, log: true, xlabel: "step", ylabel: "ratio" }));
    }
    draw();
  }

  function tables() {
    if (!runs.some(function (r) { return Array.isArray(r.layers) && r.layers.length; })) return;
    var s = section("Numbers", "numbers");
    var cols = [["std", fmt], ["mean", fmt], ["signal", fmt], ["bias_spread", fmt], ["correlation", fmt], ["frac_zero", pct], ["frac_dead", pct], ["frac_saturated", pct], ["predicted_std", fmt], ["grad_std", fmt], ["weight_std", fmt], ["grad_to_data", fmt], ["update_to_data", fmt]];
    runs.forEach(function (r, i) {
      var present = cols.filter(function (c) { return (r.layers || []).some(function (l) { return l[c[0]] !== undefined; }); });
      var t = el("table", { class: "num" });
      var hr = el("tr", null, el("th", null, "output"), el("th", null, "kind"));
      present.forEach(function (c) { hr.appendChild(el("th", null, c[0].replace(/_/g, " "))); });
      t.appendChild(hr);
      (r.layers || []).forEach(function (l) {
        var tr = el("tr", { class: l.block ? "block" : null }, el("td", null, l.name), el("td", null, l.kind || ""));
        present.forEach(function (c) { tr.appendChild(el("td", null, c[1](l[c[0]]))); });
        t.appendChild(tr);
      });
      var d = el("details", i === 0 ? { open: "" } : null, el("summary", null, r.name + (isNum(r.loss) ? " (loss " + fmt(r.loss) + ")" : "")), t);
      s.appendChild(d);
    });
  }

  header();
  advice();
  if (doc.kind === "watch") watch();
  perLayer();
  histograms();
  training();
  if (doc.kind !== "watch") watch();
  tables();
  document.body.setAttribute("data-rendered", "1");
})();
