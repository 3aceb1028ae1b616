//! Drawing a [`Resolved`] scheme into a buffer.

use super::resolved::Resolved;
use super::{orthogonal, structured};
use crate::element::Element;
use crate::error::Result;
use crate::rng::stream::Stream;
use crate::shape::Shape;

/// Draws `resolved` into `out` (already validated: `out.len() == shape.numel() > 0`).
pub(super) fn draw<T: Element, S: Stream + ?Sized>(
    resolved: &Resolved,
    out: &mut [T],
    shape: &Shape,
    stream: &mut S,
) -> Result<()> {
    match *resolved {
        Resolved::Constant(v) => out.fill(T::from_f64(v)),
        Resolved::Elementwise(ref s) => stream.sample(s, out),
        Resolved::Orthogonal { gain, rows, cols } => {
            orthogonal::draw(out, rows, cols, gain, stream)?
        }
        Resolved::Eye { rows, cols } => structured::draw_eye(out, rows, cols),
        Resolved::Dirac { groups, layout, .. } => {
            structured::draw_dirac(out, shape.dims(), groups, layout)
        }
        Resolved::Sparse {
            zeros_per_col,
            rows,
            std,
        } => structured::draw_sparse(out, rows, zeros_per_col, std, stream)?,
    }
    Ok(())
}
