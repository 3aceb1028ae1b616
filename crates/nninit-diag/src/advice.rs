//! Advice: read a network's per-layer statistics, say what is wrong and — only when the
//! theory predicts it works — which init fixes it.
//!
//! The entry point is [`advise`], a function of plain numbers ([`Observation`]: the widths, the
//! activation, the measured [`LayerStats`] of every layer output, optionally the measured
//! [`GradStats`] and the mean-field [`LayerPrediction`]s of the network as initialised, and the
//! input's moments). Everything is serde-serialisable, so another front end (the Python probe)
//! can build an `Observation` from its own measurements and get the same advice; for models that
//! are not MLPs, [`module::advise_module`] applies the same rules to any model's recorded outputs.
//!
//! Rules (docs/theory.md §7; thresholds are heuristics, stated here):
//!
//! * **overflow** — a layer output holds inf/NaN: "exploding: inf/NaN from layer k". The
//!   forward rules below are skipped (their numbers are meaningless).
//! * **constant weights** — a Linear weight with std 0 (zeros, ones, any constant): every unit
//!   computes the same function and gets the same gradient, so symmetry is never broken.
//!   Flagged at any depth.
//! * **vanishing / exploding signal** — over the hidden activation outputs, the factor of the
//!   pooled std from the first to the last, `F`, and per layer `F^(1/n)`; flagged when
//!   `|ln F| > max(ln 4, 1.5·√(5·Σ 1/n_j))` — the second term is 3 sd of the finite-width
//!   scatter of the log-std of a ReLU net (docs/theory.md §2.6). No extrapolation: the factor
//!   is reported per layer and over the span it was measured on. A vanishing span of mostly
//!   dead ReLUs (> 50 % of units 0 on the whole batch) is called dead ReLUs.
//! * **collapse** — different inputs become indistinguishable: at the last hidden layer the
//!   mean cosine similarity between inputs is above `1 − 1e-3`, or the signal (mean per-unit std
//!   across inputs) is below 3 % of the pooled std (a plateau of bias spread, not signal) —
//!   provided the inputs themselves are distinct (cosine below `1 − 1e-3`).
//! * **gradients** — the factor of the gradient std from the last Linear output back to the
//!   first, width-corrected (`√(Var(g_1)/Var(g_L) · n_1/n_L)`, which is `√Π χ₁` in mean
//!   field): measured with `--grad`, else predicted from `χ₁ = σ_w²·E[φ'(h)²]` of each Linear
//!   layer after the first. `< 1/10`: vanishing gradients (ordered phase); `> 10`: chaos
//!   (exploding gradients, inputs decorrelate).
//! * **saturation** — a tanh/sigmoid output beyond the first hidden layer more than 20 %
//!   saturated.
//!
//! **Fixes are checked.** Candidate inits — Kaiming-normal with the numeric gain
//! `1/√E[φ(z)²]`; the gain whose fixed point is the data's own scale (`E[φ(√q z)²] = E[x²]`,
//! `σ_w² = q/E[x²]`); the critical point at `σ_b = 0` — are each run through the mean-field
//! prediction of the whole network on the same inputs, and the same rules are applied to the
//! prediction. Of the candidates that pass every rule, the one whose predicted factors are
//! closest to 1 is suggested, with those factors; when none does, the advice says what would (a different activation, normalisation,
//! residual connections, a bias variance) instead of printing an init that fails.

use crate::activation::Activation;
use crate::error::Result;
use crate::stats::{GradStats, LayerStats};
use crate::theory::{
    critical_point, gains, LayerPrediction, LinearSpec, MeanFieldNet, MfLayer, PairMoments,
};
use nninit::{Dist, Init, Mode, Nonlinearity};
use serde::{Deserialize, Serialize};

/// Smallest factor of the pooled std (or signal) over the hidden span that is flagged (and its
/// inverse), before the finite-width allowance.
pub const FACTOR_THRESHOLD: f64 = 4.0;
/// Factor of a residual stream's std (last block output over the first) beyond which it is
/// flagged (and its inverse): a pre-norm stream grows like `√L` when every block adds a
/// variance comparable to the stream's; GPT-2's `1/√(2L)` projections keep 12 blocks within
/// 2x (README: 3.5x vs 1.6x on a 12-block GPT).
pub const RESIDUAL_FACTOR_THRESHOLD: f64 = 2.0;
/// Factor of the gradient std over the network beyond which gradients are flagged.
pub const GRAD_THRESHOLD: f64 = 10.0;
/// `1 − cosine` below which the inputs count as collapsed onto each other.
pub const COLLAPSE_THRESHOLD: f64 = 1e-3;
/// Signal / pooled std below which the output is counted as a plateau (bias spread only).
pub const SIGNAL_FRACTION_THRESHOLD: f64 = 0.03;
/// Saturated fraction beyond the first hidden layer that is flagged (docs/theory.md §7).
pub const SATURATION_THRESHOLD: f64 = 0.2;
/// Fraction of units dead on the whole batch above which shrinking is put down to dead ReLUs.
pub const DEAD_THRESHOLD: f64 = 0.5;

