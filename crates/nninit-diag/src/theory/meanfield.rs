//! Mean-field signal propagation: the variance map, χ, fixed points, the critical line, and
//! the per-layer prediction for an MLP.
//!
//! Poole, Lahiri, Raghu, Sohl-Dickstein, Ganguli 2016 (arXiv 1606.05340); Schoenholz, Gilmer,
//! Ganguli, Sohl-Dickstein 2017 (arXiv 1611.01232); docs/theory.md §2.4–2.5. With zero-mean
//! i.i.d. weights of variance `σ_w²/fan_in` and biases of variance `σ_b²`, in the wide limit
//! each pre-activation is Gaussian with second moment
//!
//! ```text
//! q_{l+1} = σ_w² · E_z[φ(√q_l z)²] + σ_b²          (variance map V(q); fixed point q*)
//! χ₁(q)   = σ_w² · E_z[φ'(√q z)²]                   (gradient-variance factor per layer)
//! χ_q(q)  = dV/dq = σ_w² · E_z[φ'² + φφ''] = σ_w² · E_z[z φ(√q z) φ'(√q z)] / √q
//! ```
//!
//! `σ_w² = Var(W)·fan_in` is always taken from the init itself ([`nninit::Init::resolve`]),
//! never re-derived; pytorch-default's bias `U(±1/√fan_in)` has `σ_b² = 1/(3·fan_in)`.

use super::gain::check_activation;
use super::gauss::{expect_normal_many, GaussHermite};
use crate::activation::Activation;
use crate::error::{DiagError, Result};
use crate::init::ModelInit;
use crate::model::{Layer, Sequential};
use nninit::layers::{linear_bias_init, linear_weight_init};
use nninit::{Init, Layout, Shape};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Panel edges (in pre-activation units) for [`expect_normal_many`]: the kink at 0 of relu,
/// leaky_relu, elu and selu, and for the smooth activations also the scales where their
/// curvature lives (|x| ≲ 30), so that a very wide Gaussian (q ≫ 1, where one unit panel in
/// `z` spans the whole bend of softplus or GELU) is still integrated to ~1e-15. Without these,
/// softplus showed a spurious critical point at q* ≈ 8.9e7.
fn breakpoints(act: Activation) -> &'static [f64] {
    match act {
        Activation::Identity | Activation::Relu | Activation::LeakyRelu(_) => &[0.0],
        _ => &[
            0.0, -0.25, 0.25, -0.5, 0.5, -1.0, 1.0, -2.0, 2.0, -4.0, 4.0, -8.0, 8.0, -16.0, 16.0,
            -32.0, 32.0,
        ],
    }
}

/// Whether `act` is positively homogeneous (`φ(αx) = αφ(x)` for `α > 0`): identity, relu,
/// leaky_relu. Then `E[φ(√q z)²] = q·E[φ(z)²]` and `E[φ'(√q z)²] = E[φ'(z)²]`: the variance
/// map is linear and `χ₁` does not depend on `q`.
pub fn is_homogeneous(act: Activation) -> bool {
    matches!(
        act,
        Activation::Identity | Activation::Relu | Activation::LeakyRelu(_)
    )
}

fn check_var(what: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(DiagError::InvalidSpec(format!(
            "{what} = {v} must be a finite variance >= 0"
        )));
    }
    Ok(())
}

/// `(E[φ(x)²], E[φ(x)], E[φ'(x)²])` for `x ~ N(mean, q)`.
pub fn moments(act: Activation, mean: f64, q: f64) -> (f64, f64, f64) {
    let [m2, m1, d2] = expect_normal_many(
        |x| {
            let y = act.apply(x);
            let d = act.derivative(x);
            [y * y, y, d * d]
        },
        mean,
        q.max(0.0).sqrt(),
        breakpoints(act),
    );
    (m2, m1, d2)
}

/// The variance map `V(q) = σ_w²·E[φ(√q z)²] + σ_b²`.
///
/// # Errors
/// [`DiagError::InvalidSpec`] for a negative or non-finite `sigma_w2`, `sigma_b2` or `q`.
pub fn variance_map(act: Activation, sigma_w2: f64, sigma_b2: f64, q: f64) -> Result<f64> {
    check_activation(act)?;
    check_var("sigma_w^2", sigma_w2)?;
    check_var("sigma_b^2", sigma_b2)?;
    check_var("q", q)?;
    Ok(sigma_w2 * moments(act, 0.0, q).0 + sigma_b2)
}

/// `χ₁ = σ_w²·E[φ'(√q z)²]` (dimensionless).
///
/// # Errors
/// As [`variance_map`].
pub fn chi1(act: Activation, sigma_w2: f64, q: f64) -> Result<f64> {
    check_activation(act)?;
    check_var("sigma_w^2", sigma_w2)?;
    check_var("q", q)?;
    Ok(sigma_w2 * moments(act, 0.0, q).2)
}

/// `χ_q = dV/dq = σ_w²·E[z φ(√q z) φ'(√q z)]/√q` (Stein's lemma form of
/// `σ_w² E[φ'² + φφ'']`); at `q = 0` the limit `σ_w²(φ'(0)² + φ(0)φ''(0))` is approximated
/// at `q = 1e-12`.
///
/// # Errors
/// As [`variance_map`].
pub fn chi_q(act: Activation, sigma_w2: f64, q: f64) -> Result<f64> {
    check_activation(act)?;
    check_var("sigma_w^2", sigma_w2)?;
    check_var("q", q)?;
    let s = q.max(1e-12).sqrt();
    let [e] = expect_normal_many(
        |x| [(x / s) * act.apply(x) * act.derivative(x)],
        0.0,
        s,
        breakpoints(act),
    );
    Ok(sigma_w2 * e / s)
}

