//! The probe chart (SVG, written atomically): a panel per quantity — pooled std, signal,
//! `1 − cosine similarity` between images, and with `--grad` the gradient std — a colour per
//! init; measured solid with dots, mean-field prediction dashed, gradients dotted; the legend
//! to the right of the panels.

use super::svg::{color, render, Chart, Dash, LegendEntry, Line, Panel};
use super::ProbeReport;
use anyhow::Result;
use std::path::Path;

/// The probe chart's SVG text.
pub fn probe_svg(r: &ProbeReport) -> Result<String> {
    // One point per hidden layer (its activation output) plus the network's output, so the
    // lines are not a Linear/activation sawtooth.
    let Some(first) = r.inits.first() else {
        anyhow::bail!("nothing to plot: no init was probed");
    };
    let n = first.layers.len();
    let idx: Vec<usize> = (0..n)
        .filter(|&i| first.layers[i].kind != "Linear" || i + 1 == n)
        .collect();
    let x_ticks: Vec<(f64, String)> = idx
        .iter()
        .enumerate()
        .map(|(x, &i)| {
            let label = if i + 1 == n {
                "out".to_string()
            } else {
                short_label(&first.layers[i].label)
            };
            ((x + 1) as f64, label)
        })
        .collect();
    let at = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<(f64, f64)> {
        idx.iter()
            .enumerate()
            .filter_map(|(x, &i)| Some(((x + 1) as f64, f(i)?)))
            .collect()
    };
    let predicted = |k: usize| {
        r.inits[k]
            .predicted
            .as_ref()
            .and_then(|p| p.as_ref())
            .cloned()
    };
    let mut std_p = Panel {
        title: "activation std (pooled over images x units)".into(),
        y_label: "std (log scale)".into(),
        log_y: true,
        y_range: None,
        lines: vec![],
        refs: vec![],
    };
    let mut sig_p = Panel {
        title: "signal: mean per-unit std across images".into(),
        y_label: "signal (log scale)".into(),
        log_y: true,
        y_range: None,
        lines: vec![],
        refs: vec![],
    };
    let mut cos_p = Panel {
        title: "1 - cosine similarity between images".into(),
        y_label: "1 - cos (log scale; 0 = identical)".into(),
        log_y: true,
        y_range: None,
        lines: vec![],
        refs: vec![(1e-3, "collapse threshold".into())],
    };
    let mut grad_p = Panel {
        title: "gradient std(dL/dh) of the mean cross-entropy".into(),
        y_label: "std(dL/dh) (log scale)".into(),
        log_y: true,
        y_range: None,
        lines: vec![],
        refs: vec![],
    };
    let mut inits_legend = vec![];
    for (k, init) in r.inits.iter().enumerate() {
        let c = color(k);
        let l = &init.layers;
        let std_pts = at(&|i| Some(l[i].std));
        let drawn = std_pts.iter().any(|p| p.1 > 0.0 && p.1.is_finite());
        inits_legend.push(LegendEntry {
            text: if drawn {
                init.init.clone()
            } else {
                format!("{} (std 0: not drawn)", init.init)
            },
            color: c,
            dash: Dash::Solid,
            marker: true,
        });
        let line = |name: &str, dash: Dash, points: Vec<(f64, f64)>| Line {
            name: format!("{} {name}", init.init),
            color: c,
            dash,
            markers: dash == Dash::Solid,
            points,
        };
        std_p.lines.push(line("std", Dash::Solid, std_pts));
        sig_p
            .lines
            .push(line("signal", Dash::Solid, at(&|i| Some(l[i].signal))));
        cos_p.lines.push(line(
            "1-cos",
            Dash::Solid,
            at(&|i| l[i].mean_cosine.map(|c| 1.0 - c)),
        ));
        if init.predicted_std.is_some() {
            if let Some(p) = predicted(k) {
                std_p.lines.push(line(
                    "std (mean-field)",
                    Dash::Dashed,
                    at(&|i| Some(p[i].std)),
                ));
                sig_p.lines.push(line(
                    "signal (mean-field)",
                    Dash::Dashed,
                    at(&|i| p[i].signal),
                ));
                cos_p.lines.push(line(
                    "1-cos (mean-field)",
                    Dash::Dashed,
                    at(&|i| p[i].cosine.map(|c| 1.0 - c)),
                ));
            }
        }
        if let Some(g) = &init.grad {
            grad_p.lines.push(line(
                "dL/dh",
                Dash::Dotted,
                at(&|i| g.layers.get(i).map(|s| s.output_grad_std)),
            ));
        }
    }
    let mut styles = vec![LegendEntry {
        text: "measured".into(),
        color: "#000000",
        dash: Dash::Solid,
        marker: true,
    }];
    if r.inits.iter().any(|i| i.predicted_std.is_some()) {
        styles.push(LegendEntry {
            text: "mean-field prediction".into(),
            color: "#000000",
            dash: Dash::Dashed,
            marker: false,
        });
    }
    let mut panels = vec![std_p, sig_p, cos_p];
    if r.inits.iter().any(|i| i.grad.is_some()) {
        styles.push(LegendEntry {
            text: "gradient std(dL/dh)".into(),
            color: "#000000",
            dash: Dash::Dotted,
            marker: false,
        });
        panels.push(grad_p);
    }
    let chart = Chart {
        title: format!(
            "MLP {} ({}), {} MNIST images",
            super::arch_text(&r.arch),
            r.activation,
            r.batch
        ),
        x_label: format!(
            "hidden layer ({} output), then the network's output",
            first
                .layers
                .get(1)
                .map_or("activation", |l| l.kind.as_str())
        ),
        x_range: (0.5, idx.len() as f64 + 0.5),
        x_ticks,
        panels,
        legend: vec![
            ("init (colour)".into(), inits_legend),
            ("line style".into(), styles),
        ],
    };
    Ok(render(&chart))
}

/// Writes [`probe_svg`] to `path` atomically.
pub fn write_probe_svg(r: &ProbeReport, path: &Path) -> Result<()> {
    crate::io::write_atomic(path, probe_svg(r)?.as_bytes())
}

/// `ReLU 2` → `2` (the hidden layer's number; the axis title names the kind).
fn short_label(label: &str) -> String {
    label.rsplit(' ').next().unwrap_or(label).to_string()
}
