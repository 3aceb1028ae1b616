//! Reference transforms from random bits to the distributions schemes need.
//!
//! These are the transforms of [`RngStream`](super::RngStream). They are plain scalar code,
//! generic over any [`RngCore`].

use crate::cpu::clear_upper_state;
use crate::element::{round_inward, DType, Element};
use crate::sampler::Sampler;
use crate::special::window_mass;
use rand_core::RngCore;

/// `[0, 1)` with 24 random bits: `(u32 & 0xFFFFFF) · 2⁻²⁴` (PyTorch's float32 rule).
#[inline]
pub fn unit_f32<R: RngCore + ?Sized>(rng: &mut R) -> f32 {
    (rng.next_u32() & 0x00FF_FFFF) as f32 * (1.0 / 16_777_216.0)
}

/// `[0, 1)` with 53 random bits: `(u64 & (2⁵³−1)) · 2⁻⁵³` (PyTorch's float64 rule).
#[inline]
pub fn unit_f64<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// Fills `out` with draws from `sampler` (each transform is documented in the source):
/// - uniform: 24 random bits (f32, bf16, f16; f32 arithmetic) or 53 (f64), `fma(u, high−low,
///   low)`, rounded once; a value that rounds up to `high` becomes `low`;
/// - normal: Box–Muller (exact method) in f64, rounded once;
/// - trunc_normal: exact rejection per element (normal proposals for windows holding more
///   than 30 % of the mass, else uniform or Robert's (1995) exponential proposals), clamped
///   to `[a, b]` and rounded once.
pub fn sample<R: RngCore + ?Sized, T: Element>(rng: &mut R, sampler: &Sampler, out: &mut [T]) {
    match sampler {
        Sampler::Uniform(u) => uniform(rng, out, u.low(), u.high()),
        Sampler::Normal(n) => normal(rng, out, n.mean(), n.std()),
        Sampler::TruncNormal(t) => trunc_normal(rng, out, t.mean(), t.std(), t.a(), t.b()),
    }
}

/// `U[low, high)`: f64 outputs use 53 bits and f64 arithmetic; f32/bf16/f16 use 24 bits and
/// f32 arithmetic (`fma(x, high−low, low)`), then round to the element type. A value that
/// rounds up to `high` is replaced by `low`, so the interval stays half-open.
fn uniform<R: RngCore + ?Sized, T: Element>(rng: &mut R, out: &mut [T], low: f64, high: f64) {
    clear_upper_state();
    if T::DTYPE == DType::F64 {
        let r = high - low;
        for v in out.iter_mut() {
            let y = unit_f64(rng).mul_add(r, low);
            *v = T::from_f64(if y == high { low } else { y });
        }
    } else {
        let (lo, hi) = (low as f32, high as f32);
        let r = hi - lo;
        let hi_t = T::from_f32(hi);
        for v in out.iter_mut() {
            let y = T::from_f32(unit_f32(rng).mul_add(r, lo));
            *v = if y == hi_t { T::from_f32(lo) } else { y };
        }
    }
}