/// What the statistics show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// The pooled std shrinks beyond the threshold over the hidden layers.
    Vanishing,
    /// The pooled std grows beyond the threshold.
    Exploding,
    /// inf/NaN in a layer output (f32 overflow).
    Overflow,
    /// The std shrinks and most units are dead (0 for every example).
    DeadRelu,
    /// A Linear weight is constant (std 0): no symmetry breaking.
    ConstantWeights,
    /// Inputs become indistinguishable (cosine → 1, or only the bias spread is left).
    Collapse,
    /// Gradients shrink going back (ordered phase, `χ₁ < 1`).
    VanishingGradients,
    /// Gradients grow going back (chaotic phase, `χ₁ > 1`).
    Chaos,
    /// Bounded activation outputs pile up at ±1 (tanh) or 0/1 (sigmoid).
    Saturation,
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Symptom::Vanishing => "vanishing",
            Symptom::Exploding => "exploding",
            Symptom::Overflow => "overflow",
            Symptom::DeadRelu => "dead ReLUs",
            Symptom::ConstantWeights => "constant weights",
            Symptom::Collapse => "collapse",
            Symptom::VanishingGradients => "vanishing gradients",
            Symptom::Chaos => "chaos (exploding gradients)",
            Symptom::Saturation => "saturation",
        })
    }
}

/// Which numbers a finding rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The measured statistics.
    Measured,
    /// The mean-field prediction of the network as initialised (e.g. `χ₁` without `--grad`).
    Predicted,
}

/// The input moments the mean-field check of a fix starts from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputMoments {
    /// `E[x²]` per example (or quantiles of them), [`crate::theory::row_second_moments`].
    pub second_moments: Vec<f64>,
    /// `[E[x_a²], E[x_b²], E[x_a x_b]]` of pairs of examples,
    /// [`crate::theory::row_pair_moments`].
    pub pairs: Vec<PairMoments>,
}

/// Everything [`advise`] reads: plain numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Layer widths, input first (`784, 256, 128, 10`): a Linear layer between consecutive
    /// widths, the activation after every hidden one.
    pub widths: Vec<usize>,
    /// The activation (parseable text: `relu`, `leaky_relu:0.2`, ...).
    pub activation: String,
    /// Measured statistics of every layer output, in order (Linear, activation, Linear, ...).
    pub layers: Vec<LayerStats>,
    /// Measured backward statistics (one pass of the loss), aligned with `layers`.
    #[serde(default)]
    pub grads: Option<Vec<GradStats>>,
    /// Mean-field prediction of the network as initialised, aligned with `layers` (gives
    /// `χ₁` when `grads` is absent).
    #[serde(default)]
    pub predicted: Option<Vec<LayerPrediction>>,
    /// The input's moments (for checking fixes).
    pub input: InputMoments,
}

/// A suggested init and what the mean field predicts with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// An `--init` string.
    pub init: String,
    /// Its gain: `std(W) = gain/√fan_in`.
    pub gain: f64,
    /// Why this candidate (numeric gain, data-scale fixed point, critical point).
    pub rationale: String,
    /// Predicted factor of the pooled std over the hidden layers (first to last hidden
    /// activation output); `None` with fewer than two hidden layers.
    pub std_factor: Option<f64>,
    /// Predicted factor of the gradient std from the last Linear output to the first
    /// (`√Π χ₁`); `None` with one Linear layer.
    pub grad_factor: Option<f64>,
    /// Predicted cosine similarity between inputs at the last hidden layer.
    pub cosine: Option<f64>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// The symptom.
    pub symptom: Symptom,
    /// Label of the first layer output of the span (`ReLU 3`).
    pub from_layer: String,
    /// Label of the last layer output of the span.
    pub to_layer: String,
    /// Layer steps in the span (hidden layers for the signal rules, Linear layers for the
    /// gradient rule); 0 for a single layer.
    pub steps: usize,
    /// The factor per layer step (geometric mean over the span); `None` where not a factor.
    pub factor_per_layer: Option<f64>,
    /// The factor over the whole span (for saturation: the worst saturated fraction; for
    /// collapse: the cosine similarity).
    pub factor_total: Option<f64>,
    /// Measured or predicted.
    pub basis: Basis,
    /// The likely cause, in words.
    pub cause: String,
    /// An init the mean field predicts passes every rule (`None` when none does).
    pub fix: Option<Fix>,
    /// What to do when no init fixes it (`None` when `fix` is given).
    pub remedy: Option<String>,
}

