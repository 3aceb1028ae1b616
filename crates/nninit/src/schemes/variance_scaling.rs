//! The JAX engine: `variance_scaling(scale, mode, distribution)` and its [`Dist`].
//!
//! Mirrors `jax.nn.initializers.variance_scaling` (jax `_src/nn/initializers.py`):
//! `variance = scale / fan`; uniform on `±sqrt(3·variance)`; normal with `std = sqrt(variance)`;
//! truncated normal on ±2 std-units with `std = sqrt(variance) / 0.87962566103423978`, so that
//! the variance after truncation is `variance`. The named schemes that are thin aliases of it
//! (`glorot_*`, `he_*`, `lecun_*`) are constructors of [`Init`](super::Init).

use crate::error::{InitError, Result};
use crate::sampler::Sampler;
use crate::special::TRUNC_STD_AT_2;

/// The distribution of [`Init::VarianceScaling`](super::Init::VarianceScaling) (JAX
/// `variance_scaling`'s `distribution`).
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

/// The sampler of `distribution` with variance `variance` and mean 0.
///
/// # Errors
/// Those of the [`Sampler`] constructors (a variance that underflows to 0 for the truncated
/// normal; one that overflows).
pub(super) fn sampler(variance: f64, distribution: Dist) -> Result<Sampler> {
    match distribution {
        Dist::TruncatedNormal => {
            let std = variance.sqrt() / TRUNC_STD_AT_2;
            Sampler::trunc_normal(0.0, std, -2.0 * std, 2.0 * std)
        }
        Dist::Normal => Sampler::normal(0.0, variance.sqrt()),
        Dist::Uniform => {
            let bound = (3.0 * variance).sqrt();
            Sampler::uniform(-bound, bound)
        }
    }
}
