//! The random streams of the commands: `--rng` / `--flavor` as values ([`RngKind`],
//! [`FlavorArg`]), the seeded stream they choose ([`AnyStream`]), and the training data
//! order's own generator ([`data_order_rng`]). Imports nothing from the rest of the CLI.

use nninit::{Element, Flavor, RngStream, Sampler, Stream, StreamKey, TorchGenerator};
use rand::SeedableRng;

/// `--rng`: which random stream draws the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RngKind {
    /// PyTorch's CPU generator after `torch.manual_seed(seed)` (bit-exact for f32).
    Torch,
    /// rand's StdRng through nninit's reference transforms.
    Std,
    /// Counter-based Philox4x32-10: values independent of the thread count, each parameter
    /// keyed by its name.
    Philox,
}

impl RngKind {
    /// `torch`, `std`, `philox` (the `--rng` value).
    pub fn name(self) -> &'static str {
        match self {
            RngKind::Torch => "torch",
            RngKind::Std => "std",
            RngKind::Philox => "philox",
        }
    }
}

/// `--flavor`: the PyTorch kernel build to match with `--rng torch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlavorArg {
    /// The AVX2 build (any x86-64 with AVX2/AVX512; the default).
    Avx2,
    /// `ATEN_CPU_CAPABILITY=default` (the scalar build).
    Default,
}

impl FlavorArg {
    /// `avx2` or `default` (the `--flavor` value).
    pub fn name(self) -> &'static str {
        match self {
            FlavorArg::Avx2 => "avx2",
            FlavorArg::Default => "default",
        }
    }

    fn flavor(self) -> Flavor {
        match self {
            FlavorArg::Avx2 => Flavor::Avx2,
            FlavorArg::Default => Flavor::Default,
        }
    }
}

/// The random stream chosen by `--rng` (and `--flavor`, `--threads`), seeded.
#[allow(clippy::large_enum_variant)] // one per model, never moved in a loop
pub enum AnyStream {
    /// `--rng torch`: PyTorch's CPU generator, `torch.manual_seed(seed)`.
    Torch(TorchGenerator),
    /// `--rng std`: rand's StdRng through nninit's reference transforms.
    Std(RngStream<rand::rngs::StdRng>),
    /// `--rng philox`: counter-based Philox4x32-10 (values independent of the thread count).
    Philox(nninit::Philox),
}

impl AnyStream {
    /// The stream `rng` seeded with `seed`; `flavor` (default avx2) only with `--rng torch`,
    /// `threads` (default 0 = all CPUs) only with `--rng philox` (the other streams are
    /// sequential).
    ///
    /// # Errors
    /// `--flavor` given with a stream other than torch, `--threads` with one other than philox.
    pub fn new(
        rng: RngKind,
        flavor: Option<FlavorArg>,
        seed: u64,
        threads: Option<usize>,
    ) -> anyhow::Result<AnyStream> {
        if let (Some(t), false) = (threads, rng == RngKind::Philox) {
            anyhow::bail!(
                "--threads {t} applies only to --rng philox (--rng {} is a sequential stream: \
                 one thread draws it); drop --threads or use --rng philox",
                rng.name()
            );
        }
        if let (Some(f), false) = (flavor, rng == RngKind::Torch) {
            anyhow::bail!(
                "--flavor {} applies only to --rng torch (PyTorch's kernel builds), not --rng {}",
                f.name(),
                rng.name()
            );
        }
        Ok(match rng {
            RngKind::Torch => AnyStream::Torch(
                TorchGenerator::manual_seed(seed)
                    .with_flavor(flavor.unwrap_or(FlavorArg::Avx2).flavor()),
            ),
            RngKind::Std => AnyStream::Std(RngStream(rand::rngs::StdRng::seed_from_u64(seed))),
            RngKind::Philox => AnyStream::Philox(
                nninit::Philox::new(seed).with_par(nninit::Par::threads(threads.unwrap_or(0))),
            ),
        })
    }

    /// `torch (avx2)`, `torch (default)`, `std` or `philox`, for reports.
    pub fn label(&self) -> String {
        match self {
            AnyStream::Torch(g) => format!("torch ({})", g.flavor()),
            AnyStream::Std(_) => "std".into(),
            AnyStream::Philox(_) => "philox".into(),
        }
    }
}

impl Stream for AnyStream {
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        match self {
            AnyStream::Torch(g) => g.sample(sampler, out),
            AnyStream::Std(g) => g.sample(sampler, out),
            AnyStream::Philox(g) => g.sample(sampler, out),
        }
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        match self {
            AnyStream::Torch(g) => g.randperm(n),
            AnyStream::Std(g) => g.randperm(n),
            AnyStream::Philox(g) => g.randperm(n),
        }
    }
    fn mirrors_torch(&self) -> bool {
        match self {
            AnyStream::Torch(g) => g.mirrors_torch(),
            AnyStream::Std(g) => g.mirrors_torch(),
            AnyStream::Philox(g) => g.mirrors_torch(),
        }
    }
    fn select_tensor(&mut self, name: &str) {
        match self {
            AnyStream::Torch(g) => g.select_tensor(name),
            AnyStream::Std(g) => g.select_tensor(name),
            AnyStream::Philox(g) => g.select_tensor(name),
        }
    }
}

/// The name whose Philox words seed the training data order ([`data_order_rng`]).
pub const DATA_ORDER_NAME: &str = "data-order";

/// The generator of `nninit train`'s data order, its own stream derived from `--seed` and
/// independent of `--rng`: rand's `StdRng` seeded with the 32 bytes (little-endian words
/// 0..8) of Philox under `StreamKey::from_name(seed, "data-order")`, i.e. blocks 0 and 1 of
/// that key. So the order never shares numbers with the weights' stream (with `--rng std`
/// the weights come from `StdRng::seed_from_u64(seed)`), and every init sees the same order.
pub fn data_order_rng(seed: u64) -> rand::rngs::StdRng {
    let key = StreamKey::from_name(seed, DATA_ORDER_NAME);
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&key.word(i as u64).to_le_bytes());
    }
    rand::rngs::StdRng::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn data_order_depends_on_the_seed_only_and_differs_from_the_weights_stdrng() {
        let a = data_order_rng(0).next_u64();
        assert_eq!(a, data_order_rng(0).next_u64());
        assert_ne!(a, data_order_rng(1).next_u64());
        assert_ne!(a, rand::rngs::StdRng::seed_from_u64(0).next_u64());
    }

    #[test]
    fn flavor_only_with_torch() {
        assert!(AnyStream::new(RngKind::Std, Some(FlavorArg::Default), 0, None).is_err());
        assert!(AnyStream::new(RngKind::Torch, Some(FlavorArg::Default), 0, None).is_ok());
        assert!(AnyStream::new(RngKind::Philox, None, 0, None).is_ok());
    }

    #[test]
    fn threads_only_with_philox() {
        for rng in [RngKind::Torch, RngKind::Std] {
            let e = AnyStream::new(rng, None, 0, Some(2))
                .err()
                .map(|e| e.to_string());
            assert!(e.is_some_and(|e| e.contains("only to --rng philox")));
        }
        assert!(AnyStream::new(RngKind::Philox, None, 0, Some(2)).is_ok());
    }
}