/// A layer output as the rules see it (measured or predicted).
#[derive(Debug, Clone)]
struct View {
    label: String,
    linear: bool,
    width: usize,
    std: f64,
    signal: Option<f64>,
    cosine: Option<f64>,
    dead: f64,
    saturated: f64,
    nonfinite: bool,
    weight_std: Option<f64>,
    chi1: Option<f64>,
    grad_std: Option<f64>,
}

/// A finding before a fix is attached.
struct Finding {
    symptom: Symptom,
    from: usize,
    to: usize,
    steps: usize,
    per_layer: Option<f64>,
    total: Option<f64>,
    basis: Basis,
    cause: String,
}

fn measured_views(obs: &Observation) -> Vec<View> {
    // one example: nothing to compare across inputs (no signal, no cosine)
    let across = obs.input.second_moments.len() != 1;
    obs.layers
        .iter()
        .enumerate()
        .map(|(i, l)| View {
            label: l.label.clone(),
            linear: l.kind == "Linear",
            width: l.width,
            std: l.std,
            signal: across.then_some(l.signal),
            cosine: l.mean_cosine.filter(|_| across),
            dead: l.frac_dead_units,
            saturated: l.frac_saturated,
            nonfinite: l.frac_nonfinite > 0.0 || !l.std.is_finite(),
            weight_std: l.weight_std,
            chi1: obs
                .predicted
                .as_ref()
                .and_then(|p| p.get(i))
                .and_then(|p| p.chi1),
            grad_std: obs
                .grads
                .as_ref()
                .and_then(|g| g.get(i))
                .map(|g| g.output_grad_std),
        })
        .collect()
}

fn predicted_views(labels: &[(String, bool, usize)], pred: &[LayerPrediction]) -> Vec<View> {
    labels
        .iter()
        .zip(pred)
        .map(|((label, linear, width), p)| View {
            label: label.clone(),
            linear: *linear,
            width: *width,
            std: p.std,
            signal: p.signal,
            cosine: p.cosine,
            dead: 0.0,
            saturated: p.frac_saturated,
            nonfinite: !p.std.is_finite(),
            weight_std: None,
            chi1: p.chi1,
            grad_std: None,
        })
        .collect()
}

fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e-3 && x.abs() < 1e4 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

/// The hidden activation outputs: every non-Linear layer output.
fn hidden(v: &[View]) -> Vec<usize> {
    (0..v.len()).filter(|&i| !v[i].linear).collect()
}

/// The rules of the module docs on one set of views.
/// What the rules need to know of the non-linearity between the layers.
#[derive(Debug, Clone)]
struct ActInfo {
    /// Its name in the causes (`relu`, `tanh`, `the residual blocks`).
    text: String,
    /// ReLU-like: a shrinking span of mostly dead units is called dead ReLUs.
    relu_like: bool,
    /// Saturating (tanh, sigmoid): the saturation rule applies.
    saturates: bool,
    /// The chain is a residual stream (block outputs): its factor is flagged beyond
    /// [`RESIDUAL_FACTOR_THRESHOLD`], with no finite-width allowance.
    residual: bool,
}

impl From<Activation> for ActInfo {
    fn from(act: Activation) -> ActInfo {
        ActInfo {
            text: act.to_string(),
            relu_like: matches!(act, Activation::Relu | Activation::LeakyRelu(_)),
            saturates: act.saturates(),
            residual: false,
        }
    }
}

