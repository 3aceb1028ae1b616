//! `fan_in` / `fan_out` and the `mode` that picks between them.

use crate::error::{InitError, Result};
use crate::shape::Layout;

/// The two fans of a weight: how many inputs feed one output unit (`fan_in`) and how many
/// outputs one input unit feeds (`fan_out`), receptive field included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fans {
    /// Inputs per output unit (`in · Πk`).
    pub fan_in: usize,
    /// Outputs per input unit (`out · Πk`).
    pub fan_out: usize,
}

/// PyTorch's `_calculate_fan_in_and_fan_out`: for a weight of shape `(out, in, k...)`,
/// `fan_in = in · Πk` and `fan_out = out · Πk`.
///
/// # Errors
/// [`InitError::RankTooSmall`] for fewer than 2 dims (PyTorch: "Fan in and fan out can not be
/// computed for tensor with fewer than 2 dimensions"); [`InitError::ShapeOverflow`].
///
/// # Mirrors
/// `torch.nn.init._calculate_fan_in_and_fan_out` (torch 2.15); differences: none.
///
/// ```
/// let (fan_in, fan_out) = nninit::fan_in_and_fan_out(&[64, 3, 7, 7])?; // Conv2d(3, 64, 7)
/// assert_eq!((fan_in, fan_out), (3 * 49, 64 * 49));
/// # Ok::<(), nninit::InitError>(())
/// ```
pub fn fan_in_and_fan_out(shape: &[usize]) -> Result<(usize, usize)> {
    let f = Fans::new(shape, Layout::Torch)?;
    Ok((f.fan_in, f.fan_out))
}

impl Fans {
    /// Computes the fans of `shape` under `layout` (see [`Layout`]).
    ///
    /// # Errors
    /// [`InitError::RankTooSmall`] for fewer than 2 dims; [`InitError::ShapeOverflow`].
    pub fn new(shape: &[usize], layout: Layout) -> Result<Fans> {
        let n = shape.len();
        if n < 2 {
            return Err(InitError::RankTooSmall {
                shape: shape.to_vec(),
            });
        }
        let overflow = || InitError::ShapeOverflow {
            shape: shape.to_vec(),
        };
        let (in_axis, out_axis) = match layout {
            Layout::Torch => (1, 0),
            Layout::TorchTranspose => (0, 1),
            Layout::Jax => (n - 2, n - 1),
        };
        let mut receptive: usize = 1;
        for (i, &d) in shape.iter().enumerate() {
            if i != in_axis && i != out_axis {
                receptive = receptive.checked_mul(d).ok_or_else(overflow)?;
            }
        }
        Ok(Fans {
            fan_in: shape[in_axis].checked_mul(receptive).ok_or_else(overflow)?,
            fan_out: shape[out_axis]
                .checked_mul(receptive)
                .ok_or_else(overflow)?,
        })
    }

    /// The fan selected by `mode`, as `f64` (`fan_avg = (fan_in + fan_out) / 2`,
    /// `fan_geo_avg = sqrt(fan_in · fan_out)`).
    pub fn fan(&self, mode: Mode) -> f64 {
        let (i, o) = (self.fan_in as f64, self.fan_out as f64);
        match mode {
            Mode::FanIn => i,
            Mode::FanOut => o,
            Mode::FanAvg => (i + o) / 2.0,
            Mode::FanGeoAvg => (i * o).sqrt(),
        }
    }
}

/// Which fan sets the variance: `FanIn` preserves the forward signal's variance, `FanOut` the
/// backward gradient's, `FanAvg` compromises (Glorot), `FanGeoAvg` is JAX's geometric mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// `fan_in` (PyTorch/JAX default for Kaiming/He and LeCun).
    #[default]
    FanIn,
    /// `fan_out`.
    FanOut,
    /// `(fan_in + fan_out) / 2` (Glorot/Xavier).
    FanAvg,
    /// `sqrt(fan_in · fan_out)` (JAX `fan_geo_avg`).
    FanGeoAvg,
}

impl Mode {
    /// The name as PyTorch/JAX spell it (`fan_in`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Mode::FanIn => "fan_in",
            Mode::FanOut => "fan_out",
            Mode::FanAvg => "fan_avg",
            Mode::FanGeoAvg => "fan_geo_avg",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mode {
    type Err = InitError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "fan_in" => Ok(Mode::FanIn),
            "fan_out" => Ok(Mode::FanOut),
            "fan_avg" => Ok(Mode::FanAvg),
            "fan_geo_avg" => Ok(Mode::FanGeoAvg),
            _ => Err(InitError::UnknownMode { name: s.into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_rule_matches_pytorch_values() {
        // Values of torch.nn.init._calculate_fan_in_and_fan_out for these shapes.
        let cases: &[(&[usize], (usize, usize))] = &[
            (&[128, 256], (256, 128)),
            (&[64, 3, 7, 7], (147, 3136)),
            (&[16, 8, 3], (24, 48)),
            (&[4, 2, 3, 3, 3], (54, 108)),
            (&[5, 0], (0, 5)),
        ];
        for (shape, want) in cases {
            assert_eq!(fan_in_and_fan_out(shape).ok(), Some(*want), "{shape:?}");
        }
    }

    #[test]
    fn layouts() {
        let t = Fans::new(&[8, 4, 3, 3], Layout::TorchTranspose).ok();
        assert_eq!(
            t,
            Some(Fans {
                fan_in: 72,
                fan_out: 36
            })
        );
        let j = Fans::new(&[3, 3, 4, 8], Layout::Jax).ok();
        assert_eq!(
            j,
            Some(Fans {
                fan_in: 36,
                fan_out: 72
            })
        );
        let j2 = Fans::new(&[256, 128], Layout::Jax).ok();
        assert_eq!(
            j2,
            Some(Fans {
                fan_in: 256,
                fan_out: 128
            })
        );
    }

    #[test]
    fn rank_too_small() {
        assert!(matches!(
            fan_in_and_fan_out(&[5]),
            Err(InitError::RankTooSmall { .. })
        ));
        assert!(matches!(
            fan_in_and_fan_out(&[]),
            Err(InitError::RankTooSmall { .. })
        ));
    }

    #[test]
    fn modes() {
        let f = Fans {
            fan_in: 4,
            fan_out: 9,
        };
        assert_eq!(f.fan(Mode::FanIn), 4.0);
        assert_eq!(f.fan(Mode::FanOut), 9.0);
        assert_eq!(f.fan(Mode::FanAvg), 6.5);
        assert_eq!(f.fan(Mode::FanGeoAvg), 6.0);
        for m in [Mode::FanIn, Mode::FanOut, Mode::FanAvg, Mode::FanGeoAvg] {
            assert_eq!(m.name().parse::<Mode>().ok(), Some(m));
        }
        assert!("fan_sideways".parse::<Mode>().is_err());
    }
}