/// One pair of independent standard normals by Box–Muller (exact method):
/// `r = sqrt(−2 ln(1 − u1))`, `θ = 2π u2`, returns `(r cos θ, r sin θ)`.
#[inline]
pub fn std_normal_pair<R: RngCore + ?Sized>(rng: &mut R) -> (f64, f64) {
    let u1 = unit_f64(rng);
    let u2 = unit_f64(rng);
    let r = (-2.0 * (-u1).ln_1p()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    (r * theta.cos(), r * theta.sin())
}

/// `N(mean, std²)` by Box–Muller in f64, rounded once to the element type.
fn normal<R: RngCore + ?Sized, T: Element>(rng: &mut R, out: &mut [T], mean: f64, std: f64) {
    clear_upper_state();
    let mut chunks = out.chunks_exact_mut(2);
    for pair in &mut chunks {
        let (z0, z1) = std_normal_pair(rng);
        pair[0] = T::from_f64(z0.mul_add(std, mean));
        pair[1] = T::from_f64(z1.mul_add(std, mean));
    }
    if let [last] = chunks.into_remainder() {
        let (z0, _) = std_normal_pair(rng);
        *last = T::from_f64(z0.mul_add(std, mean));
    }
}

/// `N(mean, std²)` conditioned on `[a, b]`, by exact rejection per element:
/// if the window holds more than 30 % of the mass, draw normals until one lands inside;
/// otherwise, of these two, the one with the higher acceptance rate: `x ~ U[a, b]` accepted
/// with probability `exp(−(z² − z_mode²)/2)` (`z = (x−mean)/std`, `z_mode` the window's closest
/// point to the mean), or, for a window on one side of the mean, Robert's (1995) exponential
/// proposal `z = z₀ + Exp(1)/α`, `α = (z₀ + √(z₀² + 4))/2` (`z₀` the near end), accepted with
/// probability `exp(−(z − α)²/2)` and rejected beyond the far end (C. P. Robert, "Simulation of
/// truncated normal variables", Statistics and Computing 5, 1995). All are exact samplers of
/// the truncated distribution; the exponential one keeps wide tail windows such as
/// `[3σ, 10⁹σ]` fast, where the uniform proposal almost never accepts. Values are rounded once to the
/// element type, then clamped to the bounds rounded *inward* to values of the type (as the
/// Philox stream does), so every output lies in `[a, b]` (bf16/f16 would otherwise round a
/// value near a bound to outside it); a window holding no value of the type gives the type's
/// value nearest its midpoint. (Only the torch stream keeps PyTorch's `[T(a), T(b)]`.)
fn trunc_normal<R: RngCore + ?Sized, T: Element>(
    rng: &mut R,
    out: &mut [T],
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
) {
    clear_upper_state();
    let (za, zb) = ((a - mean) / std, (b - mean) / std);
    let mass = window_mass(za, zb);
    let z_mode = 0f64.max(za).min(zb);
    // one-sided window mirrored to [lo, hi] with lo > 0: the exponential proposal's rate
    let (lo, hi, flip) = if za > 0.0 {
        (za, zb, false)
    } else {
        (-zb, -za, true)
    };
    let alpha = 0.5 * (lo + (lo * lo + 4.0).sqrt());
    // log acceptance rates (up to the common factor mass·√(2π)): exponential
    // α·exp(α·lo − α²/2), uniform exp(z_mode²/2)/(b − a) in z units
    let log_exp = alpha.ln() + alpha * lo - 0.5 * alpha * alpha;
    let log_uni = 0.5 * z_mode * z_mode - (zb - za).ln();
    let exponential = lo > 0.0 && log_exp > log_uni;
    let (ta, tb) = (round_inward::<T>(a, true), round_inward::<T>(b, false));
    let (ta, tb) = if ta <= tb {
        (T::from_f64(ta), T::from_f64(tb))
    } else {
        let m = T::from_f64(0.5 * a + 0.5 * b);
        (m, m)
    };
    for v in out.iter_mut() {
        let x = if mass > 0.3 {
            loop {
                let (z0, z1) = std_normal_pair(rng);
                if (za..=zb).contains(&z0) {
                    break z0.mul_add(std, mean);
                }
                if (za..=zb).contains(&z1) {
                    break z1.mul_add(std, mean);
                }
            }
        } else if exponential {
            loop {
                // 1 − u ∈ (0, 1]: a finite logarithm
                let z = lo - (1.0 - unit_f64(rng)).ln() / alpha;
                let d = z - alpha;
                if z <= hi && unit_f64(rng) < (-0.5 * d * d).exp() {
                    break (if flip { -z } else { z }).mul_add(std, mean);
                }
            }
        } else {
            loop {
                let x = unit_f64(rng).mul_add(b - a, a);
                let z = (x - mean) / std;
                let log_accept = -0.5 * (z * z - z_mode * z_mode);
                if unit_f64(rng) < log_accept.exp() {
                    break x;
                }
            }
        };
        let y = T::from_f64(x.clamp(a, b));
        *v = if y.to_f64() < ta.to_f64() {
            ta
        } else if y.to_f64() > tb.to_f64() {
            tb
        } else {
            y
        };
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates, one 32-bit draw per swap,
/// `z = u32 % (n − i)`, as PyTorch's `randperm`; the modulo bias is below 2⁻³² · n).
pub fn randperm<R: RngCore + ?Sized>(rng: &mut R, n: usize) -> Vec<usize> {
    let mut r: Vec<usize> = (0..n).collect();
    for i in 0..n.saturating_sub(1) {
        let z = (rng.next_u32() as u64 % (n - i) as u64) as usize;
        r.swap(i, i + z);
    }
    r
}
