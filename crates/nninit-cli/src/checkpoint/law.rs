//! The law a recipe gives a tensor, as audit checks it: mean, std, kurtosis, bounds, CDF (from
//! the core's [`nninit::special`] Φ and window masses), and the Kolmogorov–Smirnov statistic
//! of a sample stored in a rounded type (bf16, f16, f32) against that law.

use super::read::Float;
use nninit::special::{ndtr, window_mass};
use nninit::{Init, Layout, Resolved, Sampler, Shape};

/// An element-wise law (or a constant).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Law {
    Constant(f64),
    Normal { mean: f64, std: f64 },
    Uniform { low: f64, high: f64 },
    TruncNormal { mean: f64, std: f64, a: f64, b: f64 },
}

impl Law {
    /// The law `init` gives a tensor of `shape` (PyTorch layout), `None` for structured schemes
    /// (orthogonal, eye, dirac, sparse: not one law per element).
    ///
    /// # Errors
    /// The core's, for a bad shape or scheme.
    pub fn of(init: &Init, shape: &[usize]) -> nninit::Result<Option<Law>> {
        let r = init.resolve(&Shape::new(shape)?, Layout::Torch)?;
        Ok(match r {
            Resolved::Constant(v) => Some(Law::Constant(v)),
            Resolved::Elementwise(Sampler::Normal(n)) if n.std() == 0.0 => {
                Some(Law::Constant(n.mean()))
            }
            Resolved::Elementwise(Sampler::Normal(n)) => Some(Law::Normal {
                mean: n.mean(),
                std: n.std(),
            }),
            Resolved::Elementwise(Sampler::Uniform(u)) if u.low() == u.high() => {
                Some(Law::Constant(u.low()))
            }
            Resolved::Elementwise(Sampler::Uniform(u)) => Some(Law::Uniform {
                low: u.low(),
                high: u.high(),
            }),
            Resolved::Elementwise(Sampler::TruncNormal(t)) => Some(Law::TruncNormal {
                mean: t.mean(),
                std: t.std(),
                a: t.a(),
                b: t.b(),
            }),
            _ => None,
        })
    }

    /// e.g. `normal(0, 0.02)`, `trunc_normal(0, 0.02, [-0.06, 0.06])`, `constant(1)`.
    pub fn describe(&self) -> String {
        match *self {
            Law::Constant(v) => format!("constant({})", g(v)),
            Law::Normal { mean, std } => format!("normal({}, {})", g(mean), g(std)),
            Law::Uniform { low, high } => format!("uniform({}, {})", g(low), g(high)),
            Law::TruncNormal { mean, std, a, b } => {
                format!(
                    "trunc_normal({}, {}, [{}, {}])",
                    g(mean),
                    g(std),
                    g(a),
                    g(b)
                )
            }
        }
    }

    /// Central moments `(mean, variance, fourth central moment)`.
    fn moments(&self) -> (f64, f64, f64) {
        match *self {
            Law::Constant(v) => (v, 0.0, 0.0),
            Law::Normal { mean, std } => (mean, std * std, 3.0 * std.powi(4)),
            Law::Uniform { low, high } => {
                let var = (high - low).powi(2) / 12.0;
                ((low + high) / 2.0, var, 1.8 * var * var)
            }
            Law::TruncNormal { mean, std, a, b } => {
                // Simpson's rule on the standardised window (clipped to ±40, where φ is 0)
                let (za, zb) = (((a - mean) / std).max(-40.0), ((b - mean) / std).min(40.0));
                let n = 4000;
                let h = (zb - za) / n as f64;
                let mut s = [0.0f64; 5];
                for i in 0..=n {
                    let z = za + i as f64 * h;
                    let w = if i == 0 || i == n {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    let p = w * (-0.5 * z * z).exp();
                    let mut zk = 1.0;
                    for sk in &mut s {
                        *sk += p * zk;
                        zk *= z;
                    }
                }
                let m1 = s[1] / s[0];
                let c2 = s[2] / s[0] - m1 * m1;
                let c4 = s[4] / s[0] - 4.0 * m1 * s[3] / s[0] + 6.0 * m1 * m1 * s[2] / s[0]
                    - 3.0 * m1.powi(4);
                (mean + std * m1, std * std * c2, std.powi(4) * c4)
            }
        }
    }

    pub fn mean(&self) -> f64 {
        self.moments().0
    }

    pub fn std(&self) -> f64 {
        self.moments().1.sqrt()
    }

    /// Kurtosis `E[(x−μ)⁴]/σ⁴` (3 normal, 1.8 uniform; NaN for a constant).
    pub fn kurtosis(&self) -> f64 {
        let (_, v, c4) = self.moments();
        c4 / (v * v)
    }

    /// The interval every value must lie in (uniform and truncated normal).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        match *self {
            Law::Uniform { low, high } => Some((low, high)),
            Law::TruncNormal { a, b, .. } => Some((a, b)),
            _ => None,
        }
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Law::Constant(v) => f64::from(u8::from(x >= v)),
            Law::Normal { mean, std } => ndtr((x - mean) / std),
            Law::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
            Law::TruncNormal { mean, std, a, b } => {
                if x <= a {
                    0.0
                } else if x >= b {
                    1.0
                } else {
                    let (za, zb) = ((a - mean) / std, (b - mean) / std);
                    (window_mass(za, (x - mean) / std) / window_mass(za, zb)).clamp(0.0, 1.0)
                }
            }
        }
    }
}

