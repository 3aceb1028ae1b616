//! Tensor shapes and weight layouts.

use crate::error::{InitError, Result};

/// A tensor shape: row-major (C order) dimensions, with a checked element count.
///
/// Zero-sized dimensions are allowed (PyTorch allows them; filling such a tensor is a no-op).
/// A shape with no dimensions is a scalar (1 element).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: Vec<usize>,
    numel: usize,
}

impl Shape {
    /// Builds a shape; errors with [`InitError::ShapeOverflow`] if the element count overflows.
    ///
    /// ```
    /// let s = nninit::Shape::new(&[128, 256])?;
    /// assert_eq!(s.numel(), 32768);
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn new(dims: &[usize]) -> Result<Self> {
        let mut numel: usize = 1;
        for &d in dims {
            numel = numel
                .checked_mul(d)
                .ok_or_else(|| InitError::ShapeOverflow {
                    shape: dims.to_vec(),
                })?;
        }
        Ok(Shape {
            dims: dims.to_vec(),
            numel,
        })
    }

    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// Number of elements (product of the dimensions).
    pub fn numel(&self) -> usize {
        self.numel
    }

    /// Errors with [`InitError::LenMismatch`] unless `len == self.numel()`.
    pub fn check_len(&self, len: usize) -> Result<()> {
        if len != self.numel {
            return Err(InitError::LenMismatch {
                len,
                numel: self.numel,
                shape: self.dims.clone(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.dims.iter().map(|d| d.to_string()).collect();
        write!(f, "({})", parts.join(", "))
    }
}

/// Which axes of a weight hold its inputs and outputs. It decides `fan_in` and `fan_out`.
///
/// Every axis that is neither the input nor the output axis counts as receptive field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// PyTorch `Linear`/`Conv`: `(out, in, k...)`, used as `x @ w.T`.
    /// `fan_in = shape[1]·Πk`, `fan_out = shape[0]·Πk`.
    #[default]
    Torch,
    /// PyTorch `ConvTranspose`: `(in, out/groups, k...)`. Note that PyTorch's own
    /// `_calculate_fan_in_and_fan_out` ignores this and uses the [`Layout::Torch`] rule;
    /// PyTorch's default ConvTranspose init therefore takes `fan_in = shape[1]·Πk`
    /// (see [`crate::layers`]). Use this layout to get the true fans.
    TorchTranspose,
    /// JAX/Keras/TF: `(k..., in, out)` (HWIO), used as `x @ w`: `in_axis = -2`, `out_axis = -1`.
    Jax,
}

impl std::str::FromStr for Layout {
    type Err = InitError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "torch" | "pytorch" => Ok(Layout::Torch),
            "torch_transpose" | "torch-transpose" => Ok(Layout::TorchTranspose),
            "jax" | "tf" | "keras" | "hwio" => Ok(Layout::Jax),
            _ => Err(InitError::UnknownValue {
                what: "layout",
                value: s.to_string(),
                expected: "torch, torch_transpose, jax",
            }),
        }
    }
}
