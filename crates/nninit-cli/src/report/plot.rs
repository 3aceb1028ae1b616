//! SVG charts (plotters), written atomically.

use super::ProbeReport;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;

/// One line of a chart: a name, points `(x, y)` with `y > 0` (others are skipped on a log
/// axis), and whether it is dashed (theory) or solid (measured).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    pub color_index: usize,
}

/// Draws one measured series on `chart`: a solid line (with its legend entry) and a dot at
/// every point.
pub fn draw_solid_series<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    pts: &[(f64, f64)],
    color: RGBAColor,
    label: &str,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(
            pts.to_vec(),
            ShapeStyle::from(color).stroke_width(2),
        ))
        .map_err(|e| anyhow!("{e}"))?
        .label(label)
        .legend(move |(x, y)| {
            PathElement::new(
                vec![(x, y), (x + 20, y)],
                ShapeStyle::from(color).stroke_width(2),
            )
        });
    chart
        .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Draws `series` on a log-y chart and returns the SVG text.
pub fn log_chart_svg(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x_labels: &[String],
    series: &[Series],
) -> Result<String> {
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite() && *y > 0.0)
        .collect();
    let (mut lo, mut hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
            (a.min(y), b.max(y))
        });
    if !lo.is_finite() {
        (lo, hi) = (1e-3, 1.0);
    }
    if hi / lo < 10.0 {
        lo /= 2.0;
        hi *= 2.0;
    }
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    let n = x_labels.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5f64..(n + 0.5), (lo..hi).log_scale())
            .map_err(|e| anyhow!("{e}"))?;
        let labels = x_labels.to_vec();
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(x_labels.len().min(40))
            .x_label_formatter(&move |x| {
                let i = x.round() as usize;
                if (x - x.round()).abs() < 1e-6 && i >= 1 && i <= labels.len() {
                    labels[i - 1].clone()
                } else {
                    String::new()
                }
            })
            .y_labels(16)
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for s in series {
            let color = Palette99::pick(s.color_index).to_rgba();
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(_, y)| y.is_finite() && *y > 0.0)
                .collect();
            if pts.is_empty() {
                // all zero (e.g. zeros init): nothing to draw on a log axis; say so in the legend
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(|e| anyhow!("{e}"))?
                    .label(format!("{} (std 0: not drawn)", s.name))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], ShapeStyle::from(color))
                    });
                continue;
            }
            let style = ShapeStyle::from(color).stroke_width(2);
            let anno = if s.dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))
                    .map_err(|e| anyhow!("{e}"))?
            } else {
                chart
                    .draw_series(LineSeries::new(pts.clone(), style))
                    .map_err(|e| anyhow!("{e}"))?
            };
            anno.label(s.name.clone()).legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    ShapeStyle::from(color).stroke_width(2),
                )
            });
            if !s.dashed {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}

/// The probe chart: activation std per layer output, a line per init, log y-axis.
pub fn write_probe_svg(r: &ProbeReport, path: &Path) -> Result<()> {
    // One point per hidden layer (its activation output) plus the network's output, so the
    // lines are not a Linear/activation sawtooth.
    let keep = |layers: &[nninit_diag::LayerStats]| -> Vec<usize> {
        let n = layers.len();
        (0..n)
            .filter(|&i| layers[i].kind != "Linear" || i + 1 == n)
            .collect()
    };
    let Some(first) = r.inits.first() else {
        anyhow::bail!("nothing to plot: no init was probed");
    };
    let idx = keep(&first.layers);
    let labels: Vec<String> = idx
        .iter()
        .map(|&i| {
            if i + 1 == first.layers.len() {
                "output".to_string()
            } else {
                short_label(&first.layers[i].label)
            }
        })
        .collect();
    let mut series: Vec<Series> = r
        .inits
        .iter()
        .enumerate()
        .map(|(k, init)| Series {
            name: init.init.clone(),
            points: idx
                .iter()
                .enumerate()
                .map(|(x, &i)| ((x + 1) as f64, init.layers[i].std))
                .collect(),
            dashed: false,
            color_index: k,
        })
        .collect();
    // --predict: the mean-field prediction as a dashed line in the init's colour
    for (k, init) in r.inits.iter().enumerate() {
        if let Some(p) = &init.predicted_std {
            series.push(Series {
                name: format!("{} (mean-field)", init.init),
                points: idx
                    .iter()
                    .enumerate()
                    .filter_map(|(x, &i)| Some(((x + 1) as f64, p.get(i).copied().flatten()?)))
                    .collect(),
                dashed: true,
                color_index: k,
            });
        }
    }
    // probe --grad: the std of dL/dh at the same points, dashed, same colour.
    for (k, init) in r.inits.iter().enumerate() {
        if let Some(g) = &init.grad {
            series.push(Series {
                name: format!("{} dL/dh", init.init),
                points: idx
                    .iter()
                    .enumerate()
                    .filter_map(|(x, &i)| {
                        g.layers.get(i).map(|l| ((x + 1) as f64, l.output_grad_std))
                    })
                    .collect(),
                dashed: true,
                color_index: k,
            });
        }
    }
    let title = format!(
        "Activation std per layer: MLP {} ({}), {} MNIST images",
        super::arch_text(&r.arch),
        r.activation,
        r.batch
    );
    let svg = log_chart_svg(
        &title,
        "layer output",
        if r.inits.iter().any(|i| i.grad.is_some()) {
            "std (log scale; 0 not drawn); dashed: std of dL/dh"
        } else {
            "std (log scale; 0 not drawn)"
        },
        &labels,
        &series,
    )?;
    crate::io::write_atomic(path, svg.as_bytes())
}

/// `Linear 3` → `L3`, `ReLU 2` → `ReLU2`.
fn short_label(label: &str) -> String {
    label.replace("Linear ", "L").replace(' ', "")
}
