//! Structured schemes: `eye`, `dirac`, `sparse`.

use super::resolved::Resolved;
use crate::element::Element;
use crate::error::{InitError, Result};
use crate::rng::stream::Stream;
use crate::sampler::Sampler;
use crate::shape::Layout;

pub(super) fn check_dirac_rank(dims: &[usize]) -> Result<()> {
    if !(3..=5).contains(&dims.len()) {
        return Err(InitError::WrongRank {
            scheme: "dirac",
            expected: "3, 4 or 5",
            shape: dims.to_vec(),
        });
    }
    Ok(())
}

/// `(out, in)` positions of the dims of a conv weight under `layout`: PyTorch's
/// `(out, in, k...)` (also for `torch_transpose`: `dirac_` itself reads dims 0 and 1), JAX's
/// HWIO `(k..., in, out)`.
fn dirac_axes(rank: usize, layout: Layout) -> (usize, usize) {
    match layout {
        Layout::Jax => (rank - 1, rank - 2),
        Layout::Torch | Layout::TorchTranspose => (0, 1),
    }
}

pub(super) fn resolve_dirac(dims: &[usize], groups: usize, layout: Layout) -> Result<Resolved> {
    check_dirac_rank(dims)?;
    let (o, i) = dirac_axes(dims.len(), layout);
    if groups == 0 || !dims[o].is_multiple_of(groups) {
        return Err(InitError::BadGroups {
            dim0: dims[o],
            groups,
        });
    }
    let per_group = dims[o] / groups;
    Ok(Resolved::Dirac {
        groups,
        ones: groups * per_group.min(dims[i]),
        layout,
    })
}

/// `torch.nn.init.eye_`: ones on the main diagonal of a `rows × cols` matrix.
pub(super) fn draw_eye<T: Element>(out: &mut [T], rows: usize, cols: usize) {
    out.fill(T::ZERO);
    for i in 0..rows.min(cols) {
        out[i * cols + i] = T::ONE;
    }
}

/// `torch.nn.init.dirac_`: `t[g·opg + d, d, centre...] = 1` for every group `g` and
/// `d < min(opg, in)`, where `opg = out/groups` and `centre_i = k_i / 2`. Under
/// [`Layout::Jax`] the same identity in HWIO order: `t[centre..., d, g·opg + d] = 1`.
pub(super) fn draw_dirac<T: Element>(out: &mut [T], dims: &[usize], groups: usize, layout: Layout) {
    out.fill(T::ZERO);
    let (o_ax, i_ax) = dirac_axes(dims.len(), layout);
    let (n_out, n_in) = (dims[o_ax], dims[i_ax]);
    let per_group = n_out / groups;
    let spatial = match layout {
        Layout::Jax => &dims[..dims.len() - 2],
        Layout::Torch | Layout::TorchTranspose => &dims[2..],
    };
    let inner: usize = spatial.iter().product();
    // Offset of the centre within one kernel, row-major.
    let mut centre = 0;
    for &k in spatial {
        centre = centre * k + k / 2;
    }
    for g in 0..groups {
        for d in 0..per_group.min(n_in) {
            let o = g * per_group + d;
            let at = match layout {
                Layout::Jax => (centre * n_in + d) * n_out + o,
                Layout::Torch | Layout::TorchTranspose => (o * n_in + d) * inner + centre,
            };
            out[at] = T::ONE;
        }
    }
}

/// `torch.nn.init.sparse_`: `N(0, std²)` on the whole tensor, then for each column in order a
/// `randperm(rows)` whose first `zeros_per_col` rows are zeroed.
///
/// # Errors
/// Those of [`Sampler::normal`] (none for a `std` that [`Init`](super::Init) validated).
pub(super) fn draw_sparse<T: Element, S: Stream + ?Sized>(
    out: &mut [T],
    rows: usize,
    zeros_per_col: usize,
    std: f64,
    stream: &mut S,
) -> Result<()> {
    stream.sample(&Sampler::normal(0.0, std)?, out);
    let cols = out.len() / rows;
    for c in 0..cols {
        let perm = stream.randperm(rows);
        for &r in perm.iter().take(zeros_per_col) {
            out[r * cols + c] = T::ZERO;
        }
    }
    Ok(())
}
