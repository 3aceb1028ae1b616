//! Reports: one serialisable struct per command, the source of the table, `--json` and the chart
//! (`svg`: the chart writer; `plot`, `train`: the charts).

pub mod audit;
pub mod html;
pub mod plot;
pub mod svg;
pub mod table;
pub mod text;
pub mod theory;
pub mod train;

use nninit_diag::LayerStats;
use serde::Serialize;

/// `784-256-128-10`; runs of equal widths are compressed: `784-256x20-10`.
pub fn arch_text(widths: &[usize]) -> String {
    let mut parts: Vec<String> = vec![];
    let mut i = 0;
    while i < widths.len() {
        let mut j = i;
        while j + 1 < widths.len() && widths[j + 1] == widths[i] {
            j += 1;
        }
        let run = j - i + 1;
        if run >= 3 {
            parts.push(format!("{}x{run}", widths[i]));
        } else {
            parts.extend(widths[i..=j].iter().map(|w| w.to_string()));
        }
        i = j + 1;
    }
    parts.join("-")
}

/// `nninit probe`'s result (the `--json` document; schema in README).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// Layer widths, input first.
    pub arch: Vec<usize>,
    /// Activation after every hidden Linear.
    pub activation: String,
    /// Images pushed through.
    pub batch: usize,
    /// Seed each init started from.
    pub seed: u64,
    /// Where the data came from.
    pub data: String,
    /// Random stream.
    pub rng: String,
    /// One entry per init, in the order given.
    pub inits: Vec<InitResult>,
    /// The default `nn.Linear(256, 128)` weight std, measured vs theory.
    pub linear_default: LinearDefaultCheck,
    /// Wall-clock seconds: loading the data, and initialising + forward passes of all inits.
    pub seconds: Timings,
}

/// Wall-clock timings, in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// Reading (and decompressing) the data.
    pub data: f64,
    /// Initialising every model and running its forward pass with statistics.
    pub probe: f64,
}

/// Per-layer statistics of one init.
#[derive(Debug, Clone, Serialize)]
pub struct InitResult {
    /// The init's label (`pytorch-default`, `kaiming_uniform`, `normal:std=0.02`, ...).
    pub init: String,
    /// One entry per layer output.
    pub layers: Vec<LayerStats>,
    /// With `--predict`: the mean-field predicted std of each layer output, aligned with
    /// `layers` (`null` where the init cannot be predicted, e.g. non-zero-mean weights).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_std: Option<Vec<Option<f64>>>,
    /// With `--predict`: every predicted statistic of each layer output (std, second moment
    /// q, cosine similarity, signal, bias spread, chi1, ...), aligned with `layers`; `null`
    /// when the init cannot be predicted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<Option<Vec<nninit_diag::theory::LayerPrediction>>>,
    /// Findings (signal, collapse, gradients, overflow, constant weights, saturation), each
    /// with a fix the mean field checked, or a remedy.
    pub advice: Vec<nninit_diag::advice::Advice>,
    /// With `--grad`: one backward pass of the mean cross-entropy on the same batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad: Option<GradReport>,
    /// With `--report`: every layer output's histogram (and its gradient's with `--grad`);
    /// only in the HTML report, not in `--json`.
    #[serde(skip)]
    pub histograms: Option<Vec<nninit_diag::hist::LayerHistograms>>,
}

/// `probe --grad`: the loss and every layer's backward statistics.
#[derive(Debug, Clone, Serialize)]
pub struct GradReport {
    /// Mean cross-entropy of the batch at init (≈ ln 10 = 2.303 for an uninformed model).
    pub loss: f64,
    /// The SGD learning rate of `update_to_data`.
    pub lr: f64,
    /// One entry per layer output, in order.
    pub layers: Vec<nninit_diag::GradStats>,
}

/// Measured std of a default `nn.Linear(256,128)` weight next to the theory.
#[derive(Debug, Clone, Serialize)]
pub struct LinearDefaultCheck {
    pub fan_in: usize,
    pub fan_out: usize,
    pub measured_std: f64,
    /// 1/sqrt(3·fan_in).
    pub theory_std: f64,
    /// sqrt(2/fan_in), the value often (wrongly) quoted.
    pub often_quoted_std: f64,
}
