//! The [`Stream`] contract, and [`RngStream`]: any `rand_core::RngCore` as a stream.

use crate::element::Element;
use crate::rng::transform;
use crate::sampler::Sampler;
use rand_core::RngCore;

/// A source of the distributions that initialisation schemes draw from.
///
/// Implementations decide the exact algorithm (and so the exact numbers); every
/// implementation must draw from the stated distribution. The parameters arrive valid: a
/// [`Sampler`] cannot hold invalid ones, so no stream method fails.
///
/// Every method is required (no defaults): a wrapper around another stream must forward each
/// one, or it would silently change the numbers (see [`Stream::mirrors_torch`],
/// [`Stream::select_tensor`]).
pub trait Stream {
    /// Fills `out` with independent draws from `sampler` (row-major: one tensor).
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]);
    /// A uniformly random permutation of `0..n` (used by `sparse`).
    fn randperm(&mut self, n: usize) -> Vec<usize>;
    /// Whether structured schemes must reproduce PyTorch's algorithm on this stream's draws
    /// (true for [`TorchGenerator`](crate::TorchGenerator)): `orthogonal` then takes the QR of
    /// the Gaussian matrix as `torch.nn.init.orthogonal_` does, instead of Stewart's
    /// equivalent-in-distribution method (half the flops). A wrapper that answered `false` for
    /// a `TorchGenerator` would silently stop matching PyTorch.
    fn mirrors_torch(&self) -> bool;
    /// Announces that the following draws belong to the tensor named `name` (a parameter's
    /// path, e.g. `"encoder.layers.3.attn.q_proj.weight"`).
    ///
    /// Counter-based streams key the following draws by the name, so that a tensor's values
    /// do not depend on which tensors were drawn before it: [`Philox`](crate::Philox)
    /// positions its stream id at [`StreamKey::from_name`](crate::StreamKey::from_name)`(seed,
    /// name)` (later calls advance it by one each, as always). Sequential streams
    /// ([`TorchGenerator`](crate::TorchGenerator), [`RngStream`]) ignore it and continue where
    /// they are: their values depend on the order of the draws, as PyTorch's do.
    fn select_tensor(&mut self, name: &str);
}

impl<S: Stream + ?Sized> Stream for &mut S {
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        (**self).sample(sampler, out)
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        (**self).randperm(n)
    }
    fn mirrors_torch(&self) -> bool {
        (**self).mirrors_torch()
    }
    fn select_tensor(&mut self, name: &str) {
        (**self).select_tensor(name)
    }
}

/// Any `rand_core::RngCore` as a [`Stream`], through the reference transforms in
/// [`transform`]: uniform from 24 (f32, bf16, f16) or 53 (f64) random bits, normal by
/// Box–Muller in f64, truncated normal by exact rejection, permutations by Fisher–Yates.
/// Sequential: [`Stream::select_tensor`] is ignored.
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
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        transform::sample(&mut self.0, sampler, out)
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        transform::randperm(&mut self.0, n)
    }
    fn mirrors_torch(&self) -> bool {
        false
    }
    fn select_tensor(&mut self, _name: &str) {}
}
