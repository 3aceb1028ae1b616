//! [`Sampler`]: the element-wise distributions every fill draws from — uniform, normal and
//! truncated normal — validated once, when they are built (as `rand_distr`'s are).
//!
//! `uniform`, `normal`, `trunc_normal` and every fan-based scheme (xavier, kaiming,
//! variance_scaling and its aliases) resolve to a [`Sampler`]
//! ([`Resolved::Elementwise`](crate::Resolved::Elementwise)); a stream draws one into a slice
//! ([`Stream::sample`](crate::Stream::sample)); the counter-based kernels derive their
//! per-type constants from it. A `Sampler` cannot hold invalid parameters, so nothing
//! downstream validates again or fails.

use crate::error::{InitError, Result};
use crate::special::{massless_window, trunc_moments, window_mass, MIN_WINDOW_MASS};

/// An element-wise distribution with valid parameters (bounds and std in the units of the
/// weights). Build it with [`Sampler::uniform`], [`Sampler::normal`] or
/// [`Sampler::trunc_normal`]; match on it to read the parameters.
///
/// ```
/// use nninit::Sampler;
/// let s = Sampler::uniform(-0.5, 0.5)?;
/// assert_eq!(s.variance(), 1.0 / 12.0);
/// assert!(Sampler::normal(0.0, -1.0).is_err());
/// match s {
///     Sampler::Uniform(u) => assert_eq!((u.low(), u.high()), (-0.5, 0.5)),
///     _ => unreachable!(),
/// }
/// # Ok::<(), nninit::InitError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// `U[low, high)`.
    Uniform(Uniform),
    /// `N(mean, std²)`.
    Normal(Normal),
    /// `N(mean, std²)` conditioned on `[a, b]`.
    TruncNormal(TruncNormal),
}

/// `U[low, high)` with finite `low <= high`; `low == high` fills `low` (as PyTorch's
/// `uniform_`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform {
    low: f64,
    high: f64,
}

/// `N(mean, std²)` with finite `mean` and finite `std >= 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    mean: f64,
    std: f64,
}

/// `N(mean, std²)` conditioned on `[a, b]` (absolute bounds): finite parameters, `std > 0`,
/// `a < b`, and a window with probability mass representable in f64 (at least `2e-292`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruncNormal {
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
}

fn finite(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(InitError::InvalidParam {
            name,
            value,
            expected: "a finite number",
        })
    }
}

fn check_std(std: f64) -> Result<()> {
    if std.is_finite() && std >= 0.0 {
        Ok(())
    } else {
        Err(InitError::InvalidStd { std })
    }
}

impl Uniform {
    /// `U[low, high)` (PyTorch's `uniform_(a, b)`; errors name them `a` and `b`).
    ///
    /// # Errors
    /// [`InitError::InvalidParam`] for a non-finite bound; [`InitError::EmptyRange`] if
    /// `low > high`.
    pub fn new(low: f64, high: f64) -> Result<Uniform> {
        finite("a", low)?;
        finite("b", high)?;
        if low > high {
            return Err(InitError::EmptyRange {
                what: "uniform",
                a: low,
                b: high,
            });
        }
        Ok(Uniform { low, high })
    }
    /// Lower bound.
    pub fn low(&self) -> f64 {
        self.low
    }
    /// Upper bound.
    pub fn high(&self) -> f64 {
        self.high
    }
    /// `(low + high)/2`.
    pub fn mean(&self) -> f64 {
        (self.low + self.high) / 2.0
    }
    /// `(high − low)²/12`.
    pub fn variance(&self) -> f64 {
        (self.high - self.low).powi(2) / 12.0
    }
}

impl Normal {
    /// `N(0, 1)`.
    pub const STANDARD: Normal = Normal {
        mean: 0.0,
        std: 1.0,
    };

    /// `N(mean, std²)`.
    ///
    /// # Errors
    /// [`InitError::InvalidParam`] for a non-finite mean; [`InitError::InvalidStd`] unless
    /// `std` is finite and `>= 0`.
    pub fn new(mean: f64, std: f64) -> Result<Normal> {
        finite("mean", mean)?;
        check_std(std)?;
        Ok(Normal { mean, std })
    }
    /// Mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// Standard deviation.
    pub fn std(&self) -> f64 {
        self.std
    }
    /// `std²`.
    pub fn variance(&self) -> f64 {
        self.std * self.std
    }
}

