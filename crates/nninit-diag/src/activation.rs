//! Activation functions (nonlinearities) with their derivatives, each defined once.
//!
//! Each [`Activation`] knows its value `phi(x)` ([`Activation::apply`]), its derivative
//! `phi'(x)` ([`Activation::derivative`]) and, for the bounded ones (tanh, sigmoid), when an
//! output counts as *saturated* ([`Activation::is_saturated`]). Activations parse from and print
//! to short names (`relu`, `leaky_relu:0.2`, `elu:1`, ...) that round-trip through
//! [`FromStr`] and [`Display`](fmt::Display).
//!
//! Every activation and its derivative is one generic function over [`Float`] (`f32` or
//! `f64`): the theory evaluates it in `f64` ([`Activation::apply`]), the network
//! (`DenseNet`) over whole layers in its own precision
//! ([`Activation::forward`], [`Activation::backward`]). The forms are numerically stable (no
//! overflow for large `|x|`) and propagate `NaN`.

use std::fmt;
use std::str::FromStr;

use crate::error::{DiagError, Result};
use crate::float::Float;

/// SELU's `alpha` (Klambauer et al., 2017), as used by PyTorch.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
/// SELU's `scale` (lambda) (Klambauer et al., 2017), as used by PyTorch.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;
/// Default negative slope of [`Activation::LeakyRelu`] when none is given (PyTorch's default).
pub const DEFAULT_LEAKY_SLOPE: f64 = 0.01;
/// Default `alpha` of [`Activation::Elu`] when none is given (PyTorch's default).
pub const DEFAULT_ELU_ALPHA: f64 = 1.0;
/// Saturation threshold: a tanh output with `|y| >` this, or a sigmoid output outside
/// `[1 - threshold, threshold]`, counts as saturated.
pub const SATURATION_THRESHOLD: f64 = 0.97;

/// Lower saturation bound of the sigmoid, `1 - SATURATION_THRESHOLD` written exactly.
const SIGMOID_SATURATION_LOW: f64 = 0.03;

/// `sqrt(2 / pi)`, used by the tanh approximation of GELU.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// `1 / sqrt(2 pi)`, the standard normal density at 0.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// Cubic coefficient of the tanh approximation of GELU.
const GELU_TANH_C: f64 = 0.044_715;

/// A scalar nonlinearity `phi`, applied element-wise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `phi(x) = x` (name `identity`, alias `linear`).
    Identity,
    /// `phi(x) = max(0, x)` (name `relu`). The derivative at 0 is taken as 0.
    Relu,
    /// `phi(x) = x` for `x >= 0`, `slope * x` otherwise (name `leaky_relu` or
    /// `leaky_relu:SLOPE`; default slope 0.01). The payload is the negative slope.
    LeakyRelu(f64),
    /// `phi(x) = tanh(x)` (name `tanh`). Saturates.
    Tanh,
    /// `phi(x) = 1 / (1 + exp(-x))` (name `sigmoid`). Saturates.
    Sigmoid,
    /// Exact GELU, `phi(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))` (name `gelu`).
    Gelu,
    /// Tanh approximation of GELU,
    /// `phi(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` (name `gelu_tanh`).
    GeluTanh,
    /// SiLU / swish, `phi(x) = x * sigmoid(x)` (name `silu`, alias `swish`).
    Silu,
    /// Mish, `phi(x) = x * tanh(softplus(x))` (name `mish`).
    Mish,
    /// ELU, `phi(x) = x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise (name `elu` or
    /// `elu:ALPHA`; default alpha 1). The payload is `alpha`.
    Elu(f64),
    /// SELU, `phi(x) = scale * elu_alpha(x)` with [`SELU_ALPHA`] and [`SELU_SCALE`]
    /// (name `selu`).
    Selu,
    /// Softplus, `phi(x) = ln(1 + exp(x))` (name `softplus`), computed stably (no threshold
    /// cut-over as in PyTorch's `beta=1, threshold=20`; the difference there is below 1e-8).
    Softplus,
}

/// Canonical names, in declaration order.
const NAMES: [&str; 12] = [
    "identity",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "gelu",
    "gelu_tanh",
    "silu",
    "mish",
    "elu",
    "selu",
    "softplus",
];

