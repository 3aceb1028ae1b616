//! The scalar reference: every element computed on its own from `(key, i)`.
//!
//! The lane functions here (`uniform24`, `uniform53`, `box_muller`, `trunc`) are also the
//! bodies of the vector kernels in [`super::simd`], which only batch them; the test-suite
//! checks that every kernel equals [`element`] bit for bit.

use super::math::{
    ln, ndtri_table_f32, neg2_ln_unit24_f32, ppnd16, sincos_turn24, sincos_turn24_f32,
    NDTRI_TABLE_MIN_P,
};
use crate::element::{round_inward, DType, Element};
use crate::rng::philox::StreamKey;
use crate::sampler::Sampler;
use crate::special::ndtr;

/// `2⁻²⁴`.
pub(crate) const TWO_M24: f64 = 1.0 / 16_777_216.0;
/// `2⁻⁵³`.
pub(crate) const TWO_M53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// A sampler with its per-call constants computed (validated beforehand).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prep {
    /// f32/bf16/f16 uniform, f32 arithmetic: `y = lo + u·r`; values with `T(y) >= hi_t`
    /// become `T(lo)`.
    U24 { lo: f32, r: f32, hi_t: f32 },
    /// f64 uniform: `y = lo + u·r` (53-bit u); `y >= hi` becomes `lo`.
    U53 { lo: f64, r: f64, hi: f64 },
    /// Box–Muller normal, f64 arithmetic (f64 output).
    Normal { mean: f64, std: f64 },
    /// Box–Muller normal, f32 arithmetic (f32/bf16/f16 output): `mean`, `std` rounded to f32.
    Normal32 { mean: f32, std: f32 },
    /// Inverse-CDF truncated normal on the standardised window `[za, zb]`, drawn as
    /// `z = sign · Φ⁻¹(pa + u·dp)` (`sign = −1` when the window is mirrored so that its centre
    /// is at or below the mean, where Φ is accurate); `x = clamp(mean + std·z, a, b)`.
    /// `wide`: 53-bit u (f64 output), else 24-bit.
    Trunc {
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
        pa: f64,
        dp: f64,
        sign: f64,
        wide: bool,
    },
    /// Truncated normal for f32/bf16/f16 output, in f32 (see [`Trunc32`]). Used unless the
    /// window is narrow compared with its `p` (then f32 would resolve `p` more coarsely than
    /// the 24-bit `u`).
    Trunc32 { t: Trunc32 },
}

/// Constants of the f32 truncated normal. The window `[pa, pb]` of `p = Φ(z)` (mirrored so
/// that `pa ≤ ½`) is drawn as `t = u·(pb − pa)`: below `c = ½ − pa`, `p = pa + t` and
/// `z = Φ⁻¹(p)`; above, the mirror image `p' = (1 − pb) + (1 − u)·(pb − pa) ≤ ½` and
/// `z = −Φ⁻¹(p')`. Either way `Φ⁻¹` is evaluated at `p ≤ ½`, where f32 holds `p` (and
/// `1 − p`) to full relative precision; every quantity is a sum of positive terms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trunc32 {
    pub(crate) mean: f32,
    pub(crate) std: f32,
    /// Bounds rounded to f32.
    pub(crate) a: f32,
    pub(crate) b: f32,
    pub(crate) pa: f32,
    /// `pb − pa`.
    pub(crate) d: f32,
    /// `½ − pa`.
    pub(crate) c: f32,
    /// `1 − pb`.
    pub(crate) ub: f32,
    /// −1 when the window was mirrored, else 1.
    pub(crate) sign: f32,
}

impl Prep {
    /// Whether large outputs are written with non-temporal stores (see
    /// `parallel::STREAMING_MIN_BYTES`): the normal samplers.
    pub(crate) fn streams(&self) -> bool {
        matches!(self, Prep::Normal { .. } | Prep::Normal32 { .. })
    }

    /// Elements per Philox block: 2 for 53-bit uniforms (f64 uniform / f64 trunc_normal), else 4.
    #[inline(always)]
    pub(crate) fn per_block(&self) -> usize {
        match self {
            Prep::U53 { .. } | Prep::Trunc { wide: true, .. } => 2,
            _ => 4,
        }
    }

