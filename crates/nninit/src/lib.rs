//! # nninit
//!
//! Neural-network weight initialisation: every scheme practitioners use (PyTorch
//! `torch.nn.init`, JAX `variance_scaling` and its aliases, orthogonal, eye, dirac, sparse),
//! the fan and gain rules behind them, and PyTorch's default per-layer inits, on plain slices
//! with shapes.
//!
//! Data flows one way: an [`Init`] (spec) → [`Init::resolve`] (fans, gain, std, bounds; no
//! draws) → [`Init::fill`] (draws from a [`Stream`]). Element-wise schemes resolve to a
//! [`Sampler`] (uniform, normal or truncated normal, validated when built), which every
//! stream draws into a slice.
//!
//! # Modules (imports run one way, leaves last)
//! - [`schemes`]: [`Init`], its text form and the scheme table, [`Resolved`], sharded fills;
//!   [`layers`]: PyTorch's per-layer defaults (uses `schemes`).
//! - [`fill`]: the counter-based Philox engine ([`fill::fill`], [`Philox`]).
//! - [`rng`]: the [`Stream`] contract, [`RngStream`], [`TorchGenerator`] → its kernels, the raw
//!   Philox function and [`StreamKey`].
//! - Leaves: [`sampler`], [`special`] (Φ, window mass, truncated moments), CPU features,
//!   [`fan`], [`gain`], [`shape`], [`element`], [`error`].
//!
//! ```
//! use nninit::{Init, Layout, RngStream, Shape};
//! use rand::SeedableRng;
//!
//! let shape = Shape::new(&[128, 256])?;                  // nn.Linear(256, 128).weight
//! let mut w = vec![0f32; shape.numel()];
//! let init: Init = "kaiming_normal".parse()?;            // N(0, 2/fan_in)
//! init.fill(&mut w, &shape, Layout::Torch, &mut RngStream(rand::rngs::StdRng::seed_from_u64(0)))?;
//! let std = (w.iter().map(|x| (x * x) as f64).sum::<f64>() / w.len() as f64).sqrt();
//! assert!((std - (2.0f64 / 256.0).sqrt()).abs() < 0.002);
//! # Ok::<(), nninit::InitError>(())
//! ```
#![deny(missing_docs)]

pub mod element;
pub mod error;
pub mod fan;
pub mod fill;
pub mod gain;
pub mod layers;
pub mod rng;
pub mod sampler;
pub mod schemes;
pub mod shape;
pub mod special;

mod cpu;

pub use element::{DType, Element};
pub use error::{InitError, Result};
pub use fan::{fan_in_and_fan_out, Fans, Mode};
pub use fill::{Par, Philox};
pub use gain::{calculate_gain, Nonlinearity};
pub use rng::philox::StreamKey;
pub use rng::{Flavor, RngStream, Stream, TorchGenerator};
pub use sampler::Sampler;
pub use schemes::{Description, Dist, Init, Resolved};
pub use shape::{Layout, Shape};
pub use special::trunc_std_at_2;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
