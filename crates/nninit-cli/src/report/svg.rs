//! A small SVG chart writer: panels of line series on linear or log axes, a legend outside
//! every plot area, one `<path>` per series with its dash pattern (`stroke-dasharray`), and a
//! colour-blind-safe palette with enough contrast on white.
//!
//! Style rules (issue #15): measured lines solid (with dots), mean-field predictions dashed,
//! gradients dotted; the legend shows each style with the same pattern; log axes are labelled
//! at every decade (every k-th when there are many) across the whole range, with `1e17`-style
//! labels; linear axes get 1-2-5 ticks.

use std::fmt::Write as _;

/// Okabe & Ito's colour-blind-safe palette without its yellow (too pale on white), darkest
/// first: blue, vermillion, bluish green, wine, black, reddish purple, orange.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#882255", "#000000", "#AA4499", "#E69F00",
];

/// The colour of series `k` (cycling through [`PALETTE`]).
pub fn color(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

/// A line's dash pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    /// Measured values.
    Solid,
    /// Theory (mean-field prediction).
    Dashed,
    /// Gradients.
    Dotted,
}

impl Dash {
    fn attr(self) -> &'static str {
        match self {
            Dash::Solid => "",
            Dash::Dashed => " stroke-dasharray=\"9 5\"",
            Dash::Dotted => " stroke-dasharray=\"2 4\" stroke-linecap=\"round\"",
        }
    }
}

/// One series: its points `(x, y)`; on a log axis points with `y <= 0` or non-finite are left
/// out (the path is broken there).
#[derive(Debug, Clone)]
pub struct Line {
    /// Name (for the `data-series` attribute; the legend names colours and styles).
    pub name: String,
    /// Colour (hex).
    pub color: &'static str,
    /// Dash pattern.
    pub dash: Dash,
    /// Dots at the points.
    pub markers: bool,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// One panel: a plot area with its own y axis.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Title above the plot area.
    pub title: String,
    /// Y-axis label.
    pub y_label: String,
    /// Log y axis.
    pub log_y: bool,
    /// Fixed y range (linear axes; `None`: from the data).
    pub y_range: Option<(f64, f64)>,
    /// The series.
    pub lines: Vec<Line>,
    /// Horizontal reference lines `(y, label)` (thin grey dashes).
    pub refs: Vec<(f64, String)>,
}

/// A legend entry: a swatch drawn with the style, and its text.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// Text.
    pub text: String,
    /// Colour.
    pub color: &'static str,
    /// Pattern of the swatch.
    pub dash: Dash,
    /// Dot on the swatch.
    pub marker: bool,
}

/// A whole chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title at the top.
    pub title: String,
    /// X-axis label (every panel).
    pub x_label: String,
    /// X range of every panel.
    pub x_range: (f64, f64),
    /// X ticks `(position, label)`.
    pub x_ticks: Vec<(f64, String)>,
    /// Panels, laid out in a grid of up to 2 columns.
    pub panels: Vec<Panel>,
    /// Legend sections `(heading, entries)`, drawn to the right of every panel.
    pub legend: Vec<(String, Vec<LegendEntry>)>,
}