fn detect(act: &ActInfo, v: &[View], input_cosine: Option<f64>, basis: Basis) -> Vec<Finding> {
    let (relu_like, saturates, residual) = (act.relu_like, act.saturates, act.residual);
    let act = act.text.as_str();
    let mut out = vec![];
    let h = hidden(v);
    let lin: Vec<usize> = (0..v.len()).filter(|&i| v[i].linear).collect();
    // constant weights; a zero readout alone (the last weight layer, e.g. muP's
    // readout_zero_init) breaks no symmetry: the hidden units still differ, and its rows get
    // different gradients from the first step
    let mut constant: Vec<usize> = (0..v.len())
        .filter(|&i| v[i].weight_std == Some(0.0))
        .collect();
    let zero_readout = lin.last().is_some_and(|&r| v[r].weight_std == Some(0.0));
    if zero_readout && constant.len() == 1 {
        constant.clear();
    }
    // the gradient rule looks through a zero readout (its chi1 is 0 only at step 0)
    let lin: Vec<usize> = if zero_readout && constant.is_empty() {
        lin[..lin.len() - 1].to_vec()
    } else {
        lin
    };
    if let (Some(&a), Some(&b)) = (constant.first(), constant.last()) {
        let names: Vec<&str> = constant.iter().map(|&i| v[i].label.as_str()).collect();
        out.push(Finding {
            symptom: Symptom::ConstantWeights,
            from: a,
            to: b,
            steps: 0,
            per_layer: None,
            total: None,
            basis,
            cause: format!(
                "the weights of {} are constant (std 0): every unit computes the same \
                 function and gets the same gradient, so the units never become different \
                 (no symmetry breaking); all-zero weights also pass no gradient back",
                names.join(", ")
            ),
        });
    }
    // overflow
    if let Some(k) = v.iter().position(|l| l.nonfinite) {
        out.push(Finding {
            symptom: Symptom::Overflow,
            from: k,
            to: v.len() - 1,
            steps: v.len() - 1 - k,
            per_layer: None,
            total: None,
            basis,
            cause: format!(
                "exploding: inf/NaN from {} on (f32 overflow): weights far too large for {act}",
                v[k].label
            ),
        });
        return out;
    }
    // vanishing / exploding pooled std over the hidden outputs
    if h.len() >= 2 {
        let (a, b) = (h[0], h[h.len() - 1]);
        let n = h.len() - 1;
        let (sa, sb) = (v[a].std, v[b].std);
        if sa > 0.0 || sb > 0.0 {
            let total = sb / sa;
            let inv_width: f64 = h[1..].iter().map(|&i| 1.0 / v[i].width.max(1) as f64).sum();
            let tol = if residual {
                RESIDUAL_FACTOR_THRESHOLD.ln()
            } else {
                FACTOR_THRESHOLD.ln().max(1.5 * (5.0 * inv_width).sqrt())
            };
            let lt = total.ln();
            if lt.is_nan() || lt < -tol || lt > tol {
                let per = if total > 0.0 {
                    total.powf(1.0 / n as f64)
                } else {
                    0.0
                };
                let dead = h.iter().map(|&i| v[i].dead).fold(0.0, f64::max);
                let (symptom, cause) = if lt > tol {
                    (
                        Symptom::Exploding,
                        format!(
                            "weights too large for {act}: each layer multiplies the signal's \
                             second moment by sigma_w^2*E[phi^2]/q > 1"
                        ),
                    )
                } else if relu_like && dead > DEAD_THRESHOLD {
                    (
                        Symptom::DeadRelu,
                        format!(
                            "up to {:.0}% of units are 0 for every example: the signal dies \
                             in the ReLUs",
                            100.0 * dead
                        ),
                    )
                } else {
                    (
                        Symptom::Vanishing,
                        format!(
                            "weights too small for {act}: each layer multiplies the signal's \
                             second moment by sigma_w^2*E[phi^2]/q < 1"
                        ),
                    )
                };
                out.push(Finding {
                    symptom,
                    from: a,
                    to: b,
                    steps: n,
                    per_layer: Some(per),
                    total: Some(total),
                    basis,
                    cause,
                });
            }
        }
    }
    // collapse: at the last hidden output (activation, or the only Linear before the output)
    let distinct_inputs = input_cosine.is_none_or(|c| 1.0 - c >= COLLAPSE_THRESHOLD);
    let collapsed = |l: &View| -> bool {
        let cos = l.cosine.is_some_and(|c| 1.0 - c < COLLAPSE_THRESHOLD);
        let plateau = l
            .signal
            .is_some_and(|s| l.std > 0.0 && s < SIGNAL_FRACTION_THRESHOLD * l.std);
        cos || plateau
    };
    let hid_all: Vec<usize> = (0..v.len().saturating_sub(1)).collect();
    if distinct_inputs && !hid_all.is_empty() && constant.is_empty() {
        let last = hid_all[hid_all.len() - 1];
        if collapsed(&v[last]) {
            // the span: from the first hidden output that is collapsed and stays so
            let mut first = last;
            while first > 0 && collapsed(&v[first - 1]) {
                first -= 1;
            }
            let l = &v[last];
            let cos_txt = l
                .cosine
                .map(|c| {
                    format!(
                        "cosine similarity between inputs {c:.6} (1 - c = {})",
                        num(1.0 - c)
                    )
                })
                .unwrap_or_else(|| "no cosine".into());
            let sig_txt = l
                .signal
                .map(|s| format!("signal {} vs std {}", num(s), num(l.std)))
                .unwrap_or_default();
            out.push(Finding {
                symptom: Symptom::Collapse,
                from: first,
                to: last,
                steps: last - first,
                per_layer: None,
                total: l.cosine,
                basis,
                cause: format!(
                    "different inputs become indistinguishable at {}: {cos_txt}, {sig_txt}; \
                     what is left is the part of each unit's output that is the same for \
                     every input (biases, a shared mean) (ordered phase: the correlation map \
                     drives c to 1)",
                    l.label
                ),
            });
        }
    }
    // gradients
    if lin.len() >= 2 {
        let (a, b) = (lin[0], lin[lin.len() - 1]);
        let steps = lin.len() - 1;
        let measured = match (v[a].grad_std, v[b].grad_std) {
            (Some(ga), Some(gb)) if gb > 0.0 && gb.is_finite() && ga.is_finite() => {
                let ratio = (ga / gb).powi(2) * (v[a].width as f64 / v[b].width.max(1) as f64);
                Some(ratio.sqrt())
            }
            _ => None,
        };
        let chis: Option<Vec<f64>> = lin[1..].iter().map(|&i| v[i].chi1).collect();
        let predicted = chis
            .as_ref()
            .map(|c| c.iter().product::<f64>().max(0.0).sqrt());
        let (factor, basis_g) = match (measured, predicted) {
            (Some(m), _) => (Some(m), Basis::Measured),
            (None, Some(p)) => (Some(p), Basis::Predicted),
            _ => (None, basis),
        };
        let basis_g = if basis == Basis::Predicted {
            Basis::Predicted
        } else {
            basis_g
        };
        if let Some(f) = factor {
            let chi_txt = chis
                .as_ref()
                .map(|c| {
                    let g = c.iter().product::<f64>().powf(1.0 / c.len() as f64);
                    format!(
                        "; chi1 = sigma_w^2*E[phi'^2] = {} per layer (mean field)",
                        num(g)
                    )
                })
                .unwrap_or_default();
            let what = if basis_g == Basis::Measured {
                "measured std(dL/dh), width-corrected"
            } else {
                "predicted sqrt(prod chi1)"
            };
            out.extend(gradient_finding(
                f,
                (a, b, steps),
                (&v[a].label, &v[b].label),
                basis_g,
                &format!("{what}{chi_txt}"),
                true,
            ));
        }
    }
    // saturation
    if saturates && h.len() >= 2 {
        let sat: Vec<usize> = h[1..]
            .iter()
            .copied()
            .filter(|&i| v[i].saturated > SATURATION_THRESHOLD)
            .collect();
        if let (Some(&f), Some(&l)) = (sat.first(), sat.last()) {
            let worst = sat.iter().map(|&i| v[i].saturated).fold(0.0, f64::max);
            out.push(Finding {
                symptom: Symptom::Saturation,
                from: f,
                to: l,
                steps: 0,
                per_layer: None,
                total: Some(worst),
                basis,
                cause: format!(
                    "up to {:.0}% of {act} outputs saturated: pre-activations too large \
                     (weights too large), gradients through them ~0",
                    100.0 * worst
                ),
            });
        }
    }
    out
}

