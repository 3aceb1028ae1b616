//! Initialisation schemes: [`Init`] names a scheme with its parameters; [`Init::resolve`]
//! computes fans, gain, std and bounds for a shape without drawing; [`Init::fill`] draws.
//!
//! Data flows one way: spec ([`Init`]) → parameters ([`Resolved`]) → fill (a [`Stream`]).
//!
//! # Edge cases (one table; the tests use it too)
//!
//! | case | behaviour | PyTorch |
//! |---|---|---|
//! | zero-element tensor (a 0 in the shape) | `fill` is a no-op and draws nothing | same (kaiming warns; xavier with both fans 0 raises) |
//! | `resolve` with a zero fan | [`InitError::ZeroFan`] | n/a |
//! | fewer than 2 dims where a fan is needed | [`InitError::RankTooSmall`] | `ValueError` |
//! | `eye` not 2-D, `dirac` not 3/4/5-D, `orthogonal`/`sparse` rank | [`InitError::WrongRank`] (checked before the no-op rule) | `ValueError` |
//! | `std < 0` or non-finite | [`InitError::InvalidStd`] | `RuntimeError` for `std < 0` |
//! | `uniform` with `a > b` | [`InitError::EmptyRange`]; `a == b` fills `a` (draws still made) | same |
//! | `uniform` whose `a`, `b` or `b − a` overflow f32, for f32/bf16/f16 tensors | [`InitError::InvalidParam`] (f64 tensors are fine) | `RuntimeError` ("to - from to exceed the limit") |
//! | `trunc_normal` with `a >= b` or `std == 0` | [`InitError::EmptyRange`] / [`InitError::InvalidParam`] | loops or NaN |
//! | `trunc_normal` window with no f64 probability mass (e.g. `[50, 60]` at std 1) | [`InitError::EmptyRange`] | loops forever |
//! | `sparse` with sparsity outside `[0, 1)` | [`InitError::InvalidSparsity`] | no check |
//! | buffer length != numel | [`InitError::LenMismatch`] | n/a |
//!
//! On any error nothing is written and the stream is not advanced.

mod basic;
mod orthogonal;
mod parse;
mod structured;
mod variance_scaling;

use crate::element::Element;
use crate::error::{InitError, Result};
use crate::fan::{Fans, Mode};
use crate::gain::Nonlinearity;
use crate::rng::Stream;
use crate::shape::{Layout, Shape};

/// The distribution of [`Init::VarianceScaling`] (JAX `variance_scaling`'s `distribution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dist {
    /// Normal truncated at ±2σ, σ corrected by 1/0.8796 so the variance is `scale/fan` (JAX
    /// default).
    TruncatedNormal,
    /// Untruncated normal.
    Normal,
    /// Uniform on `[−√(3·var), √(3·var)]`.
    Uniform,
}

impl Dist {
    /// The JAX spelling.
    pub fn name(&self) -> &'static str {
        match self {
            Dist::TruncatedNormal => "truncated_normal",
            Dist::Normal => "normal",
            Dist::Uniform => "uniform",
        }
    }
}

impl std::str::FromStr for Dist {
    type Err = InitError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "truncated_normal" | "trunc_normal" => Ok(Dist::TruncatedNormal),
            "normal" | "untruncated_normal" => Ok(Dist::Normal),
            "uniform" => Ok(Dist::Uniform),
            _ => Err(InitError::BadSpec {
                scheme: "variance_scaling".into(),
                reason: format!(
                    "unknown distribution '{s}'; expected truncated_normal, normal or uniform"
                ),
            }),
        }
    }
}