/// How the variance map `q ← V(q)` ended (see [`fixed_point`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixedPointStatus {
    /// `|q_{k+1} − q_k| <= 1e-13·q_k` (or the closed form of a homogeneous activation): `q*`
    /// is a positive fixed point.
    Converged,
    /// The signal dies: `q → 0` (`q* = 0` exactly; geometrically, or algebraically as for
    /// tanh at `σ_w = 1, σ_b = 0`, where `q_l ≈ 1/(2l)`).
    Zero,
    /// `q` grows without bound (geometrically, or linearly as for relu at `σ_w² = 2` with a
    /// bias): there is no fixed point.
    Diverges,
    /// Every `q` is a fixed point: homogeneous activation with `σ_w²·E[φ(z)²] = 1`, `σ_b = 0`.
    Any,
    /// The iteration cap was reached with none of the above established; the last iterate is
    /// *not* a fixed point.
    IterationCap,
}

impl std::fmt::Display for FixedPointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FixedPointStatus::Converged => "converged",
            FixedPointStatus::Zero => "q -> 0",
            FixedPointStatus::Diverges => "diverges",
            FixedPointStatus::Any => "every q is a fixed point",
            FixedPointStatus::IterationCap => "not converged: iteration cap",
        })
    }
}

/// The outcome of iterating the variance map from `q = 1`, with `χ₁`, `χ_q` and the
/// correlation map's fixed point `c*` and slope `χ_c` there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedPoint {
    /// `σ_w²`.
    pub sigma_w2: f64,
    /// `σ_b²`.
    pub sigma_b2: f64,
    /// How the iteration ended.
    pub status: FixedPointStatus,
    /// `q*` (pre-activation second moment, squared activation units): `Some` for
    /// `converged` and `zero` (then exactly 0); `None` otherwise.
    pub q_star: Option<f64>,
    /// The last iterate (`inf` when the map overflowed).
    pub q_last: f64,
    /// `χ₁ = σ_w²·E[φ'(√q* z)²]`: > 1 chaotic (gradients explode), < 1 ordered (vanish).
    /// For homogeneous activations the closed form `σ_w²·E[φ'(z)²]`, valid at every `q`
    /// (relu `σ_w²/2`); `None` when there is no `q*` to evaluate it at.
    pub chi1: Option<f64>,
    /// `χ_q = V'(q*)` (< 1: the fixed point is stable); homogeneous: `σ_w²·E[φ(z)²]`.
    pub chi_q: Option<f64>,
    /// Std of the activation output at `q*`: `√(E[φ²] − E[φ]²)`.
    pub act_std: Option<f64>,
    /// Iterations used (0 for a closed form).
    pub iterations: usize,
    /// `status` is `converged` or `zero`.
    pub converged: bool,
    /// Fixed point of the correlation map at `q*` (Poole et al. 2016): 1 in the ordered
    /// phase (inputs collapse onto each other), < 1 in the chaotic phase; `None` without a
    /// positive `q*` (or, for homogeneous activations, where `c ↦ c` has `c* = 1`).
    pub c_star: Option<f64>,
    /// `χ_c = σ_w²·E[φ'(u₁)φ'(u₂)]` at `c*` (the correlation map's slope there; `= χ₁` when
    /// `c* = 1`); the depth scale of correlations is `ξ_c = −1/ln χ_c`.
    pub chi_c: Option<f64>,
}

/// Iteration cap of [`fixed_point`].
pub const FIXED_POINT_MAX_ITER: usize = 100_000;

/// Iterates `q ← V(q)` from `q = 1` (at most [`FIXED_POINT_MAX_ITER`] times; closed forms
/// for identity, relu and leaky_relu) and reports how it ends ([`FixedPointStatus`]).
///
/// # Errors
/// As [`variance_map`].
pub fn fixed_point(act: Activation, sigma_w2: f64, sigma_b2: f64) -> Result<FixedPoint> {
    variance_map(act, sigma_w2, sigma_b2, 1.0)?;
    if is_homogeneous(act) {
        return Ok(homogeneous_fixed_point(act, sigma_w2, sigma_b2));
    }
    let v = |q: f64| sigma_w2 * moments(act, 0.0, q).0 + sigma_b2;
    let v0 = v(0.0);
    let mut q = 1.0f64;
    let mut status = FixedPointStatus::IterationCap;
    let mut it = 0;
    let (mut prev_step, mut growing, mut shrinking) = (f64::NAN, 0usize, 0usize);
    while it < FIXED_POINT_MAX_ITER {
        it += 1;
        let next = v(q);
        if !next.is_finite() || next > 1e100 {
            q = next;
            status = FixedPointStatus::Diverges;
            break;
        }
        let step = next - q;
        if step.abs() <= 1e-13 * q.max(f64::MIN_POSITIVE) {
            q = next;
            status = if q == 0.0 {
                FixedPointStatus::Zero
            } else {
                FixedPointStatus::Converged
            };
            break;
        }
        // counts of consecutive iterations with growing (non-shrinking) increments, and of
        // consecutive decreases
        growing = if step > 0.0 && step >= prev_step * (1.0 - 1e-9) {
            growing + 1
        } else {
            0
        };
        shrinking = if step < 0.0 { shrinking + 1 } else { 0 };
        prev_step = step;
        q = next;
        if v0 == 0.0 && q < 1e-250 {
            status = FixedPointStatus::Zero;
            q = 0.0;
            break;
        }
    }
    if status == FixedPointStatus::IterationCap {
        if growing >= 1000 {
            // increments never shrink: linear (or faster) growth, no fixed point ahead
            status = FixedPointStatus::Diverges;
        } else if v0 == 0.0 && shrinking >= 1000 && q < 1e-3 {
            // still decreasing towards the fixed point 0 (algebraically, e.g. q_l ≈ 1/(2l))
            status = FixedPointStatus::Zero;
        }
    }
    let q_last = q;
    let q_star = match status {
        FixedPointStatus::Converged => Some(q),
        FixedPointStatus::Zero => Some(0.0),
        _ => None,
    };
    let (mut chi1v, mut chiqv, mut act_std, mut c_star, mut chi_c) = (None, None, None, None, None);
    if let Some(qs) = q_star {
        let (m2, m1, _) = moments(act, 0.0, qs);
        chi1v = Some(chi1(act, sigma_w2, qs)?);
        chiqv = Some(chi_q(act, sigma_w2, qs)?);
        act_std = Some((m2 - m1 * m1).max(0.0).sqrt());
        if qs > 0.0 {
            let (c, slope) = correlation_fixed_point(act, sigma_w2, sigma_b2, qs);
            c_star = Some(c);
            chi_c = Some(slope);
        }
    }
    Ok(FixedPoint {
        sigma_w2,
        sigma_b2,
        status,
        q_star,
        q_last: if status == FixedPointStatus::Zero {
            0.0
        } else {
            q_last
        },
        chi1: chi1v,
        chi_q: chiqv,
        act_std,
        iterations: it,
        converged: matches!(status, FixedPointStatus::Converged | FixedPointStatus::Zero),
        c_star,
        chi_c,
    })
}

