//! `nninit probe`: the classic initialisation experiment on real MNIST.

use crate::args::{ModelArgs, ProbeArgs};
use crate::report::{self, InitResult, LinearDefaultCheck, ProbeReport};
use anyhow::{bail, Context, Result};
use nninit::{Init, Layout, Shape, Stream};
use nninit_diag::data::{Mnist, Normalize, Split};
use nninit_diag::{Activation, Sequential};

/// The six inits of the classic experiment.
pub const DEFAULT_INITS: [&str; 6] = [
    "pytorch-default",
    "xavier_uniform",
    "kaiming_uniform",
    "kaiming_normal",
    "normal:0.02",
    "zeros",
];

/// Names `--init` accepts besides the library's schemes (parsed by `ModelInit`).
const EXTRA_INIT_NAMES: [&str; 5] = [
    "pytorch-default",
    "torch-default",
    "pytorch_default",
    "default",
    "lsuv",
];

/// Splits an init list on commas, keeping commas that belong to an init's own parameters
/// (`uniform:-0.1,0.1,kaiming_uniform` is two inits): the library's splitter, which knows
/// every scheme's parameters, plus this CLI's own names.
pub fn split_init_list(list: &str) -> Vec<String> {
    nninit::Init::split_list(list, &EXTRA_INIT_NAMES)
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `k` evenly spaced quantiles (midpoints) of `v`, or `v` itself when it has at most `k` values.
fn quantiles(v: &[f64], k: usize) -> Vec<f64> {
    if v.len() <= k {
        return v.to_vec();
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    (0..k)
        .map(|i| s[((2 * i + 1) * s.len()) / (2 * k)])
        .collect()
}

impl ModelArgs {
    /// The layer widths (`--depth`/`--width`, else `--arch`; the input must be MNIST's 784)
    /// and the activation.
    pub fn resolve(&self) -> Result<(Vec<usize>, Activation)> {
        let widths = match self.depth {
            Some(d) => Sequential::deep_widths(784, self.width, d, 10)?,
            None => parse_arch(&self.arch)?,
        };
        if widths[0] != 784 {
            bail!(
                "invalid --arch: the first width must be 784 (MNIST images are 28x28), got {}",
                widths[0]
            );
        }
        Ok((widths, self.activation.parse()?))
    }
}

/// Parses `--arch 784,256,128,10`.
pub fn parse_arch(s: &str) -> Result<Vec<usize>> {
    let mut v = vec![];
    for part in s.split(',') {
        let p = part.trim();
        match p.parse::<usize>() {
            Ok(n) if n > 0 => v.push(n),
            _ => bail!("invalid --arch '{s}': '{p}' is not a positive integer"),
        }
    }
    if v.len() < 2 {
        bail!("invalid --arch '{s}': give at least input and output widths, e.g. 784,256,10");
    }
    Ok(v)
}

pub fn load_data(mnist: Option<&std::path::Path>, standardize: bool) -> Result<(Mnist, String)> {
    let (mut data, source) = match mnist {
        Some(dir) => (
            Mnist::load_dir(dir, Split::Test)?,
            format!("MNIST test set from {}", dir.display()),
        ),
        None => (
            Mnist::embedded()?,
            "embedded MNIST subset (first 2,000 test images)".to_string(),
        ),
    };
    if standardize {
        data.normalize(Normalize::Standard);
    }
    Ok((data, source))
}

pub fn run(a: &ProbeArgs) -> Result<()> {
    if let Some(path) = &a.plot {
        crate::io::check_output_path(path, "--plot", "svg", "an SVG chart")?;
    }
    let report = probe(a)?;
    if let Some(path) = &a.plot {
        report::plot::write_probe_svg(&report, path)
            .with_context(|| format!("writing --plot {}", path.display()))?;
    }
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        crate::io::print_stdout(&report::table::probe_text(&report, a.stats == "all"))?;
        if let Some(path) = &a.plot {
            crate::io::print_stdout(&format!("\nchart written to {}\n", path.display()))?;
        }
    }
    Ok(())
}

/// Runs the experiment and returns the report (no printing).
pub fn probe(a: &ProbeArgs) -> Result<ProbeReport> {
    let (widths, act) = a.model.resolve()?;
    let entries = super::train::entries(&a.inits, a.weights.as_deref(), &DEFAULT_INITS)?;
    if a.batch == 0 {
        bail!("--batch must be >= 1");
    }
    let t_data = std::time::Instant::now();
    let (data, source) = load_data(a.mnist.as_deref(), a.standardize)?;
    let data_seconds = t_data.elapsed().as_secs_f64();
    if a.batch > data.n {
        bail!(
            "--batch {} is larger than the data ({} images in the {}); use --batch {} or less{}",
            a.batch,
            data.n,
            source,
            data.n,
            if a.mnist.is_none() {
                ", or --mnist DIR for the full set"
            } else {
                ""
            }
        );
    }
    let (x, labels) = data.batch(0, a.batch)?;

    let bar = indicatif::ProgressBar::new(entries.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} probing {msg} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // The mean-field prediction propagates every example's E[x²] separately and pools them;
    // 256 quantiles of those moments give the same pooled statistics to well under 1e-3 at a
    // fraction of the cost (the full set made a 10,000-image probe 20x slower).
    let input_moments = quantiles(&nninit_diag::theory::row_second_moments(x, a.batch)?, 256);
    let t_probe = std::time::Instant::now();
    // One init per task: on 2+ cores the inits run side by side (each seeds its own stream,
    // so the weights are those of a sequential run).
    use rayon::prelude::*;
    let probe_one = |entry: &super::train::Entry| -> Result<InitResult> {
        bar.set_message(entry.label());
        let mut stream = super::AnyStream::new(&a.rng, a.flavor.as_deref(), a.seed)?;
        let model = super::train::build_model(entry, &widths, act, &mut stream, x, a.batch)?;
        let layers = model.forward_stats(x, a.batch)?;
        let predicted_std = if a.predict {
            // an init the mean field cannot describe (non-zero-mean weights, a file, LSUV)
            // gets nulls
            let p = match entry {
                super::train::Entry::Init(init) => {
                    nninit_diag::theory::MeanFieldNet::from_model(&model, init)
                        .and_then(|net| net.predict(&input_moments))
                }
                super::train::Entry::File(_) => Err(nninit_diag::DiagError::InvalidSpec(
                    "no mean-field prediction for weights from a file".into(),
                )),
            };
            Some(match p {
                Ok(p) => p.iter().map(|l| Some(l.std)).collect(),
                Err(_) => vec![None; layers.len()],
            })
        } else {
            None
        };
        let grad = if a.grad {
            let (loss, layers) = model.grad_stats(x, labels, a.batch, a.lr)?;
            Some(report::GradReport {
                loss,
                lr: a.lr,
                layers,
            })
        } else {
            None
        };
        let advice = nninit_diag::advice::advise(&model, &layers, act, &input_moments)?;
        bar.inc(1);
        Ok(InitResult {
            init: entry.label(),
            layers,
            predicted_std,
            advice,
            grad,
        })
    };
    let results = entries
        .par_iter()
        .map(probe_one)
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    let probe_seconds = t_probe.elapsed().as_secs_f64();

    Ok(ProbeReport {
        arch: widths,
        activation: act.to_string(),
        batch: a.batch,
        seed: a.seed,
        data: source,
        rng: super::AnyStream::new(&a.rng, a.flavor.as_deref(), a.seed)?.label(),
        inits: results,
        linear_default: linear_default_check(&mut super::AnyStream::new(
            &a.rng,
            a.flavor.as_deref(),
            a.seed,
        )?)?,
        seconds: report::Timings {
            data: data_seconds,
            probe: probe_seconds,
        },
    })
}

/// Measures the std of a default `nn.Linear(256, 128)` weight (built from `stream`, freshly
/// seeded: with `--rng torch` this is `torch.manual_seed(seed); nn.Linear(256, 128).weight`)
/// against 1/sqrt(3·256).
pub fn linear_default_check<S: Stream>(stream: &mut S) -> Result<LinearDefaultCheck> {
    let shape = Shape::new(&[128, 256])?;
    let params = nninit::layers::Module::linear(256, 128, true).init::<f32, _>(stream)?;
    let w = params
        .into_iter()
        .next()
        .map(|p| p.2)
        .context("nn.Linear has a weight")?;
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let theory = nninit::layers::linear_weight_init()
        .resolve(&shape, Layout::Torch)?
        .variance(shape.numel())
        .sqrt();
    let quoted = Init::kaiming_normal_default()
        .resolve(&shape, Layout::Torch)?
        .variance(shape.numel())
        .sqrt();
    Ok(LinearDefaultCheck {
        fan_in: 256,
        fan_out: 128,
        measured_std: var.sqrt(),
        theory_std: theory,
        often_quoted_std: quoted,
    })
}
