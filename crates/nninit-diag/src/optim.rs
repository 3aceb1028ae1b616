//! The optimisers, with PyTorch's update rules: the hyper-parameters ([`Optimizer`]) and one
//! update of one parameter tensor from its gradient ([`Optimizer::update`]).

use crate::error::{DiagError, Result};
use crate::float::Float;
use serde::Serialize;

/// The optimiser, with PyTorch's update rules (no weight decay).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Optimizer {
    /// `torch.optim.SGD(lr, momentum)` (dampening 0, not Nesterov):
    /// `buf ← momentum·buf + g` (`buf = g` on the first step), `p ← p − lr·buf`.
    Sgd {
        /// Learning rate (units of parameter per unit of gradient).
        lr: f64,
        /// Momentum coefficient in `[0, 1)` (dimensionless; 0 = plain SGD).
        momentum: f64,
    },
    /// `torch.optim.Adam(lr, betas=(beta1, beta2), eps)`: `m ← β₁m + (1−β₁)g`,
    /// `v ← β₂v + (1−β₂)g²`, `p ← p − lr·m̂/(√v̂ + eps)` with `m̂ = m/(1−β₁ᵗ)`,
    /// `v̂ = v/(1−β₂ᵗ)`.
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay (PyTorch default 0.9).
        beta1: f64,
        /// Second-moment decay (PyTorch default 0.999).
        beta2: f64,
        /// Denominator guard (PyTorch default 1e-8).
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with PyTorch's defaults for everything but `lr`.
    pub fn adam(lr: f64) -> Optimizer {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// Whether the optimiser keeps a second moment buffer per parameter (Adam).
    pub fn needs_second_moment(&self) -> bool {
        matches!(self, Optimizer::Adam { .. })
    }

    /// Checks the hyper-parameters.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for `lr ≤ 0`, momentum or betas outside `[0, 1)`, `eps ≤ 0`,
    /// or anything non-finite.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f64, want: &str| {
            Err(DiagError::InvalidSpec(format!(
                "{what} must be {want}, got {v}"
            )))
        };
        let unit = |v: f64| v.is_finite() && (0.0..1.0).contains(&v);
        match *self {
            Optimizer::Sgd { lr, momentum } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad("learning rate", lr, "finite and > 0");
                }
                if !unit(momentum) {
                    return bad("momentum", momentum, "in [0, 1)");
                }
            }
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad("learning rate", lr, "finite and > 0");
                }
                if !unit(beta1) {
                    return bad("beta1", beta1, "in [0, 1)");
                }
                if !unit(beta2) {
                    return bad("beta2", beta2, "in [0, 1)");
                }
                if !(eps.is_finite() && eps > 0.0) {
                    return bad("eps", eps, "finite and > 0");
                }
            }
        }
        Ok(())
    }

    /// Update number `step` (1-based) of one parameter tensor `value` from its gradient
    /// `grad`, with PyTorch's rules; `m` is the momentum buffer (SGD) or first moment (Adam),
    /// `v` Adam's second moment (unused by SGD). On step 1 (or when a buffer does not match
    /// the gradient's length) the buffers start as PyTorch's do: SGD's `buf = g`, Adam's
    /// moments 0. Arithmetic in `F` as PyTorch's CPU kernels do (the hyper-parameters and the
    /// bias corrections are formed in `f64` and rounded once). The hyper-parameters must be
    /// valid ([`Optimizer::validate`]).
    pub fn update<F: Float>(
        &self,
        step: i32,
        value: &mut [F],
        grad: &[F],
        m: &mut Vec<F>,
        v: &mut Vec<F>,
    ) {
        match *self {
            Optimizer::Sgd { lr, momentum } => {
                let lr = F::from_f64(lr);
                if momentum > 0.0 {
                    let mu = F::from_f64(momentum);
                    if step == 1 || m.len() != grad.len() {
                        m.clear();
                        m.extend_from_slice(grad); // buf = g on the first step
                    } else {
                        for (m, &g) in m.iter_mut().zip(grad) {
                            *m = *m * mu + g;
                        }
                    }
                    for (x, &m) in value.iter_mut().zip(m.iter()) {
                        *x -= lr * m;
                    }
                } else {
                    for (x, &g) in value.iter_mut().zip(grad) {
                        *x -= lr * g;
                    }
                }
            }
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                if step == 1 || m.len() != grad.len() || v.len() != grad.len() {
                    // zero moments on the first step
                    m.clear();
                    m.resize(grad.len(), F::ZERO);
                    v.clear();
                    v.resize(grad.len(), F::ZERO);
                }
                let (b1, b2) = (F::from_f64(beta1), F::from_f64(beta2));
                let (c1, c2) = (F::from_f64(1.0 - beta1), F::from_f64(1.0 - beta2));
                let bc1 = 1.0 - beta1.powi(step);
                let bc2 = 1.0 - beta2.powi(step);
                let step_size = F::from_f64(lr / bc1);
                let inv_sqrt_bc2 = F::from_f64(1.0 / bc2.sqrt());
                let eps = F::from_f64(eps);
                for (((x, m), v), &g) in value
                    .iter_mut()
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                    .zip(grad)
                {
                    *m = *m * b1 + g * c1;
                    *v = *v * b2 + (g * g) * c2;
                    let denom = v.sqrt() * inv_sqrt_bc2 + eps;
                    *x -= step_size * *m / denom;
                }
            }
        }
    }
}