/// The closed form for identity, relu, leaky_relu: `V(q) = a·q + σ_b²` with
/// `a = σ_w²·E[φ(z)²]`, `χ₁ = σ_w²·E[φ'(z)²]` at every `q`.
fn homogeneous_fixed_point(act: Activation, sigma_w2: f64, sigma_b2: f64) -> FixedPoint {
    let (m2, _, d2) = moments(act, 0.0, 1.0);
    let a = sigma_w2 * m2;
    let chi1v = sigma_w2 * d2;
    let (status, q_star, q_last) = if (a - 1.0).abs() <= 1e-12 {
        if sigma_b2 == 0.0 {
            (FixedPointStatus::Any, None, 1.0)
        } else {
            (FixedPointStatus::Diverges, None, f64::INFINITY)
        }
    } else if a < 1.0 {
        let q = sigma_b2 / (1.0 - a);
        if q == 0.0 {
            (FixedPointStatus::Zero, Some(0.0), 0.0)
        } else {
            (FixedPointStatus::Converged, Some(q), q)
        }
    } else {
        (FixedPointStatus::Diverges, None, f64::INFINITY)
    };
    let act_std = match status {
        FixedPointStatus::Converged | FixedPointStatus::Zero => {
            let qs = q_star.unwrap_or(0.0);
            let (m2q, m1q, _) = moments(act, 0.0, qs);
            Some((m2q - m1q * m1q).max(0.0).sqrt())
        }
        _ => None,
    };
    // the correlation map of a homogeneous φ with σ_b = 0 does not depend on σ_w: c* = 1,
    // approached polynomially for relu (χ_c = 1); with a bias and a converged q*, iterate.
    let (c_star, chi_c) = match (status, q_star) {
        (FixedPointStatus::Converged, Some(qs)) => {
            let (c, s) = correlation_fixed_point(act, sigma_w2, sigma_b2, qs);
            (Some(c), Some(s))
        }
        _ => (None, None),
    };
    FixedPoint {
        sigma_w2,
        sigma_b2,
        status,
        q_star,
        q_last,
        chi1: Some(chi1v),
        chi_q: Some(a),
        act_std,
        iterations: 0,
        converged: matches!(status, FixedPointStatus::Converged | FixedPointStatus::Zero),
        c_star,
        chi_c,
    }
}

/// Nodes per dimension of the 2-D Gauss–Hermite rule of [`pair_moments`].
pub const PAIR_NODES: usize = 48;

fn pair_rule() -> &'static GaussHermite {
    static RULE: OnceLock<GaussHermite> = OnceLock::new();
    RULE.get_or_init(|| GaussHermite::new(PAIR_NODES))
}

