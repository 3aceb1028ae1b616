//! Linear algebra on row-major slices: matrix products (faer), the population std, checked
//! allocation.

use crate::error::{DiagError, Result};
use crate::float::Float;

/// Multiply-adds above which a product runs on all threads.
const PAR_MIN_MACS: usize = 1 << 24;

/// A [`Float`] with a matrix product (faer's, for `f32` and `f64`).
pub trait Gemm: Float {
    /// `out = op(a) · op(b)` of row-major `a` (`ra × ca`) and `b` (`rb × cb`) into row-major
    /// `out`; `ta`/`tb` transpose the operand. `out.len()` must be the product's size and the
    /// inner dimensions must agree (callers size every buffer from the same layer widths).
    #[allow(clippy::too_many_arguments)]
    fn matmul_into(
        out: &mut [Self],
        a: &[Self],
        a_dims: (usize, usize),
        b: &[Self],
        b_dims: (usize, usize),
        ta: bool,
        tb: bool,
    );
}

macro_rules! impl_gemm {
    ($t:ty) => {
        impl Gemm for $t {
            fn matmul_into(
                out: &mut [$t],
                a: &[$t],
                (ra, ca): (usize, usize),
                b: &[$t],
                (rb, cb): (usize, usize),
                ta: bool,
                tb: bool,
            ) {
                use faer::{Accum, MatMut, MatRef, Par};
                let am = MatRef::from_row_major_slice(a, ra, ca);
                let bm = MatRef::from_row_major_slice(b, rb, cb);
                let am = if ta { am.transpose() } else { am };
                let bm = if tb { bm.transpose() } else { bm };
                let (m, n) = (am.nrows(), bm.ncols());
                faer::linalg::matmul::matmul(
                    MatMut::from_row_major_slice_mut(out, m, n),
                    Accum::Replace,
                    am,
                    bm,
                    1.0,
                    // Threads only pay off for large products (the probe's 10,000-row batch);
                    // a training step's 64-row product is faster on one.
                    if m * n * am.ncols() >= PAR_MIN_MACS {
                        Par::rayon(0)
                    } else {
                        Par::Seq
                    },
                );
                // faer's AVX-512 kernels leave the upper register halves dirty; the scalar code
                // that follows (activations calling libm's expf/tanhf) would pay a transition
                // penalty on every call (measured: a sigmoid epoch 7.7 s instead of ~1.5 s)
                nninit::fill::clear_upper_state();
            }
        }
    };
}
impl_gemm!(f32);
impl_gemm!(f64);

/// Population standard deviation `√(Σ(v − v̄)²/n)`, accumulated in `f64` in index order
/// (0 for an empty slice).
pub fn std_of<T: Copy + Into<f64>>(v: &[T]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x.into()).sum::<f64>() / n;
    (v.iter().map(|&x| (x.into() - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// `n` zeros, or [`DiagError::InvalidSpec`] naming `what` (and its size) instead of the abort
/// of an infallible allocation when memory runs out.
pub fn try_zeros<F: Float>(n: usize, what: &str) -> Result<Vec<F>> {
    let mut v = Vec::new();
    try_resize(&mut v, n, what)?;
    Ok(v)
}

/// Resizes `v` to `n` elements (new ones 0), or [`DiagError::InvalidSpec`] naming `what`
/// when the memory cannot be had (instead of aborting the process).
pub fn try_resize<F: Float>(v: &mut Vec<F>, n: usize, what: &str) -> Result<()> {
    if n > v.capacity() {
        v.try_reserve_exact(n - v.len()).map_err(|_| {
            DiagError::InvalidSpec(format!(
                "not enough memory for {what} ({} MiB)",
                n.saturating_mul(std::mem::size_of::<F>()) >> 20
            ))
        })?;
    }
    v.resize(n, F::ZERO);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_transposes() {
        // a = [[1, 2, 3], [4, 5, 6]] (2x3), b = [[1, 0], [0, 1], [1, 1]] (3x2)
        let a = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0f64, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut ab = [0.0f64; 4];
        f64::matmul_into(&mut ab, &a, (2, 3), &b, (3, 2), false, false);
        assert_eq!(ab, [4.0, 5.0, 10.0, 11.0]);
        // aᵀ · a (3x3)
        let mut ata = [0.0f32; 9];
        let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        f32::matmul_into(&mut ata, &af, (2, 3), &af, (2, 3), true, false);
        assert_eq!(ata, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
        // a · aᵀ (2x2)
        let mut aat = [0.0f64; 4];
        f64::matmul_into(&mut aat, &a, (2, 3), &a, (2, 3), false, true);
        assert_eq!(aat, [14.0, 32.0, 32.0, 77.0]);
    }

    #[test]
    fn std_of_is_the_population_std() {
        assert_eq!(std_of::<f64>(&[]), 0.0);
        assert_eq!(std_of(&[2.0f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 2.0);
        assert_eq!(std_of(&[3.0f64; 5]), 0.0);
    }

    #[test]
    fn allocation_failure_is_an_error() {
        assert!(try_zeros::<f32>(usize::MAX / 8, "a test").is_err());
        let mut v = vec![1.0f64; 3];
        assert!(try_resize(&mut v, 5, "a test").is_ok());
        assert_eq!(v, [1.0, 1.0, 1.0, 0.0, 0.0]);
    }
}
