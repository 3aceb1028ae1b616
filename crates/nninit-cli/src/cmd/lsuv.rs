//! `nninit lsuv`: LSUV-initialise the MLP on an MNIST batch and save it as safetensors.

use crate::args::LsuvArgs;
use crate::report::text::{num, render};
use anyhow::{bail, Context, Result};
use nninit_diag::data::{Mnist, Normalize, Split};
use nninit_diag::lsuv::LsuvLayer;
use nninit_diag::Sequential;
use serde::Serialize;

/// `nninit lsuv --json`.
#[derive(Debug, Clone, Serialize)]
pub struct LsuvReport {
    /// Layer widths, input first.
    pub arch: Vec<usize>,
    /// Activation after every hidden Linear.
    pub activation: String,
    /// Where the batch came from.
    pub data: String,
    /// Images in the batch.
    pub batch: usize,
    /// Seed of the orthogonal pre-init.
    pub seed: u64,
    /// The stream of the orthogonal pre-init: `torch (avx2)`, `std`, `philox`, ...
    pub rng: String,
    /// Tolerance on |std − 1|.
    pub tol: f64,
    /// Maximum rescalings per layer.
    pub max_iter: usize,
    /// One entry per Linear layer.
    pub layers: Vec<LsuvLayer>,
    /// The file written.
    pub out: String,
}

pub fn run(a: &LsuvArgs) -> Result<()> {
    crate::io::check_output_path(&a.out, "--out", "safetensors", "a safetensors file")?;
    let (widths, act) = a.model.resolve()?;
    nninit_diag::lsuv::validate(a.tol, a.max_iter).context("--tol/--max-iter")?;
    if a.batch == 0 {
        bail!("--batch must be >= 1");
    }
    let (mut data, source) = match &a.mnist {
        Some(dir) => (
            Mnist::load_dir(dir, Split::Train)?,
            format!("MNIST training set from {}", dir.display()),
        ),
        None => (
            Mnist::embedded()?,
            "embedded MNIST subset (first 2,000 test images)".to_string(),
        ),
    };
    crate::experiment::non_empty(&data, &source)?;
    if a.standardize {
        data.normalize(Normalize::Standard);
    }
    if a.batch > data.n {
        bail!(
            "--batch {} is larger than the data ({} images in the {source})",
            a.batch,
            data.n
        );
    }
    let (x, _) = data.batch(0, a.batch)?;
    let mut model = Sequential::mlp(&widths, act)?;
    let mut stream = a.stream.stream()?;
    let layers = model.lsuv(a.tol, a.max_iter, x, a.batch, &mut stream)?;
    crate::io::write_atomic(&a.out, &model.to_safetensors()?)?;
    let report = LsuvReport {
        arch: widths,
        activation: act.to_string(),
        data: source,
        batch: a.batch,
        seed: a.stream.seed,
        rng: stream.label(),
        tol: a.tol,
        max_iter: a.max_iter,
        layers,
        out: a.out.display().to_string(),
    };
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        let rows: Vec<Vec<String>> = report
            .layers
            .iter()
            .map(|l| {
                vec![
                    l.label.clone(),
                    num(l.std_before),
                    num(l.std_after),
                    l.iterations.to_string(),
                    if l.converged { "yes" } else { "no" }.into(),
                ]
            })
            .collect();
        let mut text = format!(
            "LSUV on MLP {} ({}), {} images of the {}, tol {}, max_iter {}, seed {}, rng {}\n\n",
            crate::report::arch_text(&report.arch),
            report.activation,
            report.batch,
            report.data,
            report.tol,
            report.max_iter,
            report.seed,
            report.rng
        );
        text.push_str(&render(
            &[
                "layer",
                "std after orthogonal",
                "std after LSUV",
                "rescalings",
                "converged",
            ],
            &rows,
        ));
        text.push_str(&format!(
            "\nwrote {} (f32, PyTorch nn.Sequential names: {})\n",
            report.out,
            model
                .param_names()
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        crate::io::print_stdout(&text)?;
    }
    Ok(())
}