/// Moments of a pair of jointly Gaussian pre-activations `(h_a, h_b)` with common mean `mu`,
/// variances `qa`, `qb` and covariance `k`: returns
/// `[E[φ(h_a)²], E[φ(h_b)²], E[φ(h_a)φ(h_b)], E[φ(h_a)], E[φ(h_b)], E[φ'(h_a)φ'(h_b)]]`.
///
/// Closed forms for identity, relu and leaky_relu with `mu = 0` (relu: the arc-cosine kernel
/// of Cho & Saul 2009, `E[relu(h_a)relu(h_b)] = √(q_a q_b)·(sin θ + (π − θ) cos θ)/(2π)`,
/// `θ = arccos ρ`; `P(h_a > 0, h_b > 0) = (π − θ)/(2π)`); otherwise a product Gauss–Hermite
/// rule with [`PAIR_NODES`]² nodes on `h_a = mu + √q_a z₁`,
/// `h_b = mu + √q_b (ρ z₁ + √(1 − ρ²) z₂)`, `ρ = k/√(q_a q_b)`.
pub fn pair_moments(act: Activation, mu: f64, qa: f64, qb: f64, k: f64) -> [f64; 6] {
    let (qa, qb) = (qa.max(0.0), qb.max(0.0));
    let (sa, sb) = (qa.sqrt(), qb.sqrt());
    let rho = if sa > 0.0 && sb > 0.0 {
        (k / (sa * sb)).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let pi = std::f64::consts::PI;
    if mu == 0.0 && is_homogeneous(act) {
        let s = match act {
            Activation::Relu => 0.0,
            Activation::LeakyRelu(s) => s,
            _ => {
                // identity
                return [qa, qb, rho * sa * sb, 0.0, 0.0, 1.0];
            }
        };
        let j = |r: f64| {
            let t = r.clamp(-1.0, 1.0).acos();
            sa * sb * (t.sin() + (pi - t) * t.cos()) / (2.0 * pi)
        };
        let theta = rho.acos();
        let (m2a, m2b) = ((1.0 + s * s) * qa / 2.0, (1.0 + s * s) * qb / 2.0);
        let inv = 1.0 / (2.0 * pi).sqrt();
        let (ea, eb) = ((1.0 - s) * sa * inv, (1.0 - s) * sb * inv);
        let cross = (1.0 + s * s) * j(rho) - 2.0 * s * j(-rho);
        let same = (pi - theta) / (2.0 * pi);
        let diff = theta / (2.0 * pi);
        let dd = same * (1.0 + s * s) + 2.0 * s * diff;
        return [m2a, m2b, cross, ea, eb, dd];
    }
    let gh = pair_rule();
    let c2 = (1.0 - rho * rho).max(0.0).sqrt();
    let mut out = [0.0; 6];
    for (&z1, &w1) in gh.nodes.iter().zip(&gh.weights) {
        let ha = mu + sa * z1;
        let (ya, da) = (act.apply(ha), act.derivative(ha));
        let (mut yb_m, mut yb2_m, mut db_m) = (0.0, 0.0, 0.0);
        for (&z2, &w2) in gh.nodes.iter().zip(&gh.weights) {
            let hb = mu + sb * (rho * z1 + c2 * z2);
            let yb = act.apply(hb);
            yb_m += w2 * yb;
            yb2_m += w2 * yb * yb;
            db_m += w2 * act.derivative(hb);
        }
        out[0] += w1 * ya * ya;
        out[1] += w1 * yb2_m;
        out[2] += w1 * ya * yb_m;
        out[3] += w1 * ya;
        out[4] += w1 * yb_m;
        out[5] += w1 * da * db_m;
    }
    out
}

/// The correlation map at the fixed point `q*` (Poole et al. 2016):
/// `c ↦ (σ_w²·E[φ(u₁)φ(u₂)] + σ_b²)/q*`, `u₁, u₂ ~ N(0, q*)` with correlation `c`.
///
/// # Errors
/// As [`variance_map`]; `q_star` must be > 0.
pub fn correlation_map(
    act: Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q_star: f64,
    c: f64,
) -> Result<f64> {
    check_activation(act)?;
    check_var("sigma_w^2", sigma_w2)?;
    check_var("sigma_b^2", sigma_b2)?;
    if !(q_star.is_finite() && q_star > 0.0) {
        return Err(DiagError::InvalidSpec(format!(
            "q* = {q_star}: the correlation map needs a finite q* > 0"
        )));
    }
    let m = pair_moments(act, 0.0, q_star, q_star, c * q_star);
    Ok((sigma_w2 * m[2] + sigma_b2) / q_star)
}

/// `(c*, χ_c)`: the stable fixed point of the correlation map at `q*` and the map's slope
/// there, `χ_c = σ_w²·E[φ'(u₁)φ'(u₂)]`. When `χ₁ <= 1` the fixed point `c = 1` is stable
/// (ordered phase) and `(1, χ₁)` is returned; otherwise the map is iterated from `c = 0.5`.
fn correlation_fixed_point(act: Activation, sigma_w2: f64, sigma_b2: f64, q: f64) -> (f64, f64) {
    let slope = |c: f64| sigma_w2 * pair_moments(act, 0.0, q, q, c * q)[5];
    let chi1v = slope(1.0);
    if chi1v <= 1.0 {
        return (1.0, chi1v);
    }
    let mut c = 0.5f64;
    for _ in 0..5000 {
        let next =
            ((sigma_w2 * pair_moments(act, 0.0, q, q, c * q)[2] + sigma_b2) / q).clamp(-1.0, 1.0);
        let done = (next - c).abs() <= 1e-13;
        c = next;
        if done {
            break;
        }
    }
    // the iteration stops within ~1e-13 of the fixed point; c* = 0 (odd φ, σ_b = 0) is exact
    if c.abs() < 1e-9 {
        c = 0.0;
    }
    (c, slope(c))
}

/// A point of the critical line (edge of chaos): `χ₁(q*) = 1` at the fixed point `q*` of
/// `(σ_w², σ_b²)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalPoint {
    /// Bias variance `σ_b²` (squared activation units).
    pub sigma_b2: f64,
    /// Critical weight variance `σ_w² = Var(W)·fan_in` (dimensionless).
    pub sigma_w2: f64,
    /// `√σ_w²`: the gain to use (`std(W) = σ_w/√fan_in`).
    pub sigma_w: f64,
    /// `√σ_b²`: the bias std.
    pub sigma_b: f64,
    /// The fixed point `q*`; `None` for positively homogeneous activations (identity, relu,
    /// leaky_relu), where every `q` is preserved at the critical `σ_w` and `σ_b = 0`.
    pub q_star: Option<f64>,
    /// `χ_q(q*)` (< 1: the variance relaxes to `q*`); `None` with `q_star`.
    pub chi_q: Option<f64>,
}