/// Standard deviation of a standard normal truncated to (−2, 2):
/// `sqrt(1 − 4φ(2)/(Φ(2) − Φ(−2)))` = 0.87962566103423978 (JAX's constant).
pub fn trunc_std_at_2() -> f64 {
    let phi2 = (-2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mass =
        crate::rng::transform::std_normal_cdf(2.0) - crate::rng::transform::std_normal_cdf(-2.0);
    (1.0 - 4.0 * phi2 / mass).sqrt()
}

/// An initialisation scheme with its parameters: a value that prints to and parses from a
/// short string (`kaiming_uniform`, `normal:0.02`, `xavier_uniform:gain=1.0`, ...).
///
/// Names follow PyTorch (`torch.nn.init.*_` without the `_`). JAX's `glorot_*`, `he_*`,
/// `lecun_*` are [`Init::VarianceScaling`] with JAX's parameters; `glorot_normal`,
/// `he_normal` and `lecun_normal` are **truncated** (JAX), unlike PyTorch's
/// `xavier_normal`/`kaiming_normal`.
///
/// All bounds are absolute values (not multiples of σ); std and bounds are in the units of the
/// weights; gains and scales are dimensionless.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// Every element `value` (`torch.nn.init.constant_`).
    Constant(f64),
    /// Every element 0 (`zeros_`).
    Zeros,
    /// Every element 1 (`ones_`).
    Ones,
    /// `U[a, b)` (`uniform_`; defaults `a = 0`, `b = 1`).
    Uniform {
        /// Lower bound.
        a: f64,
        /// Upper bound.
        b: f64,
    },
    /// `N(mean, std²)` (`normal_`).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// `N(mean, std²)` conditioned on `[a, b]` (`trunc_normal_`; defaults `0, 1, −2, 2`).
    TruncNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Std of the untruncated normal.
        std: f64,
        /// Lower bound (absolute).
        a: f64,
        /// Upper bound (absolute).
        b: f64,
    },
    /// Glorot & Bengio (2010): `U(±gain·√(6/(fan_in+fan_out)))`, `Var = gain²·2/(fan_in+fan_out)`.
    XavierUniform {
        /// Gain (dimensionless).
        gain: f64,
    },
    /// Glorot & Bengio (2010): `N(0, gain²·2/(fan_in+fan_out))` (not truncated).
    XavierNormal {
        /// Gain (dimensionless).
        gain: f64,
    },
    /// He et al. (2015): `U(±gain·√(3/fan))`, `Var = gain²/fan`, gain from `nonlinearity`
    /// (for leaky_relu, the slope is `a`).
    KaimingUniform {
        /// Negative slope of the following leaky ReLU (used only with leaky_relu).
        a: f64,
        /// Which fan.
        mode: Mode,
        /// The nonlinearity that follows (PyTorch default `leaky_relu` with `a = 0`: gain √2).
        nonlinearity: Nonlinearity,
    },
    /// He et al. (2015): `N(0, gain²/fan)`.
    KaimingNormal {
        /// Negative slope (leaky_relu only).
        a: f64,
        /// Which fan.
        mode: Mode,
        /// The nonlinearity that follows.
        nonlinearity: Nonlinearity,
    },
    /// JAX `variance_scaling(scale, mode, distribution)`: `Var = scale / fan`.
    VarianceScaling {
        /// Variance scale (dimensionless, > 0).
        scale: f64,
        /// Which fan.
        mode: Mode,
        /// Which distribution.
        distribution: Dist,
    },
    /// Saxe et al. (2014): a Haar-random (semi-)orthogonal matrix, times `gain`; tensors of
    /// rank > 2 are flattened to `(shape[0], numel/shape[0])`. On a
    /// [`TorchGenerator`](crate::TorchGenerator) it is PyTorch's algorithm (sign-corrected QR of
    /// the Gaussian draws); on other streams Stewart's (1980) product of Householder reflectors
    /// built from the same draws: the same distribution, half the flops. Values depend on the
    /// CPU's SIMD level (faer's kernels) but not on the number of threads.
    Orthogonal {
        /// Gain (dimensionless; any finite value, as PyTorch: a negative gain flips the sign).
        gain: f64,
    },
    /// Identity matrix (2-D only; `eye_`).
    Eye,
    /// Dirac delta for convolutions (3/4/5-D; `dirac_`): preserves the identity of the inputs.
    Dirac {
        /// Number of groups (dim 0 must be divisible by it).
        groups: usize,
    },
    /// Martens (2010): `N(0, std²)`, then in every column `ceil(sparsity·rows)` entries zeroed.
    Sparse {
        /// Fraction of zeros per column, in `[0, 1)`.
        sparsity: f64,
        /// Std of the non-zero entries.
        std: f64,
    },
}