/// `{:.4}`-like short form of a number (4 significant digits).
pub fn g(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let e = x.abs().log10().floor() as i32;
    if (-4..6).contains(&e) {
        let dec = (3 - e).max(0) as usize;
        let s = format!("{x:.dec$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{x:.3e}")
    }
}

/// The neighbours of `v` in `dtype` (`v` is a value of it): `(next down, next up)`; ±inf
/// at the ends. f64 values are treated as continuous (`(v, v)`).
fn neighbours(v: f64, dtype: Float) -> (f64, f64) {
    fn step16(bits: u16, up: bool) -> u16 {
        // ordered integers: positive values ascend with their bits, negative ones descend
        let neg = bits & 0x8000 != 0;
        match (neg, up, bits & 0x7fff) {
            (false, true, _) => bits + 1,
            (false, false, 0) => 0x8001,
            (false, false, _) => bits - 1,
            (true, true, 0) => 0x0001,
            (true, true, _) => bits - 1,
            (true, false, _) => bits + 1,
        }
    }
    match dtype {
        Float::BF16 => {
            let b = half::bf16::from_f64(v).to_bits();
            (
                half::bf16::from_bits(step16(b, false)).to_f64(),
                half::bf16::from_bits(step16(b, true)).to_f64(),
            )
        }
        Float::F16 => {
            let b = half::f16::from_f64(v).to_bits();
            (
                half::f16::from_bits(step16(b, false)).to_f64(),
                half::f16::from_bits(step16(b, true)).to_f64(),
            )
        }
        Float::F32 => {
            let x = v as f32;
            (x.next_down() as f64, x.next_up() as f64)
        }
        Float::F64 => (v, v),
    }
}

/// The KS statistic `sup |F_n − G|` of the finite `sample` (sorted here) stored in `dtype`,
/// against `G`, the law of `law`'s draws rounded to nearest in `dtype`: a stored value `v`
/// stands for the cell between the midpoints to its neighbours, so `G(v) = F(upper
/// midpoint)` and `G(v⁻) = F(lower midpoint)`. The supremum is exact (`F_n` is flat between
/// sample values and `G` is monotone). 0 for an empty sample.
pub fn ks_statistic(sample: &mut [f64], law: &Law, dtype: Float) -> f64 {
    sample.sort_unstable_by(f64::total_cmp);
    let n = sample.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < sample.len() {
        let v = sample[i];
        let mut j = i;
        while j < sample.len() && sample[j] == v {
            j += 1;
        }
        let (down, up) = neighbours(v, dtype);
        let lo = if dtype == Float::F64 {
            v
        } else {
            0.5 * (down + v)
        };
        let hi = if dtype == Float::F64 {
            v
        } else {
            0.5 * (v + up)
        };
        let (g_lo, g_hi) = (law.cdf(lo), law.cdf(hi));
        d = d
            .max((i as f64 / n - g_lo).abs())
            .max((j as f64 / n - g_hi).abs());
        i = j;
    }
    d
}

/// The KS critical value at level `alpha` for `n` draws (asymptotic Kolmogorov:
/// `sqrt(ln(2/α)/2)/√n`).
pub fn ks_critical(n: usize, alpha: f64) -> f64 {
    ((2.0 / alpha).ln() / 2.0).sqrt() / (n.max(1) as f64).sqrt()
}

