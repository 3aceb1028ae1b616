//! Advice: spot layers where the measured signal shrinks or grows, name the likely cause and
//! give the init the theory says fixes it.
//!
//! Rule (docs/theory.md §7, heuristic thresholds): over the hidden activation outputs, take every
//! window of 5 layers (or all of them in a shallower net) and the per-5-layer factor
//! `r = (std_end/std_start)^(5/span)`. A window is flagged when `r < 1/2` (vanishing) or
//! `r > 2` (exploding); runs of flagged windows in one direction are merged. A vanishing
//! run whose units are mostly dead on the whole batch (> 50 %, ReLU family) is put down to
//! dead ReLUs. Independently, a tanh/sigmoid output beyond the first hidden layer that is
//! more than 20 % saturated is flagged as saturation.
//!
//! The suggested init is always Kaiming-normal with the activation's numeric gain
//! `g = 1/√E[φ(z)²]` ([`crate::theory::gains`]): `Var(W) = g²/fan_in`, written as
//! `kaiming_normal:nonlinearity=...` where PyTorch's gain equals `g` (identity, relu,
//! leaky_relu) and as `variance_scaling:scale=g²,mode=fan_in,distribution=normal` (the same
//! distribution) otherwise. The mean-field prediction of the same span with that init is
//! attached, so the advice carries its own check.

use crate::activation::Activation;
use crate::error::Result;
use crate::init::ModelInit;
use crate::model::Sequential;
use crate::stats::LayerStats;
use crate::theory::{gains, MeanFieldNet};
use nninit::{Dist, Init, Mode, Nonlinearity};
use serde::Serialize;

/// Std factor per 5 layers beyond which a span is flagged (and its inverse).
pub const FACTOR_THRESHOLD: f64 = 2.0;
/// Layers per window.
pub const WINDOW: usize = 5;
/// Saturated fraction beyond the first hidden layer that is flagged (docs/theory.md §7).
pub const SATURATION_THRESHOLD: f64 = 0.2;
/// Fraction of units dead on the whole batch above which shrinking is put down to dead ReLUs.
pub const DEAD_THRESHOLD: f64 = 0.5;

/// What the measured statistics show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// The std shrinks by more than 2x per 5 layers (or is identically 0).
    Vanishing,
    /// The std grows by more than 2x per 5 layers.
    Exploding,
    /// The std shrinks and most units are dead (0 for every example).
    DeadRelu,
    /// Bounded activation outputs pile up at ±1 (tanh) or 0/1 (sigmoid).
    Saturation,
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Symptom::Vanishing => "vanishing",
            Symptom::Exploding => "exploding",
            Symptom::DeadRelu => "dead ReLUs",
            Symptom::Saturation => "saturation",
        })
    }
}

/// One flagged span of layers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// Label of the first layer output of the span (`ReLU 3`).
    pub from_layer: String,
    /// Label of the last layer output of the span.
    pub to_layer: String,
    /// Measured std factor per 5 layers over the span (`(end/start)^(5/span)`; 0 when the
    /// signal is identically zero; for saturation, the saturated fraction instead).
    pub measured_factor: f64,
    /// The symptom.
    pub symptom: Symptom,
    /// The likely cause, in words.
    pub cause: String,
    /// An init string for `--init` that the theory says fixes it.
    pub suggested_init: String,
    /// The gain in it (`std(W) = gain/√fan_in`).
    pub suggested_gain: f64,
    /// Mean-field predicted std factor per 5 layers over the same span with the suggested
    /// init (`None` when it cannot be predicted).
    pub predicted_factor_with_fix: Option<f64>,
}

/// The init the theory suggests for `act`: Kaiming normal with the numeric gain.
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
    // 7 significant digits keep the string short; the variance is then exact to ~1e-7.
    let scale = round_sig(g.gain * g.gain, 7);
    Ok((
        Init::VarianceScaling {
            scale,
            mode: Mode::FanIn,
            distribution: Dist::Normal,
        },
        scale.sqrt(),
    ))
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * p).round() / p
}