impl TruncNormal {
    /// `N(mean, std²)` conditioned on `[a, b]` (absolute bounds, as PyTorch's
    /// `trunc_normal_`).
    ///
    /// # Errors
    /// In this order: [`InitError::InvalidParam`] for a non-finite mean;
    /// [`InitError::InvalidStd`] for a negative or non-finite std; [`InitError::InvalidParam`]
    /// for a non-finite bound or `std == 0`; [`InitError::EmptyRange`] if `a >= b`;
    /// [`InitError::Unsupported`] for a window with less than `2e-292` of probability mass
    /// (beyond about 36 std, or narrower than f64 resolves Φ there).
    pub fn new(mean: f64, std: f64, a: f64, b: f64) -> Result<TruncNormal> {
        finite("mean", mean)?;
        check_std(std)?;
        finite("a", a)?;
        finite("b", b)?;
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
        let mass = window_mass((a - mean) / std, (b - mean) / std);
        #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail too
        if !(mass >= MIN_WINDOW_MASS) {
            return Err(massless_window(mean, std, a, b));
        }
        Ok(TruncNormal { mean, std, a, b })
    }
    /// Mean of the parent (untruncated) normal.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// Std of the parent normal.
    pub fn std(&self) -> f64 {
        self.std
    }
    /// Lower bound.
    pub fn a(&self) -> f64 {
        self.a
    }
    /// Upper bound.
    pub fn b(&self) -> f64 {
        self.b
    }
    /// Mean and variance of the truncated distribution.
    pub fn moments(&self) -> (f64, f64) {
        trunc_moments(self.mean, self.std, self.a, self.b)
    }
}

impl Sampler {
    /// `U[low, high)`: see [`Uniform::new`].
    ///
    /// # Errors
    /// Those of [`Uniform::new`].
    pub fn uniform(low: f64, high: f64) -> Result<Sampler> {
        Uniform::new(low, high).map(Sampler::Uniform)
    }

    /// `N(mean, std²)`: see [`Normal::new`].
    ///
    /// # Errors
    /// Those of [`Normal::new`].
    pub fn normal(mean: f64, std: f64) -> Result<Sampler> {
        Normal::new(mean, std).map(Sampler::Normal)
    }

    /// `N(0, 1)` (infallible).
    pub const fn standard_normal() -> Sampler {
        Sampler::Normal(Normal::STANDARD)
    }

    /// `N(mean, std²)` on `[a, b]`: see [`TruncNormal::new`].
    ///
    /// # Errors
    /// Those of [`TruncNormal::new`].
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Sampler> {
        TruncNormal::new(mean, std, a, b).map(Sampler::TruncNormal)
    }

    /// `uniform`, `normal` or `trunc_normal`.
    pub fn name(&self) -> &'static str {
        match self {
            Sampler::Uniform(_) => "uniform",
            Sampler::Normal(_) => "normal",
            Sampler::TruncNormal(_) => "trunc_normal",
        }
    }

    /// The mean of a draw (exact).
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Uniform(u) => u.mean(),
            Sampler::Normal(n) => n.mean(),
            Sampler::TruncNormal(t) => t.moments().0,
        }
    }

    /// The variance of a draw (exact up to the f64 evaluation of Φ for trunc_normal).
    pub fn variance(&self) -> f64 {
        match self {
            Sampler::Uniform(u) => u.variance(),
            Sampler::Normal(n) => n.variance(),
            Sampler::TruncNormal(t) => t.moments().1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_order() {
        let e = |r: Result<Sampler>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            e(Sampler::uniform(1.0, 0.0)),
            "empty range: uniform needs a < b, got a = 1, b = 0"
        );
        assert!(e(Sampler::uniform(f64::NAN, 0.0)).contains("invalid a = NaN"));
        assert!(e(Sampler::normal(0.0, -1e39)).contains("std must be finite and >= 0, got -1e39"));
        assert!(e(Sampler::trunc_normal(0.0, 0.0, -1.0, 1.0)).contains("> 0 for trunc_normal"));
        assert!(e(Sampler::trunc_normal(0.0, -1.0, 1.0, 1.0)).contains("std must be finite"));
        assert!(e(Sampler::trunc_normal(0.0, 1.0, 1.0, 1.0)).contains("empty range"));
        assert!(
            e(Sampler::trunc_normal(0.0, 1.0, 40.0, 41.0)).contains("too little probability mass")
        );
        assert!(Sampler::uniform(1.0, 1.0).is_ok());
        assert!(Sampler::normal(0.0, 0.0).is_ok());
    }

    #[test]
    fn moments() {
        let t = Sampler::trunc_normal(0.0, 1.0, -2.0, 2.0).map(|s| s.variance());
        let want = crate::special::trunc_std_at_2().powi(2);
        assert!(t.is_ok_and(|v| (v - want).abs() < 1e-15));
        assert_eq!(Sampler::standard_normal().variance(), 1.0);
        assert_eq!(Sampler::uniform(1.0, 3.0).map(|s| s.mean()).ok(), Some(2.0));
    }
}
