//! Numeric gains for any activation, beside PyTorch's `calculate_gain`.
//!
//! For `z ~ N(0, 1)` (unit pre-activation variance):
//!
//! * forward gain `g = 1/√E[φ(z)²]` — the weight std multiplier (`Var(W) = g²/fan_in`) that
//!   keeps the pre-activation **second moment** (not the variance: `Var(h) = n·Var(W)·E[x²]`,
//!   a non-zero mean counts) constant from layer to layer. It is also the **mean-field
//!   fixed-point gain**: the `σ_w` for which `q* = 1` is a fixed point of the variance map
//!   `V(q) = σ_w² E[φ(√q z)²]` with `σ_b = 0` (Poole et al. 2016, arXiv 1606.05340); whether
//!   the network converges to that fixed point or runs away from it is `χ_q` (< 1: stable).
//! * backward gain `g_bwd = 1/√E[φ'(z)²]` (keeps the gradient second moment, equal widths);
//! * `χ₁ = g²·E[φ'(z)²]`: per-layer factor of the gradient variance at `q = 1` with gain `g`
//!   (`> 1` chaotic, gradients grow; `< 1` ordered, they vanish; Schoenholz et al. 2017,
//!   arXiv 1611.01232);
//! * `χ_q = dV/dq` at `q = 1` with gain `g`, `= g²·E[φ'(z)² + φ(z)φ''(z)]`, computed by
//!   Stein's lemma as `g²·E[z·φ(z)φ'(z)]` (no second derivative needed).
//!
//! Verified values: docs/theory.md §2.3 (mpmath, scripts/theory_check.py);
//! the tests reproduce that table to 1e-9.

use super::gauss::expect_normal;
use crate::activation::Activation;
use crate::error::{DiagError, Result};
use nninit::Nonlinearity;
use serde::Serialize;

/// Gaussian moments and gains of one activation at unit pre-activation variance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gains {
    /// The activation (parseable text form, e.g. `leaky_relu:0.2`).
    pub activation: String,
    /// PyTorch's `calculate_gain`, where PyTorch has one (identity, relu, leaky_relu, tanh,
    /// sigmoid, selu); `None` otherwise.
    pub torch_gain: Option<f64>,
    /// `E[φ(z)²]`, `z ~ N(0,1)`.
    pub second_moment: f64,
    /// `E[φ(z)]`.
    pub mean: f64,
    /// `E[φ'(z)²]`.
    pub deriv_second_moment: f64,
    /// Forward / mean-field fixed-point gain `1/√E[φ(z)²]` (dimensionless).
    pub gain: f64,
    /// Backward gain `1/√E[φ'(z)²]` (dimensionless).
    pub gain_backward: f64,
    /// `χ₁ = gain²·E[φ'(z)²]`: gradient-variance factor per layer at `q = 1`.
    pub chi1: f64,
    /// `χ_q = dV/dq` at `q = 1` with `gain`: `< 1` the fixed point `q* = 1` is stable.
    pub chi_q: f64,
}

/// PyTorch's `calculate_gain` for an activation, where PyTorch defines one.
pub fn torch_gain(act: Activation) -> Option<f64> {
    let nl = match act {
        Activation::Identity => Nonlinearity::Linear,
        Activation::Relu => Nonlinearity::Relu,
        Activation::LeakyRelu(a) => Nonlinearity::LeakyRelu(a),
        Activation::Tanh => Nonlinearity::Tanh,
        Activation::Sigmoid => Nonlinearity::Sigmoid,
        Activation::Selu => Nonlinearity::Selu,
        _ => return None,
    };
    Some(nl.gain())
}

/// Checks an activation's parameter (leaky slope, ELU alpha) is finite.
pub(crate) fn check_activation(act: Activation) -> Result<()> {
    match act {
        Activation::LeakyRelu(p) | Activation::Elu(p) if !p.is_finite() => Err(
            DiagError::InvalidSpec(format!("activation {act} has a non-finite parameter")),
        ),
        _ => Ok(()),
    }
}

/// Numeric gains of `act` (see the module docs for the formulas).
///
/// # Errors
/// [`DiagError::InvalidSpec`] for a non-finite activation parameter, or an activation whose
/// `E[φ(z)²]` is 0 (no gain preserves a signal that is identically zero).
///
/// # Example
/// ```
/// use nninit_diag::{theory::gains, Activation};
/// let g = gains(Activation::Relu)?;
/// assert!((g.gain - 2f64.sqrt()).abs() < 1e-12);
/// assert!((gains(Activation::Tanh)?.gain - 1.5925374197).abs() < 1e-9);
/// # Ok::<(), nninit_diag::DiagError>(())
/// ```
pub fn gains(act: Activation) -> Result<Gains> {
    check_activation(act)?;
    let phi2 = expect_normal(|x| act.apply(x).powi(2), 0.0, 1.0);
    let mean = expect_normal(|x| act.apply(x), 0.0, 1.0);
    let dphi2 = expect_normal(|x| act.derivative(x).powi(2), 0.0, 1.0);
    let stein = expect_normal(|x| x * act.apply(x) * act.derivative(x), 0.0, 1.0);
    if !(phi2 > 0.0 && phi2.is_finite()) {
        return Err(DiagError::InvalidSpec(format!(
            "activation {act} has E[phi(z)^2] = {phi2}; no gain preserves it"
        )));
    }
    let g2 = 1.0 / phi2;
    Ok(Gains {
        activation: act.to_string(),
        torch_gain: torch_gain(act),
        second_moment: phi2,
        mean,
        deriv_second_moment: dphi2,
        gain: g2.sqrt(),
        gain_backward: if dphi2 > 0.0 {
            1.0 / dphi2.sqrt()
        } else {
            f64::INFINITY
        },
        chi1: g2 * dphi2,
        chi_q: g2 * stein,
    })
}

/// A short note on how PyTorch's gain compares with the numeric one (empty when they agree
/// and there is nothing to add).
pub fn gain_note(g: &Gains, act: Activation) -> String {
    let diff = g.torch_gain.map(|t| (t - g.gain) / g.gain);
    match act {
        Activation::Identity | Activation::Relu | Activation::LeakyRelu(_) => {
            "torch = numeric (exact second-moment preservation)".into()
        }
        Activation::Tanh => format!(
            "torch 5/3 is a heuristic, {:+.1}% vs numeric; both chaotic (chi1 > 1)",
            100.0 * diff.unwrap_or(0.0)
        ),
        Activation::Sigmoid => format!(
            "torch 1 is not variance preserving ({:+.0}%); mean 0.5 dominates, chi1 < 1",
            100.0 * diff.unwrap_or(0.0)
        ),
        Activation::Selu => {
            "torch 3/4 is empirical; gain 1 is SELU's self-normalising fixed point".into()
        }
        Activation::Gelu | Activation::GeluTanh | Activation::Silu | Activation::Mish => {
            "no torch gain; q*=1 is unstable (chi_q > 1)".into()
        }
        Activation::Elu(_) | Activation::Softplus => "no torch gain".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_gains() {
        let r = gains(Activation::Relu).unwrap();
        assert!((r.gain - 2f64.sqrt()).abs() < 1e-12);
        assert!((r.chi_q - 1.0).abs() < 1e-12 && (r.chi1 - 1.0).abs() < 1e-12);
        let i = gains(Activation::Identity).unwrap();
        assert!((i.gain - 1.0).abs() < 1e-12);
        assert!(gains(Activation::LeakyRelu(f64::NAN)).is_err());
    }
}
