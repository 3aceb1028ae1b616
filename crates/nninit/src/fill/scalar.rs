//! The scalar reference: every element computed on its own from `(key, i)`.
//!
//! The lane functions here (`uniform24`, `uniform53`, `box_muller`, `trunc`) are also the
//! bodies of the vector kernels in [`super::simd`], which only batch them; the test-suite
//! checks that every kernel equals [`element`] bit for bit.

use super::math::{ln, ln_f32, ndtri_f32, ppnd16, sincos_turn24, sincos_turn24_f32};
use crate::element::{DType, Element};
use crate::rng::philox::StreamKey;

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
    /// Truncated normal for f32/bf16/f16 output: `p = pa + u·dp` (24-bit `u`) in f64, then
    /// `z = sign·Φ⁻¹(p)` by [`ndtri_f32`] and `clamp(mean + std·z, a, b)` in f32. Used when
    /// `[pa, pa + dp]` stays [`super::math::NDTRI_F32_MIN_P`] away from 0 and 1.
    Trunc32 {
        mean: f32,
        std: f32,
        a: f32,
        b: f32,
        pa: f64,
        dp: f64,
        sign: f32,
        /// The window reaches `p` where `ndtri_f32` needs its tail branch.
        tail: bool,
    },
}

impl Prep {
    /// Elements per Philox block: 2 for 53-bit uniforms (f64 uniform / f64 trunc_normal), else 4.
    #[inline(always)]
    pub(crate) fn per_block(&self) -> usize {
        match self {
            Prep::U53 { .. } | Prep::Trunc { wide: true, .. } => 2,
            _ => 4,
        }
    }
}

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

/// [`box_muller`] in f32: `u1 = ((w0 >> 8) + 1)·2⁻²⁴`, `ρ = √(−2 ln u1)`, `(ρ cos, ρ sin)` of
/// `2π·(w1 >> 8)·2⁻²⁴`.
#[inline(always)]
pub(crate) fn box_muller_f32(w0: u32, w1: u32) -> (f32, f32) {
    let u1 = ((w0 >> 8) + 1) as f32 * (1.0 / 16_777_216.0);
    let rho = (-2.0 * ln_f32(u1)).sqrt();
    let (s, c) = sincos_turn24_f32(w1 >> 8);
    (rho * c, rho * s)
}

/// Truncated normal in f32 from a unit `u ∈ [0, 1)` (see [`Prep::Trunc32`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn trunc_f32<const TAIL: bool>(
    u: f64,
    mean: f32,
    std: f32,
    a: f32,
    b: f32,
    pa: f64,
    dp: f64,
    sign: f32,
) -> f32 {
    let p = pa + u * dp;
    let x = (2.0 * p - 1.0) as f32;
    let q = (4.0 * p * (1.0 - p)) as f32;
    let z = sign * ndtri_f32::<TAIL>(x, q);
    let v = mean + std * z;
    let v = if v < a { a } else { v };
    if v > b {
        b
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
            let (c, s) = box_muller_f32(w[k], w[k + 1]);
            let z = if i & 1 == 0 { c } else { s };
            T::from_f32(mean + std * z)
        }
        Prep::Trunc32 {
            mean,
            std,
            a,
            b,
            pa,
            dp,
            sign,
            tail,
        } => {
            let u = (key.block(i >> 2)[(i & 3) as usize] >> 8) as f64 * TWO_M24;
            T::from_f32(if tail {
                trunc_f32::<true>(u, mean, std, a, b, pa, dp, sign)
            } else {
                trunc_f32::<false>(u, mean, std, a, b, pa, dp, sign)
            })
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