/// Legend column width (px).
pub const LEGEND_W: f64 = 270.0;
const PANEL_W: f64 = 470.0;
const PANEL_H: f64 = 330.0;
const TITLE_H: f64 = 40.0;
const MARGIN_L: f64 = 78.0;
const MARGIN_R: f64 = 18.0;
const MARGIN_T: f64 = 30.0;
const MARGIN_B: f64 = 52.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A tick label: plain decimals between 1e-3 and 1e4 (`0.01`, `2.5`, `100`), else `1e17`,
/// `2e-5` (no `100000000000000000.00`).
pub fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return s.to_string();
    }
    let e = a.log10().floor() as i32;
    let m = v / 10f64.powi(e);
    let mr = (m * 10.0).round() / 10.0;
    if (mr.abs() - 1.0).abs() < 1e-9 {
        format!("{}1e{e}", if v < 0.0 { "-" } else { "" })
    } else {
        let ms = format!("{mr:.1}");
        format!("{}e{e}", ms.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Log-axis ticks for data in `[lo, hi]` (both > 0): the range in log10 units (whole
/// decades) and the tick positions (log10 values). Every decade when there are at most 10,
/// else every k-th; 2 and 5 in between when the range spans at most 2 decades.
pub fn log_ticks(lo: f64, hi: f64) -> ((f64, f64), Vec<f64>) {
    let (mut a, mut b) = (lo.log10().floor(), hi.log10().ceil());
    if b <= a {
        b = a + 1.0;
    }
    if !(a.is_finite() && b.is_finite()) {
        (a, b) = (-3.0, 0.0);
    }
    let decades = (b - a) as usize;
    let step = decades.div_ceil(10).max(1);
    let mut ticks = vec![];
    let mut d = a;
    while d <= b + 1e-9 {
        ticks.push(d);
        if decades <= 2 && d < b {
            ticks.push(d + 2f64.log10());
            ticks.push(d + 5f64.log10());
        }
        d += step as f64;
    }
    ((a, b), ticks)
}

/// 1-2-5 ticks covering `[lo, hi]`, about 6 of them.
pub fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-300);
    let raw = span / 6.0;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p);
    let mut t = (lo / step).ceil() * step;
    let mut out = vec![];
    while t <= hi + step * 1e-9 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// Plot-area rectangle `(x0, y0, x1, y1)` of panel `i` (px).
pub fn plot_area(chart: &Chart, i: usize) -> (f64, f64, f64, f64) {
    let cols = if chart.panels.len() >= 2 { 2 } else { 1 };
    let (r, c) = ((i / cols) as f64, (i % cols) as f64);
    let px = c * PANEL_W;
    let py = TITLE_H + r * PANEL_H;
    (
        px + MARGIN_L,
        py + MARGIN_T,
        px + PANEL_W - MARGIN_R,
        py + PANEL_H - MARGIN_B,
    )
}

/// The legend's left edge (px): right of every plot area.
pub fn legend_x(chart: &Chart) -> f64 {
    let cols = if chart.panels.len() >= 2 { 2.0 } else { 1.0 };
    cols * PANEL_W + 10.0
}

/// Renders the chart as SVG text.
pub fn render(chart: &Chart) -> String {
    let cols = if chart.panels.len() >= 2 { 2 } else { 1 };
    let rows = chart.panels.len().div_ceil(cols).max(1);
    let legend_h: f64 = chart
        .legend
        .iter()
        .map(|(_, e)| 26.0 + 22.0 * e.len() as f64)
        .sum::<f64>()
        + 20.0;
    let w = cols as f64 * PANEL_W + LEGEND_W;
    let h = (TITLE_H + rows as f64 * PANEL_H).max(TITLE_H + legend_h) + 10.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"DejaVu Sans, Arial, sans-serif\">"
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"26\" font-size=\"17\" text-anchor=\"middle\">{}</text>",
        w / 2.0,
        esc(&chart.title)
    );
    for (i, p) in chart.panels.iter().enumerate() {
        panel(&mut s, chart, i, p);
    }
    legend(&mut s, chart);
    s.push_str("</svg>\n");
    s
}

