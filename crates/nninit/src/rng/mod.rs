//! Random streams: where the numbers of a fill come from.
//!
//! A *generator* yields bits ([`rand_core::RngCore`]); a [`Stream`] turns them into the
//! distributions the schemes need (uniform, normal, truncated normal, permutations), so a
//! scheme ([`crate::Init`]) is a value and the stream is an argument, as in `rand`.
//!
//! Streams in this crate:
//! - [`RngStream`]: wraps any `rand_core::RngCore` (e.g. `rand::rngs::StdRng`) with the
//!   reference transforms of [`transform`]. Deterministic for a deterministic generator;
//!   the transforms themselves are portable (no platform math beyond correctly rounded
//!   `sqrt`, and `ln`/`sin`/`cos` from Rust's std).
//! - [`TorchGenerator`]: PyTorch's CPU generator (mt19937, `manual_seed`, cached normal) with
//!   PyTorch's exact kernels ([`torch_kernels`]): after `TorchGenerator::manual_seed(s)` the
//!   fills equal PyTorch's after `torch.manual_seed(s)`, bit for bit (f32; see [`Flavor`]).
//! - [`philox::Philox`]: counter-based Philox4x32-10; every value depends only on
//!   `(seed, stream, element index)`, so fills are identical for any thread count and any
//!   shard (see [`crate::fill`]).
//!
//! Validation happens before a stream is called: stream methods receive valid parameters
//! (finite, `std >= 0`, `low <= high`, `a < b`) and never fail.

pub mod philox;
pub mod torch;
pub mod torch_kernels;
pub mod transform;

pub use torch::TorchGenerator;
pub use torch_kernels::Flavor;

use crate::element::Element;
pub use rand_core::RngCore;

/// A source of the distributions that initialisation schemes draw from.
///
/// Implementations decide the exact algorithm (and so the exact numbers); every
/// implementation must draw from the stated distribution. Parameters are pre-validated by the
/// caller: finite, `std >= 0`, `low <= high`, `a < b`.
pub trait Stream {
    /// Fills `out` with `U[low, high)` (every value is `low` when `low == high`).
    fn uniform<T: Element>(&mut self, out: &mut [T], low: f64, high: f64);
    /// Fills `out` with `N(mean, std²)`.
    fn normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64);
    /// Fills `out` with `N(mean, std²)` conditioned on `[a, b]` (absolute bounds), `std > 0`.
    fn trunc_normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64, a: f64, b: f64);
    /// A uniformly random permutation of `0..n` (used by `sparse`).
    fn randperm(&mut self, n: usize) -> Vec<usize>;
    /// Whether structured schemes must reproduce PyTorch's algorithm on this stream's draws
    /// (true for [`TorchGenerator`]): `orthogonal` then takes the QR of the Gaussian matrix as
    /// `torch.nn.init.orthogonal_` does, instead of Stewart's equivalent-in-distribution method
    /// (half the flops). No default: a wrapper around another stream must forward it (a
    /// wrapper that answered `false` for a `TorchGenerator` would silently stop matching
    /// PyTorch).
    fn mirrors_torch(&self) -> bool;
}

impl<S: Stream + ?Sized> Stream for &mut S {
    fn uniform<T: Element>(&mut self, out: &mut [T], low: f64, high: f64) {
        (**self).uniform(out, low, high)
    }
    fn normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64) {
        (**self).normal(out, mean, std)
    }
    fn trunc_normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64, a: f64, b: f64) {
        (**self).trunc_normal(out, mean, std, a, b)
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        (**self).randperm(n)
    }
    fn mirrors_torch(&self) -> bool {
        (**self).mirrors_torch()
    }
}

/// Any `rand_core::RngCore` as a [`Stream`], through the reference transforms in
/// [`transform`]: uniform from 24 (f32, bf16, f16) or 53 (f64) random bits, normal by
/// Box–Muller in f64, truncated normal by exact rejection, permutations by Fisher–Yates.
///
/// ```
/// use nninit::{Init, Layout, RngStream, Shape};
/// use rand::SeedableRng;
/// let shape = Shape::new(&[4, 3])?;
/// let mut w = vec![0f32; shape.numel()];
/// let mut s = RngStream(rand::rngs::StdRng::seed_from_u64(7));
/// Init::normal(0.0, 0.02).fill(&mut w, &shape, Layout::Torch, &mut s)?;
/// assert!(w.iter().all(|x| x.abs() < 0.2));
/// # Ok::<(), nninit::InitError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RngStream<R>(pub R);

impl<R: RngCore> Stream for RngStream<R> {
    fn uniform<T: Element>(&mut self, out: &mut [T], low: f64, high: f64) {
        transform::uniform(&mut self.0, out, low, high)
    }
    fn normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64) {
        transform::normal(&mut self.0, out, mean, std)
    }
    fn trunc_normal<T: Element>(&mut self, out: &mut [T], mean: f64, std: f64, a: f64, b: f64) {
        transform::trunc_normal(&mut self.0, out, mean, std, a, b)
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        transform::randperm(&mut self.0, n)
    }
    fn mirrors_torch(&self) -> bool {
        false
    }
}
