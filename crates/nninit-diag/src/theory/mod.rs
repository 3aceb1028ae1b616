//! Theory beside measurement: Gaussian expectations, numeric gains, mean-field prediction.
//!
//! * [`gauss`]: `E[f(x)]`, `x ~ N(μ, σ²)` — Gauss–Hermite, and the kink-robust composite
//!   Gauss–Legendre rule every other function here uses.
//! * [`gain`]: `g = 1/√E[φ(z)²]` and companions (`g_bwd`, `χ₁`, `χ_q`) for any
//!   [`Activation`](crate::activation::Activation), beside PyTorch's `calculate_gain`.
//! * [`meanfield`]: the variance map, fixed points, the correlation map (`c*`, `χ_c`), the
//!   critical line (edge of chaos), and per-layer predictions of an MLP's activation std,
//!   cosine similarity between inputs and signal (Poole et al. 2016, arXiv 1606.05340;
//!   Schoenholz et al. 2017, arXiv 1611.01232).
//!
//! ```
//! use nninit_diag::theory::{fixed_point, gains};
//! use nninit_diag::Activation;
//! // tanh with PyTorch's gain 5/3: q* = 1.178480, chaotic (χ₁ = 1.2098), docs/theory.md §2.1
//! let fp = fixed_point(Activation::Tanh, 25.0 / 9.0, 0.0)?;
//! let (q, chi1) = (fp.q_star.unwrap_or(0.0), fp.chi1.unwrap_or(0.0));
//! assert!((q - 1.178480).abs() < 1e-6 && (chi1 - 1.2098).abs() < 1e-4);
//! assert!((gains(Activation::Relu)?.gain - 2f64.sqrt()).abs() < 1e-12);
//! # Ok::<(), nninit_diag::DiagError>(())
//! ```

pub mod gain;
pub mod gauss;
pub mod meanfield;

pub use gain::{gain_note, gains, torch_gain, Gains};
pub use gauss::{expect_normal, expect_normal_with_kinks, GaussHermite};
pub use meanfield::{
    chi1, chi_q, correlation_map, critical_point, fixed_point, is_homogeneous, moment_quantiles,
    pair_moments, row_pair_moments, row_second_moments, variance_map, CriticalPoint, FixedPoint,
    FixedPointStatus, LayerPrediction, LinearSpec, MeanFieldNet, MfLayer, PairMoments,
    FIXED_POINT_MAX_ITER, PAIR_NODES, PREDICT_PAIRS, SIGMA_B2_GRID,
};