fn panel(s: &mut String, chart: &Chart, i: usize, p: &Panel) {
    let (x0, y0, x1, y1) = plot_area(chart, i);
    let (xa, xb) = chart.x_range;
    let sx = |x: f64| x0 + (x - xa) / (xb - xa) * (x1 - x0);
    // y range and ticks
    let ys: Vec<f64> = p
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|q| q.1))
        .filter(|y| y.is_finite() && (!p.log_y || *y > 0.0))
        .collect();
    let (lo, hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
            (a.min(y), b.max(y))
        });
    let ((ya, yb), ticks, tf): ((f64, f64), Vec<f64>, Box<dyn Fn(f64) -> f64>) = if p.log_y {
        let (lo, hi) = if lo.is_finite() {
            (lo, hi)
        } else {
            (1e-3, 1.0)
        };
        let (r, t) = log_ticks(lo, hi);
        (r, t, Box::new(|y: f64| y.log10()))
    } else {
        let (lo, hi) = match p.y_range {
            Some(r) => r,
            None if lo.is_finite() => {
                let pad = ((hi - lo) * 0.05).max(1e-12);
                (lo - pad, hi + pad)
            }
            None => (0.0, 1.0),
        };
        ((lo, hi), linear_ticks(lo, hi), Box::new(|y: f64| y))
    };
    let sy = |v: f64| y1 - (v - ya) / (yb - ya) * (y1 - y0);
    let _ = writeln!(s, "<g class=\"panel\" id=\"panel-{i}\">");
    let _ = writeln!(
        s,
        "<rect class=\"plot-area\" x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
         fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>",
        x1 - x0,
        y1 - y0
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" text-anchor=\"middle\">{}</text>",
        (x0 + x1) / 2.0,
        y0 - 10.0,
        esc(&p.title)
    );
    // y ticks, grid, labels
    for &t in &ticks {
        let y = sy(t);
        if y < y0 - 0.5 || y > y1 + 0.5 {
            continue;
        }
        let label = if p.log_y {
            tick_label(10f64.powf(t))
        } else {
            tick_label(t)
        };
        let major = !p.log_y || (t - t.round()).abs() < 1e-9;
        let _ = writeln!(
            s,
            "<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" stroke=\"#d9d9d9\" \
             stroke-width=\"{}\"/>",
            if major { "1" } else { "0.5" }
        );
        let _ = writeln!(
            s,
            "<text class=\"ytick\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" \
             text-anchor=\"end\">{}</text>",
            x0 - 6.0,
            y + 4.0,
            esc(&label)
        );
    }
    // x ticks
    let max_labels = ((x1 - x0) / 34.0).floor().max(2.0) as usize;
    let every = chart.x_ticks.len().div_ceil(max_labels).max(1);
    for (k, (x, label)) in chart.x_ticks.iter().enumerate() {
        let px = sx(*x);
        let _ = writeln!(
            s,
            "<line x1=\"{px:.1}\" y1=\"{y1:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#000000\"/>",
            y1 + 4.0
        );
        if k % every == 0 || k + 1 == chart.x_ticks.len() && every == 1 {
            let _ = writeln!(
                s,
                "<text class=\"xtick\" x=\"{px:.1}\" y=\"{:.1}\" font-size=\"12\" \
                 text-anchor=\"middle\">{}</text>",
                y1 + 18.0,
                esc(label)
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\">{}</text>",
        (x0 + x1) / 2.0,
        y1 + 40.0,
        esc(&chart.x_label)
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" \
         transform=\"rotate(-90 {:.1} {:.1})\">{}</text>",
        x0 - 60.0,
        (y0 + y1) / 2.0,
        x0 - 60.0,
        (y0 + y1) / 2.0,
        esc(&p.y_label)
    );
    for (v, label) in &p.refs {
        let t = tf(*v);
        if t.is_finite() && t >= ya && t <= yb {
            let y = sy(t);
            let _ = writeln!(
                s,
                "<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" stroke=\"#555555\" \
                 stroke-dasharray=\"4 4\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" \
                 fill=\"#555555\" text-anchor=\"end\">{}</text>",
                x1 - 4.0,
                y - 4.0,
                esc(label)
            );
        }
    }
    // series: one <path> each (broken where a point cannot be drawn)
    for l in &p.lines {
        let mut d = String::new();
        let mut pen_down = false;
        let mut dots = vec![];
        for &(x, y) in &l.points {
            let v = if p.log_y && y > 0.0 {
                tf(y)
            } else if p.log_y {
                f64::NAN
            } else {
                y
            };
            if !v.is_finite() {
                pen_down = false;
                continue;
            }
            let (px, py) = (sx(x), sy(v.clamp(ya, yb)));
            let _ = write!(d, "{}{px:.1},{py:.1} ", if pen_down { "L" } else { "M" });
            pen_down = true;
            dots.push((px, py));
        }
        let _ = writeln!(
            s,
            "<path class=\"series\" data-series=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" \
             stroke-width=\"2.2\"{}/>",
            esc(&l.name),
            d.trim_end(),
            l.color,
            l.dash.attr()
        );
        if l.markers && !dots.is_empty() {
            let _ = write!(s, "<g fill=\"{}\">", l.color);
            for (px, py) in dots {
                let _ = write!(s, "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"2.8\"/>");
            }
            s.push_str("</g>\n");
        }
    }
    s.push_str("</g>\n");
}

fn legend(s: &mut String, chart: &Chart) {
    let x = legend_x(chart);
    let mut y = TITLE_H + MARGIN_T;
    let height: f64 = chart
        .legend
        .iter()
        .map(|(_, e)| 26.0 + 22.0 * e.len() as f64)
        .sum::<f64>()
        + 8.0;
    let _ = writeln!(s, "<g class=\"legend\" id=\"legend\">");
    let _ = writeln!(
        s,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#ffffff\" \
         stroke=\"#000000\"/>",
        y - 6.0,
        LEGEND_W - 20.0
    );
    for (heading, entries) in &chart.legend {
        y += 14.0;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            x + 8.0,
            esc(heading)
        );
        y += 12.0;
        for e in entries {
            y += 11.0;
            let _ = writeln!(
                s,
                "<path class=\"swatch\" d=\"M{:.1},{y:.1} L{:.1},{y:.1}\" stroke=\"{}\" \
                 stroke-width=\"2.2\"{}/>",
                x + 8.0,
                x + 48.0,
                e.color,
                e.dash.attr()
            );
            if e.marker {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"2.8\" fill=\"{}\"/>",
                    x + 28.0,
                    e.color
                );
            }
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
                x + 56.0,
                y + 4.0,
                esc(&e.text)
            );
            y += 11.0;
        }
    }
    s.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(1e17), "1e17");
        assert_eq!(tick_label(1e-20), "1e-20");
        assert_eq!(tick_label(0.01), "0.01");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(100.0), "100");
        assert_eq!(tick_label(2e-5), "2e-5");
    }

    #[test]
    fn log_ticks_cover_the_range() {
        // 1e-20 .. 1e3: 23 decades, every 3rd labelled, from the bottom decade
        let ((a, b), t) = log_ticks(3e-21, 500.0);
        assert_eq!((a, b), (-21.0, 3.0));
        assert_eq!(t.first().copied(), Some(-21.0));
        assert!(t.len() >= 8 && t.len() <= 13, "{t:?}");
        // 0.2 .. 2.4: decades 0.1..10 with 2 and 5 between
        let ((a, b), t) = log_ticks(0.2, 2.4);
        assert_eq!((a, b), (-1.0, 1.0));
        assert!(t.iter().any(|&v| (v - 0.2f64.log10()).abs() < 1e-12));
        assert!(t.iter().any(|&v| (v - 0.5f64.log10()).abs() < 1e-12));
    }
}