// ---------------------------------------------------------------------------------------
// The definitions: one generic function per activation (value) and per derivative, used by
// the scalar API (`apply`, `derivative`: theory, f64) and by the slice kernels (`forward`,
// `backward`: the network, f32 or f64). Nothing else in the crate evaluates an activation.
// ---------------------------------------------------------------------------------------

#[inline(always)]
fn c<F: Float>(v: f64) -> F {
    F::from_f64(v)
}

/// `x` for `x > 0`, `neg(x)` for `x <= 0`, NaN for NaN.
#[inline(always)]
fn piecewise<F: Float>(x: F, neg: impl Fn(F) -> F) -> F {
    if x <= F::ZERO {
        neg(x)
    } else {
        x
    }
}

#[inline(always)]
fn relu<F: Float>(x: F) -> F {
    piecewise(x, |_| F::ZERO)
}

/// `0` for `x <= 0`, else `1` — NaN gives 1 (the gradient passes), as PyTorch's
/// `threshold_backward(grad, result, 0)` = `result <= 0 ? 0 : grad` does.
#[inline(always)]
fn relu_d<F: Float>(x: F) -> F {
    if x <= F::ZERO {
        F::ZERO
    } else {
        F::ONE
    }
}

#[inline(always)]
fn leaky_relu<F: Float>(x: F, slope: F) -> F {
    piecewise(x, |x| slope * x)
}

/// `1` for `x > 0`, else `slope` — NaN gives `slope`, as PyTorch's
/// `leaky_relu_backward` = `self > 0 ? grad : grad·negval` does.
#[inline(always)]
fn leaky_relu_d<F: Float>(x: F, slope: F) -> F {
    if x > F::ZERO {
        F::ONE
    } else {
        slope
    }
}

/// `tanh'` from the output `y = tanh(x)`: `1 − y²`.
#[inline(always)]
fn tanh_d_from_output<F: Float>(y: F) -> F {
    F::ONE - y * y
}

/// Logistic sigmoid `1 / (1 + e^{−x})`: no overflow for any `x` (`e^{−x} = inf` gives 0).
#[inline(always)]
fn sigmoid<F: Float>(x: F) -> F {
    F::ONE / (F::ONE + (-x).exp())
}

/// `σ'` from the output `s = σ(x)`: `s(1 − s)`.
#[inline(always)]
fn sigmoid_d_from_output<F: Float>(s: F) -> F {
    s * (F::ONE - s)
}

/// `ln(1 + e^x) = max(x, 0) + ln(1 + e^{−|x|})`, stable for large `|x|`.
#[inline(always)]
fn softplus<F: Float>(x: F) -> F {
    if x.is_nan() {
        return x;
    }
    x.max(F::ZERO) + (-x.abs()).exp().ln_1p()
}

#[inline(always)]
fn gelu<F: Float>(x: F) -> F {
    c::<F>(0.5) * x * (F::ONE + (x * c(std::f64::consts::FRAC_1_SQRT_2)).erf())
}

#[inline(always)]
fn gelu_d<F: Float>(x: F) -> F {
    let cdf = c::<F>(0.5) * (F::ONE + (x * c(std::f64::consts::FRAC_1_SQRT_2)).erf());
    let pdf = c::<F>(INV_SQRT_2PI) * (c::<F>(-0.5) * x * x).exp();
    cdf + x * pdf
}

#[inline(always)]
fn gelu_tanh<F: Float>(x: F) -> F {
    let u = c::<F>(SQRT_2_OVER_PI) * (x + c::<F>(GELU_TANH_C) * x * x * x);
    c::<F>(0.5) * x * (F::ONE + u.tanh())
}

#[inline(always)]
fn gelu_tanh_d<F: Float>(x: F) -> F {
    let x2 = x * x;
    let t = (c::<F>(SQRT_2_OVER_PI) * (x + c::<F>(GELU_TANH_C) * x2 * x)).tanh();
    c::<F>(0.5) * (F::ONE + t)
        + c::<F>(0.5)
            * x
            * (F::ONE - t * t)
            * c(SQRT_2_OVER_PI)
            * (F::ONE + c::<F>(3.0 * GELU_TANH_C) * x2)
}