/// The gradient finding for the factor `f` of the gradient std from view `a` back to view
/// `b` over `steps` layer steps, or `None` within [`GRAD_THRESHOLD`]. `why` says how `f` was
/// obtained; `phase` adds the mean-field reading (ordered / chaotic phase) to the cause.
fn gradient_finding(
    f: f64,
    (a, b, steps): (usize, usize, usize),
    (label_a, label_b): (&str, &str),
    basis: Basis,
    why: &str,
    phase: bool,
) -> Option<Finding> {
    if f.is_nan() || (1.0 / GRAD_THRESHOLD..=GRAD_THRESHOLD).contains(&f) {
        return None;
    }
    let vanish = f < 1.0 / GRAD_THRESHOLD;
    let reading = match (vanish, phase) {
        (true, true) => "ordered phase, the first layers barely learn",
        (false, true) => "chaotic phase, nearby inputs are pushed apart and gradients explode",
        (true, false) => "the first layers barely learn",
        (false, false) => "gradients grow going back, the first layers get the largest updates",
    };
    Some(Finding {
        symptom: if vanish {
            Symptom::VanishingGradients
        } else {
            Symptom::Chaos
        },
        from: a,
        to: b,
        steps,
        per_layer: Some(f.powf(1.0 / steps.max(1) as f64)),
        total: Some(f),
        basis,
        cause: format!(
            "the gradient reaching {label_a} is x{} of the one at {label_b} ({why}): {reading}",
            num(f)
        ),
    })
}

