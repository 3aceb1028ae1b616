//! `orthogonal`: Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear dynamics
//! of learning in deep linear neural networks*, <https://arxiv.org/abs/1312.6120>.
//!
//! Two algorithms, one distribution (Haar on the (semi-)orthogonal matrices, times `gain`):
//!
//! - **PyTorch's** (`torch.nn.init.orthogonal_`), on streams that mirror PyTorch
//!   ([`Stream::mirrors_torch`], i.e. [`TorchGenerator`](crate::TorchGenerator)): draw a
//!   `rows × cols` standard normal matrix (one `normal_` call on the flattened tensor), take the
//!   reduced QR of the tall orientation (faer, in f64), multiply column `j` of Q by `sign(R_jj)`
//!   so that the factor is unique, transpose back if needed, multiply by `gain`. Differences from
//!   PyTorch: QR runs in f64 rather than in the tensor's dtype, and `sign(0)` is taken as +1
//!   (PyTorch zeroes the column; this has probability 0).
//! - **Stewart's** (G. W. Stewart 1980, *The efficient generation of random orthogonal
//!   matrices with an application to condition estimators*, SIAM J. Numer. Anal. 17(3)), on every
//!   other stream: the same `normal_` draw, read column-major as an `m × n` matrix
//!   (`m = max(rows, cols)`, `n = min`); its column `k` contributes only its entries `k..m`,
//!   which define the Householder reflector `H_k` mapping them onto a multiple `β_k e_k`; `Q` is
//!   `H_0 H_1 ⋯ H_{n−1}` (first `n` columns) with column `k` multiplied by `sign(β_k)`, and the
//!   output is `Q` (`rows > cols`) or `Qᵀ` (otherwise), times `gain`. This is exactly the
//!   distribution of the sign-corrected QR factor of a Gaussian matrix (Householder QR applied
//!   to a Gaussian matrix sees, at step `k`, a fresh Gaussian vector, by rotational
//!   invariance), while skipping the factorisation's trailing updates: about half the flops
//!   (`2mn² − 2n³/3` instead of `4mn² − 4n³/3`), all of it blocked (faer's block reflectors). It
//!   runs in f32 for f32/bf16/f16 outputs (as PyTorch's QR does) and in f64 for f64. As with
//!   QR, the first column of `Q` (row 0 of a wide or square output, column 0 of a tall one) is
//!   the first `m` draws normalised.

use crate::element::{DType, Element};
use crate::error::{check_memory, Result};
use crate::rng::stream::Stream;
use crate::sampler::Sampler;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::householder;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{IntoConst, Reborrow, ReborrowMut};
use faer::{Accum, Conj, Mat, MatMut, Par};
use rayon::prelude::*;

pub(super) fn draw<T: Element, S: Stream + ?Sized>(
    out: &mut [T],
    rows: usize,
    cols: usize,
    gain: f64,
    stream: &mut S,
) -> Result<()> {
    let torch = stream.mirrors_torch();
    // faer's allocations cannot fail gracefully (they panic or abort): reserve the working
    // memory first, before anything is drawn
    check_memory(workspace_bytes::<T>(rows, cols, torch), || {
        format!(
            "orthogonal {rows}x{cols} ({})",
            if torch {
                "PyTorch's QR, in f64"
            } else {
                "Householder product"
            }
        )
    })?;
    // The draws are those of `normal_(0, 1)` on a rows×cols tensor of the element type.
    stream.sample(&Sampler::standard_normal(), out);
    if torch {
        // q is the tall orientation: rows × cols, or its transpose for a wide matrix
        let q = orthonormal_from_gaussian(out, rows, cols);
        let tall = rows >= cols;
        for i in 0..rows {
            for j in 0..cols {
                let x = if tall { q[(i, j)] } else { q[(j, i)] };
                out[i * cols + j] = T::from_f64(gain * x);
            }
        }
    } else if let Some(x) = T::as_f32_slice_mut(out) {
        stewart(x, rows, cols, gain);
    } else if let Some(x) = T::as_f64_slice_mut(out) {
        stewart(x, rows, cols, gain);
    } else {
        // bf16/f16: in f32, then rounded to nearest even from the f32 value.
        let mut w: Vec<f32> = out.iter().map(|x| x.to_f64() as f32).collect();
        stewart(&mut w, rows, cols, gain);
        for (o, x) in out.iter_mut().zip(&w) {
            *o = T::from_f32(*x);
        }
    }
    Ok(())
}