#[inline(always)]
fn silu<F: Float>(x: F) -> F {
    x * sigmoid(x)
}

#[inline(always)]
fn silu_d<F: Float>(x: F) -> F {
    let s = sigmoid(x);
    s * (F::ONE + x * (F::ONE - s))
}

#[inline(always)]
fn mish<F: Float>(x: F) -> F {
    x * softplus(x).tanh()
}

#[inline(always)]
fn mish_d<F: Float>(x: F) -> F {
    let t = softplus(x).tanh();
    t + x * (F::ONE - t * t) * sigmoid(x)
}

#[inline(always)]
fn elu<F: Float>(x: F, alpha: F) -> F {
    piecewise(x, |x| alpha * x.exp_m1())
}

/// `alpha·eˣ` for `x <= 0`, else `1` — NaN gives 1, as PyTorch's `elu_backward`
/// (`self <= 0 ? grad·negcoef·e^self : grad·poscoef`) does.
#[inline(always)]
fn elu_d<F: Float>(x: F, alpha: F) -> F {
    if x <= F::ZERO {
        alpha * x.exp()
    } else {
        F::ONE
    }
}

#[inline(always)]
fn selu<F: Float>(x: F) -> F {
    c::<F>(SELU_SCALE) * elu(x, c(SELU_ALPHA))
}

#[inline(always)]
fn selu_d<F: Float>(x: F) -> F {
    c::<F>(SELU_SCALE) * elu_d(x, c(SELU_ALPHA))
}

/// `y[i] = f(x[i])`.
#[inline(always)]
fn map<F: Float>(x: &[F], y: &mut [F], f: impl Fn(F) -> F) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f(v);
    }
}

/// `g[i] *= d(v[i])`.
#[inline(always)]
fn scale<F: Float>(g: &mut [F], v: &[F], d: impl Fn(F) -> F) {
    for (o, &v) in g.iter_mut().zip(v) {
        *o *= d(v);
    }
}

/// `f` evaluated in `F::Wide` (f64) and rounded once to `F`.
#[inline(always)]
fn wide<F: Float>(f: impl Fn(F::Wide) -> F::Wide) -> impl Fn(F) -> F {
    move |v| F::narrow(f(v.widen()))
}

