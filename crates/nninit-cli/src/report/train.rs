//! `nninit train`'s report: the `--json` document, the tables and the loss/accuracy chart.

use super::text::{num, render};
use anyhow::Result;
use nninit_diag::{TrainConfig, TrainHistory};
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
/// epoch 0 = at init), a colour per init, the legend to the right.
pub fn train_svg(r: &TrainReport) -> String {
    use super::svg::{color, render, Chart, Dash, LegendEntry, Line, Panel};
    let epochs = r.config.train.epochs.max(1);
    let mut loss = Panel {
        title: "training loss".into(),
        y_label: "mean cross-entropy (log scale)".into(),
        log_y: true,
        y_range: None,
        lines: vec![],
        refs: vec![],
    };
    let mut acc = Panel {
        title: format!("test accuracy (target {})", pct(r.target_acc)),
        y_label: "accuracy %".into(),
        log_y: false,
        y_range: Some((0.0, 100.0)),
        lines: vec![],
        refs: vec![(100.0 * r.target_acc, "target".into())],
    };
    let mut legend = vec![];
    for (k, i) in r.inits.iter().enumerate() {
        let c = color(k);
        loss.lines.push(Line {
            name: format!("{} loss", i.init),
            color: c,
            dash: Dash::Solid,
            markers: true,
            points: i
                .history
                .epochs
                .iter()
                .map(|e| (e.epoch as f64, e.train_loss))
                .collect(),
        });
        let mut pts = vec![(0.0, 100.0 * i.history.initial_test_acc)];
        pts.extend(
            i.history
                .epochs
                .iter()
                .map(|e| (e.epoch as f64, 100.0 * e.test_acc)),
        );
        acc.lines.push(Line {
            name: format!("{} accuracy", i.init),
            color: c,
            dash: Dash::Solid,
            markers: true,
            points: pts,
        });
        legend.push(LegendEntry {
            text: if i.history.diverged {
                format!("{} (diverged)", i.init)
            } else {
                i.init.clone()
            },
            color: c,
            dash: Dash::Solid,
            marker: true,
        });
    }
    let every = epochs.div_ceil(20).max(1);
    let chart = Chart {
        title: format!(
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
        x_label: "epoch (0 = at init)".into(),
        x_range: (-0.3, epochs as f64 + 0.3),
        x_ticks: (0..=epochs)
            .filter(|e| e % every == 0)
            .map(|e| (e as f64, e.to_string()))
            .collect(),
        panels: vec![loss, acc],
        legend: vec![("init".into(), legend)],
    };
    render(&chart)
}

/// Writes [`train_svg`] to `path` atomically.
pub fn write_train_svg(r: &TrainReport, path: &Path) -> Result<()> {
    crate::io::write_atomic(path, train_svg(r).as_bytes())
}
