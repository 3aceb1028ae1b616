//! `nninit train`: train the MLP once per init on MNIST, same data order, and compare.

use super::probe::split_init_list;
use crate::args::TrainArgs;
use crate::report::train::{InitTraining, RunConfig, TrainReport};
use crate::report::{self};
use anyhow::{bail, Context, Result};
use nninit::RngStream;
use nninit_diag::data::{Mnist, Normalize, Split};
use nninit_diag::train::{split_train_test, steps_per_epoch, train, TrainConfig};
use nninit_diag::{Activation, ModelInit, Optimizer, Sequential};
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// The inits `nninit train` compares by default.
pub const DEFAULT_TRAIN_INITS: [&str; 5] = [
    "pytorch-default",
    "kaiming_uniform",
    "xavier_uniform",
    "normal:0.01",
    "zeros",
];

/// Images of the embedded subset used for training (the rest, 400, are the test set).
pub const EMBEDDED_TRAIN: usize = 1600;

/// Images of the training data LSUV scales on (fewer if the training set is smaller).
pub const LSUV_BATCH: usize = 500;

/// Where a model's starting parameters come from.
#[derive(Debug, Clone)]
pub enum Entry {
    /// An init scheme (`pytorch-default`, `lsuv`, `kaiming_uniform`, ...).
    Init(ModelInit),
    /// A safetensors file with PyTorch `nn.Sequential` names.
    File(PathBuf),
}

impl Entry {
    /// `kaiming_uniform`, or `file:model.safetensors`.
    pub fn label(&self) -> String {
        match self {
            Entry::Init(i) => i.label(),
            Entry::File(p) => format!(
                "file:{}",
                p.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| p.display().to_string())
            ),
        }
    }
}

/// The entries to compare: the `--init` lists (or `defaults` when none is given and there is
/// no `--weights`), then the `--weights` file.
pub fn entries(inits: &[String], weights: Option<&Path>, defaults: &[&str]) -> Result<Vec<Entry>> {
    for s in inits {
        let t = s.trim();
        if t.is_empty() || t.starts_with(',') || t.ends_with(',') || t.contains(",,") {
            bail!("empty entry in --init '{s}'; give a comma-separated list such as kaiming_uniform,normal:0.02");
        }
    }
    let texts: Vec<String> = if inits.is_empty() {
        if weights.is_some() {
            vec![]
        } else {
            defaults.iter().map(|s| s.to_string()).collect()
        }
    } else {
        inits.iter().flat_map(|s| split_init_list(s)).collect()
    };
    let mut out = vec![];
    for s in &texts {
        out.push(Entry::Init(
            s.parse::<ModelInit>()
                .with_context(|| format!("--init '{s}'"))?,
        ));
    }
    if let Some(w) = weights {
        out.push(Entry::File(w.to_path_buf()));
    }
    if out.is_empty() {
        bail!("--init is empty; give e.g. --init kaiming_uniform,normal:0.02");
    }
    Ok(out)
}

/// A model of these widths with its parameters from `entry`: the init drawn from `stream`
/// (freshly seeded by the caller; LSUV scaled on `x`, `batch` images), or the file loaded.
pub fn build_model<S: nninit::Stream>(
    entry: &Entry,
    widths: &[usize],
    act: Activation,
    stream: &mut S,
    x: &[f32],
    batch: usize,
) -> Result<Sequential> {
    let mut model = Sequential::mlp(widths, act)?;
    match entry {
        Entry::Init(init) => {
            model.apply_with_data(init, stream, x, batch)?;
        }
        // the error names the file already
        Entry::File(p) => model.load_safetensors_file(p)?,
    }
    Ok(model)
}

/// Training and test sets: with `--mnist DIR` the standard 60,000 / 10,000 split, else the
/// embedded subset's first 1,600 / last 400 images. Returns them and a description.
pub fn load_train_test(mnist: Option<&Path>, standardize: bool) -> Result<(Mnist, Mnist, String)> {
    let (mut tr, mut te, source) = match mnist {
        Some(dir) => (
            Mnist::load_dir(dir, Split::Train)?,
            Mnist::load_dir(dir, Split::Test)?,
            format!("MNIST from {} (train 60,000 / test 10,000)", dir.display()),
        ),
        None => {
            let all = Mnist::embedded()?;
            let (tr, te) = split_train_test(&all, EMBEDDED_TRAIN)?;
            let src = format!(
                "embedded MNIST subset (first {} of the 2,000 images to train, last {} to test)",
                tr.n, te.n
            );
            (tr, te, src)
        }
    };
    if standardize {
        tr.normalize(Normalize::Standard);
        te.normalize(Normalize::Standard);
    }
    Ok((tr, te, source))
}

pub fn run(a: &TrainArgs) -> Result<()> {
    if let Some(path) = &a.plot {
        crate::io::check_output_path(path, "--plot", "svg", "an SVG chart")?;
    }
    let report = train_all(a)?;
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
    }
    Ok(())
}

/// Trains every entry and returns the report (no printing).
pub fn train_all(a: &TrainArgs) -> Result<TrainReport> {
    let (widths, act) = a.model.resolve()?;
    let entries = entries(&a.inits, a.weights.as_deref(), &DEFAULT_TRAIN_INITS)?;
    let optimizer = match a.optim.as_str() {
        "adam" => Optimizer::adam(a.lr.unwrap_or(1e-3)),
        _ => Optimizer::Sgd {
            lr: a.lr.unwrap_or(0.01),
            momentum: a.momentum,
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
    let (train_set, test_set, source) = load_train_test(a.mnist.as_deref(), a.standardize)?;
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
        let mut model = build_model(
            entry,
            &widths,
            act,
            &mut RngStream(rand::rngs::StdRng::seed_from_u64(a.seed)),
            lsuv_x,
            lsuv_n,
        )
        .with_context(|| format!("init {label}"))?;
        let base = (k * steps) as u64;
        // the data order: its own generator, seeded from --seed (the same for every init)
        let mut order = rand::rngs::StdRng::seed_from_u64(a.seed);
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
            seed: a.seed,
        },
        target_acc: a.target_acc,
        inits: results,
    })
}
