//! `nninit probe`: the classic initialisation experiment on real MNIST.

use crate::args::ProbeArgs;
use crate::experiment::{self, Entry};
use crate::report::{self, InitResult, LinearDefaultCheck, ProbeReport};
use anyhow::{bail, Context, Result};
use nninit::{Init, Layout, Shape, Stream};

/// The six inits of the classic experiment.
pub const DEFAULT_INITS: [&str; 6] = [
    "pytorch-default",
    "xavier_uniform",
    "kaiming_uniform",
    "kaiming_normal",
    "normal:0.02",
    "zeros",
];

pub fn run(a: &ProbeArgs) -> Result<()> {
    if let Some(path) = &a.plot {
        crate::io::check_output_path(path, "--plot", "svg", "an SVG chart")?;
    }
    if let Some(path) = &a.report {
        crate::io::check_output_path(path, "--report", "html", "an HTML report")?;
    }
    let report = probe(a)?;
    if let Some(path) = &a.report {
        report::html::write_report(&report::html::probe_document(&report)?, path)
            .with_context(|| format!("writing --report {}", path.display()))?;
    }
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
        if let Some(path) = &a.report {
            crate::io::print_stdout(&format!("report written to {}\n", path.display()))?;
        }
    }
    Ok(())
}

/// Runs the experiment and returns the report (no printing).
pub fn probe(a: &ProbeArgs) -> Result<ProbeReport> {
    let (widths, act) = a.model.resolve()?;
    let entries = experiment::entries(&a.inits, a.weights.as_deref(), &DEFAULT_INITS)?;
    experiment::check_save_init(a.save_init.as_deref())?;
    if a.batch == 0 {
        bail!("--batch must be >= 1");
    }
    let t_data = std::time::Instant::now();
    let (data, source) = experiment::load_data(a.mnist.as_deref(), a.standardize)?;
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
    // 256 quantiles of the per-example E[x²] (see moment_quantiles)
    let input = nninit_diag::advice::InputMoments {
        second_moments: nninit_diag::theory::moment_quantiles(
            &nninit_diag::theory::row_second_moments(x, a.batch)?,
        ),
        pairs: nninit_diag::theory::row_pair_moments(x, a.batch)?,
    };
    let t_probe = std::time::Instant::now();
    // One init per task: on 2+ cores the inits run side by side (each seeds its own stream,
    // so the weights are those of a sequential run).
    use rayon::prelude::*;
    let probe_one = |(k, entry): (usize, &Entry)| -> Result<InitResult> {
        bar.set_message(entry.label());
        let model = experiment::initial_model(entry, &widths, act, &a.stream, x, a.batch)?;
        experiment::save_init(a.save_init.as_deref(), k, &model)?;
        let layers = model.forward_stats(x, a.batch)?;
        // The mean-field prediction (always: the advice reads chi1 from it and checks its
        // fixes with it), from the init's laws, or for a file from its weights' measured
        // moments; an init the mean field cannot describe (non-zero-mean weights, LSUV) has
        // none.
        let predicted = match entry {
            Entry::Init(init) => nninit_diag::theory::MeanFieldNet::from_model(&model, init)
                .and_then(|net| net.predict_with_pairs(&input.second_moments, &input.pairs))
                .ok(),
            Entry::File(_) => nninit_diag::theory::MeanFieldNet::from_weights(&model)
                .and_then(|net| net.predict_with_pairs(&input.second_moments, &input.pairs))
                .ok(),
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
        let advice = nninit_diag::advice::advise(&nninit_diag::advice::Observation {
            widths: widths.clone(),
            activation: act.to_string(),
            layers: layers.clone(),
            grads: grad.as_ref().map(|g| g.layers.clone()),
            predicted: predicted.clone(),
            input: input.clone(),
        })?;
        let (predicted_std, predicted) = if a.predict {
            (
                Some(match &predicted {
                    Some(p) => p.iter().map(|l| Some(l.std)).collect(),
                    None => vec![None; layers.len()],
                }),
                Some(predicted),
            )
        } else {
            (None, None)
        };
        let histograms = match &a.report {
            Some(_) => Some(report::html::histograms(
                &model, x, labels, a.batch, a.grad,
            )?),
            None => None,
        };
        bar.inc(1);
        Ok(InitResult {
            init: entry.label(),
            layers,
            predicted_std,
            predicted,
            advice,
            grad,
            histograms,
        })
    };
    let results = entries
        .par_iter()
        .enumerate()
        .map(probe_one)
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    let probe_seconds = t_probe.elapsed().as_secs_f64();

    Ok(ProbeReport {
        arch: widths,
        activation: act.to_string(),
        batch: a.batch,
        seed: a.stream.seed,
        data: source,
        rng: a.stream.stream()?.label(),
        inits: results,
        linear_default: linear_default_check(&mut a.stream.stream()?)?,
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
