//! `nninit train`'s report: the `--json` document, the tables and the loss/accuracy chart.

use super::text::{num, render};
use anyhow::{anyhow, Result};
use nninit_diag::{TrainConfig, TrainHistory};
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

/// `nninit train`'s result (the `--json` document; schema in README).
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Layer widths, input first.
    pub arch: Vec<usize>,
    /// Activation after every hidden Linear.
    pub activation: String,
    /// Where the data came from.
    pub data: String,
    /// Training images.
    pub train_images: usize,
    /// Test images.
    pub test_images: usize,
    /// Epochs, batch, optimiser, seed.
    pub config: RunConfig,
    /// The `--target-acc` (fraction).
    pub target_acc: f64,
    /// One entry per init, in the order given.
    pub inits: Vec<InitTraining>,
}

/// The run's settings: the training loop's, the `--seed` of the weights and the data order,
/// and the weights' stream (JSON `{epochs, batch, optimizer, seed, rng}`).
#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    /// Epochs, batch, optimiser.
    #[serde(flatten)]
    pub train: TrainConfig,
    /// `--seed`.
    pub seed: u64,
    /// The weights' stream (`--rng`): `torch (avx2)`, `torch (default)`, `std` or `philox`.
    pub rng: String,
}

/// One init's training run.
#[derive(Debug, Clone, Serialize)]
pub struct InitTraining {
    /// The init's label (or `file:NAME` for `--weights`).
    pub init: String,
    /// First epoch whose test accuracy is at least `target_acc`; `null` if none.
    pub epoch_reached_target: Option<usize>,
    /// Per-epoch losses and accuracies.
    #[serde(flatten)]
    pub history: TrainHistory,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn optim_text(c: &TrainConfig) -> String {
    match c.optimizer {
        nninit_diag::Optimizer::Sgd { lr, momentum } => {
            format!("SGD lr {lr} momentum {momentum}")
        }
        nninit_diag::Optimizer::Adam {
            lr, beta1, beta2, ..
        } => format!("Adam lr {lr} betas ({beta1}, {beta2})"),
    }
}

/// The tables: test accuracy and training loss per epoch (an init per column), then a
/// summary per init.
pub fn train_text(r: &TrainReport) -> String {
    let mut out = format!(
        "MLP {} ({}), {}, batch {}, {} epoch{}, seed {}, rng {}\ndata: {}\n\n",
        super::arch_text(&r.arch),
        r.activation,
        optim_text(&r.config.train),
        r.config.train.batch,
        r.config.train.epochs,
        if r.config.train.epochs == 1 { "" } else { "s" },
        r.config.seed,
        r.config.rng,
        r.data
    );
    let mut header: Vec<&str> = vec!["epoch"];
    header.extend(r.inits.iter().map(|i| i.init.as_str()));
    let cell = |i: &InitTraining, e: usize, f: fn(&nninit_diag::train::EpochStats) -> f64| {
        i.history
            .epochs
            .get(e)
            .map(f)
            .map(|v| (v, i.history.diverged))
    };
    // test accuracy
    out.push_str("test accuracy:\n");
    let mut rows = vec![];
    let mut row0 = vec!["0 (init)".to_string()];
    row0.extend(r.inits.iter().map(|i| pct(i.history.initial_test_acc)));
    rows.push(row0);
    for e in 0..r.config.train.epochs {
        let mut row = vec![(e + 1).to_string()];
        row.extend(r.inits.iter().map(|i| match cell(i, e, |s| s.test_acc) {
            Some((v, _)) => pct(v),
            None if i.history.diverged => "diverged".into(),
            None => "-".into(),
        }));
        rows.push(row);
    }
    out.push_str(&render(&header, &rows));
    out.push('\n');
    out.push_str("training loss (mean cross-entropy over the epoch):\n");
    let mut rows = vec![];
    for e in 0..r.config.train.epochs {
        let mut row = vec![(e + 1).to_string()];
        row.extend(r.inits.iter().map(|i| match cell(i, e, |s| s.train_loss) {
            Some((v, _)) => num(v),
            None if i.history.diverged => "diverged".into(),
            None => "-".into(),
        }));
        rows.push(row);
    }
    out.push_str(&render(&header, &rows));
    out.push('\n');
    let target = pct(r.target_acc);
    let reached_head = format!("epoch reaching {target}");
    let rows: Vec<Vec<String>> = r
        .inits
        .iter()
        .map(|i| {
            let last = i.history.epochs.last();
            vec![
                i.init.clone(),
                match i.epoch_reached_target {
                    Some(e) => e.to_string(),
                    None => "never".into(),
                },
                last.map(|s| pct(s.test_acc)).unwrap_or_else(|| "-".into()),
                last.map(|s| num(s.test_loss)).unwrap_or_else(|| "-".into()),
                if i.history.epochs.is_empty() {
                    "-".into() // diverged in the first epoch
                } else {
                    format!(
                        "{:.2}",
                        i.history
                            .epochs
                            .iter()
                            .map(|s| s.train_seconds)
                            .sum::<f64>()
                            / i.history.epochs.len() as f64
                    )
                },
            ]
        })
        .collect();
    out.push_str("summary:\n");
    out.push_str(&render(
        &[
            "init",
            &reached_head,
            "final test acc",
            "final test loss",
            "s/epoch",
        ],
        &rows,
    ));
    out
}

/// Two panels: training loss per epoch (log y) and test accuracy per epoch (linear y, from
/// epoch 0 = at init), a line per init.
pub fn write_train_svg(r: &TrainReport, path: &Path) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let root = root
            .titled(
                &format!(
                    "MLP {} ({}), {}, batch {}: {}",
                    super::arch_text(&r.arch),
                    r.activation,
                    optim_text(&r.config.train),
                    r.config.train.batch,
                    if r.train_images >= 60000 {
                        "MNIST 60k/10k"
                    } else {
                        "embedded MNIST subset"
                    }
                ),
                ("sans-serif", 20),
            )
            .map_err(|e| anyhow!("{e}"))?;
        let (left, right) = root.split_horizontally(600);
        let x_max = r.config.train.epochs.max(1) as f64;
        // loss panel (log y)
        let losses: Vec<f64> = r
            .inits
            .iter()
            .flat_map(|i| i.history.epochs.iter().map(|e| e.train_loss))
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let lo = losses.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = losses.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() {
            (lo / 1.5, hi * 1.5)
        } else {
            (1e-2, 10.0)
        };
        let mut chart = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 16))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.5f64..(x_max + 0.5), (lo..hi).log_scale())
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("mean cross-entropy (log scale)")
            .x_labels(r.config.train.epochs.clamp(1, 20))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (k, i) in r.inits.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let pts: Vec<(f64, f64)> = i
                .history
                .epochs
                .iter()
                .map(|e| (e.epoch as f64, e.train_loss))
                .filter(|(_, y)| y.is_finite() && *y > 0.0)
                .collect();
            super::plot::draw_solid_series(&mut chart, &pts, color, &i.init)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        // accuracy panel (linear y, percent)
        let mut chart = ChartBuilder::on(&right)
            .caption(
                format!("test accuracy (target {})", pct(r.target_acc)),
                ("sans-serif", 16),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.2f64..(x_max + 0.2), 0f64..100f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("epoch (0 = at init)")
            .y_desc("accuracy %")
            .x_labels((r.config.train.epochs + 1).clamp(2, 21))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(11)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let t = 100.0 * r.target_acc;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, t), (x_max, t)],
                6,
                4,
                ShapeStyle::from(BLACK.mix(0.5)),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        for (k, i) in r.inits.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let mut pts = vec![(0.0, 100.0 * i.history.initial_test_acc)];
            pts.extend(
                i.history
                    .epochs
                    .iter()
                    .map(|e| (e.epoch as f64, 100.0 * e.test_acc)),
            );
            super::plot::draw_solid_series(&mut chart, &pts, color, &i.init)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    crate::io::write_atomic(path, svg.as_bytes())
}