/// Bytes [`draw`] allocates besides the tensor, at its peak (an upper bound):
/// - PyTorch's path (f64, `m × n` tall orientation): the Gaussian matrix and faer's copy of
///   it during the QR, then the Householder basis, `R` (`n × n`) and the thin `Q`; the block
///   coefficients (`bs × n`); the larger of the two scratch areas.
/// - Stewart's (`E` = f32 or f64): `Q` (`m × n`), the block factor (`bs × bs`), `tau`, the
///   signs, one scratch panel per thread, and for bf16/f16 the f32 copy of the tensor.
fn workspace_bytes<T: Element>(rows: usize, cols: usize, torch: bool) -> u128 {
    use faer::linalg::qr::no_pivoting::factor as qr;
    let (m, n) = (rows.max(cols), rows.min(cols));
    let (m128, n128) = (m as u128, n as u128);
    if torch {
        let bs = qr::recommended_block_size::<f64>(m, n);
        let par = faer::get_global_parallelism();
        let scratch = qr::qr_in_place_scratch::<f64>(m, n, bs, par, Default::default())
            .or(
                householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(
                    m, bs, n,
                ),
            )
            .unaligned_bytes_required() as u128;
        8 * (2 * m128 * n128 + n128 * n128 + bs as u128 * n128) + scratch
    } else {
        let e = if T::DTYPE == DType::F64 { 8u128 } else { 4 };
        let bs = (2 * qr::recommended_block_size::<f32>(m, n)
            .max(qr::recommended_block_size::<f64>(m, n)))
        .min(n)
        .max(1);
        let panel =
            householder::apply_block_householder_on_the_left_in_place_scratch::<f64>(m, bs, PANEL)
                .unaligned_bytes_required() as u128;
        let copy = match T::DTYPE {
            DType::BF16 | DType::F16 => 4 * m128 * n128,
            DType::F32 | DType::F64 => 0,
        };
        e * (m128 * n128 + (bs * bs) as u128 + n128)
            + 8 * n128
            + panel * rayon::current_num_threads() as u128
            + copy
    }
}

/// Given a row-major `rows × cols` Gaussian matrix, returns the sign-corrected orthonormal
/// factor in the tall orientation: `rows × cols` (orthonormal columns) if `rows >= cols`,
/// else its transpose `cols × rows` (the output's rows are its columns).
pub(crate) fn orthonormal_from_gaussian<T: Element>(
    flat: &[T],
    rows: usize,
    cols: usize,
) -> Mat<f64> {
    let tall = rows >= cols;
    let (m, n) = if tall { (rows, cols) } else { (cols, rows) };
    // a is m × n (tall); element (i, j) of the flat matrix, transposed when wide. It is
    // dropped once faer has its copy.
    let qr = Mat::<f64>::from_fn(m, n, |i, j| {
        if tall {
            flat[i * cols + j].to_f64()
        } else {
            flat[j * cols + i].to_f64()
        }
    })
    .qr();
    let mut q = qr.compute_thin_Q();
    let r = qr.thin_R();
    for j in 0..n {
        if r[(j, j)] < 0.0 {
            for i in 0..m {
                q[(i, j)] = -q[(i, j)];
            }
        }
    }
    q
}

/// Columns of `Q` per thread task in Stewart's method (see [`stewart`]).
const PANEL: usize = 512;

