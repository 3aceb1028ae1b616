//! The two floating-point types the diagnostics compute in, `f32` and `f64`, behind one
//! small trait, so that every formula (activations, loss, optimiser, the network) is written
//! once and evaluated in either precision.
//!
//! Training and probing run in `f32` (as PyTorch's CPU default); the gradient checks run the
//! same code in `f64`. The operations are `std`'s (`exp`, `tanh`, `ln_1p`, ...) and `libm`'s
//! `erf`/`erff`, so an `f32` instance computes exactly what the hand-written `f32` code did.

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// `f32` or `f64`: arithmetic, the elementary functions the activations need, and
/// conversions. Implemented for exactly these two types.
pub trait Float:
    Copy
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + PartialOrd
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + 'static
{
    /// The type some activations are evaluated in before rounding back (`f64` for both:
    /// `f32`'s `erff`/`expm1f`/`log1pf` lose a few ulps, so those activations are computed
    /// in `f64` and rounded once, see `Activation::evaluated_wide`).
    type Wide: Float;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// `-inf`.
    const NEG_INFINITY: Self;
    /// Nearest value of this type (`as` rounding: to nearest, ties to even).
    fn from_f64(v: f64) -> Self;
    /// Exact widening from `f32` (`f32` input data).
    fn from_f32(v: f32) -> Self;
    /// Exact widening to `f64`.
    fn to_f64(self) -> f64;
    /// Nearest `f32` (`as` rounding).
    fn to_f32(self) -> f32;
    /// Exact conversion to [`Float::Wide`].
    fn widen(self) -> Self::Wide;
    /// Nearest value of this type to `w` (rounded once).
    fn narrow(w: Self::Wide) -> Self;
    /// `e^x`.
    fn exp(self) -> Self;
    /// `e^x − 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The error function.
    fn erf(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// The larger of the two, ignoring a NaN (`f64::max` semantics).
    fn max(self, other: Self) -> Self;
    /// Whether this is NaN.
    fn is_nan(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $wide:ty, $erf:path) => {
        impl Float for $t {
            type Wide = $wide;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                <$t>::from(v)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn widen(self) -> $wide {
                <$wide>::from(self)
            }
            #[inline(always)]
            fn narrow(w: $wide) -> Self {
                w as $t
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
impl_float!(f32, f64, libm::erff);
impl_float!(f64, f64, libm::erf);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_once() {
        assert_eq!(<f32 as Float>::from_f64(0.1), 0.1f32);
        assert_eq!(<f32 as Float>::narrow(0.1f64), 0.1f32);
        assert_eq!(0.1f32.widen(), f64::from(0.1f32));
        assert_eq!(<f64 as Float>::from_f32(0.1), f64::from(0.1f32));
        assert_eq!(Float::erf(0.5f64), libm::erf(0.5));
        assert_eq!(Float::erf(0.5f32), libm::erff(0.5));
        assert!(Float::is_nan(f32::NAN) && !Float::is_nan(1.0f64));
    }
}