/// The bias variances of docs/theory.md §2.4's critical-line table.
pub const SIGMA_B2_GRID: [f64; 12] = [
    0.0, 1e-4, 1e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0,
];

/// The critical point for bias variance `sigma_b2`, or `None` when `act` has none there.
///
/// Method: parametrise the critical line by `q*` — `χ₁ = 1` gives
/// `σ_w²(q) = 1/E[φ'(√q z)²]`, and the fixed-point condition then gives
/// `σ_b²(q) = q − σ_w²(q)·E[φ(√q z)²]` — and solve `σ_b²(q) = sigma_b2` for `q ≥ 0` by
/// bracketing on a geometric grid up to `q = 1e8` and bisection to 1e-15 relative.
/// The first (smallest) root is returned. For positively homogeneous activations `σ_b²(q) ≡ 0`:
/// the only critical point is `σ_b = 0`, `σ_w² = 1/E[φ'(z)²]` (He: 2 for relu).
///
/// # Errors
/// [`DiagError::InvalidSpec`] for a negative or non-finite `sigma_b2`.
pub fn critical_point(act: Activation, sigma_b2: f64) -> Result<Option<CriticalPoint>> {
    check_activation(act)?;
    check_var("sigma_b^2", sigma_b2)?;
    if matches!(
        act,
        Activation::Identity | Activation::Relu | Activation::LeakyRelu(_)
    ) {
        if sigma_b2 != 0.0 {
            return Ok(None);
        }
        let d2 = moments(act, 0.0, 1.0).2;
        let w2 = 1.0 / d2;
        return Ok(Some(CriticalPoint {
            sigma_b2,
            sigma_w2: w2,
            sigma_w: w2.sqrt(),
            sigma_b: 0.0,
            q_star: None,
            chi_q: None,
        }));
    }
    // s(q) = σ_b²(q) − target; at q = 0 the moments are φ(0)², φ'(0)².
    let line = |q: f64| -> (f64, f64) {
        let (m2, _, d2) = moments(act, 0.0, q);
        let w2 = 1.0 / d2;
        (w2, q - w2 * m2)
    };
    let s = |q: f64| line(q).1 - sigma_b2;
    let mut lo = 0.0f64;
    let mut slo = s(lo);
    if slo == 0.0 {
        return finish(act, sigma_b2, 0.0, line(0.0).0);
    }
    let mut hi = f64::NAN;
    let mut q = 1e-8;
    while q <= 1e8 {
        let sq = s(q);
        if sq == 0.0 {
            return finish(act, sigma_b2, q, line(q).0);
        }
        if sq.is_finite() && slo.is_finite() && (sq > 0.0) != (slo > 0.0) {
            hi = q;
            break;
        }
        lo = q;
        slo = sq;
        q *= 2.0;
    }
    if hi.is_nan() {
        return Ok(None);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let sm = s(mid);
        if (sm > 0.0) == (slo > 0.0) {
            lo = mid;
            slo = sm;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    let qs = 0.5 * (lo + hi);
    finish(act, sigma_b2, qs, line(qs).0)
}

fn finish(act: Activation, sigma_b2: f64, q: f64, w2: f64) -> Result<Option<CriticalPoint>> {
    if !(w2.is_finite() && w2 > 0.0) {
        return Ok(None);
    }
    Ok(Some(CriticalPoint {
        sigma_b2,
        sigma_w2: w2,
        sigma_w: w2.sqrt(),
        sigma_b: sigma_b2.sqrt(),
        q_star: Some(q),
        chi_q: Some(chi_q(act, w2, q)?),
    }))
}

/// One Linear layer as the mean field sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinearSpec {
    /// Inputs.
    pub fan_in: usize,
    /// Outputs.
    pub fan_out: usize,
    /// `σ_w² = Var(W)·fan_in` (dimensionless).
    pub sigma_w2: f64,
    /// Mean of the bias entries.
    pub bias_mean: f64,
    /// Variance of the bias entries (`σ_b²`).
    pub bias_var: f64,
}

impl LinearSpec {
    /// From a weight and a bias init, resolved for `nn.Linear(fan_in, fan_out)` (PyTorch
    /// layout): `σ_w² = Var(W)·fan_in`, bias mean and variance as resolved.
    ///
    /// # Errors
    /// [`DiagError::Init`] from resolving; [`DiagError::InvalidSpec`] when the weights do not
    /// have mean 0 (mean field needs zero-mean weights: `constant`, `ones`, `eye`, a shifted
    /// `uniform`, ...).
    pub fn from_inits(fan_in: usize, fan_out: usize, weight: &Init, bias: &Init) -> Result<Self> {
        let ws = Shape::new(&[fan_out, fan_in])?;
        let bs = Shape::new(&[fan_out])?;
        let rw = weight.resolve(&ws, Layout::Torch)?;
        let rb = bias.resolve(&bs, Layout::Torch)?;
        let wmean = rw.mean(ws.numel());
        if wmean != 0.0 {
            return Err(DiagError::InvalidSpec(format!(
                "mean-field prediction needs zero-mean weights; {weight} has mean {wmean}"
            )));
        }
        let spec = LinearSpec {
            fan_in,
            fan_out,
            sigma_w2: rw.variance(ws.numel()) * fan_in as f64,
            bias_mean: rb.mean(bs.numel()),
            bias_var: rb.variance(bs.numel()),
        };
        check_var("sigma_w^2", spec.sigma_w2)?;
        check_var("bias variance", spec.bias_var)?;
        Ok(spec)
    }
}

/// A layer of a [`MeanFieldNet`].
#[derive(Debug, Clone, PartialEq)]
pub enum MfLayer {
    /// `h = W x + b`.
    Linear(LinearSpec),
    /// `x' = φ(h)`.
    Act(Activation),
}

/// The mean-field description of an MLP, layer by layer (same order as the model).
#[derive(Debug, Clone, PartialEq)]
pub struct MeanFieldNet {
    /// The layers.
    pub layers: Vec<MfLayer>,
}

/// Predicted statistics of one layer's output, pooled over units and examples (what
/// [`LayerStats`](crate::stats::LayerStats) measures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerPrediction {
    /// Predicted mean.
    pub mean: f64,
    /// Predicted standard deviation, `√(second_moment − mean²)`. For a Linear output this
    /// is `√q` (pre-activation std); for an activation output `√(E[φ²] − E[φ]²)`.
    pub std: f64,
    /// Predicted second moment `E[y²]` (for a Linear output `q + μ_b²`: the `q` of
    /// docs/theory.md §2.4 plus the squared bias mean).
    pub second_moment: f64,
    /// For a Linear layer `l` after the first: the factor by which the gradient second
    /// moment changes going back through it, `Var(∂L/∂h_{l−1}) / Var(∂L/∂h_l) =
    /// (fan_out/fan_in)·σ_w,l²·E[φ'(h_{l−1})²]`; `None` otherwise.
    pub grad_factor: Option<f64>,
    /// For a Linear layer after the first: `χ₁ = σ_w,l²·E[φ'(h_{l−1})²]`, the same factor
    /// without the width ratio (what decides vanishing/exploding gradients); `None` otherwise.
    #[serde(default)]
    pub chi1: Option<f64>,
    /// Predicted mean cosine similarity between two inputs' outputs (the correlation map of
    /// docs/theory.md §2.4 applied to the measured input pairs); `None` without pairs.
    #[serde(default)]
    pub cosine: Option<f64>,
    /// Predicted signal: RMS over units of the std across inputs, `√(E[y_a²] − E[y_a y_b])`
    /// averaged over the pairs (what `LayerStats::signal` measures as a mean, so the
    /// measurement is expected slightly lower); `None` without pairs.
    #[serde(default)]
    pub signal: Option<f64>,
    /// Predicted bias spread: `√(E[y_a y_b] − E[y_a]E[y_b])`, the part shared by all inputs;
    /// `None` without pairs.
    #[serde(default)]
    pub bias_spread: Option<f64>,
    /// Predicted fraction of saturated outputs (tanh `|y| > 0.97`, sigmoid outside
    /// `[0.03, 0.97]`; 0 for other activations and Linear layers).
    #[serde(default)]
    pub frac_saturated: f64,
}

