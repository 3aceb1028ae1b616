//! The JAX engine: `variance_scaling(scale, mode, distribution)`, and the named schemes that
//! are thin aliases of it (`glorot_*`, `he_*`, `lecun_*`).
//!
//! Mirrors `jax.nn.initializers.variance_scaling` (jax `_src/nn/initializers.py`):
//! `variance = scale / fan`; uniform on `±sqrt(3·variance)`; normal with `std = sqrt(variance)`;
//! truncated normal on ±2 std-units with `std = sqrt(variance) / 0.87962566103423978`, so that
//! the variance after truncation is `variance`.

use super::{Dist, Init, Resolved};
use crate::fan::Mode;

/// Std of a standard normal truncated to (−2, 2) (JAX's literal; equals
/// [`super::trunc_std_at_2`] to within 1e-15, checked in the tests).
pub(crate) const TRUNC_STD_AT_2: f64 = 0.879_625_661_034_239_8;

pub(super) fn resolve(variance: f64, distribution: Dist) -> Resolved {
    match distribution {
        Dist::TruncatedNormal => {
            let std = variance.sqrt() / TRUNC_STD_AT_2;
            Resolved::TruncNormal {
                mean: 0.0,
                std,
                a: -2.0 * std,
                b: 2.0 * std,
            }
        }
        Dist::Normal => Resolved::Normal {
            mean: 0.0,
            std: variance.sqrt(),
        },
        Dist::Uniform => {
            let bound = (3.0 * variance).sqrt();
            Resolved::Uniform {
                low: -bound,
                high: bound,
            }
        }
    }
}

impl Init {
    /// JAX `glorot_uniform`: alias of [`Init::variance_scaling`] with `scale = 1`, `FanAvg`,
    /// `Uniform` (same distribution as `xavier_uniform(1)`).
    pub fn glorot_uniform() -> Init {
        Init::variance_scaling(1.0, Mode::FanAvg, Dist::Uniform)
    }
    /// JAX `glorot_normal`: alias with `scale = 1`, `FanAvg`, `TruncatedNormal`
    /// (truncated, unlike PyTorch's `xavier_normal`).
    pub fn glorot_normal() -> Init {
        Init::variance_scaling(1.0, Mode::FanAvg, Dist::TruncatedNormal)
    }
    /// JAX `he_uniform`: alias with `scale = 2`, `FanIn`, `Uniform`.
    pub fn he_uniform() -> Init {
        Init::variance_scaling(2.0, Mode::FanIn, Dist::Uniform)
    }
    /// JAX `he_normal`: alias with `scale = 2`, `FanIn`, `TruncatedNormal`.
    pub fn he_normal() -> Init {
        Init::variance_scaling(2.0, Mode::FanIn, Dist::TruncatedNormal)
    }
    /// JAX/Keras `lecun_uniform` (LeCun et al. 1998): alias with `scale = 1`, `FanIn`, `Uniform`.
    pub fn lecun_uniform() -> Init {
        Init::variance_scaling(1.0, Mode::FanIn, Dist::Uniform)
    }
    /// JAX/Keras `lecun_normal` (for SELU; Klambauer et al. 2017): alias with `scale = 1`,
    /// `FanIn`, `TruncatedNormal`.
    pub fn lecun_normal() -> Init {
        Init::variance_scaling(1.0, Mode::FanIn, Dist::TruncatedNormal)
    }
}