/// What a scheme resolves to for a given shape: the exact distribution, without drawing.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// Every element this value.
    Constant(f64),
    /// `U[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// `N(mean, std²)`.
    Normal {
        /// Mean.
        mean: f64,
        /// Std.
        std: f64,
    },
    /// Truncated normal on `[a, b]`.
    TruncNormal {
        /// Mean of the parent normal.
        mean: f64,
        /// Std of the parent normal.
        std: f64,
        /// Lower bound.
        a: f64,
        /// Upper bound.
        b: f64,
    },
    /// Orthogonal times gain, as a `rows × cols` matrix.
    Orthogonal {
        /// Gain.
        gain: f64,
        /// `shape[0]`.
        rows: usize,
        /// `numel / shape[0]`.
        cols: usize,
    },
    /// Identity `rows × cols`.
    Eye {
        /// Rows.
        rows: usize,
        /// Cols.
        cols: usize,
    },
    /// Dirac delta.
    Dirac {
        /// Groups.
        groups: usize,
        /// Number of ones written.
        ones: usize,
    },
    /// Sparse normal.
    Sparse {
        /// Zeros per column.
        zeros_per_col: usize,
        /// Rows.
        rows: usize,
        /// Std of non-zero entries.
        std: f64,
    },
}

impl Resolved {
    /// Mean of one element, averaged over the tensor (exact).
    pub fn mean(&self, numel: usize) -> f64 {
        match *self {
            Resolved::Constant(v) => v,
            Resolved::Uniform { low, high } => (low + high) / 2.0,
            Resolved::Normal { mean, .. } => mean,
            Resolved::TruncNormal { mean, std, a, b } => trunc_moments(mean, std, a, b).0,
            Resolved::Orthogonal { .. } | Resolved::Sparse { .. } => 0.0,
            Resolved::Eye { rows, cols } => rows.min(cols) as f64 / numel.max(1) as f64,
            Resolved::Dirac { ones, .. } => ones as f64 / numel.max(1) as f64,
        }
    }

    /// Variance of one element drawn from the scheme (for structured schemes: the second
    /// moment of the tensor's entries, `E[w²]`, which is what signal propagation uses).
    pub fn variance(&self, numel: usize) -> f64 {
        match *self {
            Resolved::Constant(_) => 0.0,
            Resolved::Uniform { low, high } => (high - low).powi(2) / 12.0,
            Resolved::Normal { std, .. } => std * std,
            Resolved::TruncNormal { mean, std, a, b } => trunc_moments(mean, std, a, b).1,
            Resolved::Orthogonal { gain, rows, cols } => {
                gain * gain * rows.min(cols) as f64 / (rows * cols).max(1) as f64
            }
            Resolved::Eye { rows, cols } => rows.min(cols) as f64 / numel.max(1) as f64,
            Resolved::Dirac { ones, .. } => ones as f64 / numel.max(1) as f64,
            Resolved::Sparse {
                zeros_per_col,
                rows,
                std,
            } => std * std * (rows - zeros_per_col.min(rows)) as f64 / rows.max(1) as f64,
        }
    }
}

/// Mean and variance of `N(mean, std²)` truncated to `[a, b]`.
pub(crate) fn trunc_moments(mean: f64, std: f64, a: f64, b: f64) -> (f64, f64) {
    use crate::rng::transform::std_normal_cdf as cdf;
    let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (al, be) = ((a - mean) / std, (b - mean) / std);
    let z = cdf(be) - cdf(al);
    let (pa, pb) = (pdf(al), pdf(be));
    // x·φ(x) → 0 at ±∞
    let xa = if al.is_finite() { al * pa } else { 0.0 };
    let xb = if be.is_finite() { be * pb } else { 0.0 };
    let m = (pa - pb) / z;
    (mean + std * m, std * std * (1.0 + (xa - xb) / z - m * m))
}

fn check_std(std: f64) -> Result<()> {
    if !(std.is_finite() && std >= 0.0) {
        return Err(InitError::InvalidStd { std });
    }
    Ok(())
}

fn check_finite(name: &'static str, value: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(InitError::InvalidParam {
            name,
            value,
            expected: "a finite number",
        });
    }
    Ok(())
}

fn check_gain(gain: f64) -> Result<()> {
    if !(gain.is_finite() && gain >= 0.0) {
        return Err(InitError::InvalidParam {
            name: "gain",
            value: gain,
            expected: "a finite number >= 0",
        });
    }
    Ok(())
}