    /// The per-call constants of a (valid) sampler for element type `T`. Infallible: a
    /// [`Sampler`] holds valid parameters by construction.
    pub(crate) fn new<T: Element>(sampler: &Sampler) -> Prep {
        let wide = T::DTYPE == DType::F64;
        match *sampler {
            Sampler::Uniform(u) => {
                let (low, high) = (u.low(), u.high());
                if wide {
                    Prep::U53 {
                        lo: low,
                        r: high - low,
                        hi: high,
                    }
                } else {
                    let (lo, hi) = (low as f32, high as f32);
                    Prep::U24 {
                        lo,
                        r: hi - lo,
                        hi_t: T::from_f32(hi).to_f64() as f32,
                    }
                }
            }
            Sampler::Normal(n) => {
                let (mean, std) = (n.mean(), n.std());
                // The f32 kernel forms ρ·std (ρ ≤ 5.77) in f32 before the cos/sin factor: for
                // std beyond f32::MAX/6 that product could overflow where the value itself
                // does not, so such (absurd) stds take the f64 arithmetic, rounded to T.
                if wide || !((std as f32) * 6.0).is_finite() {
                    Prep::Normal { mean, std }
                } else {
                    Prep::Normal32 {
                        mean: mean as f32,
                        std: std as f32,
                    }
                }
            }
            Sampler::TruncNormal(t) => {
                let (mean, std, a, b) = (t.mean(), t.std(), t.a(), t.b());
                let (za, zb) = ((a - mean) / std, (b - mean) / std);
                // Mirror a window centred above the mean into the lower half, where Φ is
                // accurate: z = −Φ⁻¹(p) with p on [Φ(−zb), Φ(−za)].
                let (lo, hi, sign) = if za + zb > 0.0 {
                    (-zb, -za, -1.0)
                } else {
                    (za, zb, 1.0)
                };
                let pa = ndtr(lo);
                let dp = ndtr(hi) - pa;
                // Clamp bounds: [a, b] rounded inward to values of T, so that no value, after
                // its rounding to T, leaves the window (a window holding no value of T gets
                // T's value nearest its midpoint).
                let (ta, tb) = (round_inward::<T>(a, true), round_inward::<T>(b, false));
                let (ta, tb) = if ta <= tb {
                    (ta, tb)
                } else {
                    let m = T::from_f64(0.5 * a + 0.5 * b).to_f64();
                    (m, m)
                };
                let (a32, b32) = (ta as f32, tb as f32);
                // f32 keeps `p` to 2⁻²⁴ relative: enough while the window is not narrow
                // compared with the largest `p` drawn (else the f32 grid of `p` would be
                // coarser than the 24-bit grid of `u`) and its mass stays in f32's normal range
                // (every `p = pa + u·dp` with `u ≥ 2⁻²⁴` above 2⁻¹²⁶: windows beyond about
                // 11.5σ would underflow). Other windows use f64.
                let p_max = (pa + dp).min(0.5);
                if !wide && a32 < b32 && p_max <= 2048.0 * dp && dp >= TRUNC32_MIN_MASS {
                    return Prep::Trunc32 {
                        t: Trunc32 {
                            mean: mean as f32,
                            std: std as f32,
                            a: a32,
                            b: b32,
                            pa: pa as f32,
                            d: dp as f32,
                            c: (0.5 - pa) as f32,
                            ub: (1.0 - (pa + dp)) as f32,
                            sign: sign as f32,
                        },
                    };
                }
                Prep::Trunc {
                    mean,
                    std,
                    a: ta,
                    b: tb,
                    pa,
                    dp,
                    sign,
                    wide,
                }
            }
        }
    }
}

/// Smallest window mass `Φ(β) − Φ(α)` drawn in f32 (`2⁻¹⁰⁰`; see [`Prep::new`]).
const TRUNC32_MIN_MASS: f64 = 7.888_609_052_210_118e-31;

/// Rounds an f64 result to the element type: f64 as is; f32 directly; bf16/f16 from the f32
/// value, round to nearest even.
#[inline(always)]
pub(crate) fn from_f64<T: Element>(v: f64) -> T {
    if T::DTYPE == DType::F64 {
        T::from_f64(v)
    } else {
        T::from_f32(v as f32)
    }
}

/// Uniform from a 32-bit word: top 24 bits.
#[inline(always)]
pub(crate) fn uniform24<T: Element>(w: u32, lo: f32, r: f32, hi_t: f32) -> T {
    let u = (w >> 8) as f32 * (1.0 / 16_777_216.0);
    let y = lo + u * r;
    if T::DTYPE == DType::F32 {
        // T(y) = y: compare in f32 (same result, no f64 round trip)
        return T::from_f32(if y >= hi_t { lo } else { y });
    }
    let t = T::from_f32(y);
    // bf16/f16 values are exact in f32
    if t.to_f64() as f32 >= hi_t {
        T::from_f32(lo)
    } else {
        t
    }
}