/// The working precision of Stewart's method.
trait Real: faer::traits::RealField + Copy + PartialOrd {
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// Stewart's method (module docs) on the Gaussian draws in `buf` (row-major `rows × cols`),
/// overwriting them with the result times `gain`.
fn stewart<E: Real>(buf: &mut [E], rows: usize, cols: usize, gain: f64) {
    // Work on the tall orientation m × n (a square matrix counts as wide: its transpose is
    // as Haar as itself), reading the draws column-major: `buf` itself is the matrix whose
    // lower trapezoid becomes the Householder basis, and wide/square outputs (Qᵀ) are written
    // back in memory order.
    let tall = rows > cols;
    let (m, n) = if tall { (rows, cols) } else { (cols, rows) };
    let zero = E::from_f64(0.0);
    let one = E::from_f64(1.0);
    let mut v = MatMut::from_column_major_slice_mut(buf, m, n);
    // Reflectors: column k becomes (β_k, essential part); tau_k per faer's convention
    // (H = I − v vᵀ / tau, v_k = 1). tau = ∞ (an empty or zero tail) is the identity.
    let mut tau = vec![zero; n];
    let mut sign = vec![1.0f64; n];
    for k in 0..n {
        let (top, bottom) = v.rb_mut().col_mut(k).split_at_row_mut(k + 1);
        let head = top.get_mut(k);
        let info = householder::make_householder_in_place(head, bottom);
        tau[k] = info.tau;
        if Real::to_f64(*head) < 0.0 {
            sign[k] = -1.0;
        }
    }
    let v = v.into_const();
    // Twice the block size faer's QR would use (256 at 4096²): fewer passes over Q for a
    // slightly larger T; measured ~5% faster here.
    let bs = (2 * faer::linalg::qr::no_pivoting::factor::recommended_block_size::<E>(m, n)).min(n);
    let mut q = Mat::<E>::zeros(m, n);
    for k in 0..n {
        q[(k, k)] = one;
    }
    // Blocks from last to first: when block [j0, j1) is applied, columns < j0 of Q are still
    // e_c (zero in rows >= j0), so only Q[j0.., j0..] changes. Threads take fixed panels of
    // PANEL columns, each computed sequentially: the arithmetic (and so every bit of the
    // result) does not depend on the number of threads, which faer's own splitting would.
    let mut t = Mat::<E>::zeros(bs, bs);
    for j0 in (0..n).step_by(bs).rev() {
        let j1 = (j0 + bs).min(n);
        let b = j1 - j0;
        let basis = v.get(j0.., j0..j1);
        // The block's factor: T = diag(tau) + strict_upper(Vᵀ V), V unit lower trapezoidal
        // (as faer's QR builds it; entries on and above V's diagonal are not read).
        let mut t = t.as_mut().get_mut(..b, ..b);
        t.fill(zero);
        let (top, bottom) = basis.split_at_row(b);
        triangular::matmul(
            t.rb_mut(),
            BlockStructure::UnitTriangularUpper,
            Accum::Replace,
            top.transpose(),
            BlockStructure::UnitTriangularUpper,
            top,
            BlockStructure::UnitTriangularLower,
            one,
            Par::Seq,
        );
        triangular::matmul(
            t.rb_mut(),
            BlockStructure::UnitTriangularUpper,
            Accum::Add,
            bottom.transpose(),
            BlockStructure::Rectangular,
            bottom,
            BlockStructure::Rectangular,
            one,
            Par::Seq,
        );
        for c in 0..b {
            t[(c, c)] = tau[j0 + c];
        }
        let t = t.rb();
        q.as_mut()
            .get_mut(j0.., j0..)
            .par_col_chunks_mut(PANEL)
            .for_each(|panel| {
                let mut mem = MemBuffer::new(
                    householder::apply_block_householder_on_the_left_in_place_scratch::<E>(
                        m - j0,
                        b,
                        panel.ncols(),
                    ),
                );
                householder::apply_block_householder_on_the_left_in_place_with_conj(
                    basis,
                    t,
                    Conj::No,
                    panel,
                    Par::Seq,
                    MemStack::new(&mut mem),
                );
            });
    }
    // Column j of Q times gain · sign(β_j) back into `buf`: wide/square outputs are Qᵀ
    // (row j of the output is column j of Q, contiguous), tall ones Q (through 64 × 64 tiles).
    let scale: Vec<f64> = sign.iter().map(|s| gain * s).collect();
    if !tall {
        for (j, row) in buf.chunks_exact_mut(m).enumerate() {
            for (o, x) in row.iter_mut().zip(q.col(j).iter()) {
                *o = E::from_f64(scale[j] * Real::to_f64(*x));
            }
        }
    } else {
        const TILE: usize = 64;
        for i0 in (0..m).step_by(TILE) {
            for j0 in (0..n).step_by(TILE) {
                for j in j0..(j0 + TILE).min(n) {
                    for i in i0..(i0 + TILE).min(m) {
                        buf[i * n + j] = E::from_f64(scale[j] * Real::to_f64(q[(i, j)]));
                    }
                }
            }
        }
    }
}