/// Per pair of inputs: `[E[x_a²], E[x_b²], E[x_a x_b]]` (raw moments over the features).
pub type PairMoments = [f64; 3];

/// How many of the measured pairs [`MeanFieldNet::predict_with_pairs`] propagates (evenly
/// spaced among them).
pub const PREDICT_PAIRS: usize = 32;

/// `[E[x_a²], E[x_b²], E[x_a x_b]]` of the row pairs of
/// [`cosine_pairs`](crate::stats::cosine_pairs) of `x` (`(batch, features)` row-major).
///
/// # Errors
/// As [`row_second_moments`].
pub fn row_pair_moments(x: &[f32], batch: usize) -> Result<Vec<PairMoments>> {
    row_second_moments(x, batch)?;
    let f = x.len() / batch;
    Ok(crate::stats::cosine_pairs(batch)
        .into_iter()
        .map(|(a, b)| {
            let (ra, rb) = (&x[a * f..(a + 1) * f], &x[b * f..(b + 1) * f]);
            let mut m = [0.0f64; 3];
            for (&u, &v) in ra.iter().zip(rb) {
                let (u, v) = (u as f64, v as f64);
                m[0] += u * u;
                m[1] += v * v;
                m[2] += u * v;
            }
            m.map(|t| t / f as f64)
        })
        .collect())
}

/// Predicted saturated fraction of `act` for a pre-activation `N(mu, q)`.
fn saturated_fraction(act: Activation, mu: f64, q: f64) -> f64 {
    let t = match act {
        // |tanh h| > 0.97  ⇔  |h| > atanh(0.97);  sigmoid outside [0.03, 0.97]  ⇔  |h| > ln(0.97/0.03)
        Activation::Tanh => crate::activation::SATURATION_THRESHOLD.atanh(),
        Activation::Sigmoid => {
            let p = crate::activation::SATURATION_THRESHOLD;
            (p / (1.0 - p)).ln()
        }
        _ => return 0.0,
    };
    let s = q.max(0.0).sqrt();
    if s == 0.0 {
        return f64::from(u8::from((mu.abs()) > t));
    }
    // P(h > t) + P(h < −t), Φ(x) = erfc(−x/√2)/2
    let tail = |x: f64| 0.5 * libm::erfc(x / std::f64::consts::SQRT_2);
    tail((t - mu) / s) + tail((t + mu) / s)
}