/// The interval of `dtype` values a law's `[a, b]` allows: `a` rounded down and `b` rounded
/// up to `dtype` (a value of `[a, b]` rounded to nearest stays inside).
pub fn bounds_in(dtype: Float, (a, b): (f64, f64)) -> (f64, f64) {
    let round = |x: f64| match dtype {
        Float::BF16 => half::bf16::from_f64(x).to_f64(),
        Float::F16 => half::f16::from_f64(x).to_f64(),
        Float::F32 => x as f32 as f64,
        Float::F64 => x,
    };
    let (ra, rb) = (round(a), round(b));
    let lo = if ra > a { neighbours(ra, dtype).0 } else { ra };
    let hi = if rb < b { neighbours(rb, dtype).1 } else { rb };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laws_of_inits() {
        let l = Law::of(&"normal:0.02".parse().unwrap(), &[4, 4])
            .unwrap()
            .unwrap();
        assert_eq!(
            l,
            Law::Normal {
                mean: 0.0,
                std: 0.02
            }
        );
        assert!((l.kurtosis() - 3.0).abs() < 1e-12);
        let u = Law::of(&"uniform:-1,1".parse().unwrap(), &[4])
            .unwrap()
            .unwrap();
        assert!((u.std() - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((u.kurtosis() - 1.8).abs() < 1e-12);
        assert_eq!(
            Law::of(&"zeros".parse().unwrap(), &[4]).unwrap(),
            Some(Law::Constant(0.0))
        );
        assert_eq!(
            Law::of(&"orthogonal".parse().unwrap(), &[4, 4]).unwrap(),
            None
        );
    }

    #[test]
    fn truncated_moments_match_the_core() {
        // ±2σ: std 0.8796 σ (JAX's constant); kurtosis of N(0,1) on (−2, 2): 2.3637
        let t = Law::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0,
        };
        assert!((t.std() - nninit::trunc_std_at_2()).abs() < 1e-10);
        let (m, v) = nninit::special::trunc_moments(0.5, 2.0, -1.0, 4.0);
        let t2 = Law::TruncNormal {
            mean: 0.5,
            std: 2.0,
            a: -1.0,
            b: 4.0,
        };
        assert!((t2.mean() - m).abs() < 1e-10 && (t2.std() - v.sqrt()).abs() < 1e-10);
        assert!(t.kurtosis() > 2.3 && t.kurtosis() < 2.4, "{}", t.kurtosis());
        assert!((t.cdf(0.0) - 0.5).abs() < 1e-15 && t.cdf(-2.5) == 0.0 && t.cdf(2.0) == 1.0);
    }

    #[test]
    fn ks_is_small_for_the_law_and_large_for_another() {
        // exact quantiles of N(0, 1), stored in bf16
        let n = 20000;
        let q: Vec<f64> = (0..n)
            .map(|i| {
                let p = (i as f64 + 0.5) / n as f64;
                // bisection on ndtr
                let (mut lo, mut hi) = (-10.0f64, 10.0f64);
                for _ in 0..80 {
                    let mid = 0.5 * (lo + hi);
                    if ndtr(mid) < p {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                half::bf16::from_f64(0.5 * (lo + hi)).to_f64()
            })
            .collect();
        let law = Law::Normal {
            mean: 0.0,
            std: 1.0,
        };
        let d = ks_statistic(&mut q.clone(), &law, Float::BF16);
        assert!(d < 1e-3, "{d}");
        let wide = Law::Normal {
            mean: 0.0,
            std: 2.0,
        };
        assert!(ks_statistic(&mut q.clone(), &wide, Float::BF16) > 0.15);
        // without the rounding cells, bf16 ties alone would show as a large D
        let continuous = ks_statistic(&mut q.clone(), &law, Float::F64);
        assert!(continuous > 5.0 * d, "{continuous} vs {d}");
    }

    #[test]
    fn neighbours_and_bounds() {
        assert_eq!(
            neighbours(1.0, Float::BF16),
            (1.0 - 1.0 / 256.0, 1.0 + 1.0 / 128.0)
        );
        assert_eq!(
            neighbours(-1.0, Float::BF16),
            (-1.0 - 1.0 / 128.0, -1.0 + 1.0 / 256.0)
        );
        let (lo, hi) = neighbours(0.0, Float::F16);
        assert!(lo < 0.0 && hi > 0.0 && hi == -lo);
        let (a, b) = bounds_in(Float::BF16, (-0.06, 0.06));
        assert!(a <= -0.06 && b >= 0.06 && b - 0.06 < 0.06 / 128.0);
        assert_eq!(half::bf16::from_f64(b).to_f64(), b);
    }
}
