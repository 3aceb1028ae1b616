//! `orthogonal`: Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear dynamics
//! of learning in deep linear neural networks*, <https://arxiv.org/abs/1312.6120>.
//!
//! Mirrors `torch.nn.init.orthogonal_`: draw a `rows × cols` standard normal matrix (one
//! `normal_` call on the flattened tensor), take the reduced QR of the tall orientation
//! (faer, in f64), multiply column `j` of Q by `sign(R_jj)` so that the factor is unique,
//! transpose back if needed, multiply by `gain`. Differences from PyTorch: QR runs in f64
//! rather than in the tensor's dtype, and `sign(0)` is taken as +1 (PyTorch zeroes the
//! column; this has probability 0).

use crate::element::Element;
use crate::error::Result;
use crate::rng::Stream;
use faer::Mat;

pub(super) fn draw<T: Element, S: Stream + ?Sized>(
    out: &mut [T],
    rows: usize,
    cols: usize,
    gain: f64,
    stream: &mut S,
) -> Result<()> {
    // The draws are those of `normal_(0, 1)` on a rows×cols tensor of the element type.
    stream.normal(out, 0.0, 1.0);
    let q = orthonormal_from_gaussian(out, rows, cols);
    for i in 0..rows {
        for j in 0..cols {
            out[i * cols + j] = T::from_f64(gain * q[(i, j)]);
        }
    }
    Ok(())
}

/// Given a row-major `rows × cols` Gaussian matrix, returns the sign-corrected orthonormal
/// factor as a `rows × cols` matrix (rows orthonormal if `rows <= cols`, else columns).
pub(crate) fn orthonormal_from_gaussian<T: Element>(
    flat: &[T],
    rows: usize,
    cols: usize,
) -> Mat<f64> {
    let tall = rows >= cols;
    let (m, n) = if tall { (rows, cols) } else { (cols, rows) };
    // a is m × n (tall); element (i, j) of the flat matrix, transposed when wide.
    let a = Mat::<f64>::from_fn(m, n, |i, j| {
        if tall {
            flat[i * cols + j].to_f64()
        } else {
            flat[j * cols + i].to_f64()
        }
    });
    let qr = a.qr();
    let mut q = qr.compute_thin_Q();
    let r = qr.thin_R();
    for j in 0..n {
        if r[(j, j)] < 0.0 {
            for i in 0..m {
                q[(i, j)] = -q[(i, j)];
            }
        }
    }
    if tall {
        q
    } else {
        q.transpose().to_owned()
    }
}
