//! [`Resolved`]: what a scheme is for one shape — an element-wise [`Sampler`], a constant or a
//! structured matrix — computed without drawing.

use crate::sampler::Sampler;
use crate::shape::Layout;

/// What a scheme resolves to for a given shape: the exact distribution, without drawing.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// Every element this value.
    Constant(f64),
    /// Independent draws from one distribution (uniform, normal, trunc_normal and every
    /// fan-based scheme).
    Elementwise(Sampler),
    /// Orthogonal times gain, as a `rows × cols` matrix (the tensor flattened row-major).
    Orthogonal {
        /// Gain.
        gain: f64,
        /// `shape[0]` (`numel / shape[-1]` under [`Layout::Jax`]).
        rows: usize,
        /// `numel / shape[0]` (`shape[-1]` under [`Layout::Jax`]).
        cols: usize,
    },
    /// Identity `rows × cols`.
    Eye {
        /// Rows.
        rows: usize,
        /// Cols.
        cols: usize,
    },
    /// Dirac delta.
    Dirac {
        /// Groups.
        groups: usize,
        /// Number of ones written.
        ones: usize,
        /// Where the out and in dims are: PyTorch's `(out, in, k...)` or JAX's `(k..., in, out)`.
        layout: Layout,
    },
    /// Sparse normal: `N(0, std²)` with `zeros_per_col` entries of every column zeroed.
    Sparse {
        /// Zeros per column.
        zeros_per_col: usize,
        /// Rows.
        rows: usize,
        /// Std of non-zero entries.
        std: f64,
    },
}

impl Resolved {
    /// Mean of one element, averaged over the tensor (exact).
    pub fn mean(&self, numel: usize) -> f64 {
        match *self {
            Resolved::Constant(v) => v,
            Resolved::Elementwise(s) => s.mean(),
            Resolved::Orthogonal { .. } | Resolved::Sparse { .. } => 0.0,
            Resolved::Eye { rows, cols } => rows.min(cols) as f64 / numel.max(1) as f64,
            Resolved::Dirac { ones, .. } => ones as f64 / numel.max(1) as f64,
        }
    }

    /// Variance of one element drawn from the scheme (for structured schemes: the second
    /// moment of the tensor's entries, `E[w²]`, which is what signal propagation uses).
    pub fn variance(&self, numel: usize) -> f64 {
        match *self {
            Resolved::Constant(_) => 0.0,
            Resolved::Elementwise(s) => s.variance(),
            Resolved::Orthogonal { gain, rows, cols } => {
                gain * gain * rows.min(cols) as f64 / (rows * cols).max(1) as f64
            }
            Resolved::Eye { rows, cols } => rows.min(cols) as f64 / numel.max(1) as f64,
            Resolved::Dirac { ones, .. } => ones as f64 / numel.max(1) as f64,
            Resolved::Sparse {
                zeros_per_col,
                rows,
                std,
            } => std * std * (rows - zeros_per_col.min(rows)) as f64 / rows.max(1) as f64,
        }
    }

    /// The element-wise sampler, if this is one.
    pub fn sampler(&self) -> Option<&Sampler> {
        match self {
            Resolved::Elementwise(s) => Some(s),
            _ => None,
        }
    }
}