/// Kaiming normal with the numeric gain `g = 1/√E[φ(z)²]` for `act`, written as
/// `kaiming_normal:nonlinearity=...` where PyTorch's gain equals `g` (identity, relu,
/// leaky_relu) and as `variance_scaling:scale=g²,mode=fan_in,distribution=normal` otherwise.
///
/// # Errors
/// From [`gains`].
pub fn suggested_init(act: Activation) -> Result<(Init, f64)> {
    let g = gains(act)?;
    let same = |t: Option<f64>| t.is_some_and(|t| (t - g.gain).abs() <= 1e-9 * g.gain);
    let nl = match act {
        Activation::Identity => Some((0.0, Nonlinearity::Linear)),
        Activation::Relu => Some((0.0, Nonlinearity::Relu)),
        Activation::LeakyRelu(a) => Some((a, Nonlinearity::LeakyRelu(a))),
        _ => None,
    };
    if let Some((a, nl)) = nl {
        if same(g.torch_gain) {
            return Ok((Init::kaiming_normal(a, Mode::FanIn, nl), g.gain));
        }
    }
    Ok(scaled(g.gain * g.gain))
}

/// `variance_scaling:scale=σ_w²,mode=fan_in,distribution=normal` (7 significant digits).
fn scaled(sigma_w2: f64) -> (Init, f64) {
    let scale = round_sig(sigma_w2, 7);
    (
        Init::VarianceScaling {
            scale,
            mode: Mode::FanIn,
            distribution: Dist::Normal,
        },
        scale.sqrt(),
    )
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * p).round() / p
}

/// The candidate fixes, in order of preference: (init, gain, rationale).
fn candidates(act: Activation, input: &InputMoments) -> Vec<(Init, f64, String)> {
    let mut out = vec![];
    if let Ok((init, g)) = suggested_init(act) {
        out.push((
            init,
            g,
            format!("numeric gain 1/sqrt(E[phi(z)^2]) of {act} (q* = 1)"),
        ));
    }
    // the data's scale: E[φ(√q z)²] = m0 ⇒ σ_w² = q/m0 keeps q fixed from layer 1 on
    let n = input.second_moments.len();
    if n > 0 {
        let m0 = input.second_moments.iter().sum::<f64>() / n as f64;
        let e2 = |q: f64| crate::theory::meanfield::moments(act, 0.0, q).0;
        if m0 > 0.0 && m0.is_finite() && e2(1e-12) < m0 && e2(1e12) > m0 {
            let (mut lo, mut hi) = (1e-12f64, 1e12f64);
            for _ in 0..200 {
                let mid = (lo * hi).sqrt();
                if e2(mid) < m0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
                if hi / lo < 1.0 + 1e-12 {
                    break;
                }
            }
            let (init, g) = scaled(lo / m0);
            out.push((
                init,
                g,
                format!(
                    "gain whose fixed point is the data's scale (q* = {} from E[x^2] = {})",
                    num(lo),
                    num(m0)
                ),
            ));
        }
    }
    if let Ok(Some(c)) = critical_point(act, 0.0) {
        if c.q_star.is_none_or(|q| q > 0.0) {
            let (init, g) = scaled(c.sigma_w2);
            out.push((init, g, "critical point (chi1 = 1) at sigma_b = 0".into()));
        }
    }
    // one candidate per gain (relu's data-scale gain is its numeric gain, sqrt(2)): the
    // first, simplest name is kept, and the choice cannot hinge on rounding between the two
    let mut kept: Vec<(Init, f64, String)> = vec![];
    for c in out {
        if !kept.iter().any(|k| (k.1 - c.1).abs() <= 1e-6 * c.1.abs()) {
            kept.push(c);
        }
    }
    kept
}

/// `(label, is_linear, width)` of every layer output of the MLP `widths`/`act`.
fn layer_shapes(widths: &[usize]) -> Vec<(String, bool, usize)> {
    let mut out = vec![];
    let n = widths.len().saturating_sub(1);
    for i in 0..n {
        out.push((format!("Linear {}", i + 1), true, widths[i + 1]));
        if i + 1 < n {
            out.push((format!("act {}", i + 1), false, widths[i + 1]));
        }
    }
    out
}

/// The mean-field description of the MLP `widths`/`act` with weights `init`, zero biases.
fn mean_field_mlp(widths: &[usize], act: Activation, init: &Init) -> Result<MeanFieldNet> {
    let mut layers = vec![];
    for (i, w) in widths.windows(2).enumerate() {
        layers.push(MfLayer::Linear(LinearSpec::from_inits(
            w[0],
            w[1],
            init,
            &Init::Zeros,
        )?));
        if i + 2 < widths.len() {
            layers.push(MfLayer::Act(act));
        }
    }
    MeanFieldNet::new(layers)
}