impl Activation {
    /// Every activation, with default parameters for the parameterised ones, in the order of
    /// [`Activation::all_names`].
    pub const ALL: [Activation; 12] = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(DEFAULT_LEAKY_SLOPE),
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Silu,
        Activation::Mish,
        Activation::Elu(DEFAULT_ELU_ALPHA),
        Activation::Selu,
        Activation::Softplus,
    ];

    /// The canonical names accepted by [`FromStr`] (without parameters or aliases).
    pub fn all_names() -> &'static [&'static str] {
        &NAMES
    }

    /// The canonical name of this activation, without its parameter (`"leaky_relu"`, not
    /// `"leaky_relu:0.2"`; use [`Display`](fmt::Display) for the full, parseable form).
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Silu => "silu",
            Activation::Mish => "mish",
            Activation::Elu(_) => "elu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
        }
    }

    /// The value `phi(x)`, computed in `F` (`f32` or `f64`).
    pub fn apply<F: Float>(&self, x: F) -> F {
        match *self {
            Activation::Identity => x,
            Activation::Relu => relu(x),
            Activation::LeakyRelu(slope) => leaky_relu(x, c(slope)),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid(x),
            Activation::Gelu => gelu(x),
            Activation::GeluTanh => gelu_tanh(x),
            Activation::Silu => silu(x),
            Activation::Mish => mish(x),
            Activation::Elu(alpha) => elu(x, c(alpha)),
            Activation::Selu => selu(x),
            Activation::Softplus => softplus(x),
        }
    }

    /// The derivative `phi'(x)`, computed in `F`. At the kink of ReLU / leaky ReLU / ELU /
    /// SELU (`x = 0`) the left derivative is returned, as PyTorch's autograd does.
    pub fn derivative<F: Float>(&self, x: F) -> F {
        match *self {
            Activation::Identity => F::ONE,
            Activation::Relu => relu_d(x),
            Activation::LeakyRelu(slope) => leaky_relu_d(x, c(slope)),
            Activation::Tanh => tanh_d_from_output(x.tanh()),
            Activation::Sigmoid => sigmoid_d_from_output(sigmoid(x)),
            Activation::Gelu => gelu_d(x),
            Activation::GeluTanh => gelu_tanh_d(x),
            Activation::Silu => silu_d(x),
            Activation::Mish => mish_d(x),
            Activation::Elu(alpha) => elu_d(x, c(alpha)),
            Activation::Selu => selu_d(x),
            Activation::Softplus => sigmoid(x),
        }
    }

    /// Whether [`Activation::forward`] and [`Activation::backward`] evaluate this activation
    /// in `F::Wide` (`f64`) and round once, rather than in `F` itself. True for those built
    /// on `erf`, `exp_m1` or `ln_1p` (gelu, gelu_tanh, silu, mish, elu, selu, softplus);
    /// identity, relu, leaky_relu, tanh and sigmoid run in `F` (what PyTorch's `f32`
    /// kernels do too). For `F = f64` both are the same.
    pub fn evaluated_wide(&self) -> bool {
        !matches!(
            self,
            Activation::Identity
                | Activation::Relu
                | Activation::LeakyRelu(_)
                | Activation::Tanh
                | Activation::Sigmoid
        )
    }

    /// `y = phi(x)` elementwise (`x`, `y` of equal length; extra elements of the longer one
    /// are left alone). NaN propagates, as in PyTorch. See [`Activation::evaluated_wide`]
    /// for the precision.
    pub fn forward<F: Float>(&self, x: &[F], y: &mut [F]) {
        match *self {
            Activation::Identity => map(x, y, |v| v),
            Activation::Relu => map(x, y, relu),
            Activation::LeakyRelu(slope) => {
                let s = c(slope);
                map(x, y, |v| leaky_relu(v, s))
            }
            Activation::Tanh => map(x, y, F::tanh),
            Activation::Sigmoid => map(x, y, sigmoid),
            Activation::Gelu => map(x, y, wide(gelu)),
            Activation::GeluTanh => map(x, y, wide(gelu_tanh)),
            Activation::Silu => map(x, y, wide(silu)),
            Activation::Mish => map(x, y, wide(mish)),
            Activation::Elu(alpha) => map(x, y, wide(move |v| elu(v, c(alpha)))),
            Activation::Selu => map(x, y, wide(selu)),
            Activation::Softplus => map(x, y, wide(softplus)),
        }
    }

    /// The backward pass through the activation: `g ← g · phi'(x)` elementwise, `x` the
    /// activation's input and `y = phi(x)` its output (tanh and sigmoid take their
    /// derivative from `y`: `1 − y²`, `y(1 − y)`); the left derivative at kinks, as PyTorch's
    /// autograd. See [`Activation::evaluated_wide`] for the precision.
    pub fn backward<F: Float>(&self, x: &[F], y: &[F], g: &mut [F]) {
        match *self {
            Activation::Identity => {}
            Activation::Relu => scale(g, x, relu_d),
            Activation::LeakyRelu(slope) => {
                let s = c(slope);
                scale(g, x, |v| leaky_relu_d(v, s))
            }
            Activation::Tanh => scale(g, y, tanh_d_from_output),
            Activation::Sigmoid => scale(g, y, sigmoid_d_from_output),
            Activation::Gelu => scale(g, x, wide(gelu_d)),
            Activation::GeluTanh => scale(g, x, wide(gelu_tanh_d)),
            Activation::Silu => scale(g, x, wide(silu_d)),
            Activation::Mish => scale(g, x, wide(mish_d)),
            Activation::Elu(alpha) => scale(g, x, wide(move |v| elu_d(v, c(alpha)))),
            Activation::Selu => scale(g, x, wide(selu_d)),
            Activation::Softplus => scale(g, x, wide(sigmoid)),
        }
    }

    /// Whether this activation is bounded and can saturate (tanh, sigmoid).
    pub fn saturates(&self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
    }

    /// Whether the *output* `y = phi(x)` lies in the saturated region: `|y| > 0.97` for tanh,
    /// `y < 0.03` or `y > 0.97` for sigmoid (see [`SATURATION_THRESHOLD`]); always `false` for
    /// activations that do not saturate.
    pub fn is_saturated(&self, y: f64) -> bool {
        let (lo, hi) = self.saturation_bounds();
        y < lo || y > hi
    }

    /// The unsaturated output range `[lo, hi]`: `[-0.97, 0.97]` for tanh, `[0.03, 0.97]` for
    /// sigmoid, `[-inf, inf]` for the others; `y` is saturated iff `y < lo || y > hi`.
    pub fn saturation_bounds(&self) -> (f64, f64) {
        match self {
            Activation::Tanh => (-SATURATION_THRESHOLD, SATURATION_THRESHOLD),
            Activation::Sigmoid => (SIGMOID_SATURATION_LOW, SATURATION_THRESHOLD),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

impl fmt::Display for Activation {
    /// Prints the parseable name: `relu`, `leaky_relu:0.2`, `elu:1`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::LeakyRelu(p) | Activation::Elu(p) => write!(f, "{}:{}", self.name(), p),
            _ => f.write_str(self.name()),
        }
    }
}

