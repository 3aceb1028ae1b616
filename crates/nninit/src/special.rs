//! Special functions of the normal distribution: Φ, the probability mass of a window, the
//! moments of a truncated normal. A leaf module: everything that needs these (samplers,
//! kernels, schemes, the methods table) imports them from here.

use crate::error::{InitError, Num};

/// Standard normal density `φ(x) = exp(−x²/2)/√(2π)`.
pub fn std_normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF `Φ(x) = (1 + erf(x/√2)) / 2` (the formula of PyTorch's
/// `trunc_normal_`; it underflows to 0 below about −8.3: see [`ndtr`] and [`window_mass`]).
pub fn std_normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Standard normal CDF `Φ(x) = erfc(−x/√2)/2`: accurate in the lower tail (relative
/// precision down to the smallest f64), unlike [`std_normal_cdf`].
pub fn ndtr(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// `Φ(zb) − Φ(za)`, the standard normal mass of `[za, zb]`, accurate in both tails: the
/// window is mirrored to the lower half and [`ndtr`] used there, so a window like
/// `[10, 10.0001]` has its true mass (~7.7e-27) instead of `1 − 1 = 0`.
pub fn window_mass(za: f64, zb: f64) -> f64 {
    let (lo, hi) = if za + zb > 0.0 { (-zb, -za) } else { (za, zb) };
    ndtr(hi) - ndtr(lo)
}

/// The smallest trunc_normal window mass accepted: `2⁻⁹⁶⁹ ≈ 2e-292`, so that the inverse-CDF
/// fills' `p = pa + u·mass` (`u ≥ 2⁻⁵³`) stay normal f64 numbers with full precision (a
/// subnormal mass rounded `p` to 0 and put draws on the window's far end). Windows with less
/// mass lie beyond about 36.4 std from the mean, or are narrower than f64 resolves `Φ`.
pub(crate) const MIN_WINDOW_MASS: f64 = f64::from_bits((1023 - 969) << 52);

/// The error for a trunc_normal window whose mass is below [`MIN_WINDOW_MASS`]: either it lies
/// in the far tail (beyond about 36 std) or it is narrower than the spacing of f64 values of Φ
/// where it lies (e.g. `[0, 1e-17]` at std 1).
pub(crate) fn massless_window(mean: f64, std: f64, a: f64, b: f64) -> InitError {
    let (za, zb) = ((a - mean) / std, (b - mean) / std);
    let near = if za <= 0.0 && zb >= 0.0 {
        0.0
    } else {
        za.abs().min(zb.abs())
    };
    let what = if near > 36.0 {
        format!(
            "it starts about {} std from the mean, beyond f64's reach (about 36 std); move \
             [a, b] closer",
            Num(near.round())
        )
    } else {
        format!(
            "it is {} std wide, narrower than f64 resolves Φ {} std from the mean; widen [a, b]",
            Num(zb - za),
            Num((near * 100.0).round() / 100.0)
        )
    };
    InitError::Unsupported(format!(
        "trunc_normal window [{}, {}] (mean {}, std {}) has too little probability mass for \
         f64 (below 2e-292): {what}",
        Num(a),
        Num(b),
        Num(mean),
        Num(std)
    ))
}

/// Mean and variance of `N(mean, std²)` truncated to `[a, b]` (`std > 0`, `a < b`).
pub fn trunc_moments(mean: f64, std: f64, a: f64, b: f64) -> (f64, f64) {
    let (al, be) = ((a - mean) / std, (b - mean) / std);
    let z = std_normal_cdf(be) - std_normal_cdf(al);
    let (pa, pb) = (std_normal_pdf(al), std_normal_pdf(be));
    // x·φ(x) → 0 at ±∞
    let xa = if al.is_finite() { al * pa } else { 0.0 };
    let xb = if be.is_finite() { be * pb } else { 0.0 };
    let m = (pa - pb) / z;
    (mean + std * m, std * std * (1.0 + (xa - xb) / z - m * m))
}

/// Standard deviation of a standard normal truncated to (−2, 2):
/// `sqrt(1 − 4φ(2)/(Φ(2) − Φ(−2)))` = 0.87962566103423978 (JAX's constant).
pub fn trunc_std_at_2() -> f64 {
    let phi2 = (-2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mass = std_normal_cdf(2.0) - std_normal_cdf(-2.0);
    (1.0 - 4.0 * phi2 / mass).sqrt()
}

/// Std of a standard normal truncated to (−2, 2) (JAX's literal; equals [`trunc_std_at_2`]
/// to within 1e-15, checked in the tests).
pub(crate) const TRUNC_STD_AT_2: f64 = 0.879_625_661_034_239_8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jax_literal_is_the_formula() {
        assert!((trunc_std_at_2() - TRUNC_STD_AT_2).abs() < 1e-15);
    }

    #[test]
    fn tail_mass_is_accurate() {
        // Φ(−10) ≈ 7.61985302416e-24; the erf form loses it to cancellation
        let m = window_mass(10.0, f64::INFINITY);
        assert!((m / 7.619_853_024_16e-24 - 1.0).abs() < 1e-9, "{m}");
        assert_eq!(std_normal_cdf(-37.0), 0.0);
        assert!(ndtr(-37.0) > 0.0);
    }
}
