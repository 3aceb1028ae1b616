//! The element types a fill can write: `f32`, `f64`, `bf16`, `f16`.

use half::{bf16, f16};

/// The dtype of an [`Element`], as PyTorch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// bfloat16 (8 exponent bits, 8 significand bits).
    BF16,
    /// IEEE binary16.
    F16,
}

impl DType {
    /// `f32`, `f64`, `bf16` or `f16`.
    pub fn name(&self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::BF16 => "bf16",
            DType::F16 => "f16",
        }
    }

    /// Bytes per element.
    pub fn size_of(&self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
            DType::BF16 | DType::F16 => 2,
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DType {
    type Err = crate::error::InitError;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" | "float" => Ok(DType::F32),
            "f64" | "float64" | "double" => Ok(DType::F64),
            "bf16" | "bfloat16" => Ok(DType::BF16),
            "f16" | "float16" | "half" => Ok(DType::F16),
            _ => Err(crate::error::InitError::Unsupported(format!(
                "unknown dtype '{s}'; expected f32, f64, bf16 or f16"
            ))),
        }
    }
}

/// A floating-point element a scheme can fill. Conversions round to nearest even.
///
/// bf16 and f16 values are produced from an `f32` value (as PyTorch's `opmath` does), so
/// `from_f32` is the conversion random streams use for them.
pub trait Element: Copy + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    /// The dtype tag.
    const DTYPE: DType;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Round-to-nearest-even conversion from `f64` (bf16/f16 go directly, single rounding).
    fn from_f64(x: f64) -> Self;
    /// Round-to-nearest-even conversion from `f32`.
    fn from_f32(x: f32) -> Self;
    /// Exact widening to `f64`.
    fn to_f64(self) -> f64;
    /// The slice itself when `Self` is `f32` (lets f32 work happen in place), else `None`.
    fn as_f32_slice_mut(s: &mut [Self]) -> Option<&mut [f32]> {
        let _ = s;
        None
    }
    /// The slice itself when `Self` is `f64`, else `None`.
    fn as_f64_slice_mut(s: &mut [Self]) -> Option<&mut [f64]> {
        let _ = s;
        None
    }
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn from_f32(x: f32) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn as_f32_slice_mut(s: &mut [Self]) -> Option<&mut [f32]> {
        Some(s)
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn from_f32(x: f32) -> Self {
        x as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn as_f64_slice_mut(s: &mut [Self]) -> Option<&mut [f64]> {
        Some(s)
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::BF16;
    const ZERO: Self = bf16::ZERO;
    const ONE: Self = bf16::ONE;
    fn from_f64(x: f64) -> Self {
        bf16::from_f64(x)
    }
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    const ZERO: Self = f16::ZERO;
    const ONE: Self = f16::ONE;
    fn from_f64(x: f64) -> Self {
        f16::from_f64(x)
    }
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
}

/// The value of `T` nearest `x` on the side `up` (at or above `x` if `up`, else at or below),
/// as f64 (exact: every `T` value is an f64). A bound beyond `T`'s finite range stays
/// infinite: draws beyond that range then overflow to ±∞, as they do for `normal` (clamping
/// them to `T::MAX` would silently pile them up there).
pub(crate) fn round_inward<T: Element>(x: f64, up: bool) -> f64 {
    let t = T::from_f64(x).to_f64();
    if t.is_infinite() {
        return t;
    }
    if (up && t >= x) || (!up && t <= x) {
        return t;
    }
    // one step of T from `t` towards `x`; sign-magnitude bits for the 16-bit types
    let step16 = |bits: u16| -> u16 {
        if bits & 0x7FFF == 0 {
            if up {
                1
            } else {
                0x8001
            }
        } else if up != (bits & 0x8000 != 0) {
            bits + 1
        } else {
            bits - 1
        }
    };
    match T::DTYPE {
        DType::F64 => {
            if up {
                t.next_up()
            } else {
                t.next_down()
            }
        }
        DType::F32 => f64::from(if up {
            (t as f32).next_up()
        } else {
            (t as f32).next_down()
        }),
        DType::BF16 => bf16::from_bits(step16(bf16::from_f64(t).to_bits())).to_f64(),
        DType::F16 => f16::from_bits(step16(f16::from_f64(t).to_bits())).to_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_to_nearest_even() {
        // 1 + 2^-8 is exactly half-way between two bf16 values (1 and 1 + 2^-7): ties to even (1).
        assert_eq!(bf16::from_f32(1.0 + 1.0 / 256.0).to_f64(), 1.0);
        // 1 + 3·2^-8 is half-way between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
        assert_eq!(
            <bf16 as Element>::from_f32(1.0 + 3.0 / 256.0).to_f64(),
            1.0 + 1.0 / 64.0
        );
        // f16 has 10 fraction bits: 1 + 2^-11 ties to 1.
        assert_eq!(<f16 as Element>::from_f32(1.0 + 1.0 / 2048.0).to_f64(), 1.0);
        assert_eq!(<f32 as Element>::from_f64(0.1), 0.1f32);
    }
}