/// The list of accepted names for error messages.
fn expected_names() -> String {
    NAMES
        .iter()
        .map(|n| match *n {
            "leaky_relu" => "leaky_relu[:slope]",
            "elu" => "elu[:alpha]",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Activation {
    type Err = DiagError;

    /// Parses a name (case-insensitive, `-` accepted for `_`), optionally with a `:PARAM`
    /// for `leaky_relu` (negative slope) and `elu` (alpha). Aliases: `linear` = `identity`,
    /// `swish` = `silu`.
    fn from_str(s: &str) -> Result<Self> {
        // `-` → `_` in the name only: the parameter may be negative or use an exponent.
        let spec = s.trim().to_ascii_lowercase();
        let (name, param) = match spec.split_once(':') {
            Some((n, p)) => (n.trim().replace('-', "_"), Some(p.trim())),
            None => (spec.replace('-', "_"), None),
        };
        let name = name.as_str();
        let unknown = || DiagError::UnknownName {
            what: "activation",
            name: s.trim().to_string(),
            expected: expected_names(),
        };
        let parse_param = |p: &str, meaning: &str| -> Result<f64> {
            match p.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(DiagError::InvalidSpec(format!(
                    "activation '{}': {meaning} '{p}' is not a finite number",
                    s.trim()
                ))),
            }
        };
        let act = match name {
            "identity" | "linear" => Activation::Identity,
            "relu" => Activation::Relu,
            "leaky_relu" | "leakyrelu" => Activation::LeakyRelu(match param {
                Some(p) => parse_param(p, "negative slope")?,
                None => DEFAULT_LEAKY_SLOPE,
            }),
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "gelu" => Activation::Gelu,
            "gelu_tanh" => Activation::GeluTanh,
            "silu" | "swish" => Activation::Silu,
            "mish" => Activation::Mish,
            "elu" => Activation::Elu(match param {
                Some(p) => parse_param(p, "alpha")?,
                None => DEFAULT_ELU_ALPHA,
            }),
            "selu" => Activation::Selu,
            "softplus" => Activation::Softplus,
            _ => return Err(unknown()),
        };
        if param.is_some() && !matches!(act, Activation::LeakyRelu(_) | Activation::Elu(_)) {
            return Err(DiagError::InvalidSpec(format!(
                "activation '{}': '{}' takes no parameter (only leaky_relu:SLOPE and elu:ALPHA do)",
                s.trim(),
                act.name()
            )));
        }
        Ok(act)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const POINTS: [f64; 12] = [
        -4.0, -2.5, -1.3, -0.7, -0.2, -0.01, 0.01, 0.3, 0.9, 1.7, 2.6, 4.5,
    ];

    fn all_with_params() -> Vec<Activation> {
        let mut v = Activation::ALL.to_vec();
        v.push(Activation::LeakyRelu(0.2));
        v.push(Activation::Elu(0.5));
        v
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for act in all_with_params() {
            for &x in &POINTS {
                let fd = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
                let d = act.derivative(x);
                assert!(
                    (fd - d).abs() < 1e-7 * (1.0 + d.abs()),
                    "{act} at {x}: analytic {d}, finite difference {fd}"
                );
            }
        }
    }

    #[test]
    fn slice_kernels_evaluate_the_scalar_definitions() {
        for act in all_with_params() {
            // f64: forward and backward are apply and derivative, bit for bit
            let mut y = vec![0.0; POINTS.len()];
            act.forward(&POINTS, &mut y);
            let mut g = vec![1.0; POINTS.len()];
            act.backward(&POINTS, &y, &mut g);
            for (i, &x) in POINTS.iter().enumerate() {
                assert_eq!(y[i].to_bits(), act.apply(x).to_bits(), "{act} at {x}");
                assert_eq!(g[i].to_bits(), act.derivative(x).to_bits(), "{act}' at {x}");
            }
            // f32: the wide ones are the f64 values rounded once; the others (f32 libm
            // tanhf/expf, and 1 − y², y(1 − y) from an f32 output) within a few f32 ulps
            // (2⁻²⁴ ≈ 6e-8 relative each): 1e-6 of max(1, |value|) for the value, and for the
            // derivative, whose 1 − y² cancels near saturation (y's rounding 6e-8 becomes
            // 1.2e-7 absolute), 1e-6 absolute.
            let x32: Vec<f32> = POINTS.iter().map(|&x| x as f32).collect();
            let mut y32 = vec![0.0f32; x32.len()];
            act.forward(&x32, &mut y32);
            let mut g32 = vec![1.0f32; x32.len()];
            act.backward(&x32, &y32, &mut g32);
            for (i, &x) in x32.iter().enumerate() {
                let (want_y, want_d) = (act.apply(f64::from(x)), act.derivative(f64::from(x)));
                if act.evaluated_wide() {
                    assert_eq!(y32[i], want_y as f32, "{act} at {x}");
                    assert_eq!(g32[i], want_d as f32, "{act}' at {x}");
                } else {
                    let e = (f64::from(y32[i]) - want_y).abs();
                    assert!(e <= 1e-6 * want_y.abs().max(1.0), "{act} at {x}: {e}");
                    let e = (f64::from(g32[i]) - want_d).abs();
                    assert!(e <= 1e-6, "{act}' at {x}: {e}");
                }
            }
        }
    }

    #[test]
    fn known_values() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-14;
        assert!(close(Activation::Gelu.apply(1.0), 0.8413447460685429));
        assert!(close(Activation::Gelu.apply(-1.0), -0.15865525393145707));
        assert!(close(Activation::GeluTanh.apply(1.0), 0.8411919906082768));
        assert!(close(Activation::Silu.apply(1.0), 0.7310585786300049));
        assert!(close(Activation::Sigmoid.apply(1.0), 0.7310585786300049));
        assert!(close(Activation::Mish.apply(1.0), 0.8650983882673103));
        assert!(close(Activation::Mish.apply(-1.0), -0.30340146137410895));
        assert!(close(
            Activation::Softplus.apply(0.0),
            std::f64::consts::LN_2
        ));
        assert!(close(Activation::Selu.apply(-1.0), -1.1113307378125625));
        assert!(close(Activation::Selu.apply(2.0), 2.0 * SELU_SCALE));
        assert!(close(Activation::Elu(1.0).apply(-1.0), -0.6321205588285577));
        assert!(close(Activation::LeakyRelu(0.2).apply(-3.0), -0.6));
        assert_eq!(Activation::Relu.apply(-2.0), 0.0);
        assert_eq!(Activation::Relu.apply(2.5), 2.5);
        assert_eq!(Activation::Relu.derivative(0.0), 0.0);
        assert_eq!(Activation::LeakyRelu(0.1).derivative(0.0), 0.1);
        assert_eq!(Activation::Identity.derivative(123.0), 1.0);
    }

    #[test]
    fn stable_at_extremes_and_propagates_nan() {
        for act in all_with_params() {
            for x in [-1e3f64, -50.0, 50.0, 1e3] {
                let (y, d) = (act.apply(x), act.derivative(x));
                assert!(y.is_finite() && d.is_finite(), "{act} at {x}: {y}, {d}");
            }
            assert!(act.apply(f64::NAN).is_nan(), "{act}");
            // the kinked ones take PyTorch's branch for NaN (a comparison with NaN is false):
            // relu passes the gradient (result <= 0 ? 0 : grad), leaky_relu scales it by the
            // slope (self > 0 ? grad : grad·slope), elu/selu by their positive coefficient
            let d = act.derivative(f64::NAN);
            match act {
                Activation::Identity | Activation::Relu | Activation::Elu(_) => {
                    assert_eq!(d, 1.0, "{act}")
                }
                Activation::Selu => assert_eq!(d, SELU_SCALE, "{act}"),
                Activation::LeakyRelu(s) => assert_eq!(d, s, "{act}"),
                _ => assert!(d.is_nan(), "{act}"),
            }
        }
        assert_eq!(Activation::Softplus.apply(1e3), 1e3);
        assert_eq!(Activation::Sigmoid.apply(-1e3), 0.0);
    }

    #[test]
    fn saturation_rules() {
        let t = Activation::Tanh;
        assert!(t.saturates());
        assert!(t.is_saturated(0.98) && t.is_saturated(-0.99));
        assert!(!t.is_saturated(0.97) && !t.is_saturated(-0.5) && !t.is_saturated(0.0));
        let s = Activation::Sigmoid;
        assert!(s.saturates());
        assert!(s.is_saturated(0.02) && s.is_saturated(0.99));
        assert!(!s.is_saturated(0.03) && !s.is_saturated(0.5) && !s.is_saturated(0.97));
        assert!(!s.is_saturated(f64::NAN) && !t.is_saturated(f64::NAN));
        for act in all_with_params() {
            if !matches!(act, Activation::Tanh | Activation::Sigmoid) {
                assert!(!act.saturates(), "{act}");
                assert!(!act.is_saturated(0.999) && !act.is_saturated(-5.0), "{act}");
            }
        }
    }

    #[test]
    fn parse_display_round_trip() {
        for act in all_with_params() {
            let s = act.to_string();
            assert_eq!(s.parse::<Activation>().ok(), Some(act), "{s}");
        }
        assert_eq!(Activation::LeakyRelu(0.2).to_string(), "leaky_relu:0.2");
        assert_eq!(Activation::Elu(1.0).to_string(), "elu:1");
        assert_eq!(Activation::Relu.to_string(), "relu");
        let cases = [
            ("linear", Activation::Identity),
            ("swish", Activation::Silu),
            ("ReLU", Activation::Relu),
            (" gelu-tanh ", Activation::GeluTanh),
            ("leaky_relu", Activation::LeakyRelu(DEFAULT_LEAKY_SLOPE)),
            ("leaky_relu:0.2", Activation::LeakyRelu(0.2)),
            ("elu", Activation::Elu(1.0)),
            ("elu:1.0", Activation::Elu(1.0)),
            // negative and exponent-notation parameters (the name may use '-' for '_')
            ("leaky-relu:1e-2", Activation::LeakyRelu(0.01)),
            ("leaky_relu:-0.1", Activation::LeakyRelu(-0.1)),
            ("elu:1e-1", Activation::Elu(0.1)),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Activation>().ok(), Some(want), "{s}");
        }
        assert_eq!(Activation::all_names().len(), Activation::ALL.len());
        for (name, act) in Activation::all_names().iter().zip(Activation::ALL) {
            assert_eq!(*name, act.name());
            assert_eq!(name.parse::<Activation>().ok(), Some(act));
        }
    }

    #[test]
    fn unknown_and_bad_names_are_errors() {
        match "relu6".parse::<Activation>() {
            Err(DiagError::UnknownName {
                what,
                name,
                expected,
            }) => {
                assert_eq!(what, "activation");
                assert_eq!(name, "relu6");
                assert!(expected.contains("gelu_tanh") && expected.contains("leaky_relu"));
            }
            other => panic!("expected UnknownName, got {other:?}"),
        }
        let msg = "relu6".parse::<Activation>().err().map(|e| e.to_string());
        assert!(msg.is_some_and(|m| m.contains("unknown activation 'relu6'")));
        for bad in ["leaky_relu:abc", "elu:nan", "relu:0.1", "elu:"] {
            assert!(
                matches!(bad.parse::<Activation>(), Err(DiagError::InvalidSpec(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "".parse::<Activation>(),
            Err(DiagError::UnknownName { .. })
        ));
    }
}
