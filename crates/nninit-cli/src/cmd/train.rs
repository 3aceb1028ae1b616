//! `nninit train`: train the MLP once per init on MNIST, same data order, and compare.

use crate::args::TrainArgs;
use crate::experiment::{self, Entry, LSUV_BATCH};
use crate::report::train::{InitTraining, RunConfig, TrainReport};
use crate::report::{self};
use crate::stream::data_order_rng;
use anyhow::{bail, Context, Result};
use nninit_diag::train::{steps_per_epoch, train, TrainConfig};
use nninit_diag::Optimizer;

/// The inits `nninit train` compares by default.
pub const DEFAULT_TRAIN_INITS: [&str; 5] = [
    "pytorch-default",
    "kaiming_uniform",
    "xavier_uniform",
    "normal:0.01",
    "zeros",
];

pub fn run(a: &TrainArgs) -> Result<()> {
    if let Some(path) = &a.plot {
        crate::io::check_output_path(path, "--plot", "svg", "an SVG chart")?;
    }
    if let Some(path) = &a.report {
        crate::io::check_output_path(path, "--report", "html", "an HTML report")?;
    }
    let report = train_all(a)?;
    if let Some(path) = &a.report {
        report::html::write_report(&report::html::train_document(&report)?, path)
            .with_context(|| format!("writing --report {}", path.display()))?;
    }
    if let Some(path) = &a.plot {
        report::train::write_train_svg(&report, path)
            .with_context(|| format!("writing --plot {}", path.display()))?;
    }
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        crate::io::print_stdout(&report::train::train_text(&report))?;
        if let Some(path) = &a.plot {
            crate::io::print_stdout(&format!("\nchart written to {}\n", path.display()))?;
        }
        if let Some(path) = &a.report {
            crate::io::print_stdout(&format!("report written to {}\n", path.display()))?;
        }
    }
    Ok(())
}

/// Trains every entry and returns the report (no printing).
pub fn train_all(a: &TrainArgs) -> Result<TrainReport> {
    let (widths, act) = a.model.resolve()?;
    let entries = experiment::entries(&a.inits, a.weights.as_deref(), &DEFAULT_TRAIN_INITS)?;
    experiment::check_save_init(a.save_init.as_deref())?;
    // a bad --flavor fails here, before the data is loaded
    let rng_label = a.stream.stream()?.label();
    let optimizer = match a.optim.as_str() {
        "adam" => {
            if let Some(m) = a.momentum {
                bail!(
                    "--momentum {m} applies only to --optim sgd (Adam's first-moment decay is \
                     its beta1 = 0.9); drop --momentum or use --optim sgd"
                );
            }
            Optimizer::adam(a.lr.unwrap_or(1e-3))
        }
        _ => Optimizer::Sgd {
            lr: a.lr.unwrap_or(0.01),
            momentum: a.momentum.unwrap_or(0.9),
        },
    };
    optimizer.validate()?;
    if a.epochs == 0 {
        bail!("--epochs must be >= 1");
    }
    if a.batch == 0 {
        bail!("--batch must be >= 1");
    }
    if !(a.target_acc.is_finite() && (0.0..=1.0).contains(&a.target_acc)) {
        bail!(
            "--target-acc must be a fraction in [0, 1] (e.g. 0.9 for 90%), got {}",
            a.target_acc
        );
    }
    let (train_set, test_set, source) =
        experiment::load_train_test(a.mnist.as_deref(), a.standardize)?;
    let cfg = TrainConfig {
        epochs: a.epochs,
        batch: a.batch,
        optimizer,
    };
    let lsuv_n = LSUV_BATCH.min(train_set.n);
    let (lsuv_x, _) = train_set.batch(0, lsuv_n)?;

    let steps = steps_per_epoch(train_set.n, a.batch) * a.epochs;
    let bar = indicatif::ProgressBar::new((steps * entries.len()) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} training {msg} [{bar:30}] {pos}/{len} steps, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut results = vec![];
    for (k, entry) in entries.iter().enumerate() {
        let label = entry.label();
        bar.set_message(label.clone());
        let mut model = experiment::initial_model(entry, &widths, act, &a.stream, lsuv_x, lsuv_n)
            .map_err(|e| match entry {
            // a file's error names it (--weights FILE: ...) already
            Entry::File(_) => e,
            Entry::Init(_) => e.context(format!("init {label}")),
        })?;
        experiment::save_init(a.save_init.as_deref(), k, &model)?;
        let base = (k * steps) as u64;
        // the data order: its own generator derived from --seed (the same for every init and
        // every --rng; see `data_order_rng`)
        let mut order = data_order_rng(a.stream.seed);
        let history = train(
            &mut model,
            &train_set,
            &test_set,
            &cfg,
            &mut order,
            &mut |p| bar.set_position(base + p.step as u64),
        )
        .with_context(|| format!("training {label}"))?;
        let epoch_reached_target = history
            .epochs
            .iter()
            .find(|e| e.test_acc >= a.target_acc)
            .map(|e| e.epoch);
        results.push(InitTraining {
            init: label,
            epoch_reached_target,
            history,
        });
    }
    bar.finish_and_clear();
    Ok(TrainReport {
        arch: widths,
        activation: act.to_string(),
        data: source,
        train_images: train_set.n,
        test_images: test_set.n,
        config: RunConfig {
            train: cfg,
            seed: a.stream.seed,
            rng: rng_label,
        },
        target_acc: a.target_acc,
        inits: results,
    })
}