impl MeanFieldNet {
    /// Checks and wraps `layers`.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for no layer (depth 0), a negative or non-finite variance,
    /// or a zero width.
    pub fn new(layers: Vec<MfLayer>) -> Result<MeanFieldNet> {
        if !layers.iter().any(|l| matches!(l, MfLayer::Linear(_))) {
            return Err(DiagError::InvalidSpec(
                "depth 0: a mean-field network needs at least one Linear layer".into(),
            ));
        }
        for l in &layers {
            match l {
                MfLayer::Linear(s) => {
                    check_var("sigma_w^2", s.sigma_w2)?;
                    check_var("bias variance", s.bias_var)?;
                    if !s.bias_mean.is_finite() || s.fan_in == 0 || s.fan_out == 0 {
                        return Err(DiagError::InvalidSpec(format!(
                            "invalid Linear layer {s:?}: widths must be >= 1, bias mean finite"
                        )));
                    }
                }
                MfLayer::Act(a) => check_activation(*a)?,
            }
        }
        Ok(MeanFieldNet { layers })
    }

    /// The mean-field description of `model` initialised with `init` (weights and biases
    /// resolved per layer, as [`Sequential::apply`] would draw them).
    ///
    /// # Errors
    /// As [`LinearSpec::from_inits`] and [`MeanFieldNet::new`].
    pub fn from_model(model: &Sequential, init: &ModelInit) -> Result<MeanFieldNet> {
        let mut layers = vec![];
        for l in &model.layers {
            layers.push(match l {
                Layer::Linear {
                    in_features,
                    out_features,
                    ..
                } => {
                    let (w, b) = match init {
                        ModelInit::TorchDefault => {
                            (linear_weight_init(), linear_bias_init(*in_features))
                        }
                        ModelInit::Scheme { weight, bias } => (weight.clone(), bias.clone()),
                        ModelInit::Lsuv { .. } => {
                            return Err(crate::error::DiagError::InvalidSpec(
                                "lsuv is data-dependent: the mean-field theory cannot predict it"
                                    .into(),
                            ))
                        }
                    };
                    MfLayer::Linear(LinearSpec::from_inits(*in_features, *out_features, &w, &b)?)
                }
                Layer::Act(a) => MfLayer::Act(*a),
            });
        }
        MeanFieldNet::new(layers)
    }

    /// The mean-field description of `model` with the weights it holds (a loaded file):
    /// per Linear layer `σ_w² = Var(W)·fan_in` and the bias mean and variance, all measured
    /// (population moments of the entries; the weights' mean is taken as 0).
    ///
    /// # Errors
    /// As [`MeanFieldNet::new`] (e.g. non-finite weights).
    pub fn from_weights(model: &Sequential) -> Result<MeanFieldNet> {
        let moments = |v: &[f32]| -> (f64, f64) {
            let n = v.len().max(1) as f64;
            let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
            let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n;
            (m, var)
        };
        let mut layers = vec![];
        for l in &model.layers {
            layers.push(match l {
                Layer::Linear {
                    in_features,
                    out_features,
                    weight,
                    bias,
                } => {
                    let (bias_mean, bias_var) = moments(bias);
                    MfLayer::Linear(LinearSpec {
                        fan_in: *in_features,
                        fan_out: *out_features,
                        sigma_w2: moments(weight).1 * *in_features as f64,
                        bias_mean,
                        bias_var,
                    })
                }
                Layer::Act(a) => MfLayer::Act(*a),
            });
        }
        MeanFieldNet::new(layers)
    }

    /// Predicts every layer output's pooled mean and std (docs/theory.md §2.5); the
    /// pair statistics (`cosine`, `signal`, `bias_spread`) are `None`. See
    /// [`MeanFieldNet::predict_with_pairs`].
    ///
    /// # Errors
    /// As [`MeanFieldNet::predict_with_pairs`].
    pub fn predict(&self, input_second_moments: &[f64]) -> Result<Vec<LayerPrediction>> {
        self.predict_with_pairs(input_second_moments, &[])
    }