/// Of the candidates whose mean-field prediction passes every rule, the one whose predicted
/// std and gradient factors are closest to 1 (smallest `max(|ln F_std|, |ln F_grad|)`).
fn checked_fix(act: Activation, widths: &[usize], input: &InputMoments) -> Option<Fix> {
    let shapes = layer_shapes(widths);
    let input_cos = input_cosine(input);
    let mut passing = vec![];
    for (init, gain, rationale) in candidates(act, input) {
        let Ok(net) = mean_field_mlp(widths, act, &init) else {
            continue;
        };
        let Ok(pred) = net.predict_with_pairs(&input.second_moments, &input.pairs) else {
            continue;
        };
        let views = predicted_views(&shapes, &pred);
        if !detect(&act.into(), &views, input_cos, Basis::Predicted).is_empty() {
            continue;
        }
        passing.push((init, gain, rationale, views));
    }
    // of the candidates that pass, the one whose predicted factors are closest to 1
    let badness = |views: &[View]| -> f64 {
        let h = hidden(views);
        let s = if h.len() >= 2 {
            (views[h[h.len() - 1]].std / views[h[0]].std).ln().abs()
        } else {
            0.0
        };
        let g: f64 = views
            .iter()
            .filter_map(|v| v.chi1)
            .map(|c| 0.5 * c.ln())
            .sum();
        s.max(g.abs())
    };
    passing.sort_by(|a, b| badness(&a.3).total_cmp(&badness(&b.3)));
    if let Some((init, gain, rationale, views)) = passing.into_iter().next() {
        let h = hidden(&views);
        let std_factor = (h.len() >= 2).then(|| views[h[h.len() - 1]].std / views[h[0]].std);
        let chis: Vec<f64> = views.iter().filter_map(|v| v.chi1).collect();
        let grad_factor = (!chis.is_empty()).then(|| chis.iter().product::<f64>().sqrt());
        let cosine = views
            .len()
            .checked_sub(2)
            .and_then(|i| views.get(i))
            .and_then(|v| v.cosine);
        return Some(Fix {
            init: init.to_string(),
            gain,
            rationale,
            std_factor,
            grad_factor,
            cosine,
        });
    }
    None
}

/// Mean cosine similarity of the input pairs.
fn input_cosine(input: &InputMoments) -> Option<f64> {
    let cs: Vec<f64> = input
        .pairs
        .iter()
        .filter(|p| p[0] > 0.0 && p[1] > 0.0)
        .map(|p| p[2] / (p[0] * p[1]).sqrt())
        .collect();
    (!cs.is_empty()).then(|| cs.iter().sum::<f64>() / cs.len() as f64)
}

/// What to do when no init passes the check.
fn remedy(act: Activation) -> String {
    match act {
        Activation::Sigmoid => "no init fixes this by the mean field's own check: sigmoid's \
            derivative is at most 1/4 and its mean 1/2 is shared by every input, so chi1 stays \
            far below 1 unless the units saturate; use tanh or relu (with kaiming_normal), \
            normalisation (LayerNorm/BatchNorm) or residual connections"
            .into(),
        Activation::Gelu | Activation::GeluTanh | Activation::Silu | Activation::Mish => format!(
            "no init fixes this by the mean field's own check: {act} has no stable non-zero \
             fixed point without a bias (chi_q > 1 at q = 1); use normalisation \
             (LayerNorm/BatchNorm) or residual connections, or relu with kaiming_normal"
        ),
        _ => format!(
            "no weight init fixes this by the mean field's own check at this depth: use \
             normalisation (LayerNorm/BatchNorm) or residual connections, or a critical \
             (sigma_w, sigma_b) pair with a bias variance (nninit theory --activation {act})"
        ),
    }
}

