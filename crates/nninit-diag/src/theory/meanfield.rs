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
use super::gauss::expect_normal_many;
use crate::activation::Activation;
use crate::error::{DiagError, Result};
use crate::init::ModelInit;
use crate::model::{Layer, Sequential};
use nninit::layers::{linear_bias_init, linear_weight_init};
use nninit::{Init, Layout, Shape};
use serde::Serialize;

/// The kink of every activation here is at 0 (relu, leaky_relu, elu, selu).
const KINKS: &[f64] = &[0.0];

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
        KINKS,
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
        KINKS,
    );
    Ok(sigma_w2 * e / s)
}

/// The fixed point reached by iterating the variance map from `q = 1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixedPoint {
    /// `σ_w²`.
    pub sigma_w2: f64,
    /// `σ_b²`.
    pub sigma_b2: f64,
    /// The last iterate: `q*` when `converged` (pre-activation second moment, in squared
    /// activation units); `inf` when the map diverged.
    pub q_star: f64,
    /// `χ₁(q*)`: > 1 chaotic (gradients explode), < 1 ordered (vanish), = 1 critical.
    pub chi1: f64,
    /// `χ_q(q*)`: < 1 the fixed point is stable (the network converges to it).
    pub chi_q: f64,
    /// Std of the activation output at `q*`: `√(E[φ²] − E[φ]²)`.
    pub act_std: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Whether `|q_{k+1} − q_k| <= 1e-13·q_k` was reached (false for a diverging map or an
    /// algebraically slow approach, e.g. tanh at `σ_w = 1, σ_b = 0`, where `q_l ≈ 1/(2l)`).
    pub converged: bool,
}

/// Iterates `q ← V(q)` from `q = 1` (at most 100,000 times) and reports the fixed point.
///
/// # Errors
/// As [`variance_map`].
pub fn fixed_point(act: Activation, sigma_w2: f64, sigma_b2: f64) -> Result<FixedPoint> {
    variance_map(act, sigma_w2, sigma_b2, 1.0)?;
    let mut q = 1.0f64;
    let mut converged = false;
    let mut it = 0;
    while it < 100_000 {
        it += 1;
        let next = sigma_w2 * moments(act, 0.0, q).0 + sigma_b2;
        let done = (next - q).abs() <= 1e-13 * q.max(f64::MIN_POSITIVE);
        q = next;
        if done || q == 0.0 {
            converged = true;
            break;
        }
        if !q.is_finite() || q > 1e100 {
            q = f64::INFINITY;
            break;
        }
    }
    let (chi1v, chiqv, act_std) = if q.is_finite() {
        let (m2, m1, _) = moments(act, 0.0, q);
        (
            chi1(act, sigma_w2, q)?,
            chi_q(act, sigma_w2, q)?,
            (m2 - m1 * m1).max(0.0).sqrt(),
        )
    } else {
        (f64::INFINITY, f64::INFINITY, f64::INFINITY)
    };
    Ok(FixedPoint {
        sigma_w2,
        sigma_b2,
        q_star: q,
        chi1: chi1v,
        chi_q: chiqv,
        act_std,
        iterations: it,
        converged,
    })
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerPrediction {
    /// Predicted mean.
    pub mean: f64,
    /// Predicted standard deviation, `√(second_moment − mean²)`. For a Linear output this
    /// is `√q` (pre-activation std); for an activation output `√(E[φ²] − E[φ]²)`.
    pub std: f64,
    /// Predicted second moment `E[y²]`.
    pub second_moment: f64,
    /// For a Linear layer `l` after the first: the factor by which the gradient second
    /// moment changes going back through it, `Var(∂L/∂h_{l−1}) / Var(∂L/∂h_l) =
    /// (fan_out/fan_in)·σ_w,l²·E[φ'(h_{l−1})²]`; `None` otherwise.
    pub grad_factor: Option<f64>,
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
                    let (w, b) =
                        match init {
                            ModelInit::TorchDefault => {
                                (linear_weight_init(), linear_bias_init(*in_features))
                            }
                            ModelInit::Scheme { weight, bias } => (weight.clone(), bias.clone()),
                            ModelInit::Lsuv { .. } => return Err(DiagError::InvalidSpec(
                                "lsuv is data-dependent: the mean-field theory cannot predict it"
                                    .into(),
                            )),
                        };
                    MfLayer::Linear(LinearSpec::from_inits(*in_features, *out_features, &w, &b)?)
                }
                Layer::Act(a) => MfLayer::Act(*a),
            });
        }
        MeanFieldNet::new(layers)
    }

    /// Predicts every layer output's pooled mean and std (docs/theory.md §2.5).
    ///
    /// `input_second_moments` holds `E[x²]` of each input example (mean of the squares of its
    /// features); each example is propagated on its own — `q₁ = σ_w,1²·m₀ + σ_b,1²`, then
    /// `m = E[φ(μ_b + √q z)²]`, `q_next = σ_w² m + σ_b²` — and the statistics are pooled
    /// over examples as the probe pools them (`std = √(mean of E[y²] − (mean of E[y])²)`).
    /// Biases enter as `N(bias_mean, bias_var)`; weights must be zero-mean.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `input_second_moments` is empty or holds a negative or
    /// non-finite value.
    pub fn predict(&self, input_second_moments: &[f64]) -> Result<Vec<LayerPrediction>> {
        if input_second_moments.is_empty() {
            return Err(DiagError::InvalidSpec(
                "mean-field prediction needs at least one input example".into(),
            ));
        }
        for &m in input_second_moments {
            check_var("input second moment", m)?;
        }
        let n = input_second_moments.len() as f64;
        // per example: (mean, second moment, pre-activation variance q) of the current output
        let mut st: Vec<(f64, f64, f64)> = input_second_moments
            .iter()
            .map(|&m| (0.0, m, 0.0))
            .collect();
        let mut last_dphi2: Option<f64> = None;
        let mut out = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let mut grad_factor = None;
            match layer {
                MfLayer::Linear(s) => {
                    if out.is_empty() {
                        // first layer: no activation before it
                    } else {
                        let d2 = last_dphi2.unwrap_or(1.0);
                        grad_factor = Some(s.fan_out as f64 / s.fan_in as f64 * s.sigma_w2 * d2);
                    }
                    for e in st.iter_mut() {
                        let q = s.sigma_w2 * e.1 + s.bias_var;
                        *e = (s.bias_mean, q + s.bias_mean * s.bias_mean, q);
                    }
                    last_dphi2 = None;
                }
                MfLayer::Act(a) => {
                    let mut d2sum = 0.0;
                    for e in st.iter_mut() {
                        let (m2, m1, d2) = moments(*a, e.0, e.2);
                        d2sum += d2;
                        *e = (m1, m2, 0.0);
                    }
                    last_dphi2 = Some(d2sum / n);
                }
            }
            let mean = st.iter().map(|e| e.0).sum::<f64>() / n;
            let m2 = st.iter().map(|e| e.1).sum::<f64>() / n;
            out.push(LayerPrediction {
                mean,
                std: (m2 - mean * mean).max(0.0).sqrt(),
                second_moment: m2,
                grad_factor,
            });
        }
        Ok(out)
    }
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