/// Flags spans of `stats` (one forward pass of `model`, as [`Sequential::forward_stats`]
/// returns) per the module rule and suggests a fix. `input_second_moments` (per example,
/// [`crate::theory::row_second_moments`]) feeds the mean-field check of the suggestion.
///
/// # Errors
/// From [`suggested_init`]; a failed prediction only leaves `predicted_factor_with_fix` empty.
pub fn advise(
    model: &Sequential,
    stats: &[LayerStats],
    act: Activation,
    input_second_moments: &[f64],
) -> Result<Vec<Advice>> {
    let hidden: Vec<usize> = (0..stats.len())
        .filter(|&i| stats[i].kind != "Linear")
        .collect();
    let mut out = vec![];
    if hidden.len() < 2 {
        return Ok(out);
    }
    let (init, gain) = suggested_init(act)?;
    let fixed: Option<Vec<f64>> =
        MeanFieldNet::from_model(model, &ModelInit::weights(init.clone()))
            .and_then(|net| net.predict(input_second_moments))
            .ok()
            .map(|p| p.iter().map(|l| l.std).collect());
    let factor = |s: &dyn Fn(usize) -> f64, a: usize, b: usize| -> f64 {
        let (x, y) = (s(hidden[a]), s(hidden[b]));
        if x == 0.0 && y == 0.0 {
            0.0
        } else {
            (y / x).powf(WINDOW as f64 / (b - a) as f64)
        }
    };
    let measured = |i: usize| stats[i].std;
    let span = WINDOW.min(hidden.len() - 1);
    // direction of every window: -1 vanishing, +1 exploding, 0 fine
    let overflowed = |a: usize, b: usize| hidden[a..=b].iter().any(|&i| !measured(i).is_finite());
    let dirs: Vec<i8> = (0..hidden.len() - span)
        .map(|a| {
            let r = factor(&measured, a, a + span);
            if overflowed(a, a + span) {
                1 // inf/NaN: the signal overflowed
            } else if r.is_nan() || r < 1.0 / FACTOR_THRESHOLD {
                -1
            } else if r > FACTOR_THRESHOLD {
                1
            } else {
                0
            }
        })
        .collect();
    let mut a = 0;
    while a < dirs.len() {
        if dirs[a] == 0 {
            a += 1;
            continue;
        }
        let mut b = a;
        while b + 1 < dirs.len() && dirs[b + 1] == dirs[a] {
            b += 1;
        }
        let (start, end) = (a, b + span);
        let r = factor(&measured, start, end);
        let dead = hidden[start..=end]
            .iter()
            .map(|&i| stats[i].frac_dead_units)
            .fold(0.0, f64::max);
        let all_zero = hidden[start..=end].iter().all(|&i| stats[i].std == 0.0);
        let relu_like = matches!(act, Activation::Relu | Activation::LeakyRelu(_));
        let (symptom, cause) = if dirs[a] > 0 && overflowed(start, end) {
            (
                Symptom::Exploding,
                format!(
                    "the signal overflows (std becomes inf/NaN): weights far too large for {act}, \
                     each layer multiplies the signal's second moment by sigma_w^2*E[phi^2]/q > 1"
                ),
            )
        } else if dirs[a] > 0 {
            (
                Symptom::Exploding,
                format!(
                    "weights too large for {act}: each layer multiplies the signal's second \
                     moment by sigma_w^2*E[phi^2]/q > 1"
                ),
            )
        } else if all_zero {
            (
                Symptom::Vanishing,
                "all outputs are constant: zero (or constant) weights carry no signal".to_string(),
            )
        } else if relu_like && dead > DEAD_THRESHOLD {
            (
                Symptom::DeadRelu,
                format!(
                    "up to {:.0}% of units are 0 for every example: the signal dies in the ReLUs",
                    100.0 * dead
                ),
            )
        } else {
            (
                Symptom::Vanishing,
                format!(
                    "weights too small for {act}: each layer multiplies the signal's second \
                     moment by sigma_w^2*E[phi^2]/q < 1"
                ),
            )
        };
        out.push(Advice {
            from_layer: stats[hidden[start]].label.clone(),
            to_layer: stats[hidden[end]].label.clone(),
            measured_factor: r,
            symptom,
            cause,
            suggested_init: init.to_string(),
            suggested_gain: gain,
            predicted_factor_with_fix: fixed.as_ref().map(|p| factor(&|i| p[i], start, end)),
        });
        a = b + 1;
    }
    if act.saturates() {
        let sat: Vec<usize> = hidden[1..]
            .iter()
            .copied()
            .filter(|&i| stats[i].frac_saturated > SATURATION_THRESHOLD)
            .collect();
        if let (Some(&f), Some(&l)) = (sat.first(), sat.last()) {
            let worst = sat
                .iter()
                .map(|&i| stats[i].frac_saturated)
                .fold(0.0, f64::max);
            out.push(Advice {
                from_layer: stats[f].label.clone(),
                to_layer: stats[l].label.clone(),
                measured_factor: worst,
                symptom: Symptom::Saturation,
                cause: format!(
                    "up to {:.0}% of {act} outputs saturated: pre-activations too large \
                     (weights too large), gradients through them ~0",
                    100.0 * worst
                ),
                suggested_init: init.to_string(),
                suggested_gain: gain,
                predicted_factor_with_fix: None,
            });
        }
    }
    Ok(out)
}