/// The advice for one network (see the module docs for the rules).
///
/// # Errors
/// [`crate::DiagError::InvalidSpec`] for an unknown activation or widths that do not match
/// `layers`.
///
/// # Example
/// ```
/// use nninit_diag::advice::{advise, InputMoments, Observation, Symptom};
/// use nninit_diag::theory::{row_pair_moments, row_second_moments};
/// use nninit_diag::{Activation, ModelInit, Sequential};
/// // a one-hidden-layer ReLU net with zero weights: flagged at any depth
/// let widths = [8, 16, 4];
/// let mut model = Sequential::mlp(&widths, Activation::Relu)?;
/// let mut rng = nninit::RngStream(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0));
/// model.apply(&"zeros".parse::<ModelInit>()?, &mut rng)?;
/// let x: Vec<f32> = (0..8 * 10).map(|i| (i % 7) as f32 / 7.0).collect();
/// let obs = Observation {
///     widths: widths.to_vec(),
///     activation: "relu".into(),
///     layers: model.forward_stats(&x, 10)?,
///     grads: None,
///     predicted: None,
///     input: InputMoments {
///         second_moments: row_second_moments(&x, 10)?,
///         pairs: row_pair_moments(&x, 10)?,
///     },
/// };
/// let advice = advise(&obs)?;
/// assert!(advice.iter().any(|a| a.symptom == Symptom::ConstantWeights));
/// # Ok::<(), nninit_diag::DiagError>(())
/// ```
pub fn advise(obs: &Observation) -> Result<Vec<Advice>> {
    let act: Activation = obs.activation.parse()?;
    let expected = 2 * obs.widths.len().saturating_sub(1);
    if obs.widths.len() < 2 || obs.layers.len() + 1 != expected {
        return Err(crate::DiagError::InvalidSpec(format!(
            "advice: {} layer outputs do not match widths {:?} ({} expected)",
            obs.layers.len(),
            obs.widths,
            expected.saturating_sub(1)
        )));
    }
    let views = measured_views(obs);
    let findings = detect(
        &act.into(),
        &views,
        input_cosine(&obs.input),
        Basis::Measured,
    );
    if findings.is_empty() {
        return Ok(vec![]);
    }
    let fix = checked_fix(act, &obs.widths, &obs.input);
    Ok(findings
        .into_iter()
        .map(|f| f.advice(&views, fix.clone(), fix.is_none().then(|| remedy(act))))
        .collect())
}

impl Finding {
    /// The finding as [`Advice`], its span labelled from `views`.
    fn advice(self, views: &[View], fix: Option<Fix>, remedy: Option<String>) -> Advice {
        Advice {
            symptom: self.symptom,
            from_layer: views[self.from].label.clone(),
            to_layer: views[self.to].label.clone(),
            steps: self.steps,
            factor_per_layer: self.per_layer,
            factor_total: self.total,
            basis: self.basis,
            cause: self.cause,
            fix,
            remedy,
        }
    }
}

/// The advice of one init as the CLI prints it (`nninit probe`; the Python probe's `table()`):
/// one line per finding, then the fix (or the remedy) once. Empty when nothing was flagged.
pub fn text(init: &str, advice: &[Advice]) -> String {
    let mut out = String::new();
    for a in advice {
        let span = if a.from_layer == a.to_layer {
            format!("at {}", a.from_layer)
        } else {
            format!("from {} to {}", a.from_layer, a.to_layer)
        };
        let what = match (a.symptom, a.factor_per_layer, a.factor_total) {
            (Symptom::Saturation, _, Some(w)) => format!(" (worst {:.0}% saturated)", 100.0 * w),
            (Symptom::Vanishing | Symptom::Exploding | Symptom::DeadRelu, Some(p), Some(t)) => {
                format!(
                    " (std x{} per layer, x{} over {} layer{})",
                    num(p),
                    num(t),
                    a.steps,
                    if a.steps == 1 { "" } else { "s" }
                )
            }
            (Symptom::VanishingGradients | Symptom::Chaos, Some(p), Some(t)) => format!(
                " (gradient std x{} per layer, x{} over {} layer{}{})",
                num(p),
                num(t),
                a.steps,
                if a.steps == 1 { "" } else { "s" },
                if a.basis == Basis::Predicted {
                    ", mean-field prediction"
                } else {
                    ", measured"
                }
            ),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {init}: {} {span}{what}: {}\n",
            a.symptom, a.cause
        ));
    }
    // the fix is the same for every finding of one init: printed once; so is a remedy the
    // findings share (a model without a mean-field check has one remedy per symptom)
    if let Some(f) = advice.iter().find_map(|a| a.fix.as_ref()) {
        let mut pred = vec![];
        if let Some(x) = f.std_factor {
            pred.push(format!("std x{} over the hidden layers", num(x)));
        }
        if let Some(x) = f.grad_factor {
            pred.push(format!("gradient x{}", num(x)));
        }
        if let Some(c) = f.cosine {
            pred.push(format!("cosine {c:.4} at the last hidden layer"));
        }
        out.push_str(&format!(
            "    fix: --init {} (gain {:.4}: {}; mean-field check passes: {})\n",
            f.init,
            f.gain,
            f.rationale,
            pred.join(", ")
        ));
    }
    let mut said: Vec<&str> = vec![];
    for r in advice.iter().filter_map(|a| a.remedy.as_deref()) {
        if !said.contains(&r) {
            said.push(r);
            out.push_str(&format!("    {r}\n"));
        }
    }
    out
}

pub mod module;