    /// Predicts every layer output's statistics (docs/theory.md §2.4–2.5).
    ///
    /// `input_second_moments` holds `E[x²]` of each input example (mean of the squares of its
    /// features); each example is propagated on its own — `q₁ = σ_w,1²·m₀ + σ_b,1²`, then
    /// `m = E[φ(μ_b + √q z)²]`, `q_next = σ_w² m + σ_b²` — and the statistics are pooled
    /// over examples as the probe pools them (`std = √(mean of E[y²] − (mean of E[y])²)`).
    /// Biases enter as `N(bias_mean, bias_var)`; weights must be zero-mean.
    ///
    /// `pairs` (from [`row_pair_moments`]; up to [`PREDICT_PAIRS`] of them, evenly spaced,
    /// are used) are propagated through the covariance map: a Linear layer maps the raw
    /// moments `(m_a, m_b, m_ab)` to `q_a = σ_w² m_a + σ_b²`, `k = σ_w² m_ab + σ_b²`, an
    /// activation takes the 2-D Gaussian moments ([`pair_moments`]). From them come the
    /// predicted cosine similarity, signal and bias spread of every layer.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `input_second_moments` is empty or holds a negative or
    /// non-finite value (or a pair does).
    pub fn predict_with_pairs(
        &self,
        input_second_moments: &[f64],
        pairs: &[PairMoments],
    ) -> Result<Vec<LayerPrediction>> {
        if input_second_moments.is_empty() {
            return Err(DiagError::InvalidSpec(
                "mean-field prediction needs at least one input example".into(),
            ));
        }
        for &m in input_second_moments {
            check_var("input second moment", m)?;
        }
        for p in pairs {
            check_var("input pair second moment", p[0])?;
            check_var("input pair second moment", p[1])?;
            if !p[2].is_finite() {
                return Err(DiagError::InvalidSpec(format!(
                    "input pair cross moment {} is not finite",
                    p[2]
                )));
            }
        }
        let n = input_second_moments.len() as f64;
        // per example: (mean, second moment, pre-activation variance q) of the current output
        let mut st: Vec<(f64, f64, f64)> = input_second_moments
            .iter()
            .map(|&m| (0.0, m, 0.0))
            .collect();
        // per pair, after an activation (or the input): raw [m_a, m_b, m_ab, e_a, e_b];
        // after a Linear: [q_a, q_b, k, mu, mu] (centred covariances, common mean mu)
        let step = pairs.len().div_ceil(PREDICT_PAIRS).max(1);
        let mut pst: Vec<[f64; 5]> = pairs
            .iter()
            .step_by(step)
            .map(|p| [p[0], p[1], p[2], 0.0, 0.0])
            .collect();
        let np = pst.len() as f64;
        let mut last_dphi2: Option<f64> = None;
        let mut out = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (mut grad_factor, mut chi1v, mut sat) = (None, None, 0.0);
            // per pair: (raw second moments a, b, raw cross, mean a, mean b)
            let mut raw: Vec<[f64; 5]> = Vec::with_capacity(pst.len());
            match layer {
                MfLayer::Linear(s) => {
                    if !out.is_empty() {
                        let d2 = last_dphi2.unwrap_or(1.0);
                        chi1v = Some(s.sigma_w2 * d2);
                        grad_factor = Some(s.fan_out as f64 / s.fan_in as f64 * s.sigma_w2 * d2);
                    }
                    for e in st.iter_mut() {
                        let q = s.sigma_w2 * e.1 + s.bias_var;
                        *e = (s.bias_mean, q + s.bias_mean * s.bias_mean, q);
                    }
                    let mu = s.bias_mean;
                    for p in pst.iter_mut() {
                        let qa = s.sigma_w2 * p[0] + s.bias_var;
                        let qb = s.sigma_w2 * p[1] + s.bias_var;
                        let k = s.sigma_w2 * p[2] + s.bias_var;
                        *p = [qa, qb, k, mu, mu];
                        raw.push([qa + mu * mu, qb + mu * mu, k + mu * mu, mu, mu]);
                    }
                    last_dphi2 = None;
                }
                MfLayer::Act(a) => {
                    let mut d2sum = 0.0;
                    for e in st.iter_mut() {
                        let (m2, m1, d2) = moments(*a, e.0, e.2);
                        d2sum += d2;
                        sat += saturated_fraction(*a, e.0, e.2);
                        *e = (m1, m2, 0.0);
                    }
                    sat /= n;
                    last_dphi2 = Some(d2sum / n);
                    for p in pst.iter_mut() {
                        let m = pair_moments(*a, p[3], p[0], p[1], p[2]);
                        *p = [m[0], m[1], m[2], m[3], m[4]];
                        raw.push(*p);
                    }
                }
            }
            let mean = st.iter().map(|e| e.0).sum::<f64>() / n;
            let m2 = st.iter().map(|e| e.1).sum::<f64>() / n;
            let (cosine, signal, bias_spread) = if raw.is_empty() {
                (None, None, None)
            } else {
                let (mut c, mut sg, mut bs) = (0.0, 0.0, 0.0);
                for r in &raw {
                    let den = (r[0] * r[1]).sqrt();
                    c += if den > 0.0 {
                        (r[2] / den).clamp(-1.0, 1.0)
                    } else {
                        1.0
                    };
                    sg += (0.5 * (r[0] + r[1]) - r[2]).max(0.0);
                    bs += (r[2] - r[3] * r[4]).max(0.0);
                }
                (Some(c / np), Some((sg / np).sqrt()), Some((bs / np).sqrt()))
            };
            out.push(LayerPrediction {
                mean,
                std: (m2 - mean * mean).max(0.0).sqrt(),
                second_moment: m2,
                grad_factor,
                chi1: chi1v,
                cosine,
                signal,
                bias_spread,
                frac_saturated: sat,
            });
        }
        Ok(out)
    }
}

/// Number of quantiles [`moment_quantiles`] keeps.
pub const MOMENT_QUANTILES: usize = 256;

/// The [`MOMENT_QUANTILES`] evenly spaced quantiles (midpoints) of per-example second
/// moments, or the moments themselves when there are at most that many. The mean-field
/// prediction propagates each example's `E[x²]` separately and pools them; 256 quantiles give
/// the same pooled statistics to well under 1e-3 at a fraction of the cost (the full set made
/// a 10,000-image probe 20x slower). Used by `nninit probe` and by
/// [`crate::advice::module::advise_module`], so both predict from the same numbers.
pub fn moment_quantiles(v: &[f64]) -> Vec<f64> {
    let k = MOMENT_QUANTILES;
    if v.len() <= k {
        return v.to_vec();
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    (0..k)
        .map(|i| s[((2 * i + 1) * s.len()) / (2 * k)])
        .collect()
}

/// `E[x²]` of each row of `x` (`(batch, features)` row-major): the input second moments
/// [`MeanFieldNet::predict`] starts from.
///
/// # Errors
/// [`DiagError::InvalidSpec`] when `x.len()` is not `batch · features` or either is 0.
pub fn row_second_moments(x: &[f32], batch: usize) -> Result<Vec<f64>> {
    if batch == 0 || x.is_empty() || !x.len().is_multiple_of(batch) {
        return Err(DiagError::InvalidSpec(format!(
            "input has {} values, not a whole number of {batch} rows",
            x.len()
        )));
    }
    let f = x.len() / batch;
    Ok(x.chunks(f)
        .map(|r| r.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / f as f64)
        .collect())
}