/// The 24-bit unit from a word: `(w >> 8)·2⁻²⁴ ∈ [0, 1)`, in f32 (exact).
#[inline(always)]
pub(crate) fn unit24(w: u32) -> f32 {
    (w >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// The 53-bit unit from two words `(hi, lo)`: `((hi << 32 | lo) >> 11) · 2⁻⁵³ ∈ [0, 1)`.
#[inline(always)]
pub(crate) fn unit53(hi: u32, lo: u32) -> f64 {
    ((((hi as u64) << 32) | lo as u64) >> 11) as f64 * TWO_M53
}

/// f64 uniform from two words.
#[inline(always)]
pub(crate) fn uniform53(hi: u32, lo: u32, l: f64, r: f64, h: f64) -> f64 {
    let y = l + unit53(hi, lo) * r;
    if y >= h {
        l
    } else {
        y
    }
}

/// Box–Muller on a word pair: `u1 = ((w0 >> 8) + 1)·2⁻²⁴ ∈ (0, 1]`, `u2 = (w1 >> 8)·2⁻²⁴`,
/// `ρ = √(−2 ln u1)`; returns `(ρ cos 2πu2, ρ sin 2πu2)`.
#[inline(always)]
pub(crate) fn box_muller(w0: u32, w1: u32) -> (f64, f64) {
    let u1 = ((w0 >> 8) + 1) as f64 * TWO_M24;
    let rho = (-2.0 * ln(u1)).sqrt();
    let (s, c) = sincos_turn24(w1 >> 8);
    (rho * c, rho * s)
}

/// [`box_muller`] in f32 for `mean + std·z`: `u1 = ((w0 >> 8) + 1)·2⁻²⁴`,
/// `ρ·std = √(−2 ln u1)·std`, then `(fma(ρ·std, cos θ, mean), fma(ρ·std, sin θ, mean))`,
/// `θ = 2π·(w1 >> 8)·2⁻²⁴`.
#[inline(always)]
pub(crate) fn box_muller_f32(w0: u32, w1: u32, mean: f32, std: f32) -> (f32, f32) {
    let rs = box_muller_rho_f32(w0) * std;
    let (s, c) = sincos_turn24_f32(w1 >> 8);
    (rs.mul_add(c, mean), rs.mul_add(s, mean))
}

/// The radius of [`box_muller_f32`]: `√(−2 ln u1)`, `u1 = ((w0 >> 8) + 1)·2⁻²⁴`.
#[inline(always)]
pub(crate) fn box_muller_rho_f32(w0: u32) -> f32 {
    neg2_ln_unit24_f32((w0 >> 8) + 1).sqrt()
}

/// Truncated normal in f32 from a 24-bit unit `u ∈ [0, 1)` (see [`Trunc32`]). `Φ⁻¹(p)` (`p`
/// mirrored to `≤ ½`, up to an ulp above) by the octave table from `2⁻¹⁷` up; below it
/// (|z| > 4.33, about one draw in 10⁵ for a window reaching there) by AS241 in f64 on the f32
/// `p`, which gives `−∞` at `p = 0` (a window end whose tail mass underflows f32: the draw is
/// the bound itself, after the clamp).
#[inline(always)]
pub(crate) fn trunc_f32(u: f32, t: &Trunc32) -> f32 {
    let lower = u * t.d < t.c;
    let p_low = u.mul_add(t.d, t.pa);
    let p_up = (1.0 - u).mul_add(t.d, t.ub);
    let p = if lower { p_low } else { p_up };
    let v = if p >= NDTRI_TABLE_MIN_P as f32 {
        ndtri_table_f32(p)
    } else {
        ppnd16(f64::from(p)) as f32
    };
    let z = if lower { v } else { -v };
    let v = (t.sign * z).mul_add(t.std, t.mean);
    let v = if v < t.a { t.a } else { v };
    if v > t.b {
        t.b
    } else {
        v
    }
}

/// Truncated normal from a unit `u ∈ [0, 1)`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn trunc(
    u: f64,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    pa: f64,
    dp: f64,
    sign: f64,
) -> f64 {
    let z = sign * ppnd16(pa + u * dp);
    let x = mean + std * z;
    // max/min rather than clamp: NaN-free inputs, and both compile to vector min/max.
    let x = if x < a { a } else { x };
    if x > b {
        b
    } else {
        x
    }
}

/// Element `i` of the fill `prep` under `key`, computed alone (the reference).
pub(crate) fn element<T: Element>(prep: &Prep, key: &StreamKey, i: u64) -> T {
    match *prep {
        Prep::U24 { lo, r, hi_t } => {
            let w = key.block(i >> 2);
            uniform24::<T>(w[(i & 3) as usize], lo, r, hi_t)
        }
        Prep::U53 { lo, r, hi } => {
            let w = key.block(i >> 1);
            let j = ((i & 1) * 2) as usize;
            from_f64(uniform53(w[j], w[j + 1], lo, r, hi))
        }
        Prep::Normal { mean, std } => {
            let w = key.block(i >> 2);
            let k = ((i >> 1) & 1) as usize * 2;
            let (c, s) = box_muller(w[k], w[k + 1]);
            let z = if i & 1 == 0 { c } else { s };
            from_f64(mean + std * z)
        }
        Prep::Normal32 { mean, std } => {
            let w = key.block(i >> 2);
            let k = ((i >> 1) & 1) as usize * 2;
            let (c, s) = box_muller_f32(w[k], w[k + 1], mean, std);
            T::from_f32(if i & 1 == 0 { c } else { s })
        }
        Prep::Trunc32 { t } => {
            T::from_f32(trunc_f32(unit24(key.block(i >> 2)[(i & 3) as usize]), &t))
        }
        Prep::Trunc {
            mean,
            std,
            a,
            b,
            pa,
            dp,
            sign,
            wide,
        } => {
            let u = if wide {
                let w = key.block(i >> 1);
                let j = ((i & 1) * 2) as usize;
                unit53(w[j], w[j + 1])
            } else {
                (key.block(i >> 2)[(i & 3) as usize] >> 8) as f64 * TWO_M24
            };
            from_f64(trunc(u, mean, std, a, b, pa, dp, sign))
        }
    }
}

/// Elements `start .. start + out.len()`, one at a time.
pub(crate) fn fill<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    for (k, v) in out.iter_mut().enumerate() {
        *v = element(prep, key, start + k as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f32 truncated normal against the f64 inverse CDF (AS241) at the same 24-bit `u`,
    /// across windows that use the lower half only, both halves, the mirrored upper side and
    /// the f64 fallback below the table. Bound on `|Δz|`: 4e-7 relative (the table's 3e-7 with
    /// a margin; AS241 on the f32 `p` is exact to f64), plus the f32 rounding
    /// of `p` (a few ulp, `Δz = Δp/φ(z)`), plus the final f32 rounding of `mean + std·z`.
    #[test]
    fn trunc_f32_matches_the_f64_inverse_cdf() {
        let windows = [
            (0.0, 1.0, -2.0, 2.0),
            (0.0, 1.0, -3.0, 1.0),
            (0.0, 1.0, 0.5, 2.5),
            (0.01, 0.02, -0.05, 0.01),
            (2.0, 0.5, 1.5, 4.0),
            // reaching below the table (p < 2⁻¹⁷: AS241 in f64 on those draws), far tails,
            // and PyTorch's default bounds ±2 at std 0.02 (±100σ: Φ(−100) underflows to 0)
            (0.0, 1.0, -5.0, 1.0),
            (0.0, 1.0, 4.5, 5.2),
            (0.0, 1.0, 6.5, 9.0),
            (0.0, 1.0, -4.5, -4.2),
            (0.0, 0.02, -2.0, 2.0),
        ];
        for (mean, std, a, b) in windows {
            let Ok(s) = Sampler::trunc_normal(mean, std, a, b) else {
                panic!("window {a}..{b} is valid");
            };
            let Prep::Trunc32 { t } = Prep::new::<f32>(&s) else {
                panic!("window {a}..{b} should take the f32 path");
            };
            let Prep::Trunc { pa, dp, sign, .. } = Prep::new::<f64>(&s) else {
                panic!("f64 path");
            };
            let mut worst: f64 = 0.0;
            for k in (0u32..(1 << 24)).step_by(4099).chain([0, 1, (1 << 24) - 1]) {
                let u = k as f64 * TWO_M24;
                let got = f64::from(trunc_f32(u as f32, &t));
                let p = pa + u * dp;
                let z = sign * ppnd16(p);
                let want = (mean + std * z).clamp(a, b);
                if got == want {
                    continue; // (also the ends, z = ∓∞, where the bound below is NaN)
                }
                let pm = p.min(1.0 - p);
                let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                let eps = f64::from(f32::EPSILON);
                let tol = std * (4e-7 * z.abs() + 4.0 * eps * pm / phi) + 2.0 * eps * want.abs();
                assert!(
                    (got - want).abs() <= tol,
                    "window [{a}, {b}] mean {mean} std {std}, u {u}: {got} vs {want} (tol {tol})"
                );
                worst = worst.max((got - want).abs() / tol);
            }
            assert!(worst > 0.0, "no rounding difference at all is implausible");
        }
    }
}
