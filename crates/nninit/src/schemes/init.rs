//! [`Init`]: a scheme with its parameters; its constructors, validation, resolution for a
//! shape and the whole-tensor fill.

use super::draw;
use super::resolved::Resolved;
use super::structured;
use super::variance_scaling::{self, Dist};
use crate::element::{DType, Element};
use crate::error::{InitError, Result};
use crate::fan::{Fans, Mode};
use crate::gain::Nonlinearity;
use crate::rng::stream::Stream;
use crate::sampler::Sampler;
use crate::shape::{Layout, Shape};

/// An initialisation scheme with its parameters: a value that prints to and parses from a
/// short string (`kaiming_uniform`, `normal:0.02`, `xavier_uniform:gain=1.0`, ...; see the
/// scheme table [`SCHEMES`](super::SCHEMES)).
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
    /// He et al. (2015): `U(±gain·√(3/fan))`, `Var = gain²/fan`, gain from `nonlinearity`.
    KaimingUniform {
        /// Which fan.
        mode: Mode,
        /// The nonlinearity that follows; a leaky ReLU carries its negative slope (PyTorch's
        /// `a`). PyTorch's default is `LeakyRelu(0.0)`: gain √2.
        nonlinearity: Nonlinearity,
    },
    /// He et al. (2015): `N(0, gain²/fan)`, gain from `nonlinearity`.
    KaimingNormal {
        /// Which fan.
        mode: Mode,
        /// The nonlinearity that follows; a leaky ReLU carries its slope (PyTorch's `a`).
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
    /// CPU's SIMD level (faer's kernels) but not on the number of threads. Under
    /// [`Layout::Jax`] the tensor is flattened as JAX's `orthogonal()` does (`column_axis=-1`):
    /// `(numel/shape[-1], shape[-1])` (for a 2-D weight the same matrix as PyTorch's).
    /// Working memory besides the tensor (checked first: [`InitError::OutOfMemory`]): about
    /// 3 f64 copies of it on the torch stream (QR in f64), 1 copy on the others.
    Orthogonal {
        /// Gain (dimensionless; any finite value, as PyTorch: a negative gain flips the sign).
        gain: f64,
    },
    /// Identity matrix (2-D only; `eye_`).
    Eye,
    /// Dirac delta for convolutions (3/4/5-D; `dirac_`): preserves the identity of the inputs.
    /// Under [`Layout::Jax`] the same identity for an HWIO `(k..., in, out)` kernel
    /// (`t[centre..., d, g·out/groups + d] = 1`); `torch_transpose` is PyTorch's `dirac_` as is.
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

/// PyTorch's `a` as the slope of a leaky ReLU: `calculate_gain(nonlinearity, a)` uses `a`
/// for `leaky_relu` and ignores it otherwise.
fn with_slope(a: f64, nonlinearity: Nonlinearity) -> Nonlinearity {
    match nonlinearity {
        Nonlinearity::LeakyRelu(_) => Nonlinearity::LeakyRelu(a),
        other => other,
    }
}

impl Init {
    /// Constant: every element `value` (`Var(W) = 0`).
    ///
    /// # Parameters
    /// - `value`: in the units of the weights; finite.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.constant_`; differences: none. [`Init::Zeros`] and [`Init::Ones`] are
    /// `zeros_` and `ones_`.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[3])?;
    /// let mut b = vec![1f32; 3];
    /// Init::constant(0.1).fill(&mut b, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// assert_eq!(b, [0.1f32; 3]);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn constant(value: f64) -> Init {
        Init::Constant(value)
    }

    /// Uniform: `U[a, b)`, mean `(a+b)/2`, `Var(W) = (b−a)²/12`, std `(b−a)/√12`.
    ///
    /// # Parameters
    /// - `a`, `b`: the bounds, in the units of the weights; finite, `a <= b` (`a == b` fills
    ///   `a`).
    ///
    /// # Mirrors and source
    /// `torch.nn.init.uniform_(tensor, a=0.0, b=1.0)`; differences: none (f32/bf16/f16
    /// tensors reject bounds that overflow f32, as PyTorch does).
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[4, 4])?;
    /// let mut w = vec![0f32; 16];
    /// Init::uniform(-0.1, 0.1).fill(&mut w, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// assert!(w.iter().all(|&x| (-0.1..0.1).contains(&x)));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn uniform(a: f64, b: f64) -> Init {
        Init::Uniform { a, b }
    }

    /// Normal: `N(mean, std²)`, `Var(W) = std²`.
    ///
    /// # Parameters
    /// - `mean`, `std`: in the units of the weights; finite, `std >= 0`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.normal_(tensor, mean=0.0, std=1.0)`; differences: none. `N(0, 0.02²)` is
    /// GPT-2's and BERT's weight init.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[256, 256])?;
    /// let mut w = vec![0f32; shape.numel()];
    /// Init::normal(0.0, 0.02).fill(&mut w, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// let var = w.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / w.len() as f64;
    /// assert!((var.sqrt() - 0.02).abs() < 0.001);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn normal(mean: f64, std: f64) -> Init {
        Init::Normal { mean, std }
    }

    /// Truncated normal: `N(mean, std²)` conditioned on `[a, b]`. With `α = (a−mean)/std`,
    /// `β = (b−mean)/std`, `Z = Φ(β) − Φ(α)`: mean `mean + std·(φ(α) − φ(β))/Z`, `Var(W) =
    /// std²·(1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²)` (below `std²`; see
    /// [`Sampler::variance`]).
    ///
    /// # Parameters
    /// - `mean`, `std`: of the parent normal, in the units of the weights; `std > 0`.
    /// - `a`, `b`: **absolute** bounds (not multiples of `std`), `a < b`; the window needs
    ///   probability mass representable in f64.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0)` (PyTorch ≥ 2.12
    /// algorithm on the torch stream); differences: windows with no f64 probability mass are
    /// an error (PyTorch loops forever), `std == 0` is an error (PyTorch gives NaN).
    /// timm/ViT use `std = 0.02`.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[64, 64])?;
    /// let mut w = vec![0f32; shape.numel()];
    /// Init::trunc_normal(0.0, 0.02, -0.04, 0.04)
    ///     .fill(&mut w, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// assert!(w.iter().all(|&x| (-0.04..=0.04).contains(&x)));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Init {
        Init::TruncNormal { mean, std, a, b }
    }

    /// Xavier (Glorot) uniform: `U(−bound, bound)` with `bound = gain·√(6/(fan_in+fan_out))`,
    /// so std `gain·√(2/(fan_in+fan_out))` and `Var(W) = 2·gain²/(fan_in+fan_out)`.
    ///
    /// # Parameters
    /// - `gain`: dimensionless, finite, `>= 0` (1 for tanh-free linear layers;
    ///   [`calculate_gain`](crate::calculate_gain) for others).
    ///
    /// # Mirrors and source
    /// `torch.nn.init.xavier_uniform_(tensor, gain=1.0)`; differences: none. JAX
    /// `glorot_uniform` is the same distribution with `gain = 1` ([`Init::glorot_uniform`]).
    /// Glorot & Bengio (2010), *Understanding the difficulty of training deep feedforward
    /// neural networks*, AISTATS.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[128, 256])?;          // nn.Linear(256, 128).weight
    /// let mut w = vec![0f32; shape.numel()];
    /// Init::xavier_uniform(1.0).fill(&mut w, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// assert!(w.iter().all(|x| x.abs() <= (6.0f32 / 384.0).sqrt()));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn xavier_uniform(gain: f64) -> Init {
        Init::XavierUniform { gain }
    }

    /// Xavier (Glorot) normal: `N(0, std²)` with `std = gain·√(2/(fan_in+fan_out))`, so
    /// `Var(W) = 2·gain²/(fan_in+fan_out)`. Not truncated.
    ///
    /// # Parameters
    /// - `gain`: dimensionless, finite, `>= 0`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.xavier_normal_(tensor, gain=1.0)`; differences: none. Not JAX's
    /// `glorot_normal`, which is truncated ([`Init::glorot_normal`]). Glorot & Bengio (2010).
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let r = Init::xavier_normal(1.0).resolve(&Shape::new(&[128, 256])?, Layout::Torch)?;
    /// assert!((r.variance(128 * 256) - 2.0 / 384.0).abs() < 1e-15);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn xavier_normal(gain: f64) -> Init {
        Init::XavierNormal { gain }
    }

    /// Kaiming (He) uniform: `U(−bound, bound)` with `bound = gain·√(3/fan)`, so std
    /// `gain/√fan` and `Var(W) = gain²/fan`; `fan` is `fan_in` or `fan_out` per `mode`;
    /// `gain = calculate_gain(nonlinearity, a)`.
    ///
    /// # Parameters
    /// - `a`: negative slope of the following leaky ReLU (dimensionless; used only when
    ///   `nonlinearity` is `LeakyRelu`, whose own slope it replaces, as PyTorch's `a`).
    /// - `mode`: `FanIn` keeps the forward variance, `FanOut` the backward.
    /// - `nonlinearity`: PyTorch's default is `LeakyRelu` with `a = 0`, i.e. `gain = √2`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`;
    /// differences: none. JAX `he_uniform` is this distribution with `Relu`, `Layout::Jax`.
    /// PyTorch's `nn.Linear`/`nn.Conv*` default is this with `a = √5`
    /// ([`layers::linear_weight_init`](crate::layers::linear_weight_init)). He et al. (2015),
    /// *Delving Deep into Rectifiers*, <https://arxiv.org/abs/1502.01852>.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[128, 256])?;                 // nn.Linear(256, 128).weight
    /// let mut w = vec![0f32; shape.numel()];
    /// let mut rng = TorchGenerator::manual_seed(0);
    /// Init::kaiming_uniform(0.0, Mode::FanIn, Nonlinearity::Relu)
    ///     .fill(&mut w, &shape, Layout::Torch, &mut rng)?;
    /// assert!(w.iter().all(|x| x.abs() <= (6.0f32 / 256.0).sqrt()));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn kaiming_uniform(a: f64, mode: Mode, nonlinearity: Nonlinearity) -> Init {
        Init::KaimingUniform {
            mode,
            nonlinearity: with_slope(a, nonlinearity),
        }
    }

    /// Kaiming (He) normal: `N(0, std²)` with `std = gain/√fan`, so `Var(W) = gain²/fan`;
    /// `fan` per `mode`; `gain = calculate_gain(nonlinearity, a)`. Not truncated.
    ///
    /// # Parameters
    /// As [`Init::kaiming_uniform`]: `a` (leaky ReLU slope, dimensionless), `mode`,
    /// `nonlinearity`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`;
    /// differences: none. Not JAX's `he_normal`, which is truncated ([`Init::he_normal`]).
    /// He et al. (2015).
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let init = Init::kaiming_normal(0.0, Mode::FanIn, Nonlinearity::Relu);
    /// let r = init.resolve(&Shape::new(&[128, 256])?, Layout::Torch)?;
    /// assert!((r.variance(128 * 256) - 2.0 / 256.0).abs() < 1e-15);
    /// assert_eq!(init.to_string(), "kaiming_normal:nonlinearity=relu");
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn kaiming_normal(a: f64, mode: Mode, nonlinearity: Nonlinearity) -> Init {
        Init::KaimingNormal {
            mode,
            nonlinearity: with_slope(a, nonlinearity),
        }
    }

    /// PyTorch's defaults: `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`, gain √2:
    /// `U(±√(6/fan_in))`, `Var(W) = 2/fan_in`.
    pub fn kaiming_uniform_default() -> Init {
        Init::kaiming_uniform(0.0, Mode::FanIn, Nonlinearity::LeakyRelu(0.0))
    }

    /// PyTorch's defaults: `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`, gain √2:
    /// `N(0, 2/fan_in)`.
    pub fn kaiming_normal_default() -> Init {
        Init::kaiming_normal(0.0, Mode::FanIn, Nonlinearity::LeakyRelu(0.0))
    }

    /// JAX's variance-scaling engine: `Var(W) = scale/fan` (std `√(scale/fan)`), `fan` per
    /// `mode`, drawn from `distribution`: uniform on `±√(3·scale/fan)`; normal; or a normal
    /// truncated at ±2σ with σ = `√(scale/fan)/0.8796` so that the variance after truncation is
    /// `scale/fan`.
    ///
    /// # Parameters
    /// - `scale`: dimensionless, finite, `> 0` (`scale = gain²`).
    /// - `mode`: `FanIn`, `FanOut`, `FanAvg` or `FanGeoAvg`.
    /// - `distribution`: [`Dist`].
    ///
    /// # Mirrors and source
    /// `jax.nn.initializers.variance_scaling(scale, mode, distribution)`; differences: none
    /// (JAX's `in_axis`/`out_axis` are [`Layout`]s here).
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let init = Init::variance_scaling(2.0, Mode::FanIn, Dist::TruncatedNormal);
    /// assert_eq!(init, Init::he_normal());
    /// let r = init.resolve(&Shape::new(&[256, 128])?, Layout::Jax)?; // (in, out)
    /// assert!((r.variance(256 * 128) / (2.0 / 256.0) - 1.0).abs() < 1e-12);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn variance_scaling(scale: f64, mode: Mode, distribution: Dist) -> Init {
        Init::VarianceScaling {
            scale,
            mode,
            distribution,
        }
    }

    /// JAX `glorot_uniform`: alias of [`Init::variance_scaling`] with `scale = 1`, `FanAvg`,
    /// `Uniform` (same distribution as `xavier_uniform(1)`).
    pub fn glorot_uniform() -> Init {
        Init::variance_scaling(1.0, Mode::FanAvg, Dist::Uniform)
    }
    /// JAX `glorot_normal`: alias of [`Init::variance_scaling`] with `scale = 1`, `FanAvg`,
    /// `TruncatedNormal` (truncated, unlike PyTorch's `xavier_normal`).
    pub fn glorot_normal() -> Init {
        Init::variance_scaling(1.0, Mode::FanAvg, Dist::TruncatedNormal)
    }
    /// JAX `he_uniform`: alias of [`Init::variance_scaling`] with `scale = 2`, `FanIn`,
    /// `Uniform`.
    pub fn he_uniform() -> Init {
        Init::variance_scaling(2.0, Mode::FanIn, Dist::Uniform)
    }
    /// JAX `he_normal`: alias of [`Init::variance_scaling`] with `scale = 2`, `FanIn`,
    /// `TruncatedNormal`.
    pub fn he_normal() -> Init {
        Init::variance_scaling(2.0, Mode::FanIn, Dist::TruncatedNormal)
    }
    /// JAX/Keras `lecun_uniform` (LeCun et al. 1998): alias of [`Init::variance_scaling`] with
    /// `scale = 1`, `FanIn`, `Uniform`.
    pub fn lecun_uniform() -> Init {
        Init::variance_scaling(1.0, Mode::FanIn, Dist::Uniform)
    }
    /// JAX/Keras `lecun_normal` (for SELU; Klambauer et al. 2017): alias of
    /// [`Init::variance_scaling`] with `scale = 1`, `FanIn`, `TruncatedNormal`.
    pub fn lecun_normal() -> Init {
        Init::variance_scaling(1.0, Mode::FanIn, Dist::TruncatedNormal)
    }

    /// Orthogonal: a Haar-random (semi-)orthogonal `rows × cols` matrix times `gain`, rows
    /// `shape[0]`, cols `numel/shape[0]`: `E[W²] = gain²/max(rows, cols)` (std of the
    /// entries `gain/√max(rows, cols)`).
    ///
    /// # Parameters
    /// - `gain`: dimensionless, any finite value (a negative gain flips every sign).
    ///
    /// # Mirrors and source
    /// `torch.nn.init.orthogonal_(tensor, gain=1)`: PyTorch's sign-corrected QR on a
    /// [`TorchGenerator`](crate::TorchGenerator) (to 2e-6: QR in f64), Stewart's equivalent
    /// method elsewhere (see [`Init::Orthogonal`]). Saxe, McClelland & Ganguli (2014),
    /// <https://arxiv.org/abs/1312.6120>.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[4, 8])?;
    /// let mut w = vec![0f64; 32];
    /// Init::orthogonal(1.0).fill(&mut w, &shape, Layout::Torch, &mut Philox::new(0))?;
    /// let row0: f64 = w[..8].iter().map(|x| x * x).sum();
    /// assert!((row0 - 1.0).abs() < 1e-12);                 // orthonormal rows
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn orthogonal(gain: f64) -> Init {
        Init::Orthogonal { gain }
    }

    /// Dirac: for every group `g` and `d < min(out/groups, in)`, `W[g·out/groups + d, d,
    /// centre…] = 1`, else 0 (a convolution that passes its input through).
    ///
    /// # Parameters
    /// - `groups`: dimensionless count `>= 1` dividing `shape[0]`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.dirac_(tensor, groups=1)`; differences: none.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[2, 2, 3])?;                   // Conv1d(2, 2, 3).weight
    /// let mut w = vec![7f32; 12];
    /// Init::dirac(1).fill(&mut w, &shape, Layout::Torch, &mut Philox::new(0))?;
    /// assert_eq!(w, [0., 1., 0., 0., 0., 0., 0., 0., 0., 0., 1., 0.]);
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn dirac(groups: usize) -> Init {
        Init::Dirac { groups }
    }

    /// Sparse: `N(0, std²)`, then `ceil(sparsity·rows)` entries of every column zeroed:
    /// `E[W²] = (rows − ceil(sparsity·rows))/rows · std²` (about `(1 − sparsity)·std²`).
    ///
    /// # Parameters
    /// - `sparsity`: dimensionless fraction of zeros per column, in `[0, 1)`.
    /// - `std`: of the non-zero entries, in the units of the weights; finite, `>= 0`.
    ///
    /// # Mirrors and source
    /// `torch.nn.init.sparse_(tensor, sparsity, std=0.01)`; differences: none. Martens (2010),
    /// *Deep learning via Hessian-free optimization*, ICML.
    ///
    /// # Example
    /// ```
    /// # use nninit::*;
    /// let shape = Shape::new(&[10, 4])?;
    /// let mut w = vec![0f32; 40];
    /// Init::sparse(0.5, 0.01).fill(&mut w, &shape, Layout::Torch, &mut TorchGenerator::manual_seed(0))?;
    /// for c in 0..4 {
    ///     assert_eq!((0..10).filter(|r| w[r * 4 + c] == 0.0).count(), 5);
    /// }
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn sparse(sparsity: f64, std: f64) -> Init {
        Init::Sparse { sparsity, std }
    }

    /// The gain of a Kaiming scheme (`calculate_gain(nonlinearity, a)`), else `None`.
    pub fn kaiming_gain(&self) -> Option<f64> {
        match self {
            Init::KaimingUniform { nonlinearity, .. }
            | Init::KaimingNormal { nonlinearity, .. } => Some(nonlinearity.gain()),
            _ => None,
        }
    }

    /// Checks the parameters that do not depend on the shape. `uniform`, `normal` and
    /// `trunc_normal` are checked by building their [`Sampler`] (the one validator of those
    /// distributions).
    ///
    /// # Errors
    /// [`InitError::InvalidParam`], [`InitError::InvalidStd`], [`InitError::EmptyRange`],
    /// [`InitError::InvalidSparsity`], [`InitError::BadGroups`], [`InitError::Unsupported`]
    /// (a trunc_normal window without f64 probability mass).
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Constant(v) => check_finite("value", v),
            Init::Zeros | Init::Ones | Init::Eye => Ok(()),
            Init::Uniform { a, b } => Sampler::uniform(a, b).map(drop),
            Init::Normal { mean, std } => Sampler::normal(mean, std).map(drop),
            Init::TruncNormal { mean, std, a, b } => {
                Sampler::trunc_normal(mean, std, a, b).map(drop)
            }
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => check_gain(gain),
            // any finite gain, as PyTorch (`orthogonal_` multiplies by it; a negative gain
            // flips the sign of every entry, still an orthogonal matrix times |gain|)
            Init::Orthogonal { gain } => check_finite("gain", gain),
            Init::KaimingUniform { nonlinearity, .. }
            | Init::KaimingNormal { nonlinearity, .. } => match nonlinearity {
                Nonlinearity::LeakyRelu(slope) => check_finite("a", slope),
                _ => Ok(()),
            },
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
    /// [`InitError::BadGroups`] for structured ones; the [`Sampler`] errors for a distribution
    /// whose parameters overflow or underflow (e.g. an infinite bound from a huge gain).
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
            Init::Uniform { a, b } => Resolved::Elementwise(Sampler::uniform(a, b)?),
            Init::Normal { mean, std } => Resolved::Elementwise(Sampler::normal(mean, std)?),
            Init::TruncNormal { mean, std, a, b } => {
                Resolved::Elementwise(Sampler::trunc_normal(mean, std, a, b)?)
            }
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                let f = fans()?;
                let sum = f.fan_in + f.fan_out;
                if sum == 0 {
                    return Err(zero_fan("fan_in + fan_out"));
                }
                // torch: std = gain * math.sqrt(2.0 / float(fan_in + fan_out)); a = math.sqrt(3.0) * std
                let std = gain * (2.0 / sum as f64).sqrt();
                Resolved::Elementwise(if matches!(self, Init::XavierUniform { .. }) {
                    let bound = 3f64.sqrt() * std;
                    Sampler::uniform(-bound, bound)?
                } else {
                    Sampler::normal(0.0, std)?
                })
            }
            Init::KaimingUniform { mode, nonlinearity }
            | Init::KaimingNormal { mode, nonlinearity } => {
                let f = fans()?;
                let fan = f.fan(mode);
                if fan == 0.0 {
                    return Err(zero_fan(mode.name()));
                }
                // torch: std = gain / math.sqrt(fan); bound = math.sqrt(3.0) * std
                let std = nonlinearity.gain() / fan.sqrt();
                Resolved::Elementwise(if matches!(self, Init::KaimingUniform { .. }) {
                    let bound = 3f64.sqrt() * std;
                    Sampler::uniform(-bound, bound)?
                } else {
                    Sampler::normal(0.0, std)?
                })
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
                Resolved::Elementwise(variance_scaling::sampler(scale / fan, distribution)?)
            }
            Init::Orthogonal { gain } => {
                if dims.len() < 2 {
                    return Err(InitError::WrongRank {
                        scheme: "orthogonal",
                        expected: "2 or more",
                        shape: dims.to_vec(),
                    });
                }
                // PyTorch flattens (out, in, k...) to (shape[0], numel/shape[0]); JAX's
                // orthogonal (column_axis=-1) flattens (k..., in, out) to
                // (numel/shape[-1], shape[-1]): the same matrix for a 2-D (in, out) weight
                let (rows, cols) = match layout {
                    Layout::Jax => {
                        let cols = dims[dims.len() - 1];
                        (shape.numel().checked_div(cols).unwrap_or(0), cols)
                    }
                    Layout::Torch | Layout::TorchTranspose => {
                        let rows = dims[0];
                        (rows, shape.numel().checked_div(rows).unwrap_or(0))
                    }
                };
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
            Init::Dirac { groups } => structured::resolve_dirac(dims, groups, layout)?,
            Init::Sparse { sparsity, std } => {
                if dims.len() != 2 {
                    return Err(InitError::WrongRank {
                        scheme: "sparse",
                        expected: "2",
                        shape: dims.to_vec(),
                    });
                }
                if layout == Layout::Jax {
                    return Err(InitError::Unsupported(
                        "sparse follows PyTorch's (out, in) layout (zeros per column of dim 0); \
                         it has no JAX (in, out) form: use --layout torch on the transposed shape"
                            .into(),
                    ));
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
    /// [`InitError::LenMismatch`] and everything [`Init::resolve`] returns;
    /// [`InitError::InvalidParam`] for uniform bounds whose difference overflows the tensor's
    /// dtype (f32 for f32/bf16/f16 tensors, f64 for f64); [`InitError::OutOfMemory`] when a
    /// structured scheme's working memory (orthogonal's factorisation) cannot be had. On error
    /// nothing is written and the stream is not advanced.
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
        check_opmath_range::<T>(&resolved)?;
        draw::draw(&resolved, out, shape, stream)
    }
}

/// PyTorch casts `uniform_`'s `from`/`to` to the opmath type (f32 below f64) and rejects
/// bounds whose difference overflows the tensor's dtype (`uniform_impl_`: `to - from <=
/// numeric_limits<scalar_t>::max()`): so do the fills of every dtype, on every stream (the
/// transforms compute `b − a`; an infinite one gives NaN or a constant tensor).
pub(super) fn check_opmath_range<T: Element>(resolved: &Resolved) -> Result<()> {
    if let Resolved::Elementwise(Sampler::Uniform(u)) = resolved {
        let (low, high) = (u.low(), u.high());
        if T::DTYPE == DType::F64 {
            if !(high - low).is_finite() {
                return Err(InitError::InvalidParam {
                    name: "b - a",
                    value: high - low,
                    expected: "b - a finite (max 1.8e308) for f64 tensors; narrow the range",
                });
            }
            return Ok(());
        }
        let (lo, hi) = (low as f32, high as f32);
        if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite()) {
            return Err(InitError::InvalidParam {
                name: "b - a",
                value: high - low,
                expected: "a, b and b - a finite in f32 (max 3.4e38) for f32/bf16/f16 tensors",
            });
        }
        // PyTorch refuses bounds outside the tensor type's range ("to is out of bounds for
        // c10::Half"); beyond it, draws would round to ±inf (and wrap to `a`)
        let top = match T::DTYPE {
            DType::F16 => f64::from(half::f16::MAX),
            DType::BF16 => f64::from(half::bf16::MAX),
            DType::F32 | DType::F64 => f64::INFINITY, // f32: checked above
        };
        for (name, v) in [("a", low), ("b", high)] {
            if v.abs() > top {
                return Err(InitError::InvalidParam {
                    name,
                    value: v,
                    expected: "within the tensor type's finite range (f16: ±65504)",
                });
            }
        }
    }
    Ok(())
}
