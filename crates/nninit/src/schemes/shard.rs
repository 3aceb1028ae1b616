//! Sharded fills: [`Init::fill_range`] and [`Init::fill_rows`] materialise one rank's part of
//! a tensor, bit-identical to the same slice of the whole-tensor fill on a
//! [`Philox`] stream.

use super::init::{check_opmath_range, Init};
use super::resolved::Resolved;
use crate::element::Element;
use crate::error::{InitError, Result};
use crate::fill::{self, Par, Philox};
use crate::rng::philox::StreamKey;
use crate::shape::{Layout, Shape};
use std::ops::Range;

impl Init {
    /// Fills the shard `range` (row-major element indices into the whole tensor of `shape`)
    /// with this scheme under `key`, bit-identical to the same slice of
    /// `self.fill(whole, shape, layout, &mut Philox::new(key.seed).with_stream(key.stream))`.
    ///
    /// Element-wise schemes (uniform, normal, trunc_normal, constant and every fan-based
    /// scheme: xavier, kaiming, variance_scaling, lecun/glorot/he) compute only the shard.
    /// Structured schemes (orthogonal, sparse, eye, dirac) are not element-wise: this
    /// materialises the whole tensor (memory `numel` elements, time of a whole fill
    /// including orthogonal's factorisation) and copies the shard out; every rank gets the same
    /// consistent slices.
    ///
    /// # Errors
    /// [`InitError::RangeOutOfBounds`], [`InitError::LenMismatch`] (out vs range), and
    /// everything [`Init::fill`] returns (the same checks, the f32 range of uniform bounds
    /// included). Nothing is written on error.
    ///
    /// ```
    /// use nninit::{Init, Layout, Par, Philox, Shape, StreamKey};
    /// let shape = Shape::new(&[8, 16])?;
    /// let init: Init = "xavier_normal".parse()?;
    /// let mut whole = vec![0f32; 128];
    /// init.fill(&mut whole, &shape, Layout::Torch, &mut Philox::new(3).with_stream(9))?;
    /// let mut shard = vec![0f32; 40];
    /// init.fill_range(&mut shard, &shape, Layout::Torch, StreamKey::new(3, 9), 50..90, Par::Seq)?;
    /// assert_eq!(shard[..], whole[50..90]);
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn fill_range<T: Element>(
        &self,
        out: &mut [T],
        shape: &Shape,
        layout: Layout,
        key: StreamKey,
        range: Range<usize>,
        par: Par,
    ) -> Result<()> {
        fill::check_range(shape.numel(), &range, out.len())?;
        if shape.numel() == 0 {
            // Rank rules and parameter checks as `fill` (which is a no-op here).
            return self.fill(out, shape, layout, &mut Philox::new(key.seed));
        }
        let resolved = self.resolve(shape, layout)?;
        check_opmath_range::<T>(&resolved)?;
        match resolved {
            Resolved::Elementwise(s) => fill::fill_range(&s, key, shape.numel(), range, out, par)?,
            Resolved::Constant(v) => out.fill(T::from_f64(v)),
            _ => {
                let mut whole: Vec<T> = Vec::new();
                whole
                    .try_reserve_exact(shape.numel())
                    .map_err(|_| InitError::OutOfMemory {
                        what: format!(
                            "the whole {shape} tensor a structured scheme's shard is cut from"
                        ),
                        bytes: shape.numel() as u128 * std::mem::size_of::<T>() as u128,
                    })?;
                whole.resize(shape.numel(), T::ZERO);
                let mut stream = Philox::new(key.seed).with_stream(key.stream).with_par(par);
                self.fill(&mut whole, shape, layout, &mut stream)?;
                out.copy_from_slice(&whole[range]);
            }
        }
        Ok(())
    }

    /// Fills rows `rows` (along dim 0) of the tensor of `shape`: [`Init::fill_range`] on
    /// elements `rows.start·row_len .. rows.end·row_len`, `row_len = numel / shape[0]`
    /// (e.g. a tensor-parallel rank's slice of a column-parallel `Linear` weight `[out, in]`).
    ///
    /// # Errors
    /// [`InitError::WrongRank`] for a 0-d shape; [`InitError::RangeOutOfBounds`] unless
    /// `rows.start <= rows.end <= shape[0]`; and those of [`Init::fill_range`].
    pub fn fill_rows<T: Element>(
        &self,
        out: &mut [T],
        shape: &Shape,
        layout: Layout,
        key: StreamKey,
        rows: Range<usize>,
        par: Par,
    ) -> Result<()> {
        let Some(&dim0) = shape.dims().first() else {
            return Err(InitError::WrongRank {
                scheme: "fill_rows",
                expected: "1 or more",
                shape: vec![],
            });
        };
        if rows.start > rows.end || rows.end > dim0 {
            return Err(InitError::RangeOutOfBounds {
                start: rows.start,
                end: rows.end,
                numel: dim0,
            });
        }
        let row_len = shape.numel().checked_div(dim0).unwrap_or(0);
        let range = rows.start * row_len..rows.end * row_len; // <= numel: no overflow
        self.fill_range(out, shape, layout, key, range, par)
    }
}