impl Init {
    /// `U[a, b)`.
    pub fn uniform(a: f64, b: f64) -> Init {
        Init::Uniform { a, b }
    }
    /// `N(mean, std²)`.
    pub fn normal(mean: f64, std: f64) -> Init {
        Init::Normal { mean, std }
    }
    /// `N(mean, std²)` on `[a, b]` (absolute bounds).
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Init {
        Init::TruncNormal { mean, std, a, b }
    }
    /// `xavier_uniform` with `gain`.
    pub fn xavier_uniform(gain: f64) -> Init {
        Init::XavierUniform { gain }
    }
    /// `xavier_normal` with `gain`.
    pub fn xavier_normal(gain: f64) -> Init {
        Init::XavierNormal { gain }
    }
    /// `kaiming_uniform(a, mode, nonlinearity)`. For `leaky_relu` the slope is `a`.
    pub fn kaiming_uniform(a: f64, mode: Mode, nonlinearity: Nonlinearity) -> Init {
        let nonlinearity = normalise_leaky(a, nonlinearity);
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        }
    }
    /// `kaiming_normal(a, mode, nonlinearity)`. For `leaky_relu` the slope is `a`.
    pub fn kaiming_normal(a: f64, mode: Mode, nonlinearity: Nonlinearity) -> Init {
        let nonlinearity = normalise_leaky(a, nonlinearity);
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        }
    }
    /// PyTorch's defaults: `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`, gain √2.
    pub fn kaiming_uniform_default() -> Init {
        Init::kaiming_uniform(0.0, Mode::FanIn, Nonlinearity::LeakyRelu(0.0))
    }
    /// PyTorch's defaults: `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`, gain √2.
    pub fn kaiming_normal_default() -> Init {
        Init::kaiming_normal(0.0, Mode::FanIn, Nonlinearity::LeakyRelu(0.0))
    }
    /// JAX `variance_scaling(scale, mode, distribution)`.
    pub fn variance_scaling(scale: f64, mode: Mode, distribution: Dist) -> Init {
        Init::VarianceScaling {
            scale,
            mode,
            distribution,
        }
    }

    /// The scheme's name as it is parsed (`kaiming_uniform`, `glorot_normal`, ...).
    pub fn name(&self) -> &'static str {
        parse::name_of(self)
    }

    /// The gain of a Kaiming scheme (`calculate_gain(nonlinearity, a)`), else `None`.
    pub fn kaiming_gain(&self) -> Option<f64> {
        match self {
            Init::KaimingUniform { nonlinearity, .. }
            | Init::KaimingNormal { nonlinearity, .. } => Some(nonlinearity.gain()),
            _ => None,
        }
    }

    /// Checks the parameters that do not depend on the shape.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Constant(v) => check_finite("value", v),
            Init::Zeros | Init::Ones | Init::Eye => Ok(()),
            Init::Uniform { a, b } => {
                check_finite("a", a)?;
                check_finite("b", b)?;
                if a > b {
                    return Err(InitError::EmptyRange {
                        what: "uniform",
                        a,
                        b,
                    });
                }
                Ok(())
            }
            Init::Normal { mean, std } => {
                check_finite("mean", mean)?;
                check_std(std)
            }
            Init::TruncNormal { mean, std, a, b } => {
                check_finite("mean", mean)?;
                check_std(std)?;
                check_finite("a", a)?;
                check_finite("b", b)?;
                if std == 0.0 {
                    return Err(InitError::InvalidParam {
                        name: "std",
                        value: std,
                        expected: "> 0 for trunc_normal",
                    });
                }
                if a >= b {
                    return Err(InitError::EmptyRange {
                        what: "trunc_normal",
                        a,
                        b,
                    });
                }
                let (za, zb) = ((a - mean) / std, (b - mean) / std);
                let mass = crate::rng::transform::window_mass(za, zb);
                #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail too
                if !(mass >= crate::rng::transform::MIN_WINDOW_MASS) {
                    return Err(crate::rng::transform::massless_window(mean, std, a, b));
                }
                Ok(())
            }
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => check_gain(gain),
            // any finite gain, as PyTorch (`orthogonal_` multiplies by it; a negative gain
            // flips the sign of every entry, still an orthogonal matrix times |gain|)
            Init::Orthogonal { gain } => check_finite("gain", gain),
            Init::KaimingUniform { a, .. } | Init::KaimingNormal { a, .. } => check_finite("a", a),
            Init::VarianceScaling { scale, .. } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(InitError::InvalidParam {
                        name: "scale",
                        value: scale,
                        expected: "a finite number > 0",
                    });
                }
                Ok(())
            }
            Init::Dirac { groups } => {
                if groups == 0 {
                    return Err(InitError::BadGroups { dim0: 0, groups });
                }
                Ok(())
            }
            Init::Sparse { sparsity, std } => {
                if !(sparsity.is_finite() && (0.0..1.0).contains(&sparsity)) {
                    return Err(InitError::InvalidSparsity { sparsity });
                }
                check_std(std)
            }
        }
    }

    /// Resolves the scheme for `shape` under `layout`: fans, gain, std and bounds, computed
    /// with the same f64 expressions as the mirrored PyTorch/JAX function. Draws nothing.
    ///
    /// # Errors
    /// Parameter errors (see [`Init::validate`]); [`InitError::RankTooSmall`] /
    /// [`InitError::ZeroFan`] for fan-based schemes; [`InitError::WrongRank`] and
    /// [`InitError::BadGroups`] for structured ones.
    ///
    /// ```
    /// use nninit::{Init, Layout, Resolved, Shape};
    /// // PyTorch's nn.Linear(256, 128) default weight: U(±1/16), std 1/sqrt(3·256) = 0.0361
    /// let r = nninit::layers::linear_weight_init().resolve(&Shape::new(&[128, 256])?, Layout::Torch)?;
    /// assert!((r.variance(128 * 256).sqrt() - 0.0361).abs() < 1e-4);
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn resolve(&self, shape: &Shape, layout: Layout) -> Result<Resolved> {
        self.validate()?;
        let dims = shape.dims();
        let fans = || Fans::new(dims, layout);
        let zero_fan = |which: &'static str| InitError::ZeroFan {
            which,
            shape: dims.to_vec(),
        };
        Ok(match *self {
            Init::Constant(v) => Resolved::Constant(v),
            Init::Zeros => Resolved::Constant(0.0),
            Init::Ones => Resolved::Constant(1.0),
            Init::Uniform { a, b } => Resolved::Uniform { low: a, high: b },
            Init::Normal { mean, std } => Resolved::Normal { mean, std },
            Init::TruncNormal { mean, std, a, b } => Resolved::TruncNormal { mean, std, a, b },
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                let f = fans()?;
                let sum = f.fan_in + f.fan_out;
                if sum == 0 {
                    return Err(zero_fan("fan_in + fan_out"));
                }
                // torch: std = gain * math.sqrt(2.0 / float(fan_in + fan_out)); a = math.sqrt(3.0) * std
                let std = gain * (2.0 / sum as f64).sqrt();
                if matches!(self, Init::XavierUniform { .. }) {
                    let bound = 3f64.sqrt() * std;
                    Resolved::Uniform {
                        low: -bound,
                        high: bound,
                    }
                } else {
                    Resolved::Normal { mean: 0.0, std }
                }
            }
            Init::KaimingUniform {
                mode, nonlinearity, ..
            }
            | Init::KaimingNormal {
                mode, nonlinearity, ..
            } => {
                let f = fans()?;
                let fan = f.fan(mode);
                if fan == 0.0 {
                    return Err(zero_fan(mode.name()));
                }
                // torch: std = gain / math.sqrt(fan); bound = math.sqrt(3.0) * std
                let std = nonlinearity.gain() / fan.sqrt();
                if matches!(self, Init::KaimingUniform { .. }) {
                    let bound = 3f64.sqrt() * std;
                    Resolved::Uniform {
                        low: -bound,
                        high: bound,
                    }
                } else {
                    Resolved::Normal { mean: 0.0, std }
                }
            }
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
            } => {
                let f = fans()?;
                let fan = f.fan(mode);
                if fan == 0.0 {
                    return Err(zero_fan(mode.name()));
                }
                variance_scaling::resolve(scale / fan, distribution)
            }
            Init::Orthogonal { gain } => {
                if dims.len() < 2 {
                    return Err(InitError::WrongRank {
                        scheme: "orthogonal",
                        expected: "2 or more",
                        shape: dims.to_vec(),
                    });
                }
                let rows = dims[0];
                let cols = shape.numel().checked_div(rows).unwrap_or(0);
                Resolved::Orthogonal { gain, rows, cols }
            }
            Init::Eye => {
                if dims.len() != 2 {
                    return Err(InitError::WrongRank {
                        scheme: "eye",
                        expected: "2",
                        shape: dims.to_vec(),
                    });
                }
                Resolved::Eye {
                    rows: dims[0],
                    cols: dims[1],
                }
            }
            Init::Dirac { groups } => structured::resolve_dirac(dims, groups)?,
            Init::Sparse { sparsity, std } => {
                if dims.len() != 2 {
                    return Err(InitError::WrongRank {
                        scheme: "sparse",
                        expected: "2",
                        shape: dims.to_vec(),
                    });
                }
                let rows = dims[0];
                Resolved::Sparse {
                    zeros_per_col: (sparsity * rows as f64).ceil() as usize,
                    rows,
                    std,
                }
            }
        })
    }

    /// Fills `out` (row-major, `out.len() == shape.numel()`) with this scheme, drawing from
    /// `stream`. A zero-element tensor is a no-op that draws nothing (as PyTorch).
    ///
    /// # Errors
    /// [`InitError::LenMismatch`] and everything [`Init::resolve`] returns. On error nothing is
    /// written and the stream is not advanced.
    ///
    /// # Random stream
    /// The draws are made through [`Stream`]; with PyTorch's generator they follow PyTorch's
    /// order (row-major, one `uniform_`/`normal_` call per tensor).
    ///
    /// ```
    /// use nninit::{Init, Layout, Mode, Nonlinearity, RngStream, Shape};
    /// use rand::SeedableRng;
    /// let shape = Shape::new(&[128, 256])?;                 // nn.Linear(256, 128).weight
    /// let mut w = vec![0f32; shape.numel()];
    /// let mut s = RngStream(rand::rngs::StdRng::seed_from_u64(0));
    /// Init::kaiming_uniform(0.0, Mode::FanIn, Nonlinearity::Relu)
    ///     .fill(&mut w, &shape, Layout::Torch, &mut s)?;
    /// assert!(w.iter().all(|x| x.abs() <= (6.0f32 / 256.0).sqrt()));
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn fill<T: Element, S: Stream + ?Sized>(
        &self,
        out: &mut [T],
        shape: &Shape,
        layout: Layout,
        stream: &mut S,
    ) -> Result<()> {
        shape.check_len(out.len())?;
        self.validate()?;
        // Rank rules of the structured schemes come before the zero-element no-op (PyTorch).
        match self {
            Init::Orthogonal { .. } | Init::Eye | Init::Sparse { .. } if shape.numel() == 0 => {
                self.resolve(shape, layout)?;
            }
            Init::Dirac { .. } if shape.numel() == 0 => {
                structured::check_dirac_rank(shape.dims())?;
            }
            _ => {}
        }
        if shape.numel() == 0 {
            return Ok(());
        }
        let resolved = self.resolve(shape, layout)?;
        if let Resolved::Uniform { low, high } = resolved {
            // PyTorch casts from/to to the opmath type (f32 below f64) and rejects overflow.
            let (lo, hi) = (low as f32, high as f32);
            if T::DTYPE != crate::element::DType::F64
                && !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite())
            {
                return Err(InitError::InvalidParam {
                    name: "b - a",
                    value: high - low,
                    expected: "a, b and b - a finite in f32 (max 3.4e38) for f32/bf16/f16 tensors",
                });
            }
        }
        basic::draw(&resolved, out, shape, stream)
    }
}

/// For Kaiming schemes the slope of a leaky ReLU is `a` (PyTorch passes `a` as
/// `calculate_gain`'s param).
fn normalise_leaky(a: f64, nonlinearity: Nonlinearity) -> Nonlinearity {
    match nonlinearity {
        Nonlinearity::LeakyRelu(_) => Nonlinearity::LeakyRelu(a),
        other => other,
    }
}

pub use parse::{known_names, Description};
